// Officer console: sign in with a token, set availability, work the assigned conversations
// (urgent first), watch the queues; a supervisor also sees every agent's load.

import { byId, el, formatDuration, loadTopics, serviceLabel } from "./dom.js";
import { bindStatus, connect, request } from "./connection.js";
import { ConversationPane } from "./agent-pane.js";

const TOKEN_KEY = "rtc-gateway.agent.token";
const REFRESH_MS = 1000;
const SUPERVISOR_RELOAD_MS = 1500;
const ROLE_LABELS = { agent: "agent", supervisor: "superviseur", reviewer: "relecteur" };
const STATUS_LABELS = { available: "Disponible", away: "Absent", busy: "Occupé", offline: "Hors ligne" };
const PRIORITY_LABELS = { urgent: "Urgente", normal: "Normale" };

const ui = {
  notice: byId("notice"),
  signIn: byId("sign-in"),
  signInForm: byId("sign-in-form"),
  token: byId("token"),
  console: byId("console"),
  identity: byId("agent-identity"),
  statusToggle: byId("status-toggle"),
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
};

const hooks = {
  selfId: () => state.session?.agent_id,
  topicLabel: (id) => state.topics.find((t) => t.id === id)?.label ?? id ?? "Conversation",
  topics: () => state.topics,
  onChange: () => renderList(),
  onSelect: (pane) => select(pane),
  onGone: (pane) => removePane(pane),
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
  socket.on("connect", () => onConnect().catch((error) => showNotice(error.message)));
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
    state.panes.get(event.conversation_id)?.update({ status: "closed" });
  });
  socket.on("conversation:updated", (event) => {
    if (event.citizen_verified !== true) return;
    state.panes.get(event.conversation_id)?.update({ citizen_verified: true, citizen_name: event.citizen_name });
  });
  socket.on("conversation:transferred", (event) => {
    const pane = state.panes.get(event.conversation_id);
    if (pane) removePane(pane);
  });
  socket.on("video:ended", (event) => {
    for (const pane of state.panes.values()) pane.videoEnded(event.room_id, event.recording);
  });
  socket.on("queue:update", (event) => {
    renderQueues(event.queues ?? []);
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
  // Supervisors are not routed conversations: they watch every one instead.
  ui.statusToggle.hidden = session.role !== "agent";
  ui.supervision.hidden = session.role !== "supervisor";
  ui.listTitle.textContent = session.role === "supervisor" ? "Conversations en cours" : "Mes conversations";
  renderList();
}

function isSupervisor() {
  return state.session?.role === "supervisor";
}

/** After every (re)connect: restore availability, then reload our conversations. */
async function onConnect() {
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
  ui.statusToggle.setAttribute("aria-pressed", String(available));
  ui.statusToggle.dataset.status = status;
  ui.statusToggle.textContent = available ? "Disponible" : "Absent";
  ui.statusToggle.setAttribute("aria-label", `État : ${ui.statusToggle.textContent}. Cliquer pour changer.`);
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
  if (!state.selected) select(pane);
  renderList();
}

function select(pane) {
  if (state.selected && state.selected !== pane) state.selected.select(false);
  state.selected = pane;
  ui.noSelection.hidden = pane !== null;
  pane?.select(true);
  if (pane && isSupervisor()) pane.catchUp().catch(() => undefined);
  renderList();
}

function removePane(pane) {
  state.panes.delete(pane.id);
  pane.dispose();
  if (state.selected === pane) select(null);
  renderList();
}

function ordered() {
  const rank = (pane) => (pane.closed ? 2 : pane.urgent ? 0 : 1);
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

function renderQueues(queues) {
  const rows = queues
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

function renderAgents(agents) {
  const rows = agents.map((a) => el(
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

setInterval(() => {
  if (state.panes.size) renderList();
}, REFRESH_MS);

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) state.selected?.markSeen();
});

loadTopics().then((topics) => {
  state.topics = topics;
  for (const pane of state.panes.values()) pane.render();
});

const startToken = tokenFromFragment() ?? sessionStorage.getItem(TOKEN_KEY);
if (startToken) signIn(startToken);
else ui.token.focus();
