// Socket.IO connection to one gateway namespace, with acknowledged requests and a status badge.
// `io` is the global defined by vendor/socket.io-client.js, the client build the gateway
// picks for its serializer (JSON or msgpack).

import { errorText } from "./errors.js";

const ACK_TIMEOUT_MS = 10000;

export class RequestError extends Error {
  /** `message` is always the French text for `code`, whatever the server said. */
  constructor(code) {
    super(errorText(code));
    this.code = code;
  }
}

// Long-polling first, then the upgrade to a WebSocket: a network that lets no WebSocket
// through (some proxies, some hotel and mobile networks) still carries the chat.
export function connect(namespace, authProvider) {
  return globalThis.io(namespace, {
    path: "/socket.io/",
    transports: ["polling", "websocket"],
    auth: (callback) => callback(authProvider()),
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
  });
}

/** Emit an event and resolve with the ack payload; reject with RequestError when not ok. */
export async function request(socket, event, payload = {}) {
  let reply;
  try {
    reply = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  } catch {
    throw new RequestError("timeout");
  }
  if (!reply || reply.ok !== true) throw new RequestError(reply?.error?.code ?? "internal");
  return reply;
}

const STATE_TEXT = {
  connecting: "Connexion…",
  online: "Connecté",
  reconnecting: "Reconnexion…",
  offline: "Déconnecté",
};

/** Keep a badge element in step with the socket's state. */
export function bindStatus(socket, badge) {
  const show = (state) => {
    badge.dataset.state = state;
    badge.textContent = STATE_TEXT[state];
  };
  show("connecting");
  socket.on("connect", () => show("online"));
  socket.on("disconnect", () => show(socket.active ? "reconnecting" : "offline"));
  socket.on("connect_error", () => show(socket.active ? "reconnecting" : "offline"));
  return show;
}
