// The citizen page's other services: book a video appointment (Visioplainte) with the
// competent unit, optionally for one of the citizen's open cases ("Mes démarches"; the
// slots are then those of the case's unit), and ask for a complaint outside the walls.
// Text goes through textContent.

import { byId, el } from "./dom.js";
import { api as call, citizenToken, currentPosition, spokenWhen } from "./services-api.js";
import { KINDS, STATUSES } from "./citizen-cases.js";

const FINAL = ["withdrawn", "closed", "rejected"];
const CASE_HINT = "Avec un dossier, l'enquêteur voit ses pièces et vous pouvez échanger des documents pendant l'appel.";

const ui = {
  unit: byId("rdv-unit"),
  caseField: byId("rdv-case-field"),
  caseChoice: byId("rdv-case"),
  caseHint: byId("rdv-case-hint"),
  myCases: byId("cases-list"),
  locate: byId("rdv-locate"),
  search: byId("rdv-search"),
  slots: byId("rdv-slots"),
  status: byId("rdv-status"),
  mine: byId("rdv-mine"),
  hmForm: byId("hm-form"),
  hmStatus: byId("hm-status"),
  hmFollow: byId("hm-follow"),
};
let residence = null;
/** The citizen's open pre-complaints and complaints, by id. */
let openCases = new Map();

const api = (method, path, body) => call(method, path, body, { bearer: citizenToken() });

function say(node, text, warn = false) {
  node.textContent = text;
  node.classList.toggle("notice--warn", warn);
  node.hidden = !text;
}

const chosenCase = () => openCases.get(ui.caseChoice.value) ?? null;

/** The "Dossier lié au rendez-vous" choices: "Sans dossier" and the open cases. */
async function loadCases() {
  if (!citizenToken()) return;
  let cases;
  try {
    ({ cases } = await api("GET", "/api/v1/cases"));
  } catch {
    return showMine();
  }
  const kept = ui.caseChoice.value;
  openCases = new Map(cases.filter((c) => c.kind in KINDS && !FINAL.includes(c.status)).map((c) => [c.id, c]));
  ui.caseChoice.replaceChildren(el("option", { text: "Sans dossier", attrs: { value: "" } }),
    ...[...openCases.values()].map((c) => el("option", {
      text: `${c.reference} — ${KINDS[c.kind]} — ${STATUSES[c.status] ?? c.status}`, attrs: { value: c.id } })));
  ui.caseChoice.value = openCases.has(kept) ? kept : "";
  ui.caseField.hidden = openCases.size === 0;
  showCase();
  await showMine();  // its lines name the cases' references
}

/** A case handled by a unit books that unit's slots only: the unit field follows it. */
function showCase() {
  const chosen = chosenCase();
  const unit = chosen?.unit_id ?? null;
  ui.unit.disabled = unit !== null;
  ui.locate.disabled = unit !== null;
  if (unit !== null) {
    ui.unit.value = unit;
    residence = null;
    ui.caseHint.textContent = `Les créneaux proposés sont ceux de l'unité qui traite ce dossier (${unit}).`;
  } else {
    ui.caseHint.textContent = chosen ? "Choisissez une unité de la même force que ce dossier." : CASE_HINT;
  }
}

async function searchSlots() {
  say(ui.status, "Recherche des créneaux…");
  showMine();
  ui.slots.replaceChildren();
  const unit = ui.unit.value.trim();
  const query = unit ? `unit=${encodeURIComponent(unit)}`
    : residence ? `lat=${residence.lat}&lon=${residence.lon}` : "";
  if (!query) return say(ui.status, "Indiquez une unité ou utilisez votre position.", true);
  try {
    const { slots } = await api("GET", `/api/v1/appointments/slots?${query}`);
    if (!slots.length) return say(ui.status, "Aucun créneau libre pour le moment.");
    say(ui.status, `${slots.length} créneau(x) libre(s). Choisissez :`);
    for (const slot of slots.slice(0, 12)) {
      const button = el("button", { className: "btn btn--quiet", text: `${spokenWhen(slot.start)} — ${slot.unit_id}`,
                                    attrs: { type: "button" }, dataset: { slot: slot.id } });
      button.addEventListener("click", () => book(slot));
      ui.slots.append(el("li", {}, button));
    }
  } catch (error) {
    say(ui.status, error.message, true);
  }
}

async function book(slot) {
  const body = { slot_id: slot.id };
  if (residence) body.residence = residence;
  if (chosenCase()) body.case_id = chosenCase().id;
  try {
    const booked = await api("POST", "/api/v1/appointments", body);
    const linked = booked.case_id ? ` pour le dossier ${openCases.get(booked.case_id)?.reference ?? ""}` : "";
    say(ui.status, `Rendez-vous réservé le ${spokenWhen(booked.start)}${linked}. Un e-mail de confirmation vous est envoyé.`);
    ui.slots.replaceChildren();
    await showMine();
  } catch (error) {
    say(ui.status, error.message, true);
  }
}

async function showMine() {
  try {
    const { appointments } = await api("GET", "/api/v1/appointments");
    ui.mine.replaceChildren(...appointments.filter((a) => a.status === "booked").map(mineItem));
  } catch {
    ui.mine.replaceChildren();
  }
}

function mineItem(appointment) {
  const cancel = el("button", { className: "btn btn--quiet", text: "Annuler", attrs: { type: "button" } });
  cancel.addEventListener("click", async () => {
    try {
      await api("DELETE", `/api/v1/appointments/${encodeURIComponent(appointment.id)}`);
      say(ui.status, "Rendez-vous annulé.");
      await showMine();
    } catch (error) {
      say(ui.status, error.message, true);
    }
  });
  const join = el("a", { className: "btn", text: "Rejoindre l'appel", attrs: { href: appointment.join_url } });
  const reference = appointment.case_id ? openCases.get(appointment.case_id)?.reference ?? "lié" : "";
  const linked = reference ? ` — dossier ${reference}` : " — sans dossier";
  return el("li", { className: "rdv__mine", dataset: { appointment: appointment.id, case: appointment.case_id ?? "" } },
    el("span", { text: `${spokenWhen(appointment.start)} — ${appointment.unit_id}${linked}` }), " ", join, " ", cancel);
}

async function requestOutsideWalls(event) {
  event.preventDefault();
  const form = new FormData(ui.hmForm);
  const value = (name) => String(form.get(name) ?? "").trim();
  let place = { lat: Number(value("lat")), lon: Number(value("lon")) };
  if (!value("lat") || !value("lon")) {
    try {
      place = await currentPosition();
    } catch (error) {
      return say(ui.hmStatus, `${error.message} Indiquez la latitude et la longitude du lieu.`, true);
    }
  }
  const start = new Date(value("start"));
  const end = new Date(value("end"));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    return say(ui.hmStatus, "Indiquez quand vous êtes disponible (début et fin).", true);
  }
  const safety = { never_at_home: true };
  if (value("code_word")) safety.code_word = value("code_word");
  if (value("contact_phone")) safety.safe_contact = { name: value("contact_name") || null, phone: value("contact_phone") };
  const body = {
    place: { ...place, address: value("address"), host: value("host") || null },
    time_windows: [{ start: start.toISOString(), end: end.toISOString() }],
    safety, discreet: form.get("discreet") === "on",
    description: value("description") || null,
  };
  try {
    const created = await api("POST", "/api/v1/outside-walls-requests", body);
    ui.hmForm.reset();
    say(ui.hmStatus, `Demande enregistrée : ${created.reference}.`);
    follow(created.id);
  } catch (error) {
    say(ui.hmStatus, error.message, true);
  }
}

async function follow(caseId) {
  try {
    const status = await api("GET", `/api/v1/outside-walls-requests/${encodeURIComponent(caseId)}`);
    const cancel = el("button", { className: "btn btn--quiet", text: "Annuler ma demande", attrs: { type: "button" } });
    cancel.hidden = ["closed", "withdrawn"].includes(status.status);
    cancel.addEventListener("click", async () => {
      await api("POST", `/api/v1/cases/${encodeURIComponent(caseId)}/withdraw`).catch(() => undefined);
      follow(caseId);
    });
    const refresh = el("button", { className: "btn btn--quiet", text: "Actualiser", attrs: { type: "button" } });
    refresh.addEventListener("click", () => follow(caseId));
    ui.hmFollow.replaceChildren(el("p", { className: "hm__label", text: `${status.reference} : ${status.label}` }), refresh, " ", cancel);
    ui.hmFollow.hidden = false;
  } catch (error) {
    say(ui.hmStatus, error.message, true);
  }
}

ui.locate.addEventListener("click", async () => {
  try {
    residence = await currentPosition();
    ui.unit.value = "";
    await searchSlots();
  } catch (error) {
    say(ui.status, error.message, true);
  }
});
ui.search.addEventListener("click", searchSlots);
ui.caseChoice.addEventListener("change", () => {
  showCase();
  if (chosenCase()?.unit_id) searchSlots();
});
// "Mes démarches" re-renders its list on every change (a filing, a withdrawal, a login):
// the choices follow it.
new MutationObserver(() => loadCases()).observe(ui.myCases, { childList: true });
ui.hmForm.addEventListener("submit", requestOutsideWalls);
if (citizenToken()) loadCases();
