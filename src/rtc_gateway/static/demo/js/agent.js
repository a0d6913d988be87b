// Officer console: sign in with a token, set availability, work the assigned conversations
// (urgent first, announced by title, tone and notification), watch the queues; a supervisor
// also sees every agent's load, every conversation, urgent-wait alerts, and searches and
// exports conversations. Reviewers are told their desk is not built yet.

import { byId, el, formatDuration, loadTopics, secondsSince, serviceLabel } from "./dom.js";
import { bindStatus, connect, request } from "./connection.js";
import { ConversationPane } from "./agent-pane.js";
import { Attention, bindNotificationButton } from "./alerts.js";
import { SupervisorSearch } from "./supervisor-search.js";
import { offerStaffLogin } from "./staff-login.js";

const TOKEN_KEY = "rtc-gateway.agent.token";
const REFRESH_MS = 1000;
const SUPERVISOR_RELOAD_MS = 1500;
const ROLE_LABELS = { agent: "agent", supervisor: "superviseur", reviewer: "relecteur" };
const STATUS_LABELS = { available: "Disponible", away: "En pause", busy: "Occupé", offline: "Hors ligne", disconnected: "Déconnecté" };
const PRIORITY_LABELS = { urgent: "Urgente", normal: "Normale" };

const ui = {
  notice: byId("notice"),
  signIn: byId("sign-in"),
  signInForm: byId("sign-in-form"),
  token: byId("token"),
  console: byId("console"),
  identity: byId("agent-identity"),
  statusToggle: byId("status-toggle"),
  availability: byId("availability"),
  agentState: byId("agent-state"),
  notifyToggle: byId("notify-toggle"),
  alerts: byId("alerts"),
  reviewerDesk: byId("reviewer-desk"),
  noSelectionHint: byId("no-selection-hint"),
  search: byId("search"),
  connection: byId("connection"),
  list: byId("conversation-list"),
  listTitle: byId("list-title"),
  listEmpty: byId("list-empty"),
  load: byId("load"),
  panes: byId("panes"),
  noSelection: byId("no-selection"),
  queues: byId("queues"),
  queuesEmpty: byId("queues-empty"),
  queueTable: byId("queue-table"),
  supervision: byId("supervision"),
  agents: byId("agents"),
};

const state = {
  socket: null,
  session: null,
  wanted: "away",
  panes: new Map(),
  selected: null,
  topics: [],
  queues: [],
  queuesAt: 0,
};

const attention = new Attention();
let search = null;

const hooks = {
  selfId: () => state.session?.agent_id,
  topicLabel: (id) => state.topics.find((t) => t.id === id)?.label ?? id ?? "Conversation",
  topics: () => state.topics,
  onChange: () => renderList(),
  onSelect: (pane) => select(pane),
  onGone: (pane) => removePane(pane),
  notify: (text) => showNotice(text),
  supervising: () => isSupervisor(),
};

// ---- sign in ----

function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

ui.signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = ui.token.value.trim();
  if (token) signIn(token);
});

function signIn(token) {
  showNotice("");
  state.socket?.disconnect();
  sessionStorage.setItem(TOKEN_KEY, token);
  const socket = connect("/agent", () => ({ token: sessionStorage.getItem(TOKEN_KEY) ?? "" }));
  state.socket = socket;
  bindStatus(socket, ui.connection);
  socket.on("connect_error", () => {
    if (socket.active) return;
    sessionStorage.removeItem(TOKEN_KEY);
    ui.signIn.hidden = false;
    ui.console.hidden = true;
    showNotice("Jeton refusé : vérifiez-le ou demandez-en un nouveau.");
    ui.token.focus();
  });
  socket.on("connect", () => onConnect().catch((error) => {
    if (state.session?.role !== "reviewer") showNotice(error.message);
  }));
  socket.on("agent:session", showSession);
  socket.on("conversation:assigned", onAssigned);
  socket.on("message", (message) => state.panes.get(message.conversation_id)?.receive(message));
  socket.on("typing", (event) => {
    if (event.sender !== "agent") state.panes.get(event.conversation_id)?.showTyping(Boolean(event.typing));
  });
  socket.on("message:read", (event) => {
    if (event.reader !== "agent") state.panes.get(event.conversation_id)?.log.markRead(event.seq);
  });
  socket.on("conversation:closed", (event) => {
    attention.settle(event.conversation_id);
    state.panes.get(event.conversation_id)?.update({ status: "closed" });
  });
  socket.on("conversation:updated", (event) => {
    if (event.citizen_verified !== true) return;
    state.panes.get(event.conversation_id)?.update({ citizen_verified: true, citizen_name: event.citizen_name });
  });
  socket.on("citizen:presence", (event) => {
    state.panes.get(event.conversation_id)?.presenceChanged(event);
  });
  socket.on("supervision:alert", onSupervisionAlert);
  socket.on("conversation:transferred", (event) => {
    const pane = state.panes.get(event.conversation_id);
    if (pane) removePane(pane);
  });
  socket.on("video:ended", (event) => {
    for (const pane of state.panes.values()) pane.videoEnded(event.room_id, event.recording);
  });
  socket.on("queue:update", (event) => {
    state.queues = event.queues ?? [];
    state.queuesAt = Date.now();
    renderQueues();
    if (isSupervisor()) scheduleReload();
  });
  socket.on("agents:update", (event) => {
    renderAgents(event.agents ?? []);
    scheduleReload();
  });
}

function showSession(session) {
  state.session = session;
  ui.signIn.hidden = true;
  ui.console.hidden = false;
  ui.token.value = "";
  const role = ROLE_LABELS[session.role] ?? session.role;
  ui.identity.textContent = `${session.display_name} — ${serviceLabel(session.service)} (${role})`;
  if (session.role === "reviewer") {
    // No review desk yet: say so instead of an empty console, and hold no connection open.
    ui.console.hidden = true;
    ui.reviewerDesk.hidden = false;
    state.socket?.disconnect();
    ui.connection.hidden = true;
    return;
  }
  // Supervisors are not routed conversations: they watch every one instead.
  ui.availability.hidden = session.role !== "agent";
  ui.supervision.hidden = session.role !== "supervisor";
  ui.search.hidden = session.role !== "supervisor";
  if (session.role === "supervisor" && !search) search = new SupervisorSearch(state, request);
  ui.listTitle.textContent = session.role === "supervisor" ? "Conversations en cours" : "Mes conversations";
  ui.noSelectionHint.textContent = session.role === "supervisor"
    ? "Choisissez une conversation dans la liste pour la suivre, ou retrouvez-en une par la recherche."
    : "Choisissez « Reprendre » pour recevoir des demandes ; elles s'ajoutent à « Mes conversations », les urgentes en premier.";
  renderList();
}

function isSupervisor() {
  return state.session?.role === "supervisor";
}

/** After every (re)connect: restore availability, then reload our conversations. */
async function onConnect() {
  if (state.session?.role === "reviewer") return;
  if (state.wanted === "available") await setStatus("available");
  await reloadConversations();
}

/**
 * Bring the list in line with conversation:list and fetch missed messages. A supervisor
 * sees every conversation but receives no live messages, so its open pane is caught up here.
 */
async function reloadConversations() {
  const reply = await request(state.socket, "conversation:list", {});
  const listed = new Set();
  for (const conversation of reply.conversations ?? []) {
    listed.add(conversation.id);
    const pane = ensurePane(conversation);
    pane.update(conversation);
    if (!isSupervisor() || pane.selected) await pane.catchUp();
  }
  if (isSupervisor()) {
    for (const pane of [...state.panes.values()]) {
      if (!listed.has(pane.id) && !pane.selected) removePane(pane);
    }
  }
  renderList();
}

let reloadTimer = 0;

function scheduleReload() {
  if (!isSupervisor() || reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = 0;
    if (state.socket?.connected) reloadConversations().catch(() => undefined);
  }, SUPERVISOR_RELOAD_MS);
}

// ---- availability ----

async function setStatus(status) {
  await request(state.socket, "agent:status", { status });
  state.wanted = status;
  const available = status === "available";
  ui.statusToggle.dataset.status = status;
  ui.statusToggle.textContent = available ? "Passer en pause" : "Reprendre";
  ui.agentState.dataset.status = status;
  ui.agentState.className = `badge agent__state agent__state--${status}`;
  ui.agentState.textContent = available ? "Disponible" : "En pause";
}

ui.statusToggle.addEventListener("click", () => {
  const next = state.wanted === "available" ? "away" : "available";
  setStatus(next).catch((error) => showNotice(`Changement d'état refusé : ${error.message}`));
});

// ---- conversations ----

function ensurePane(conversation) {
  let pane = state.panes.get(conversation.id);
  if (!pane) {
    pane = new ConversationPane(state.socket, conversation, hooks);
    state.panes.set(conversation.id, pane);
    ui.panes.append(pane.root);
  }
  return pane;
}

function onAssigned(event) {
  const conversation = event.conversation;
  if (!conversation?.id) return;
  const pane = ensurePane(conversation);
  pane.update(conversation);
  pane.addMessages(event.messages);
  if (event.has_more) pane.catchUp().catch(() => undefined);
  if (!state.selected) select(pane);
  if (pane.urgent) {
    const what = conversation.discreet ? "Alerte discrète" : "Demande urgente";
    attention.raise(conversation.id, `${what} reçue`, `${hooks.topicLabel(conversation.topic)} — ${serviceLabel(conversation.service)}`);
    if (state.selected === pane && !document.hidden) attention.settle(pane.id);
  }
  renderList();
}

function onSupervisionAlert(event) {
  if (event.kind !== "urgent_wait") return;
  const key = `wait:${event.conversation_id}`;
  const nobody = event.agents_available ? "" : " Aucun agent disponible pour ce service.";
  const text = `Demande urgente en attente depuis ${formatDuration(event.waited_s)} (${serviceLabel(event.service)}, ${hooks.topicLabel(event.topic)}).${nobody}`;
  ui.alerts.querySelector(`[data-conversation-id="${CSS.escape(event.conversation_id)}"]`)?.remove();
  const dismiss = el("button", { className: "btn btn--quiet", text: "Vu", attrs: { type: "button" } });
  const show = el("button", { className: "btn", text: "Ouvrir", attrs: { type: "button" } });
  const banner = el("div", { className: "notice agent__alert", dataset: { conversationId: event.conversation_id }, attrs: { role: "alert" } },
    el("span", { text }), show, dismiss);
  dismiss.addEventListener("click", () => {
    banner.remove();
    attention.settle(key);
  });
  show.addEventListener("click", () => {
    const pane = state.panes.get(event.conversation_id);
    if (pane) select(pane);
    banner.remove();
    attention.settle(key);
  });
  ui.alerts.prepend(banner);
  attention.raise(key, "Attente urgente", text);
}

function select(pane) {
  if (state.selected && state.selected !== pane) state.selected.select(false);
  state.selected = pane;
  ui.noSelection.hidden = pane !== null;
  pane?.select(true);
  if (pane) attention.settle(pane.id);
  if (pane && isSupervisor()) pane.catchUp().catch(() => undefined);
  renderList();
}

function removePane(pane) {
  attention.settle(pane.id);
  state.panes.delete(pane.id);
  pane.dispose();
  if (state.selected === pane) select(null);
  renderList();
}

function ordered() {
  const rank = (pane) => (pane.closed ? 3 : pane.urgent ? 0 : pane.queued ? 1 : 2);
  const waited = (pane) => (pane.waitingSince ? Date.parse(pane.waitingSince) : Number.MAX_SAFE_INTEGER);
  return [...state.panes.values()].sort(
    (a, b) => rank(a) - rank(b) || waited(a) - waited(b) || String(a.conversation.opened_at).localeCompare(String(b.conversation.opened_at)),
  );
}

/** Reorder the list only when the order changed, so keyboard focus is not lost every second. */
function renderList() {
  const panes = ordered();
  for (const pane of panes) pane.refreshItem();
  const current = [...ui.list.children];
  const changed = panes.length !== current.length || panes.some((pane, i) => current[i] !== pane.item);
  if (changed) {
    const focused = document.activeElement;
    ui.list.replaceChildren(...panes.map((pane) => pane.item));
    if (focused instanceof HTMLElement && ui.list.contains(focused)) focused.focus();
  }
  ui.listEmpty.hidden = panes.length > 0;
  const open = panes.filter((pane) => !pane.closed).length;
  const max = isSupervisor() ? 0 : state.session?.max_chats;
  ui.load.textContent = max ? `${open} / ${max}` : String(open);
}

// ---- queues and supervision ----

/**
 * Supervisors see every waiting conversation, so their figures come from the list itself
 * and agree with it; agents count on from the last queue:update.
 */
function currentQueues() {
  if (!isSupervisor()) {
    const elapsed = state.queuesAt ? (Date.now() - state.queuesAt) / 1000 : 0;
    return state.queues.map((q) => ({ ...q, oldest_wait_s: (q.oldest_wait_s ?? 0) + elapsed }));
  }
  const groups = new Map();
  for (const pane of state.panes.values()) {
    if (!pane.queued) continue;
    const c = pane.conversation;
    const key = `${c.service}|${c.priority}`;
    const wait = c.waiting_since ? secondsSince(c.waiting_since) : 0;
    const group = groups.get(key) ?? { service: c.service === "auto" ? "any" : c.service, priority: c.priority, length: 0, oldest_wait_s: 0 };
    group.length += 1;
    group.oldest_wait_s = Math.max(group.oldest_wait_s, wait);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function renderQueues() {
  const rows = currentQueues()
    .filter((q) => q.length > 0)
    .sort((a, b) => (a.priority === "urgent" ? -1 : 0) - (b.priority === "urgent" ? -1 : 0))
    .map((q) => el(
      "tr",
      { dataset: { service: q.service, priority: q.priority }, className: q.priority === "urgent" ? "agent__row--urgent" : "" },
      el("td", { text: serviceLabel(q.service) }),
      el("td", { text: PRIORITY_LABELS[q.priority] ?? q.priority }),
      el("td", { className: "agent__num", text: q.length }),
      el("td", { className: "agent__num", text: formatDuration(q.oldest_wait_s ?? 0) }),
    ));
  ui.queues.replaceChildren(...rows);
  ui.queuesEmpty.hidden = rows.length > 0;
  ui.queueTable.hidden = rows.length === 0;
}

/** Agents only: supervisors (this one included) take no conversations and have no load. */
function renderAgents(agents) {
  const rows = agents.filter((a) => a.role === "agent" && a.agent_id !== state.session?.agent_id).map((a) => el(
    "tr",
    { dataset: { agentId: a.agent_id, status: a.status } },
    el("td", { text: a.display_name }),
    el("td", { text: serviceLabel(a.service) }),
    el("td", {}, el("span", { className: `badge agent__state agent__state--${a.status}`, text: STATUS_LABELS[a.status] ?? a.status })),
    el("td", { className: "agent__num", text: `${a.load} / ${a.max_chats}` }),
  ));
  ui.agents.replaceChildren(...rows);
}

// ---- start ----

/** An urgent-wait banner goes once its conversation is taken or closed. */
function dropAnsweredAlerts() {
  for (const banner of [...ui.alerts.children]) {
    const pane = state.panes.get(banner.dataset.conversationId);
    if (pane && !pane.queued) {
      banner.remove();
      attention.settle(`wait:${pane.id}`);
    }
  }
}

setInterval(() => {
  if (state.panes.size) renderList();
  renderQueues();
  dropAnsweredAlerts();
}, REFRESH_MS);

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) state.selected?.markSeen();
  if (!document.hidden && state.selected) attention.settle(state.selected.id);
});

loadTopics().then((topics) => {
  state.topics = topics;
  for (const pane of state.panes.values()) pane.render();
  search?.setTopics(topics);
});

bindNotificationButton(ui.notifyToggle);

offerStaffLogin(showNotice);
const startToken = tokenFromFragment() ?? sessionStorage.getItem(TOKEN_KEY);
if (startToken) signIn(startToken);
else ui.token.focus();
