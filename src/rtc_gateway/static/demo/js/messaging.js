// Sending, resuming and typing for one conversation, shared by the citizen page and the console.
// A message stays "pending" until the gateway acknowledges it (the ack means it is in the
// evidence log); pending messages are sent again after a reconnect with the same client_msg_id,
// which the gateway treats as the same message.

import { newId } from "./dom.js";
import { request } from "./connection.js";

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;

export async function sendText(socket, log, conversationId, text) {
  const clientMsgId = newId();
  log.addPending(clientMsgId, text);
  if (socket.connected) await deliver(socket, log, conversationId, clientMsgId, text);
}

async function deliver(socket, log, conversationId, clientMsgId, text) {
  try {
    const reply = await request(socket, "message:send", {
      conversation_id: conversationId,
      client_msg_id: clientMsgId,
      text,
    });
    log.add(reply.message, clientMsgId);
  } catch (error) {
    if (error.code !== "timeout") log.fail(clientMsgId, error.message);
  }
}

/** Send again every message still waiting for its ack (after a reconnect). */
export async function flushPending(socket, log, conversationId) {
  for (const { clientMsgId, text } of log.pendingMessages()) {
    await deliver(socket, log, conversationId, clientMsgId, text);
  }
}

/**
 * Fetch every message after the last one shown, a page at a time (the gateway says
 * has_more while later pages remain); returns the conversation.
 */
export async function resume(socket, log, conversationId) {
  let reply;
  let afterSeq = log.lastSeq;
  do {
    reply = await request(socket, "conversation:resume", {
      conversation_id: conversationId,
      after_seq: afterSeq,
    });
    for (const message of reply.messages ?? []) log.add(message);
    const last = reply.messages?.at(-1)?.seq;
    if (!Number.isInteger(last) || last <= afterSeq) break;
    afterSeq = last;
  } while (reply.has_more);
  return reply.conversation;
}

/** Tell the other side what we have read, once per new seq from them. */
export function acknowledgeRead(socket, log, conversationId, otherSender) {
  const seq = log.lastSeqFrom(otherSender);
  if (!socket.connected || seq === 0 || seq <= (log.reportedRead ?? 0)) return;
  log.reportedRead = seq;
  request(socket, "message:read", { conversation_id: conversationId, seq }).catch(() => {
    log.reportedRead = 0;
  });
}

/** Wire a <form> with a <textarea>: Enter sends, Shift+Enter breaks the line, typing is signalled. */
export function bindComposer(form, textarea, { onSend, onTyping }) {
  let typing = false;
  let lastSignal = 0;
  let idleTimer = 0;
  const stopTyping = () => {
    clearTimeout(idleTimer);
    if (typing) {
      typing = false;
      onTyping(false);
    }
  };
  textarea.addEventListener("input", () => {
    const now = Date.now();
    if (!typing || now - lastSignal > TYPING_REPEAT_MS) {
      typing = true;
      lastSignal = now;
      onTyping(true);
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    if (!text) return;
    textarea.value = "";
    stopTyping();
    onSend(text);
  });
}

/** Show "X écrit…" for a while; the other side repeats the signal while it keeps typing. */
export function typingIndicator(node, label) {
  let timer = 0;
  return (isTyping) => {
    clearTimeout(timer);
    node.textContent = isTyping ? label : "";
    if (isTyping) timer = setTimeout(() => { node.textContent = ""; }, TYPING_IDLE_MS + 2000);
  };
}
