// THESEE on the citizen page: "que s'est-il passé ?", then either a national service
// (card fraud, illegal content), the chat (anything else), or the scam form of one of
// the six types: report (anonymous) or complaint (verified identity), drafts, and the
// citizen's THESEE cases with their status and the reviewers' messages.
// Every text the page did not write goes through textContent (el()).

import { byId, el } from "./dom.js";

const TOKEN_KEY = "rtc-gateway.citizen.token";
const DRAFT_KEY = "rtc-gateway.thesee.draft";

const ELSEWHERE = [
  {
    label: "Ma carte bancaire a été utilisée sans mon accord",
    hint: "Signalez-le sur Perceval, le service national des fraudes à la carte bancaire, après avoir fait opposition auprès de votre banque.",
    href: "https://www.service-public.fr/particuliers/vosdroits/R46526",
    link: "Aller sur Perceval",
  },
  {
    label: "J'ai vu un contenu illicite sur internet",
    hint: "Signalez-le sur PHAROS, la plateforme nationale de signalement des contenus illicites.",
    href: "https://www.internet-signalement.gouv.fr/",
    link: "Aller sur PHAROS",
  },
];

// Each scam type: its label and its own fields. kind: text, area, date, number, lines
// (one value a line), select (options).
const TYPES = {
  account_hacking: {
    label: "On a piraté l'un de mes comptes (messagerie, réseau social…)",
    fields: [
      { name: "account", label: "Compte piraté (adresse, identifiant)", kind: "text", required: true },
      { name: "service", label: "Service concerné", kind: "text", required: true },
      { name: "hacked_on", label: "Date du piratage", kind: "date", required: true },
      { name: "what_was_done", label: "Ce que le pirate a fait", kind: "area", required: true },
    ],
  },
  blackmail: {
    label: "On me fait chanter (menace de diffuser des images, des informations…)",
    fields: [
      { name: "channel", label: "Par quel moyen", kind: "select", required: true,
        options: [["email", "Courriel"], ["sms", "SMS"], ["social_network", "Réseau social"],
                  ["messaging", "Messagerie"], ["phone", "Téléphone"], ["other", "Autre"]] },
      { name: "pseudonyms", label: "Pseudonymes du maître chanteur (un par ligne)", kind: "lines" },
      { name: "demanded_amount_eur", label: "Somme demandée (€)", kind: "number", required: true },
      { name: "payment_details", label: "Moyen de paiement exigé", kind: "text" },
    ],
  },
  ransomware: {
    label: "Mes fichiers sont chiffrés et on me demande une rançon",
    fields: [
      { name: "ransom_note", label: "Texte de la demande de rançon", kind: "area", required: true },
      { name: "wallets", label: "Adresses de portefeuille indiquées (une par ligne)", kind: "lines" },
      { name: "affected_systems", label: "Appareils touchés (un par ligne)", kind: "lines", required: true },
    ],
  },
  romance_scam: {
    label: "Une personne rencontrée en ligne m'a soutiré de l'argent",
    fields: [
      { name: "profiles", label: "Noms ou pseudonymes des profils (un par ligne)", kind: "lines", required: true },
      { name: "platforms", label: "Sites ou applications (un par ligne)", kind: "lines", required: true },
    ],
  },
  classified_ad_scam: {
    label: "Une petite annonce était une arnaque",
    fields: [
      { name: "ad_url", label: "Adresse de l'annonce", kind: "text", required: true },
      { name: "platform", label: "Site d'annonces", kind: "text", required: true },
      { name: "seller_ids", label: "Identifiants du vendeur (un par ligne)", kind: "lines", required: true },
    ],
  },
  fraudulent_shop: {
    label: "J'ai commandé sur un site qui ne m'a jamais livré",
    fields: [
      { name: "shop_url", label: "Adresse du site", kind: "text", required: true },
      { name: "order_reference", label: "Numéro de commande", kind: "text" },
      { name: "amount_eur", label: "Montant de la commande (€)", kind: "number", required: true },
      { name: "payment", label: "Moyen de paiement", kind: "select", required: true,
        options: [["card", "Carte bancaire"], ["transfer", "Virement"], ["paypal", "PayPal"],
                  ["crypto", "Cryptomonnaie"], ["other", "Autre"]] },
      { name: "ordered_on", label: "Date de la commande", kind: "date" },
    ],
  },
};

const IDENTIFIERS = [
  ["ibans", "IBAN du ou des comptes bénéficiaires"],
  ["urls", "Sites internet"],
  ["phones", "Numéros de téléphone"],
  ["emails", "Adresses électroniques"],
  ["wallets", "Adresses de portefeuille de cryptomonnaie"],
  ["pseudonyms", "Pseudonymes"],
];

const STATUS_LABELS = {
  received: "reçu", in_review: "en cours d'examen", needs_information: "compléments demandés",
  registered: "enregistré", rejected: "rejeté", withdrawn: "retiré", closed: "clos",
};

const root = byId("thesee");
const state = { verified: false, type: null, draftId: sessionStorage.getItem(DRAFT_KEY) };

function stylesheet() {
  document.head.append(el("link", { attrs: { rel: "stylesheet", href: "css/thesee.css" } }));
}

function headers(json) {
  const result = { Accept: "application/json" };
  if (json) result["Content-Type"] = "application/json";
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) result.Authorization = `Bearer ${token}`;
  return result;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: headers(body !== undefined), credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = payload?.error?.message ?? `erreur ${response.status}`;
    throw Object.assign(new Error(message), { code: payload?.error?.code, status: response.status });
  }
  return payload;
}

async function whoAmI() {
  // With the chat's token: whether a verified session vouches for it (complaints).
  if (!localStorage.getItem(TOKEN_KEY)) return;
  try {
    const me = await api("GET", "/api/v1/me");
    state.verified = me.verified === true;
  } catch {
    // anonymous reports only
  }
}

// ---- guided start ----

function guidedStart() {
  const list = el("ul", { className: "thesee__choices" });
  for (const place of ELSEWHERE) {
    const hint = el("p", { className: "field__hint", text: place.hint, attrs: { hidden: "" } });
    const link = el("a", { className: "btn btn--quiet", text: place.link,
                           attrs: { href: place.href, rel: "noopener noreferrer", target: "_blank", hidden: "" } });
    const button = el("button", { className: "thesee__choice", text: place.label, attrs: { type: "button" } });
    button.addEventListener("click", () => { hint.hidden = false; link.hidden = false; });
    list.append(el("li", {}, button, hint, link));
  }
  for (const [type, spec] of Object.entries(TYPES)) {
    const button = el("button", { className: "thesee__choice", text: spec.label,
                                  attrs: { type: "button" }, dataset: { scamType: type } });
    button.addEventListener("click", () => openForm(type));
    list.append(el("li", {}, button));
  }
  const chat = el("button", { className: "thesee__choice", text: "Autre chose : écrire à un agent",
                              attrs: { type: "button" }, dataset: { choice: "chat" } });
  chat.addEventListener("click", () => {
    const topic = document.getElementById("topic");
    topic?.scrollIntoView({ block: "center" });
    topic?.focus();
  });
  list.append(el("li", {}, chat));
  return list;
}

// ---- the form ----

function field(spec, prefix) {
  const id = `${prefix}-${spec.name}`;
  let input;
  if (spec.kind === "area" || spec.kind === "lines") {
    input = el("textarea", { attrs: { id, rows: spec.kind === "area" ? 3 : 2, maxlength: 4000 } });
  } else if (spec.kind === "select") {
    input = el("select", { attrs: { id } }, ...spec.options.map(([value, label]) => el("option", { text: label, attrs: { value } })));
  } else {
    input = el("input", { attrs: { id, type: spec.kind === "number" ? "number" : spec.kind, maxlength: 300 } });
    if (spec.kind === "number") { input.min = "0"; input.step = "0.01"; }
  }
  input.name = spec.name;
  input.dataset.kind = spec.kind;
  if (spec.required) input.required = true;
  return el("div", { className: "field" }, el("label", { text: spec.label + (spec.required ? " *" : ""), attrs: { for: id } }), input);
}

function lines(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

function readValue(input) {
  const value = input.value.trim();
  if (input.dataset.kind === "lines") return lines(input.value);
  if (input.dataset.kind === "number") return value === "" ? undefined : Number(value);
  return value === "" ? undefined : value;
}

function openForm(type, draft) {
  state.type = type;
  const spec = TYPES[type];
  const form = el("form", { className: "card thesee__form", attrs: { id: "thesee-form", novalidate: "" } });
  form.dataset.scamType = type;
  form.append(el("h2", { className: "citizen__subheading", text: spec.label }));
  const modes = el("fieldset", { className: "field" }, el("legend", { text: "Démarche" }));
  const report = el("input", { attrs: { type: "radio", name: "mode", value: "report", checked: "" } });
  const complaint = el("input", { attrs: { type: "radio", name: "mode", value: "complaint" } });
  complaint.disabled = !state.verified;
  modes.append(el("div", { className: "choices" },
    el("label", { className: "choice" }, report, " Signalement (anonyme possible)"),
    el("label", { className: "choice" }, complaint, " Plainte (identité vérifiée)")));
  if (!state.verified) {
    modes.append(el("span", { className: "field__hint", text: "Pour porter plainte, vérifiez d'abord votre identité avec FranceConnect ; un signalement reste possible sans elle." }));
  }
  form.append(modes);
  form.append(field({ name: "description", label: "Ce qui s'est passé", kind: "area", required: true }, "thesee"));
  const details = el("fieldset", { className: "thesee__details" }, el("legend", { text: "Détails" }));
  for (const f of spec.fields) details.append(field(f, "thesee-detail"));
  form.append(details);
  const ids = el("fieldset", { className: "thesee__details" }, el("legend", { text: "Ce qui identifie l'escroc (un élément par ligne)" }));
  for (const [name, label] of IDENTIFIERS) ids.append(field({ name, label, kind: "lines" }, "thesee-id"));
  form.append(ids);
  form.append(field({ name: "payments", label: "Paiements effectués : « montant date » par ligne, par exemple « 150 2026-11-02 »", kind: "lines" }, "thesee"));
  const error = el("p", { className: "field__error", attrs: { id: "thesee-error", role: "alert", hidden: "" } });
  const saved = el("p", { className: "field__hint", attrs: { id: "thesee-saved", role: "status" } });
  const save = el("button", { className: "btn btn--quiet", text: "Enregistrer le brouillon", attrs: { type: "button", id: "thesee-save" } });
  const submit = el("button", { className: "btn", text: "Envoyer", attrs: { type: "submit", id: "thesee-submit" } });
  const cancel = el("button", { className: "btn btn--quiet", text: "Retour", attrs: { type: "button" } });
  form.append(el("div", { className: "thesee__actions" }, submit, save, cancel), saved, error);
  if (draft) fill(form, draft);
  save.addEventListener("click", () => saveDraft(form).catch((e) => showError(error, e)));
  cancel.addEventListener("click", () => render());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(form).catch((e) => showError(error, e));
  });
  root.replaceChildren(form);
  form.querySelector("textarea")?.focus();
}

function showError(node, error) {
  node.textContent = error.message;
  node.hidden = false;
}

function collect(form) {
  const body = { scam_type: form.dataset.scamType, mode: form.querySelector("input[name=mode]:checked")?.value ?? "report",
                 description: form.querySelector("#thesee-description").value.trim(), identifiers: {}, details: {}, payments: [] };
  for (const input of form.querySelectorAll("[id^=thesee-detail-]")) {
    const value = readValue(input);
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) body.details[input.name] = value;
  }
  for (const input of form.querySelectorAll("[id^=thesee-id-]")) {
    const values = readValue(input);
    if (values.length) body.identifiers[input.name] = values;
  }
  for (const line of lines(form.querySelector("#thesee-payments").value)) {
    const [amount, date] = line.split(/\s+/);
    body.payments.push({ amount_eur: Number(amount.replace(",", ".")), date });
  }
  return body;
}

function fill(form, draft) {
  const set = (selector, value) => {
    const input = form.querySelector(selector);
    if (input && value !== undefined) input.value = Array.isArray(value) ? value.join("\n") : String(value);
  };
  set("#thesee-description", draft.description);
  for (const [name, value] of Object.entries(draft.details ?? {})) set(`#thesee-detail-${name}`, value);
  for (const [name, value] of Object.entries(draft.identifiers ?? {})) set(`#thesee-id-${name}`, value);
  set("#thesee-payments", (draft.payments ?? []).map((p) => `${p.amount_eur} ${p.date}`));
}

async function saveDraft(form) {
  const body = { draft: collect(form) };
  const draft = state.draftId
    ? await api("PUT", `/api/v1/thesee/drafts/${encodeURIComponent(state.draftId)}`, body).catch(() => null)
    : null;
  const kept = draft ?? await api("POST", "/api/v1/thesee/drafts", body);
  state.draftId = kept.id;
  sessionStorage.setItem(DRAFT_KEY, kept.id);
  form.querySelector("#thesee-saved").textContent = "Brouillon enregistré : vous pourrez le compléter plus tard.";
}

async function send(form) {
  form.querySelector("#thesee-error").hidden = true;
  const case_ = await api("POST", "/api/v1/thesee/cases", collect(form));
  if (state.draftId) {
    await api("DELETE", `/api/v1/thesee/drafts/${encodeURIComponent(state.draftId)}`).catch(() => null);
    state.draftId = null;
    sessionStorage.removeItem(DRAFT_KEY);
  }
  const done = el("div", { className: "card thesee__done", attrs: { id: "thesee-done", role: "status" } },
    el("h2", { className: "citizen__subheading", text: "Votre dossier est transmis" }),
    el("p", {}, "Référence : ", el("strong", { text: case_.reference })),
    el("p", { className: "field__hint", text: "Un agent de la plateforme l'examinera ; suivez-le ci-dessous." }));
  await render(done);
}

// ---- the citizen's cases ----

async function myCases() {
  let cases = [];
  try {
    cases = (await api("GET", "/api/v1/cases")).cases.filter((c) => c.kind === "thesee");
  } catch {
    return null;
  }
  if (!cases.length) return null;
  const list = el("ul", { className: "thesee__cases", attrs: { id: "thesee-cases" } });
  for (const c of cases) {
    const item = el("li", { className: "thesee__case", dataset: { caseId: c.id, status: c.status } },
      el("strong", { text: c.reference }), " — ",
      el("span", { className: "thesee__status", text: STATUS_LABELS[c.status] ?? c.status }));
    for (const m of c.messages.filter((m) => m.author_role !== "citizen")) {
      item.append(el("p", { className: "thesee__message", text: m.text }));
    }
    if (c.status === "needs_information") item.append(answerForm(c));
    if (["received", "in_review", "needs_information"].includes(c.status)) {
      const withdraw = el("button", { className: "btn btn--quiet", text: "Retirer", attrs: { type: "button" } });
      withdraw.addEventListener("click", async () => {
        await api("POST", `/api/v1/cases/${encodeURIComponent(c.id)}/withdraw`).catch(() => null);
        render();
      });
      item.append(withdraw);
    }
    list.append(item);
  }
  return el("div", { className: "card" }, el("h2", { className: "citizen__subheading", text: "Mes signalements et plaintes en ligne" }), list);
}

function answerForm(c) {
  const input = el("textarea", { attrs: { rows: 2, maxlength: 4000, "aria-label": "Votre réponse" } });
  const button = el("button", { className: "btn", text: "Compléter", attrs: { type: "submit" } });
  const form = el("form", { className: "thesee__answer" }, input, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    await api("POST", `/api/v1/cases/${encodeURIComponent(c.id)}/messages`, { text: input.value.trim() }).catch(() => null);
    render();
  });
  return form;
}

async function resumeDraft() {
  if (!state.draftId) return null;
  try {
    const draft = await api("GET", `/api/v1/thesee/drafts/${encodeURIComponent(state.draftId)}`);
    if (!TYPES[draft.draft.scam_type]) return null;
    const button = el("button", { className: "btn btn--quiet", text: "Reprendre mon brouillon", attrs: { type: "button", id: "thesee-resume" } });
    button.addEventListener("click", () => openForm(draft.draft.scam_type, draft.draft));
    return button;
  } catch {
    state.draftId = null;
    sessionStorage.removeItem(DRAFT_KEY);
    return null;
  }
}

async function render(first) {
  const card = el("div", { className: "card" },
    el("h2", { className: "citizen__subheading", attrs: { id: "thesee-title" }, text: "Arnaque en ligne : que s'est-il passé ?" }),
    el("p", { className: "field__hint", text: "Choisissez ce qui vous est arrivé : nous vous orientons vers le bon service." }),
    guidedStart());
  const resume = await resumeDraft();
  if (resume) card.append(resume);
  root.replaceChildren(...[first, card].filter(Boolean));
  const cases = await myCases();
  if (cases) root.append(cases);
}

async function start() {
  stylesheet();
  // The chat's session gives the citizen token; wait a little for it on a first visit.
  for (let i = 0; i < 50 && !localStorage.getItem(TOKEN_KEY); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await whoAmI();
  await render();
}

start();
