// The console's written complaints, "Dossiers de l'unité": the pre-complaints and online
// complaints of the token's scope (GET /api/v1/staff/cases), filtered by kind and status;
// opening one (which starts a complaint's review) shows its facts, messages and
// attachments, the decisions its kind allows and a message box. Text only via textContent.

import { byId, el } from "./dom.js";
import { api, spokenWhen } from "./services-api.js";

const TOKEN_KEY = "rtc-gateway.agent.token";
const OFFENCES = { theft: "Vol", burglary: "Cambriolage", damage: "Dégradation", fraud: "Escroquerie" };
const KINDS = { pre_complaint: "Pré-plainte", complaint: "Plainte en ligne" };
const STATUSES = {
  received: "reçue", in_review: "en cours d'examen", needs_information: "compléments demandés",
  registered: "enregistrée", rejected: "rejetée", confirmed: "rendez-vous confirmé",
  rescheduled: "rendez-vous déplacé", withdrawn: "retirée", closed: "close",
};
const FINAL = ["withdrawn", "closed", "rejected"];
const DECISIONS = {
  pre_complaint: [["confirm", "Confirmer le rendez-vous"], ["reschedule", "Déplacer le rendez-vous"], ["close", "Clore (signée)"]],
  complaint: [["request_info", "Demander des compléments"], ["validate", "Enregistrer la plainte"],
              ["reject", "Rejeter"], ["close", "Clore"]],
};
const AUTHORS = { citizen: "Plaignant", staff: "Unité", system: "Avis au plaignant" };
const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

const ui = {
  console: byId("console"), section: byId("unit-cases"), kind: byId("unit-cases-kind"),
  status: byId("unit-cases-status"), list: byId("unit-cases-list"), state: byId("unit-cases-state"),
  detail: byId("unit-cases-detail"),
};
let openId = null;

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? "";
const staff = (method, path, body) => api(method, path, body, { bearer: token() });
const staffPath = (id) => `/api/v1/staff/cases/${encodeURIComponent(id)}`;

function say(node, text, warn = false) {
  node.textContent = text;
  node.classList.toggle("notice--warn", warn);
  node.hidden = !text;
}

async function loadCases() {
  const params = new URLSearchParams();
  if (ui.kind.value) params.set("kind", ui.kind.value);
  if (ui.status.value) params.set("status", ui.status.value);
  try {
    const { cases } = await staff("GET", `/api/v1/staff/cases?${params}`);
    const shown = cases.filter((c) => c.kind in KINDS);
    ui.list.replaceChildren(...shown.map(caseItem));
    say(ui.state, shown.length ? "" : "Aucun dossier.");
  } catch (error) {
    ui.list.replaceChildren();
    say(ui.state, error.message, true);
  }
}

function caseItem(found) {
  const open = el("button", { className: "btn btn--quiet", text: "Ouvrir", attrs: { type: "button" } });
  open.addEventListener("click", () => openCase(found.id));
  return el("li", { className: "agent__case", dataset: { case: found.id, status: found.status } },
    el("strong", { text: found.reference }), ` — ${KINDS[found.kind]} — ${STATUSES[found.status] ?? found.status} — `,
    el("span", { text: spokenWhen(found.created_at) }), " ", open);
}

async function openCase(caseId) {
  openId = caseId;
  try {
    showCase(await staff("GET", staffPath(caseId)));
    await loadCases();  // opening a received complaint starts its review
  } catch (error) {
    say(ui.state, error.message, true);
  }
}

function factLines(found) {
  const facts = found.facts ?? {};
  const who = facts.declared_identity;
  const total = (facts.goods ?? []).reduce((sum, g) => sum + (g.value_eur ?? 0), 0);
  return [
    `${OFFENCES[facts.offence] ?? facts.offence ?? ""} : ${facts.description ?? ""}`,
    `Faits : ${spokenWhen(facts.occurred_from)}${facts.occurred_to ? ` → ${spokenWhen(facts.occurred_to)}` : ""}`,
    facts.address ? `Lieu : ${facts.address}` : "",
    ...(facts.goods ?? []).map((g) => `Bien : ${g.label}${g.value_eur != null ? ` — ${euros.format(g.value_eur)}` : ""}`),
    total ? `Total déclaré : ${euros.format(total)}` : "",
    who ? `Identité déclarée : ${who.given_name} ${who.family_name}, né(e) le ${who.birthdate}${who.email ? `, ${who.email}` : ""}${who.phone ? `, ${who.phone}` : ""}` : "",
    found.kind === "complaint" ? (found.citizen_verified ? "Identité vérifiée (FranceConnect)" : "Identité non vérifiée") : "",
    found.appointment_at ? `Rendez-vous : ${spokenWhen(found.appointment_at)}` : "",
    `Unité : ${found.unit_id ?? "toute la force"}`,
  ].filter(Boolean);
}

function showCase(found) {
  const note = el("p", { className: "notice", attrs: { id: "unit-case-state", role: "status", hidden: "" } });
  const messages = el("ol", { className: "agent__list", attrs: { "aria-label": "Messages du dossier" } },
    ...found.messages.map((m) => el("li", { className: `agent__case-message agent__case-message--${m.author_role}` },
      el("span", { className: "field__hint", text: `${AUTHORS[m.author_role] ?? m.author_role} · ${spokenWhen(m.at)}` }),
      el("p", { text: m.text }))));
  const files = el("ul", { className: "agent__list", attrs: { "aria-label": "Pièces jointes" } },
    ...found.attachments.map((a) => attachmentItem(found, a, note)));
  const parts = [
    el("h3", { className: "agent__section-title", text: `${found.reference} — ${KINDS[found.kind]} — ${STATUSES[found.status] ?? found.status}` }),
    ...factLines(found).map((text) => el("p", { text })),
    el("h4", { text: "Messages" }), messages, el("h4", { text: "Pièces jointes" }), files,
  ];
  if (!FINAL.includes(found.status)) parts.push(decisionForm(found, note), messageForm(found, note));
  parts.push(note);
  ui.detail.replaceChildren(...parts);
  ui.detail.hidden = false;
}

function attachmentItem(found, attachment, note) {
  const get = el("button", { className: "services__link",
    text: `${attachment.content_type} · ${Math.ceil(attachment.size / 1024)} Ko · ${attachment.author_role === "citizen" ? "du plaignant" : "de l'unité"}`,
    attrs: { type: "button" }, dataset: { sha256: attachment.sha256 } });
  get.addEventListener("click", async () => {
    const response = await fetch(`/api/v1/cases/${encodeURIComponent(found.id)}/attachments/${attachment.sha256}`,
      { headers: { Authorization: `Bearer ${token()}` } }).catch(() => null);
    if (!response?.ok) return say(note, "La pièce jointe n'est pas disponible.", true);
    const url = URL.createObjectURL(await response.blob());
    const extension = { "image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf" }[attachment.content_type];
    el("a", { attrs: { href: url, download: `${found.reference}-${attachment.sha256.slice(0, 8)}.${extension}` } }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  return el("li", {}, get);
}

function decisionForm(found, note) {
  // A registered complaint can only be closed (any other decision is a 409).
  const choices = (DECISIONS[found.kind] ?? []).filter(([value]) => found.status !== "registered" || value === "close");
  const decision = el("select", { attrs: { id: "unit-case-decision", "aria-label": "Décision" } },
    ...choices.map(([value, text]) => el("option", { text, attrs: { value } })));
  const reason = el("textarea", { attrs: { id: "unit-case-reason", rows: "2", maxlength: "1000", "aria-label": "Motif" } });
  const at = el("input", { attrs: { id: "unit-case-at", type: "datetime-local", step: "900", "aria-label": "Rendez-vous" } });
  const atField = el("div", { className: "field" }, el("label", { text: "Rendez-vous (facultatif) ", attrs: { for: "unit-case-at" } }), at);
  const hint = el("span", { className: "field__hint" });
  const sync = () => {
    atField.hidden = found.kind !== "pre_complaint" || decision.value === "close";
    hint.textContent = decision.value === "reject" ? "Le motif est obligatoire ; le plaignant le lira." : "Motif (facultatif), lu par le plaignant.";
  };
  decision.addEventListener("change", sync);
  sync();
  const form = el("form", { className: "agent__case-decision" },
    el("div", { className: "field" }, el("label", { text: "Décision ", attrs: { for: "unit-case-decision" } }), decision),
    atField, el("div", { className: "field" }, el("label", { text: "Motif ", attrs: { for: "unit-case-reason" } }), reason, hint),
    el("button", { className: "btn", text: "Appliquer la décision", attrs: { type: "submit", id: "unit-case-decide" } }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (decision.value === "reject" && !reason.value.trim()) return say(note, "Indiquez le motif du rejet.", true);
    const body = { decision: decision.value };
    if (reason.value.trim()) body.reason = reason.value.trim();
    if (!atField.hidden && at.value) body.appointment_at = new Date(at.value).toISOString();
    await act(note, () => staff("POST", `${staffPath(found.id)}/decision`, body), "Décision enregistrée.");
  });
  return form;
}

function messageForm(found, note) {
  const text = el("textarea", { attrs: { id: "unit-case-message", rows: "2", maxlength: "4000", "aria-label": "Message au plaignant" } });
  const form = el("form", { className: "agent__case-reply" },
    el("label", { text: "Message au plaignant", attrs: { for: "unit-case-message" } }), text,
    el("button", { className: "btn btn--quiet", text: "Envoyer le message", attrs: { type: "submit" } }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    await act(note, () => staff("POST", `/api/v1/cases/${encodeURIComponent(found.id)}/messages`, { text: text.value.trim() }),
              "Message envoyé.");
  });
  return form;
}

async function act(note, run, done) {
  try {
    showCase(await run());
    say(byId("unit-case-state"), done);
    await loadCases();
  } catch (error) {
    say(note, error.code === "bad_request" ? "Décision refusée : vérifiez le motif et l'heure du rendez-vous (un quart d'heure d'ouverture, au moins une heure à l'avance)." : error.message, true);
  }
}

function start() {
  ui.section.hidden = false;
  loadCases();
}

byId("unit-cases-refresh").addEventListener("click", () => { loadCases(); if (openId) openCase(openId); });
ui.kind.addEventListener("change", loadCases);
ui.status.addEventListener("change", loadCases);
new MutationObserver(() => {
  if (!ui.console.hidden && token() && ui.section.hidden) start();
}).observe(ui.console, { attributes: true, attributeFilter: ["hidden"] });
if (!ui.console.hidden && token()) start();
