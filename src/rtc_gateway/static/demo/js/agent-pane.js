// One assigned conversation in the officer console: its entry in the list and its pane
// (history, composer, transfer, close with a confirmation, video call, the citizen's presence).

import { el, formatDuration, secondsSince, serviceLabel } from "./dom.js";
import { request } from "./connection.js";
import { ChatLog } from "./chat-log.js";
import {
  acknowledgeRead,
  bindComposer,
  flushPending,
  resume,
  sendText,
  typingIndicator,
} from "./messaging.js";
import { VideoCall } from "./video-call.js";
import { firstWords, mapLink, placeName, presenceText, shortReference } from "./staff-format.js";

const STATUS_TEXT = { queued: "En attente", assigned: "Prise en charge", closed: "Terminée" };

let paneCount = 0;

export class ConversationPane {
  /**
   * @param {object} socket         the console's /agent connection
   * @param {object} conversation   the conversation object from the gateway
   * @param {object} hooks          {selfId(), topicLabel(id), topics(), onChange(pane), onSelect(pane),
   *                                 onGone(pane), notify(text), supervising()}
   */
  constructor(socket, conversation, hooks) {
    this.socket = socket;
    this.conversation = { ...conversation };
    this.hooks = hooks;
    this.seenSeq = 0;
    this.selected = false;
    this.call = null;
    paneCount += 1;
    this.key = `pane-${paneCount}`;
    this.root = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
    this.root.id = this.key;
    this.root.dataset.conversationId = conversation.id;
    this.root.hidden = true;
    this.part = (name) => this.root.querySelector(`.pane__${name}`);
    this.log = new ChatLog(this.part("messages"), "agent", { citizen: "Citoyen", agent: "Agent", system: "" });
    this.showTyping = typingIndicator(this.part("typing"), "Le citoyen écrit…");
    this.item = this.buildListItem();
    this.labelFields();
    this.bindActions();
    this.render();
  }

  get id() {
    return this.conversation.id;
  }

  get urgent() {
    return this.conversation.priority === "urgent" || this.conversation.discreet === true;
  }

  get closed() {
    return this.conversation.status === "closed";
  }

  get queued() {
    return this.conversation.status === "queued";
  }

  /** False once the citizen's last connection closed (quick exit, closed tab). */
  get citizenLeft() {
    return this.conversation.citizen_presence?.connected === false;
  }

  get firstWords() {
    const first = this.log.messages.find((m) => m.sender === "citizen");
    return firstWords(first ? first.text : this.conversation.first_words ?? "");
  }

  get unread() {
    let count = 0;
    for (const message of this.log.messages) {
      if (message.sender === "citizen" && message.seq > this.seenSeq) count += 1;
    }
    return count;
  }

  /** When the citizen started waiting for an answer (null when the last word is ours). */
  get waitingSince() {
    if (this.queued && this.conversation.waiting_since) return this.conversation.waiting_since;
    let since = null;
    for (const message of this.log.messages) {
      if (message.sender === "agent") since = null;
      else if (message.sender === "citizen" && since === null) since = message.sent_at;
    }
    if (since === null && this.log.messages.length === 0) since = this.conversation.opened_at ?? null;
    return this.closed ? null : since;
  }

  // ---- data ----

  update(conversation) {
    Object.assign(this.conversation, conversation);
    if (conversation.status && conversation.status !== "queued") delete this.conversation.waiting_since;
    this.render();
    this.hooks.onChange(this);
  }

  /** The citizen connected again or left; a call cannot go on without them. */
  presenceChanged(presence) {
    this.conversation.citizen_presence = { connected: presence.connected, at: presence.at };
    if (!presence.connected && this.call) this.endCall(true, "Le citoyen a quitté : appel terminé.");
    this.render();
    this.hooks.onChange(this);
  }

  addMessages(messages) {
    for (const message of messages ?? []) this.log.add(message);
    this.afterMessages();
  }

  receive(message) {
    this.log.add(message);
    if (message.sender === "citizen") this.showTyping(false);
    if (this.log.hasGap()) this.catchUp().catch(() => undefined);
    this.afterMessages();
  }

  async catchUp() {
    const conversation = await resume(this.socket, this.log, this.id);
    if (conversation) this.update(conversation);
    await flushPending(this.socket, this.log, this.id);
    this.afterMessages();
  }

  afterMessages() {
    if (this.selected && !document.hidden) this.markSeen();
    this.hooks.onChange(this);
  }

  markSeen() {
    this.seenSeq = this.log.lastSeqFrom("citizen");
    acknowledgeRead(this.socket, this.log, this.id, "citizen");
  }

  // ---- display ----

  select(selected) {
    this.selected = selected;
    this.root.hidden = !selected;
    this.item.querySelector("button").setAttribute("aria-current", selected ? "true" : "false");
    if (selected) {
      this.markSeen();
      this.log.scrollToEnd();
    }
    this.refreshItem();
  }

  render() {
    const c = this.conversation;
    this.part("title").textContent = this.hooks.topicLabel(c.topic);
    this.part("ref").textContent = c.id;
    const facts = [serviceLabel(c.service)];
    if (this.queued) facts.push("en attente d'un agent");
    if (c.agent && c.agent_id !== this.hooks.selfId()) facts.push(`suivie par ${c.agent.display_name}`);
    if (c.citizen_verified) facts.push(c.citizen_name ? `identité vérifiée : ${c.citizen_name}` : "identité vérifiée");
    if (c.discreet) facts.push("alerte discrète");
    if (c.priority === "urgent") facts.push("prioritaire");
    if (c.language && c.language !== "fr") facts.push(`langue : ${c.language}`);
    if (this.closed) facts.push("terminée");
    this.part("status").textContent = facts.filter(Boolean).join(" · ");
    this.renderPlace(c.location, c.place);
    this.renderPresence();
    this.root.dataset.status = c.status;
    for (const name of ["composer", "video", "transfer-toggle", "close"]) this.part(name).hidden = this.closed;
    if (this.queued) this.part("video").hidden = true;
    if (this.closed) {
      this.part("transfer").hidden = true;
      this.part("confirm").hidden = true;
      this.showTyping(false);
    }
    this.refreshItem();
  }

  renderPlace(location, place) {
    const line = this.part("place");
    line.hidden = !location;
    if (!location) return;
    const name = placeName(place);
    this.part("place-name").textContent = name;
    const link = this.part("map");
    link.href = mapLink(location);
    link.setAttribute("aria-label", `Voir ${name} sur une carte (nouvel onglet)`);
  }

  renderPresence() {
    const presence = this.conversation.citizen_presence;
    const box = this.part("presence");
    box.hidden = !presence || this.closed;
    if (box.hidden) return;
    box.dataset.connected = String(presence.connected);
    box.classList.toggle("notice--warn", !presence.connected);
    this.part("presence-text").textContent = presenceText(presence);
    this.part("close-left").hidden = presence.connected;
  }

  buildListItem() {
    const button = el("button", { className: "agent__item", attrs: { type: "button", "aria-current": "false" } });
    button.addEventListener("click", () => this.hooks.onSelect(this));
    return el("li", { dataset: { conversationId: this.conversation.id } }, button);
  }

  refreshItem() {
    const c = this.conversation;
    const button = this.item.querySelector("button");
    const badges = el("span", { className: "agent__badges" });
    if (this.urgent) {
      badges.append(el("span", { className: "badge badge--urgent", text: c.discreet ? "Discrète" : "Urgent" }));
    }
    if (this.closed) badges.append(el("span", { className: "badge badge--muted", text: "Terminée" }));
    const unread = this.unread;
    if (unread > 0 && !this.selected) {
      badges.append(el("span", { className: "badge badge--count", text: unread, attrs: { "aria-label": `${unread} non lu(s)` } }));
    }
    if (this.citizenLeft && !this.closed) badges.append(el("span", { className: "badge badge--left", text: "Citoyen parti" }));
    if (this.hooks.supervising() && !this.closed) {
      const held = c.agent ? `Suivie par ${c.agent.display_name}` : STATUS_TEXT[c.status] ?? c.status;
      badges.append(el("span", { className: `badge agent__held agent__held--${c.status}`, text: held }));
    }
    const since = this.waitingSince;
    const waitWord = this.queued ? "en attente depuis" : "attend depuis";
    const wait = since ? `${waitWord} ${formatDuration(secondsSince(since))}` : this.closed ? "" : "répondu";
    const words = this.firstWords;
    button.replaceChildren(
      el("span", { className: "agent__item-title" },
        this.hooks.topicLabel(c.topic),
        el("span", { className: "agent__item-ref", text: ` · réf. ${shortReference(c)}` })),
      badges,
      words ? el("span", { className: "agent__item-words", text: `« ${words} »` }) : "",
      el("span", { className: "agent__item-meta", text: [serviceLabel(c.service), wait].filter(Boolean).join(" · ") }),
    );
    this.item.dataset.urgent = String(this.urgent);
    this.item.dataset.unread = String(unread);
    this.item.dataset.status = c.status;
    this.item.dataset.citizenLeft = String(this.citizenLeft);
  }

  labelFields() {
    const link = (labelName, fieldName) => {
      const field = this.part(fieldName);
      field.id = `${this.key}-${fieldName}`;
      this.part(labelName).htmlFor = field.id;
    };
    link("input-label", "input");
    link("transfer-kind-label", "transfer-kind");
    link("transfer-target-label", "transfer-service");
    this.part("messages").setAttribute("aria-label", "Messages de la conversation");
  }

  // ---- actions ----

  bindActions() {
    bindComposer(this.part("composer"), this.part("input"), {
      onSend: (text) => sendText(this.socket, this.log, this.id, text).then(() => this.hooks.onChange(this)),
      onTyping: (typing) => {
        if (this.socket.connected) {
          request(this.socket, "typing", { conversation_id: this.id, typing }).catch(() => undefined);
        }
      },
    });
    this.part("close").addEventListener("click", () => this.askToClose());
    this.part("close-left").addEventListener("click", () => this.askToClose());
    this.part("confirm-close").addEventListener("click", () => this.close());
    this.part("confirm-cancel").addEventListener("click", () => {
      this.part("confirm").hidden = true;
      this.part("close").focus();
    });
    const camera = this.part("camera");
    camera.addEventListener("click", () => {
      const off = camera.getAttribute("aria-pressed") !== "true";
      camera.setAttribute("aria-pressed", String(off));
      camera.textContent = off ? "Réactiver la caméra" : "Couper la caméra";
      this.call?.setCameraOff(off);
    });
    this.part("transfer-toggle").addEventListener("click", () => this.toggleTransfer());
    this.part("transfer-kind").addEventListener("change", () => this.showTransferTarget());
    this.part("transfer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.transfer();
    });
    this.part("video").addEventListener("click", () => this.startVideo());
    this.part("hangup").addEventListener("click", () => this.endCall(true, "Appel terminé."));
    const mute = this.part("mute");
    mute.addEventListener("click", () => {
      const muted = mute.getAttribute("aria-pressed") !== "true";
      mute.setAttribute("aria-pressed", String(muted));
      mute.textContent = muted ? "Réactiver le micro" : "Couper le micro";
      this.call?.setMicrophoneMuted(muted);
    });
  }

  say(text) {
    this.part("video-state").textContent = text;
  }

  askToClose() {
    this.part("confirm").hidden = false;
    this.part("confirm-close").focus();
  }

  async close() {
    this.part("confirm").hidden = true;
    try {
      const reply = await request(this.socket, "conversation:close", { conversation_id: this.id });
      this.endCall(true, "");
      this.update(reply.conversation ?? { status: "closed" });
    } catch (error) {
      this.say(`Impossible de clore : ${error.message}`);
    }
  }

  toggleTransfer() {
    const form = this.part("transfer");
    form.hidden = !form.hidden;
    this.part("transfer-toggle").setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) {
      const topics = this.part("transfer-topic");
      topics.replaceChildren(
        ...this.hooks.topics().map((t) => el("option", { text: t.label, attrs: { value: t.id } })),
      );
      this.part("transfer-kind").focus();
    }
  }

  showTransferTarget() {
    const kind = this.part("transfer-kind").value;
    const targets = { service: "transfer-service", topic: "transfer-topic", agent_id: "transfer-agent" };
    for (const [name, part] of Object.entries(targets)) {
      const field = this.part(part);
      field.hidden = name !== kind;
      field.removeAttribute("id");
    }
    const active = this.part(targets[kind]);
    active.id = `${this.key}-transfer-target`;
    this.part("transfer-target-label").htmlFor = active.id;
  }

  async transfer() {
    const kind = this.part("transfer-kind").value;
    const source = { service: "transfer-service", topic: "transfer-topic", agent_id: "transfer-agent" }[kind];
    const value = this.part(source).value.trim();
    if (!value) return;
    try {
      const reply = await request(this.socket, "conversation:transfer", { conversation_id: this.id, to: { [kind]: value } });
      this.endCall(true, "");
      const where = kind === "service" ? serviceLabel(value) : kind === "topic" ? this.hooks.topicLabel(value) : value;
      this.hooks.notify(reply.warning?.code === "nobody_available"
        ? `Transfert effectué vers ${where}, mais aucun agent n'y est disponible : la demande attend. Le citoyen en est informé.`
        : "");
      this.hooks.onGone(this);
    } catch (error) {
      this.say(`Transfert impossible : ${error.message}`);
    }
  }

  async startVideo() {
    if (this.call) return;
    this.part("video").disabled = true;
    this.part("video-area").hidden = false;
    this.say("Démarrage de l'appel vidéo…");
    try {
      const room = await request(this.socket, "video:start", { conversation_id: this.id });
      this.call = new VideoCall(this.socket, room.room_id, this.part("local-video"), this.part("remote-video"));
      await this.call.start(room.ice_servers);
      this.say("Appel en cours. Le citoyen a été invité à rejoindre.");
    } catch (error) {
      this.endCall(true, `L'appel n'a pas pu démarrer : ${error.message}`);
    }
  }

  videoEnded(roomId, recording) {
    if (this.call?.roomId !== roomId) return false;
    const note = recording?.duration_s ? ` Enregistrement : ${formatDuration(recording.duration_s)}.` : "";
    this.endCall(false, `Appel terminé.${note}`);
    return true;
  }

  endCall(notify, text) {
    this.call?.stop(notify);
    this.call = null;
    this.part("video-area").hidden = true;
    this.part("video").disabled = false;
    const mute = this.part("mute");
    mute.setAttribute("aria-pressed", "false");
    mute.textContent = "Couper le micro";
    const camera = this.part("camera");
    camera.setAttribute("aria-pressed", "false");
    camera.textContent = "Couper la caméra";
    this.say(text);
  }

  dispose() {
    this.endCall(false, "");
    this.root.remove();
    this.item.remove();
  }
}
