// Citizen page: open a conversation, chat with the officer, keep the identity and the history
// across reloads and network drops, raise a discreet alert, join a video call, leave quickly.

import { byId, el, formatClock, formatDuration, loadTopics, newId, secondsSince, serviceLabel } from "./dom.js";
import { bindStatus, connect, request, RequestError } from "./connection.js";
import { errorText } from "./errors.js";
import { ChatLog } from "./chat-log.js";
import { bindIdentity } from "./identity.js";
import { bindCitizenServices } from "./citizen-services.js";
import { bindCitizenCases } from "./citizen-cases.js";
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
const LOCATION_TIMEOUT_MS = 5000;
const RETRY_FIRST_S = 2;
const RETRY_MAX_S = 60;
/** Used until GET /api/v1/client-config answers (same values as the gateway's defaults). */
const DEFAULT_CONFIG = {
  quick_exit_url: "https://www.google.fr/search?q=meteo",
  waiting_alternatives_after_s: 120,
};
const HEADINGS = {
  queued: "En attente d'un agent",
  assigned: "Conversation en cours",
  closed: "Conversation terminée",
};
const CLOSE_REASONS = {
  closed_by_citizen: "Vous avez terminé la conversation.",
  closed_by_agent: "L'agent a terminé la conversation.",
  closed_by_supervisor: "La conversation a été terminée.",
};

const ui = {
  notice: byId("notice"),
  title: byId("chat-title"),
  reference: byId("chat-reference"),
  closedReference: byId("closed-reference"),
  startError: byId("start-error"),
  discreetError: byId("discreet-error"),
  waiting: byId("waiting"),
  staffing: byId("waiting-staffing"),
  estimate: byId("waiting-estimate"),
  emergency: byId("emergency-line"),
  alternatives: byId("alternatives"),
  keptOpen: byId("kept-open"),
  start: byId("start"),
  startForm: byId("start-form"),
  startButton: byId("start-button"),
  topic: byId("topic"),
  topicHint: byId("topic-hint"),
  firstMessage: byId("first-message"),
  discreet: byId("discreet"),
  conversation: byId("conversation"),
  services: byId("services"),
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
  config: { ...DEFAULT_CONFIG },
  estimate: null,
  refused: null,
  keptOpen: false,
};

const log = new ChatLog(ui.messages, "citizen", { citizen: "Vous", agent: "Agent", system: "" });
const showTyping = typingIndicator(ui.typing, "L'agent écrit…");

const socket = connect("/citizen", () => {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? { token } : {};
});
bindStatus(socket, byId("connection"));
bindIdentity(socket);
bindCitizenServices(socket);
bindCitizenCases(socket);
loadConfig();

async function loadConfig() {
  try {
    const response = await fetch("/api/v1/client-config", { headers: { Accept: "application/json" } });
    const config = response.ok ? await response.json() : {};
    if (/^https?:\/\//.test(config.quick_exit_url ?? "")) state.config.quick_exit_url = config.quick_exit_url;
    if (Number.isFinite(config.waiting_alternatives_after_s)) {
      state.config.waiting_alternatives_after_s = config.waiting_alternatives_after_s;
    }
  } catch {
    // Keep the defaults: the page works the same, with the documented destination.
  }
}

// ---- connection lifecycle ----

socket.on("session", (session) => {
  if (session?.token) localStorage.setItem(TOKEN_KEY, session.token);
});

socket.on("connect", () => {
  endRefusal();
  restore().catch((error) => showNotice(`Impossible de récupérer la conversation : ${describe(error)}`));
});

socket.on("connect_error", (error) => {
  if (socket.active) return;
  const code = error?.data?.code ?? "unavailable";
  if (code === "unauthorized" && localStorage.getItem(TOKEN_KEY)) {
    // The stored identity expired: start again as a new anonymous citizen.
    localStorage.removeItem(TOKEN_KEY);
    socket.connect();
    return;
  }
  refused(code);
});

// ---- refused connection: nothing that needs the server stays enabled; retry with back-off ----

function refused(code) {
  const attempt = (state.refused?.attempt ?? 0) + 1;
  const delay = Math.min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (attempt - 1));
  clearInterval(state.refused?.timer);
  const retryAt = Date.now() + delay * 1000;
  state.refused = { attempt, code, retryAt, timer: setInterval(tickRefusal, 1000) };
  setServerActionsEnabled(false);
  tickRefusal();
}

function tickRefusal() {
  const refusal = state.refused;
  if (!refusal) return;
  const left = Math.max(0, Math.ceil((refusal.retryAt - Date.now()) / 1000));
  const reason = refusal.code === "rate_limited"
    ? "Le service reçoit trop de nouvelles connexions depuis votre réseau."
    : `Connexion refusée. ${errorText(refusal.code)}`;
  const text = left > 0
    ? `${reason} Nouvel essai automatique dans ${left} s. En cas de danger immédiat, appelez le 17 ou le 112 (SMS au 114).`
    : `${reason} Nouvel essai en cours…`;
  refusal.text = text;
  showError(ui.startError, text);
  showError(ui.discreetError, text);
  if (left === 0 && !socket.connected && !socket.active) {
    refusal.retryAt = Infinity;
    socket.connect();
  }
}

function endRefusal() {
  if (!state.refused) return;
  clearInterval(state.refused.timer);
  state.refused = null;
  showError(ui.startError, "");
  showError(ui.discreetError, "");
  setServerActionsEnabled(true);
}

/**
 * Controls that need the server are marked disabled (aria-disabled, greyed) rather than made
 * inert: a tap on one still answers, with the reason shown right next to it.
 */
function setServerActionsEnabled(enabled) {
  for (const control of [ui.startButton, ui.discreet]) control.setAttribute("aria-disabled", String(!enabled));
}

function isBlocked(control) {
  return control.getAttribute("aria-disabled") === "true";
}

/** When the connection is refused, say so next to the control just used, in view. */
function explainBlocked(errorNode) {
  showError(errorNode, state.refused?.text ?? errorText("offline"), { reveal: true });
}

/** An error next to the control that was used; `reveal` scrolls it into view (a phone scrolls). */
function showError(node, text, { reveal = false } = {}) {
  node.textContent = text;
  node.hidden = !text;
  if (text && reveal) node.scrollIntoView({ block: "center" });
}

function describe(error) {
  return error instanceof RequestError ? error.message : errorText("internal");
}

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
  updateConversation({
    status: "queued",
    position: event.position,
    estimated_wait_s: event.estimated_wait_s,
    no_agent_since: event.no_agent_since,
  });
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
  state.estimate = null;
  state.keptOpen = false;
  ui.start.hidden = true;
  ui.conversation.hidden = false;
  // The other services name the police: a discreet conversation shows none of them.
  ui.services.hidden = Boolean(conversation.discreet);
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
  ui.title.textContent = HEADINGS[conversation.status] ?? HEADINGS.assigned;
  ui.reference.textContent = conversation.reference ?? "";
  const closed = conversation.status === "closed";
  ui.closedReference.textContent = conversation.reference
    ? `Notez sa référence, ${conversation.reference}, si vous devez en reparler à un agent.`
    : "";
  renderWaiting();
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
  // The heading already says "En attente d'un agent".
  if (Number.isInteger(conversation.position)) return `Position dans la file : ${conversation.position}.`;
  return "Votre demande est dans la file.";
}

// ---- waiting: who is there, an honest estimate that counts down, the alternatives ----

function renderWaiting() {
  const conversation = state.conversation;
  const waiting = conversation?.status === "queued";
  ui.waiting.hidden = !waiting;
  if (!waiting) {
    state.estimate = null;
    return;
  }
  const seconds = Number.isFinite(conversation.estimated_wait_s) ? conversation.estimated_wait_s : null;
  if (state.estimate?.seconds !== seconds) state.estimate = { seconds, at: Date.now() };
  const since = conversation.no_agent_since;
  ui.staffing.hidden = !since;
  if (since) {
    const who = conversation.discreet || !["police", "gendarmerie"].includes(conversation.service)
      ? "Aucun agent n'est disponible"
      : `Aucun agent de la ${serviceLabel(conversation.service)} n'est disponible`;
    ui.staffing.textContent =
      `${who} pour le moment (personne depuis ${formatClock(since)}). Votre demande reste en file : elle sera prise dès qu'un agent sera disponible.`;
  }
  // A discreet conversation names no force and no danger: someone may be reading over the shoulder.
  ui.emergency.textContent = conversation.discreet
    ? "Par téléphone : 17 ou 112. Par SMS : 114."
    : "En cas de danger immédiat, appelez le 17 ou le 112. Si vous ne pouvez pas parler, envoyez un SMS au 114.";
  tickWaiting();
}

function tickWaiting() {
  const conversation = state.conversation;
  if (conversation?.status !== "queued") return;
  const estimate = state.estimate;
  if (!estimate || estimate.seconds === null) {
    ui.estimate.textContent = "Attente estimée : inconnue.";
  } else {
    const left = Math.ceil(estimate.seconds - (Date.now() - estimate.at) / 1000);
    ui.estimate.textContent = left > 0
      ? `Attente estimée : environ ${formatDuration(left)}.`
      : "Attente estimée dépassée : vous restez en file, un agent vous répondra dès que possible.";
  }
  const waited = secondsSince(conversation.opened_at);
  const offer = waited >= state.config.waiting_alternatives_after_s;
  ui.alternatives.hidden = !offer || state.keptOpen;
  ui.keptOpen.hidden = !state.keptOpen;
}

setInterval(tickWaiting, 1000);

byId("keep-open").addEventListener("click", () => {
  state.keptOpen = true;
  const reference = state.conversation?.reference;
  ui.keptOpen.textContent =
    "Votre demande reste ouverte et garde sa place dans la file. Un agent vous répondra dès que possible : " +
    "vous pouvez fermer cette page et revenir plus tard sur ce même appareil" +
    (reference ? ` (référence ${reference}).` : ".");
  tickWaiting();
});

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
  if (text) ui.notice.scrollIntoView({ block: "nearest" });
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

async function openConversation(payload, errorNode) {
  showNotice("");
  showError(ui.startError, "");
  showError(ui.discreetError, "");
  if (!socket.connected) {
    showError(errorNode, `La conversation n'a pas pu être ouverte. ${errorText("offline")}`, { reveal: true });
    return;
  }
  try {
    const reply = await request(socket, "conversation:open", { language: "fr", ...payload });
    showConversation(reply.conversation);
    await catchUp();
  } catch (error) {
    showError(errorNode, `La conversation n'a pas pu être ouverte. ${describe(error)}`, { reveal: true });
  }
}

async function openingOnce(open) {
  if (state.opening) return;
  state.opening = true;
  ui.startButton.disabled = true;
  ui.discreet.disabled = true;
  try {
    await open();
  } finally {
    state.opening = false;
    ui.startButton.disabled = false;
    ui.discreet.disabled = false;
  }
}

ui.startForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (isBlocked(ui.startButton)) {
    explainBlocked(ui.startError);
    return;
  }
  const topic = ui.topic.value;
  if (!topic) {
    showError(ui.startError, "Choisissez le motif de votre demande.", { reveal: true });
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
  await openingOnce(() => openConversation(payload, ui.startError));
  if (state.conversation) ui.firstMessage.value = "";
});

ui.discreet.addEventListener("click", async () => {
  if (isBlocked(ui.discreet)) {
    explainBlocked(ui.discreetError);
    return;
  }
  // Asking for the position can take seconds: a second tap raises no second alert.
  await openingOnce(async () => {
    const payload = { topic: "discreet_alert", discreet: true, priority: "urgent" };
    const location = await currentPosition();
    if (location) Object.assign(payload, { service: "auto", location });
    await openConversation(payload, ui.discreetError);
  });
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
    showNotice(`Impossible de terminer la conversation. ${describe(error)}`);
  }
});

ui.newConversation.addEventListener("click", () => {
  if (state.call) endCall(true);
  state.conversation = null;
  log.clear();
  ui.conversation.hidden = true;
  ui.start.hidden = false;
  ui.services.hidden = false;
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
    ui.videoState.textContent = error instanceof RequestError
      ? `L'appel n'a pas pu démarrer. ${error.message}`
      : "L'appel n'a pas pu démarrer : caméra ou micro indisponible, ou connexion impossible.";
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
    location.replace(state.config.quick_exit_url);
  }
});

fillTopics();
