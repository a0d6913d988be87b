// The THESEE review desk of the console, for reviewers: the queue (age, type, amount,
// status, claim, linked cases), filters, claims, decisions (validate, request
// information, reject with a reason the citizen reads), series and the desk's figures.
// agent.js shows #reviewer-desk once the token is a reviewer's; this file takes it from
// there with the same token, over the HTTP API. Text only through textContent (el()).

import { byId, el, formatDuration } from "./dom.js";
import { barChart, weekLabel } from "./figures-chart.js";

const TOKEN_KEY = "rtc-gateway.agent.token";
const TYPES = {
  account_hacking: "Piratage de compte", blackmail: "Chantage", ransomware: "Rançongiciel",
  romance_scam: "Arnaque aux sentiments", classified_ad_scam: "Petite annonce frauduleuse",
  fraudulent_shop: "Faux site de vente",
};
const STATUSES = {
  received: "reçu", in_review: "en cours d'examen", needs_information: "compléments demandés",
  registered: "enregistré", rejected: "rejeté", withdrawn: "retiré", closed: "clos",
};
const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

const section = byId("reviewer-desk");
const root = byId("review-desk-root");
const filters = { scam_type: "", status: "", min_amount: "", max_amount: "" };
let started = false;

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Accept: "application/json", Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ""}`,
               ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error(payload?.error?.message ?? `erreur ${response.status}`);
  return payload;
}

function select(name, label, options) {
  const input = el("select", { attrs: { id: `desk-${name}`, name } },
    el("option", { text: "Tous", attrs: { value: "" } }),
    ...Object.entries(options).map(([value, text]) => el("option", { text, attrs: { value } })));
  input.value = filters[name];
  input.addEventListener("change", () => { filters[name] = input.value; refresh(); });
  return el("div", { className: "field" }, el("label", { text: label, attrs: { for: input.id } }), input);
}

function amount(name, label) {
  const input = el("input", { attrs: { id: `desk-${name}`, type: "number", min: "0", step: "1" } });
  input.value = filters[name];
  input.addEventListener("change", () => { filters[name] = input.value; refresh(); });
  return el("div", { className: "field" }, el("label", { text: label, attrs: { for: input.id } }), input);
}

function toolbar() {
  const again = el("button", { className: "btn btn--quiet", text: "Actualiser", attrs: { type: "button", id: "desk-refresh" } });
  again.addEventListener("click", () => refresh());
  return el("div", { className: "desk__filters" },
    select("scam_type", "Type", TYPES), select("status", "État", STATUSES),
    amount("min_amount", "Montant min. (€)"), amount("max_amount", "Montant max. (€)"), again);
}

function item(entry, notice) {
  const c = entry.case;
  const node = el("li", { className: "desk__item", dataset: { caseId: c.id, status: c.status } });
  node.append(el("strong", { text: c.reference }), " — ", el("span", { text: TYPES[entry.scam_type] ?? entry.scam_type }));
  const meta = [
    entry.mode === "complaint" ? "plainte" : "signalement",
    euros.format(entry.declared_loss_eur),
    `déposé il y a ${formatDuration(entry.age_s)}`,
    STATUSES[c.status] ?? c.status,
  ];
  if (entry.claim) meta.push(`pris en charge par ${entry.claim.reviewer_id}`);
  if (entry.awaiting_second_reviewer) meta.push("validation à confirmer par un second relecteur");
  meta.push(entry.linked.length ? `${entry.linked.length} dossier(s) lié(s)` : "aucun dossier lié");
  node.append(el("p", { className: "desk__meta", text: meta.join(" · ") }));
  node.append(el("p", { text: c.facts.description ?? "" }));
  const reason = el("input", { attrs: { type: "text", maxlength: 1000, placeholder: "Motif (montré à l'usager)", "aria-label": "Motif" } });
  const buttons = [["claim", "Prendre en charge"], ["validate", "Valider"],
                   ["request_info", "Demander des compléments"], ["reject", "Rejeter"], ["series", "Série"]];
  const actions = el("div", { className: "desk__actions" }, reason);
  const result = el("p", { className: "desk__meta", attrs: { role: "status" } });
  for (const [action, label] of buttons) {
    const button = el("button", { className: action === "reject" ? "btn btn--danger" : "btn btn--quiet", text: label,
                                  attrs: { type: "button" }, dataset: { action } });
    button.addEventListener("click", () => act(action, c.id, reason.value.trim(), result).catch((e) => {
      notice.textContent = e.message;
      notice.hidden = false;
    }));
    actions.append(button);
  }
  node.append(actions, result);
  return node;
}

async function act(action, caseId, reason, result) {
  const id = encodeURIComponent(caseId);
  if (action === "claim") {
    await api("POST", `/api/v1/thesee/review/cases/${id}/claim`);
  } else if (action === "series") {
    const series = await api("GET", `/api/v1/thesee/review/cases/${id}/series`);
    result.textContent = `Série de ${series.case_ids.length} dossier(s), préjudice total ${euros.format(series.total_loss_eur)}`;
    return;
  } else {
    await api("POST", `/api/v1/staff/cases/${id}/decision`, { decision: action, ...(reason ? { reason } : {}) });
  }
  await refresh();
}

function charts(f) {
  const weeks = Object.keys(f.per_week).sort().map((week) => [weekLabel(week), f.per_week[week]]);
  const types = Object.entries(f.per_type).sort(([, a], [, b]) => b - a)
    .map(([type, n]) => [TYPES[type] ?? type, n]);
  const sizes = Object.entries(f.series_by_size).map(([size, n]) => [`${size} dossier(s)`, n]);
  return el("div", { className: "desk__charts" },
    barChart("per-week", "Cas par semaine", "Semaine", weeks),
    barChart("per-type", "Cas par type", "Type", types),
    barChart("series", "Séries par taille", "Taille", sizes));
}

async function figures() {
  try {
    const f = await api("GET", "/api/v1/thesee/figures");
    const median = f.median_time_to_decision_s === null ? "—" : formatDuration(f.median_time_to_decision_s);
    const oldest = f.backlog.oldest_age_s === null ? "—" : formatDuration(f.backlog.oldest_age_s);
    const series = Object.entries(f.series_by_size).map(([size, n]) => `${size} : ${n}`).join(", ");
    return el("div", { className: "desk__stats", dataset: { figures: "thesee" } },
      el("div", { className: "desk__figures" },
        el("p", { text: `Dossiers : ${f.cases}` }),
        el("p", { text: `En attente : ${f.backlog.count} (le plus ancien : ${oldest})` }),
        el("p", { text: `Délai médian de décision : ${median}` }),
        el("p", { text: `Séries par taille : ${series}` })),
      charts(f));
  } catch {
    return null;
  }
}

async function refresh() {
  const notice = el("p", { className: "notice notice--warn", attrs: { role: "alert", hidden: "", id: "desk-notice" } });
  const list = el("ul", { className: "desk__queue", attrs: { id: "desk-queue", "aria-label": "File des dossiers" } });
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ""));
  try {
    const body = await api("GET", `/api/v1/thesee/review/queue?${query}`);
    for (const entry of body.queue) list.append(item(entry, notice));
    if (!body.queue.length) list.append(el("li", { className: "field__hint", text: "Aucun dossier à examiner." }));
  } catch (error) {
    notice.textContent = error.message;
    notice.hidden = false;
  }
  root.replaceChildren(...[toolbar(), notice, await figures(), list].filter(Boolean));
}

function start() {
  if (started || section.hidden) return;
  started = true;
  document.head.append(el("link", { attrs: { rel: "stylesheet", href: "css/thesee.css" } }));
  refresh();
}

new MutationObserver(start).observe(section, { attributes: true, attributeFilter: ["hidden"] });
start();

// Supervisors: the desk's figures under their agents' table.
const supervision = byId("supervision");
const figuresRoot = byId("thesee-figures-root");
let figuresShown = false;

async function showFigures() {
  const again = el("button", { className: "btn btn--quiet", text: "Actualiser", attrs: { type: "button" } });
  again.addEventListener("click", () => showFigures());
  const shown = await figures();
  figuresRoot.replaceChildren(shown ?? el("p", { className: "field__hint", text: "Chiffres indisponibles." }), again);
}

function startFigures() {
  if (figuresShown || supervision.hidden) return;
  figuresShown = true;
  document.head.append(el("link", { attrs: { rel: "stylesheet", href: "css/thesee.css" } }));
  showFigures();
}

new MutationObserver(startFigures).observe(supervision, { attributes: true, attributeFilter: ["hidden"] });
startFigures();
