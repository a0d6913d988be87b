// Citizen page: open a conversation, chat with the officer, keep the identity and the history
// across reloads and network drops, raise a discreet alert, join a video call, leave quickly.

import { byId, el, formatDuration, loadTopics, newId, serviceLabel } from "./dom.js";
import { bindStatus, connect, request } from "./connection.js";
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

const TOKEN_KEY = "rtc-gateway.citizen.token";
const NEUTRAL_SITE = "https://www.google.fr/search?q=meteo";
const LOCATION_TIMEOUT_MS = 5000;
const CLOSE_REASONS = {
  closed_by_citizen: "Vous avez terminé la conversation.",
  closed_by_agent: "L'agent a terminé la conversation.",
  closed_by_supervisor: "La conversation a été terminée.",
};

const ui = {
  notice: byId("notice"),
  start: byId("start"),
  startForm: byId("start-form"),
  startButton: byId("start-button"),
  topic: byId("topic"),
  topicHint: byId("topic-hint"),
  firstMessage: byId("first-message"),
  discreet: byId("discreet"),
  conversation: byId("conversation"),
  status: byId("chat-status"),
  messages: byId("messages"),
  typing: byId("typing"),
  composer: byId("composer"),
  input: byId("message-input"),
  close: byId("close-conversation"),
  closedActions: byId("closed-actions"),
  newConversation: byId("new-conversation"),
  invite: byId("video-invite"),
  video: byId("video"),
  videoState: byId("video-state"),
  mute: byId("video-mute"),
  camera: byId("video-camera"),
};

const state = {
  conversation: null,
  invite: null,
  call: null,
};

const log = new ChatLog(ui.messages, "citizen", { citizen: "Vous", agent: "Agent", system: "" });
const showTyping = typingIndicator(ui.typing, "L'agent écrit…");

const socket = connect("/citizen", () => {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? { token } : {};
});
bindStatus(socket, byId("connection"));

// ---- connection lifecycle ----

socket.on("session", (session) => {
  if (session?.token) localStorage.setItem(TOKEN_KEY, session.token);
});

socket.on("connect", () => {
  restore().catch((error) => showNotice(`Impossible de récupérer la conversation : ${error.message}`));
});

socket.on("connect_error", (error) => {
  if (socket.active) return;
  if (error?.data?.code === "unauthorized" && localStorage.getItem(TOKEN_KEY)) {
    // The stored identity expired: start again as a new anonymous citizen.
    localStorage.removeItem(TOKEN_KEY);
    socket.connect();
    return;
  }
  showNotice("Connexion refusée par le serveur.");
});

/** After a (re)connect: find our open conversation and fetch what we missed. */
async function restore() {
  if (!state.conversation) {
    const reply = await request(socket, "conversation:list", {});
    const open = (reply.conversations ?? []).filter((c) => c.status !== "closed");
    open.sort((a, b) => String(b.opened_at).localeCompare(String(a.opened_at)));
    if (open.length === 0) return;
    showConversation(open[0]);
  }
  await catchUp();
  await flushPending(socket, log, state.conversation.id);
}

async function catchUp() {
  const id = state.conversation.id;
  const conversation = await resume(socket, log, id);
  if (conversation && state.conversation?.id === id) updateConversation(conversation);
  acknowledgeRead(socket, log, id, "agent");
}

// ---- server events ----

socket.on("conversation:queued", (event) => {
  if (!isCurrent(event.conversation_id)) return;
  updateConversation({ status: "queued", position: event.position, estimated_wait_s: event.estimated_wait_s });
});

socket.on("conversation:assigned", (event) => {
  if (!isCurrent(event.conversation_id)) return;
  updateConversation({ status: "assigned", agent: event.agent });
});

socket.on("conversation:transferred", (event) => {
  if (!isCurrent(event.conversation_id)) return;
  updateConversation({ service: event.service });
  const where = `Votre demande a été transmise à : ${serviceLabel(event.service)}.`;
  showNotice(event.agents_available ? where
    : `${where} Aucun agent n'y est disponible pour le moment : votre demande reste en attente. En cas d'urgence, appelez le 17 ou le 112 (SMS : 114).`);
});

socket.on("message", (message) => {
  if (!isCurrent(message.conversation_id)) return;
  log.add(message);
  if (message.sender === "agent") showTyping(false);
  if (log.hasGap()) catchUp().catch(() => undefined);
  else if (!document.hidden) acknowledgeRead(socket, log, message.conversation_id, "agent");
});

socket.on("typing", (event) => {
  if (isCurrent(event.conversation_id) && event.sender !== "citizen") showTyping(Boolean(event.typing));
});

socket.on("message:read", (event) => {
  if (isCurrent(event.conversation_id) && event.reader !== "citizen") log.markRead(event.seq);
});

socket.on("conversation:closed", (event) => {
  if (isCurrent(event.conversation_id)) updateConversation({ status: "closed", reason: event.reason });
});

socket.on("video:invite", (event) => {
  if (!isCurrent(event.conversation_id) || state.call) return;
  state.invite = event;
  ui.invite.hidden = false;
  byId("video-accept").focus();
});

socket.on("video:ended", (event) => {
  if (state.invite?.room_id === event.room_id) hideInvite();
  if (state.call?.roomId !== event.room_id) return;
  endCall(false);
  const duration = event.recording?.duration_s;
  ui.videoState.textContent = duration ? `Appel terminé (${formatDuration(duration)}, enregistré).` : "Appel terminé.";
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.conversation) acknowledgeRead(socket, log, state.conversation.id, "agent");
});

// ---- conversation display ----

function isCurrent(conversationId) {
  return state.conversation !== null && state.conversation.id === conversationId;
}

function showConversation(conversation) {
  log.clear();
  state.conversation = { ...conversation };
  ui.start.hidden = true;
  ui.conversation.hidden = false;
  renderConversation();
  ui.input.focus();
}

function updateConversation(changes) {
  Object.assign(state.conversation, changes);
  renderConversation();
}

function renderConversation() {
  const conversation = state.conversation;
  ui.status.textContent = describeStatus(conversation);
  ui.conversation.dataset.status = conversation.status;
  const closed = conversation.status === "closed";
  ui.composer.hidden = closed;
  ui.close.hidden = closed;
  ui.closedActions.hidden = !closed;
  if (closed) {
    showTyping(false);
    hideInvite();
  }
}

function describeStatus(conversation) {
  if (conversation.status === "closed") return CLOSE_REASONS[conversation.reason] ?? "Conversation terminée.";
  if (conversation.status === "assigned" && conversation.agent) {
    const agent = conversation.agent;
    // A discreet conversation names no force: someone may be reading over the shoulder.
    if (conversation.discreet) return `Vous échangez avec ${agent.display_name}.`;
    return `Vous échangez avec ${agent.display_name} — ${serviceLabel(agent.service)}.`;
  }
  const parts = ["En attente d'un agent."];
  if (Number.isInteger(conversation.position)) parts.push(`Position dans la file : ${conversation.position}.`);
  if (Number.isFinite(conversation.estimated_wait_s)) {
    parts.push(`Attente estimée : ${formatDuration(conversation.estimated_wait_s)}.`);
  }
  return parts.join(" ");
}

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

// ---- opening a conversation ----

async function fillTopics() {
  const topics = (await loadTopics()).filter((topic) => topic.id !== "discreet_alert");
  const options = topics.map((topic) => el("option", { text: topic.label, attrs: { value: topic.id } }));
  ui.topic.replaceChildren(el("option", { text: "Choisissez un motif", attrs: { value: "" } }), ...options);
  ui.topic.addEventListener("change", () => {
    ui.topicHint.textContent = topics.find((topic) => topic.id === ui.topic.value)?.description ?? "";
  });
  if (topics.length === 0) showNotice("La liste des motifs est indisponible pour le moment.");
}

function currentPosition() {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (position) => resolve({ lat: position.coords.latitude, lon: position.coords.longitude }),
      () => resolve(null),
      { timeout: LOCATION_TIMEOUT_MS, maximumAge: 60000 },
    );
  });
}

async function openConversation(payload) {
  showNotice("");
  ui.startButton.disabled = true;
  ui.discreet.disabled = true;
  try {
    const reply = await request(socket, "conversation:open", { language: "fr", ...payload });
    showConversation(reply.conversation);
    await catchUp();
  } catch (error) {
    showNotice(`La conversation n'a pas pu être ouverte : ${error.message}`);
  } finally {
    ui.startButton.disabled = false;
    ui.discreet.disabled = false;
  }
}

ui.startForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const topic = ui.topic.value;
  if (!topic) {
    showNotice("Choisissez le motif de votre demande.");
    ui.topic.focus();
    return;
  }
  const service = new FormData(ui.startForm).get("service") ?? "police";
  const payload = { topic, service };
  if (service === "auto") {
    const location = await currentPosition();
    if (location) payload.location = location;
  }
  const text = ui.firstMessage.value.trim();
  if (text) Object.assign(payload, { text, client_msg_id: newId() });
  await openConversation(payload);
  ui.firstMessage.value = "";
});

ui.discreet.addEventListener("click", async () => {
  ui.discreet.disabled = true;  // asking for the position can take seconds: no second alert
  const payload = { topic: "discreet_alert", discreet: true, priority: "urgent" };
  const location = await currentPosition();
  if (location) Object.assign(payload, { service: "auto", location });
  await openConversation(payload);
});

bindComposer(ui.composer, ui.input, {
  onSend: (text) => sendText(socket, log, state.conversation.id, text),
  onTyping: (typing) => {
    if (socket.connected && state.conversation) {
      request(socket, "typing", { conversation_id: state.conversation.id, typing }).catch(() => undefined);
    }
  },
});

ui.close.addEventListener("click", async () => {
  try {
    const reply = await request(socket, "conversation:close", { conversation_id: state.conversation.id });
    updateConversation(reply.conversation ?? { status: "closed" });
  } catch (error) {
    showNotice(`Impossible de terminer la conversation : ${error.message}`);
  }
});

ui.newConversation.addEventListener("click", () => {
  if (state.call) endCall(true);
  state.conversation = null;
  log.clear();
  ui.conversation.hidden = true;
  ui.start.hidden = false;
  ui.topic.focus();
});

// ---- video ----

function hideInvite() {
  state.invite = null;
  ui.invite.hidden = true;
}

byId("video-decline").addEventListener("click", hideInvite);

byId("video-accept").addEventListener("click", async () => {
  const invite = state.invite;
  hideInvite();
  if (!invite) return;
  const call = new VideoCall(socket, invite.room_id, byId("local-video"), byId("remote-video"));
  state.call = call;
  ui.video.hidden = false;
  ui.videoState.textContent = "Connexion à l'appel…";
  try {
    await call.start(invite.ice_servers);
    ui.videoState.textContent = "Appel en cours.";
  } catch (error) {
    endCall(true);
    ui.videoState.textContent = `L'appel n'a pas pu démarrer : ${error.message}`;
  }
});

function endCall(notify) {
  const call = state.call;
  state.call = null;
  call?.stop(notify);
  ui.video.hidden = true;
  ui.mute.setAttribute("aria-pressed", "false");
  ui.camera.setAttribute("aria-pressed", "false");
}

function bindToggle(button, onText, offText, apply) {
  button.addEventListener("click", () => {
    const pressed = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(pressed));
    button.textContent = pressed ? onText : offText;
    apply(pressed);
  });
}

bindToggle(ui.mute, "Réactiver le micro", "Couper le micro", (muted) => state.call?.setMicrophoneMuted(muted));
bindToggle(ui.camera, "Réactiver la caméra", "Couper la caméra", (off) => state.call?.setCameraOff(off));
byId("video-hangup").addEventListener("click", () => {
  endCall(true);
  ui.videoState.textContent = "Vous avez quitté l'appel.";
});

// ---- quick exit ----

byId("quick-exit").addEventListener("click", () => {
  try {
    socket.disconnect();
    state.call?.stop(false);
  } finally {
    localStorage.clear();
    sessionStorage.clear();
    document.title = "";
    document.body.replaceChildren();
    location.replace(NEUTRAL_SITE);
  }
});

fillTopics();
