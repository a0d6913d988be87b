// The console's appointments (Visioplainte) and outside-the-walls requests: the unit's
// agenda, linking one of the citizen's open cases to an appointment booked without one,
// opening an appointment's call (with the case's documents) and writing its statement;
// accepting, planning and closing visits. Uses the console's staff token; text goes through textContent.

import { byId, el } from "./dom.js";
import { connect, request } from "./connection.js";
import { api, spokenWhen } from "./services-api.js";
import { VideoCall } from "./video-call.js";
import { caseDocuments } from "./case-documents.js";

const TOKEN_KEY = "rtc-gateway.agent.token";
const OUTCOMES = {
  complaint_taken: "Plainte recueillie", victim_absent: "Victime absente",
  visit_unsafe: "Rencontre impossible sans danger", victim_declined: "La victime a renoncé",
};
const CASE_KINDS = { pre_complaint: "Pré-plainte", complaint: "Plainte en ligne" };
const STATUS = {
  received: "reçue", accepted: "acceptée", planned: "visite planifiée", closed: "terminée",
  withdrawn: "annulée par la victime",
};
const ui = {
  console: byId("console"), section: byId("appointments"), unit: byId("appointments-unit"),
  list: byId("appointments-list"), state: byId("appointments-state"), video: byId("appointments-video"),
  local: byId("appointments-local"), remote: byId("appointments-remote"), hangup: byId("appointments-hangup"),
  hm: byId("outside-walls"), hmList: byId("outside-walls-list"), hmState: byId("outside-walls-state"),
};
let socket = null;
let call = null;
let documents = null;
/** The appointment whose call is open (its documents follow a case linked meanwhile). */
let inCall = null;

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? "";
const staff = (method, path, body) => api(method, path, body, { bearer: token() });

function say(node, text, warn = false) {
  node.textContent = text;
  node.classList.toggle("notice--warn", warn);
  node.hidden = !text;
}

/** The unit the staff token names, read from its (signed, not secret) payload. */
function tokenUnit() {
  try {
    const payload = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).unit ?? "";
  } catch {
    return "";
  }
}

async function loadAgenda() {
  const unit = ui.unit.value.trim();
  if (!unit) return say(ui.state, "Indiquez votre unité (police-NOM ou gendarmerie-NOM) pour voir ses rendez-vous.");
  try {
    const { appointments } = await staff("GET", `/api/v1/staff/appointments?unit=${encodeURIComponent(unit)}`);
    ui.list.replaceChildren(...appointments.map(agendaItem));
    say(ui.state, appointments.length ? "" : "Aucun rendez-vous à venir.");
  } catch (error) {
    ui.list.replaceChildren();
    say(ui.state, error.code === "bad_request" ? "Cette unité n'existe pas (police-NOM ou gendarmerie-NOM)." : error.message, true);
  }
}

function agendaItem(appointment) {
  const who = [appointment.citizen.given_name, appointment.citizen.family_name].filter(Boolean).join(" ");
  const open = el("button", { className: "btn", text: "Ouvrir l'appel", attrs: { type: "button" } });
  open.addEventListener("click", () => openCall(appointment));
  const text = el("textarea", { attrs: { rows: "3", maxlength: "20000", "aria-label": "Procès-verbal" } });
  const save = el("button", { className: "btn btn--quiet", text: "Enregistrer le procès-verbal", attrs: { type: "button" } });
  const pdf = el("button", { className: "btn btn--quiet", text: "Télécharger le PDF", attrs: { type: "button" } });
  pdf.hidden = !appointment.statement;
  save.addEventListener("click", async () => {
    try {
      await staff("POST", `/api/v1/staff/appointments/${encodeURIComponent(appointment.id)}/statement`, { text: text.value });
      pdf.hidden = false;
      say(ui.state, "Procès-verbal enregistré.");
    } catch (error) {
      say(ui.state, error.message, true);
    }
  });
  pdf.addEventListener("click", () => download(appointment.id));
  return el("li", { className: "agent__appointment", dataset: { appointment: appointment.id } },
    el("strong", { text: spokenWhen(appointment.start) }), " ", el("span", { text: who || "identité vérifiée" }),
    " ", open, caseControl(appointment), el("div", {}, text), save, " ", pdf);
}

/** "Dossier": the linked case, or the choice of one of the citizen's open cases of the
 * unit (the server lists them) and *Lier ce dossier*. */
function caseControl(appointment) {
  const node = el("div", { className: "agent__appointment-case", dataset: { case: appointment.case_id ?? "" } });
  if (appointment.case_id) {
    node.append(el("span", { text: "Dossier lié : ses documents sont échangés pendant l'appel." }));
    return node;
  }
  const find = el("button", { className: "btn btn--quiet", text: "Lier un dossier", attrs: { type: "button" } });
  node.append(el("span", { text: "Rendez-vous pris sans dossier. " }), find);
  find.addEventListener("click", async () => {
    let cases;
    try {
      ({ cases } = await staff("GET", `/api/v1/staff/appointments/${encodeURIComponent(appointment.id)}/cases`));
    } catch (error) {
      return say(ui.state, error.message, true);
    }
    if (!cases.length) {
      node.replaceChildren(el("span", { text: "Cette personne n'a aucune démarche ouverte à l'unité." }));
      return;
    }
    const choice = el("select", { attrs: { "aria-label": "Dossier à lier" } },
      ...cases.map((c) => el("option", { text: `${c.reference} — ${CASE_KINDS[c.kind] ?? c.kind} — déposée ${spokenWhen(c.created_at)}`, attrs: { value: c.id } })));
    const link = el("button", { className: "btn", text: "Lier ce dossier", attrs: { type: "button" } });
    link.addEventListener("click", () => linkCase(appointment, choice.value, cases, node));
    node.replaceChildren(el("label", { text: "Dossier à lier " }), choice, " ", link);
  });
  return node;
}

async function linkCase(appointment, caseId, cases, node) {
  try {
    const linked = await staff("POST", `/api/v1/staff/appointments/${encodeURIComponent(appointment.id)}/case`, { case_id: caseId });
    Object.assign(appointment, linked);
    const reference = cases.find((c) => c.id === caseId)?.reference ?? "";
    node.dataset.case = caseId;
    node.replaceChildren(el("span", { text: `Dossier ${reference} lié : ses documents sont échangés pendant l'appel.` }));
    say(ui.state, `Dossier ${reference} lié au rendez-vous.`);
    if (inCall?.id === appointment.id) showDocuments(appointment);
  } catch (error) {
    say(ui.state, error.code === "conflict" ? "Ce dossier ne peut plus être lié (rendez-vous ou dossier clos, ou déjà lié)." : error.message, true);
  }
}

async function download(appointmentId) {
  const response = await fetch(`/api/v1/staff/appointments/${encodeURIComponent(appointmentId)}/statement.pdf`,
    { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) return say(ui.state, "Le procès-verbal n'est pas disponible.", true);
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { attrs: { href: url, download: "proces-verbal.pdf" } });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function openCall(appointment) {
  if (!socket) {
    socket = connect("/agent", () => ({ token: token() }));
    socket.on("video:ended", () => endCall("L'appel est terminé."));
    await new Promise((resolve) => socket.once("connect", resolve));
  }
  try {
    const started = await request(socket, "appointment:start", { appointment_id: appointment.id });
    ui.video.hidden = false;
    inCall = appointment;
    showDocuments(appointment);
    call = new VideoCall(socket, started.room_id, ui.local, ui.remote);
    say(ui.state, "Appel ouvert : la personne est invitée à le rejoindre.");
    await call.start(started.ice_servers);
  } catch (error) {
    say(ui.state, error.code === "conflict" ? "Ce rendez-vous ne peut pas être ouvert maintenant." : error.message, true);
  }
}

/** The case's documents under the call view (staff token), polled while the call is
 * open; without a case, a plain sentence: documents need a case. */
function showDocuments(appointment) {
  hideDocuments();
  if (appointment.case_id) {
    documents = caseDocuments(appointment.case_id, { bearer: token() });
    ui.video.after(documents.node);
    documents.start();
  } else {
    documents = { node: el("p", { className: "notice", text: "Rendez-vous pris sans dossier : aucun document ne peut être échangé pendant cet appel.", dataset: { documents: "none" } }), stop() {} };
    ui.video.after(documents.node);
  }
}

function hideDocuments() {
  documents?.stop();
  documents?.node.remove();
  documents = null;
}

async function endCall(text) {
  await call?.stop(false);
  call = null;
  inCall = null;
  hideDocuments();
  ui.video.hidden = true;
  say(ui.state, text);
}

async function loadOutsideWalls() {
  try {
    const { cases } = await staff("GET", "/api/v1/staff/cases?kind=outside_walls");
    ui.hmList.replaceChildren(...cases.map(requestItem));
    say(ui.hmState, cases.length ? "" : "Aucune demande.");
  } catch (error) {
    say(ui.hmState, error.message, true);
  }
}

function requestItem(found) {
  const facts = found.facts ?? {};
  const safety = facts.safety ?? {};
  const lines = [
    `${found.reference} — ${STATUS[found.status] ?? found.status}${facts.discreet ? " — discret" : ""}`,
    `Lieu : ${facts.place?.address ?? ""}${facts.place?.host ? ` (chez ${facts.place.host})` : ""}`,
    `Disponibilités : ${(facts.time_windows ?? []).map((w) => `${spokenWhen(w.start)} → ${spokenWhen(w.end)}`).join(" ; ")}`,
    safety.never_at_home !== false ? "Ne jamais appeler ni se rendre au domicile." : "",
    safety.code_word ? `Mot de passe : ${safety.code_word}` : "",
    safety.safe_contact ? `Contact sûr : ${safety.safe_contact.name ?? ""} ${safety.safe_contact.phone ?? safety.safe_contact.email ?? ""}` : "",
    facts.visit ? `Visite : ${spokenWhen(facts.visit.at)} par ${facts.visit.officers.join(", ")}` : "",
  ].filter(Boolean);
  const item = el("li", { className: "agent__outside-walls", dataset: { case: found.id } },
    ...lines.map((line) => el("p", { text: line })));
  const act = (label, run) => {
    const button = el("button", { className: "btn btn--quiet", text: label, attrs: { type: "button" } });
    button.addEventListener("click", async () => {
      try {
        await run();
        await loadOutsideWalls();
      } catch (error) {
        say(ui.hmState, error.message, true);
      }
    });
    item.append(button, " ");
  };
  const path = `/api/v1/staff/cases/${encodeURIComponent(found.id)}`;
  if (found.status === "received") act("Accepter", () => staff("POST", `${path}/decision`, { decision: "confirm" }));
  if (found.status === "accepted" || found.status === "planned") {
    const when = el("input", { attrs: { type: "datetime-local", "aria-label": "Date de la visite" } });
    const who = el("input", { attrs: { placeholder: "agents (séparés par des virgules)", "aria-label": "Agents" } });
    item.append(when, " ", who, " ");
    act("Planifier la visite", () => staff("POST", `${path}/visit`, {
      at: new Date(when.value).toISOString(), officers: who.value.split(",").map((s) => s.trim()).filter(Boolean),
    }));
  }
  if (found.status === "planned") {
    const outcome = el("select", { attrs: { "aria-label": "Issue de la visite" } },
      ...Object.entries(OUTCOMES).map(([value, text]) => el("option", { text, attrs: { value } })));
    item.append(outcome, " ");
    act("Enregistrer l'issue", () => staff("POST", `${path}/visit-outcome`, { outcome: outcome.value }));
  }
  return item;
}

function start() {
  ui.section.hidden = false;
  ui.hm.hidden = false;
  if (!ui.unit.value) ui.unit.value = tokenUnit();
  loadAgenda();
  loadOutsideWalls();
}

byId("appointments-refresh").addEventListener("click", loadAgenda);
byId("outside-walls-refresh").addEventListener("click", loadOutsideWalls);
ui.hangup.addEventListener("click", async () => {
  const room = call?.roomId;
  await call?.stop();
  call = null;
  inCall = null;
  ui.video.hidden = true;
  hideDocuments();
  if (room) say(ui.state, "Vous avez quitté l'appel.");
});
new MutationObserver(() => {
  if (!ui.console.hidden && token() && ui.section.hidden) start();
}).observe(ui.console, { attributes: true, attributeFilter: ["hidden"] });
if (!ui.console.hidden && token()) start();
