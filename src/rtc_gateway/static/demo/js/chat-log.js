// One conversation's message list: ordered by seq, each seq shown once, with delivery marks on
// the messages this side sent (sending → recorded → read). "Recorded" reads "reçu": the
// gateway has the message (in its evidence log), which says nothing of a complaint.

import { el, formatClock } from "./dom.js";

const MARK_TEXT = {
  sending: "envoi…",
  recorded: "reçu",
  read: "lu",
};

export class ChatLog {
  /**
   * @param {HTMLOListElement} list  the <ol> that shows the messages
   * @param {string} self            the sender value of this side ("citizen" or "agent")
   * @param {Record<string,string>} senderNames  label shown for each sender
   */
  constructor(list, self, senderNames) {
    this.list = list;
    this.self = self;
    this.senderNames = senderNames;
    this.bySeq = new Map();
    this.pending = new Map();
    this.readUpTo = 0;
  }

  get lastSeq() {
    let last = 0;
    while (this.bySeq.has(last + 1)) last += 1;
    return last;
  }

  get maxSeq() {
    return this.bySeq.size ? Math.max(...this.bySeq.keys()) : 0;
  }

  /** True when a later message arrived before an earlier one (to fill with a resume). */
  hasGap() {
    return this.maxSeq > this.lastSeq;
  }

  get messages() {
    return [...this.bySeq.values()].map((entry) => entry.message).sort((a, b) => a.seq - b.seq);
  }

  /**
   * Add a message from the server; returns false when that seq is already shown.
   * `clientMsgId` names the pending bubble it replaces when the server omits client_msg_id.
   */
  add(message, clientMsgId = message?.client_msg_id) {
    if (clientMsgId && this.pending.has(clientMsgId)) {
      this.pending.get(clientMsgId).item.remove();
      this.pending.delete(clientMsgId);
    }
    if (!Number.isInteger(message?.seq) || this.bySeq.has(message.seq)) return false;
    const item = this.render(message);
    this.bySeq.set(message.seq, { message, item });
    this.insertOrdered(item, message.seq);
    this.refreshMark(message.seq);
    this.scrollToEnd();
    return true;
  }

  /** Show a message of ours before the server has acknowledged it. */
  addPending(clientMsgId, text) {
    const message = { seq: null, sender: this.self, text, sent_at: new Date().toISOString() };
    const item = this.render(message);
    this.setMark(item, "sending");
    this.pending.set(clientMsgId, { text, item });
    this.list.append(item);
    this.scrollToEnd();
  }

  /** Mark a pending message as refused by the server; it will not be sent again. */
  fail(clientMsgId, reason) {
    const entry = this.pending.get(clientMsgId);
    if (!entry) return;
    this.pending.delete(clientMsgId);
    entry.item.classList.add("msg--failed");
    const node = entry.item.querySelector(".msg__mark");
    if (node) {
      node.dataset.mark = "failed";
      node.textContent = `non envoyé : ${reason}`;
    }
  }

  pendingMessages() {
    return [...this.pending.entries()].map(([clientMsgId, entry]) => ({ clientMsgId, text: entry.text }));
  }

  markRead(seq) {
    this.readUpTo = Math.max(this.readUpTo, seq);
    for (const [entrySeq] of this.bySeq) this.refreshMark(entrySeq);
  }

  lastSeqFrom(sender) {
    let found = 0;
    for (const [seq, entry] of this.bySeq) {
      if (entry.message.sender === sender && seq > found) found = seq;
    }
    return found;
  }

  render(message) {
    const mine = message.sender === this.self;
    const kind = message.sender === "system" ? "system" : mine ? "mine" : "theirs";
    const meta = el(
      "div",
      { className: "msg__meta" },
      el("span", { className: "msg__sender", text: this.senderNames[message.sender] ?? "" }),
      el("time", { text: formatClock(message.sent_at), attrs: { datetime: message.sent_at ?? "" } }),
    );
    if (mine) meta.append(el("span", { className: "msg__mark" }));
    const dataset = message.seq ? { seq: message.seq, sender: message.sender } : { sender: message.sender };
    return el(
      "li",
      { className: `msg msg--${kind}`, dataset },
      el("div", { className: "msg__text", text: message.text ?? "" }),
      meta,
    );
  }

  refreshMark(seq) {
    const entry = this.bySeq.get(seq);
    if (entry && entry.message.sender === this.self) {
      this.setMark(entry.item, seq <= this.readUpTo ? "read" : "recorded");
    }
  }

  setMark(item, mark) {
    const node = item.querySelector(".msg__mark");
    if (!node) return;
    node.dataset.mark = mark;
    node.textContent = MARK_TEXT[mark];
  }

  /** Keep seq order; confirmed messages go before those still waiting for their ack. */
  insertOrdered(item, seq) {
    const firstPending = this.list.querySelector("li:not([data-seq])");
    const newest = seq >= this.maxSeq;
    const later = newest
      ? undefined
      : [...this.list.querySelectorAll("li[data-seq]")].find((node) => Number(node.dataset.seq) > seq);
    this.list.insertBefore(item, later ?? firstPending ?? null);
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  clear() {
    this.bySeq.clear();
    this.pending.clear();
    this.readUpTo = 0;
    this.list.replaceChildren();
  }
}
