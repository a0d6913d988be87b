// Citizen page, written complaints: file a pre-complaint (anyone) or a complaint online
// (verified identity), then "Mes démarches": the citizen's cases, their messages (the
// unit's notices included), replies, attachments, the receipt of a registered complaint,
// withdrawal. Refreshed live by case:updated on /citizen. Text only through textContent.

import { byId, el } from "./dom.js";
import { api, ApiError, citizenToken, currentPosition, spokenWhen } from "./services-api.js";

export const OFFENCES = { theft: "Vol", burglary: "Cambriolage", damage: "Dégradation", fraud: "Escroquerie" };
export const KINDS = { pre_complaint: "Pré-plainte", complaint: "Plainte en ligne" };
export const STATUSES = {
  received: "reçue", in_review: "en cours d'examen", needs_information: "compléments demandés",
  registered: "enregistrée", rejected: "rejetée", confirmed: "rendez-vous confirmé",
  rescheduled: "rendez-vous déplacé", withdrawn: "retirée", closed: "close",
};
const FINAL = ["withdrawn", "closed", "rejected"];
const AUTHORS = { citizen: "Vous", staff: "L'unité", system: "Avis" };
const TEXT = {
  forbidden: "Porter plainte en ligne demande une identité vérifiée (FranceConnect).",
  conflict: "Ce dossier ne peut plus être modifié, ou ce fichier y est déjà joint.",
  too_large: "Fichier trop volumineux (10 Mo au plus).",
  unsupported_type: "Seuls les fichiers JPEG, PNG et PDF sont acceptés.",
};

const ui = {
  form: byId("cases-form"), status: byId("cases-status"),
  identity: byId("cases-identity"), appointment: byId("cases-appointment"),
  needsLogin: byId("cases-needs-login"), login: byId("cases-login"),
  list: byId("cases-list"), detail: byId("cases-detail"), listState: byId("cases-list-state"),
};
const state = { verified: false, open: null };

const call = (method, path, body) => api(method, path, body, { bearer: citizenToken() });
const casePath = (id) => `/api/v1/cases/${encodeURIComponent(id)}`;

function say(node, text, warn = false) {
  node.textContent = text;
  node.classList.toggle("notice--warn", warn);
  node.hidden = !text;
}

function refusal(error) {
  return TEXT[error.code] ?? error.message;
}

function authHeaders() {
  const token = citizenToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// ---- filing ----

function chosenKind() {
  return ui.form.querySelector("input[name='case-kind']:checked")?.value ?? "pre_complaint";
}

function showKind() {
  const complaint = chosenKind() === "complaint";
  ui.identity.hidden = complaint;
  ui.appointment.hidden = complaint;
  ui.needsLogin.hidden = !complaint || state.verified;
  for (const input of ui.identity.querySelectorAll("input[data-required]")) input.required = !complaint;
}

function isoOrNull(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function goods(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [label, value] = line.split(";").map((part) => part.trim());
    const euros = Number((value ?? "").replace(",", ".").replace(/[^0-9.]/g, ""));
    return value && Number.isFinite(euros) ? { label, value_eur: euros } : { label };
  });
}

async function facts(form) {
  const value = (name) => String(form.get(name) ?? "").trim();
  const from = isoOrNull(value("occurred_from"));
  const to = isoOrNull(value("occurred_to"));
  if (!from || to === undefined) throw new ApiError("bad_request", "Indiquez quand les faits ont eu lieu.");
  if (!value("description")) throw new ApiError("bad_request", "Décrivez ce qui s'est passé.");
  const body = {
    facts: {
      offence: value("offence"), description: value("description"), occurred_from: from,
      occurred_to: to, address: value("address") || null, goods: goods(value("goods")),
    },
  };
  if (value("commune")) body.place = { commune: value("commune").toUpperCase() };
  else if (form.get("here") === "on") body.place = await currentPosition();
  return body;
}

async function file(event) {
  event.preventDefault();
  const form = new FormData(ui.form);
  const value = (name) => String(form.get(name) ?? "").trim();
  const complaint = chosenKind() === "complaint";
  if (complaint && !state.verified) {
    ui.needsLogin.hidden = false;
    return say(ui.status, TEXT.forbidden, true);
  }
  try {
    const body = await facts(form);
    if (!complaint) {
      body.declared_identity = {
        given_name: value("given_name"), family_name: value("family_name"), birthdate: value("birthdate"),
        email: value("email") || null, phone: value("phone") || null,
      };
      const at = isoOrNull(value("appointment_at"));
      if (at === undefined) throw new ApiError("bad_request", "L'heure du rendez-vous n'est pas valable.");
      if (at) body.appointment_at = at;
    }
    const created = await call("POST", complaint ? "/api/v1/complaints" : "/api/v1/pre-complaints", body);
    ui.form.reset();
    showKind();
    say(ui.status, `${KINDS[created.kind]} déposée : ${created.reference}. Suivez-la dans « Mes démarches ».`);
    await loadCases();
    await openCase(created.id);
  } catch (error) {
    say(ui.status, refusal(error), true);
  }
}

// ---- my cases ----

async function loadCases() {
  if (!citizenToken()) return;
  try {
    const { cases } = await call("GET", "/api/v1/cases");
    const mine = cases.filter((c) => c.kind in KINDS);
    ui.list.replaceChildren(...mine.map(caseItem));
    say(ui.listState, mine.length ? "" : "Aucune démarche pour le moment.");
  } catch (error) {
    say(ui.listState, refusal(error), true);
  }
}

function caseItem(found) {
  const open = el("button", { className: "services__link", attrs: { type: "button" } },
    el("strong", { text: found.reference }), ` — ${KINDS[found.kind]} — ${STATUSES[found.status] ?? found.status}`);
  open.addEventListener("click", () => openCase(found.id));
  const unread = found.unread ? el("span", { className: "badge badge--open cases__unread", text: "nouveau" }) : null;
  return el("li", { className: "cases__item", dataset: { case: found.id, status: found.status } }, open, " ", unread);
}

async function openCase(caseId) {
  state.open = caseId;
  try {
    showCase(await call("GET", casePath(caseId)));
    await loadCases();  // the read cleared the unread mark
  } catch (error) {
    say(ui.listState, refusal(error), true);
  }
}

function showCase(found) {
  const facts = found.facts ?? {};
  const live = !FINAL.includes(found.status);
  const heading = el("h3", { className: "citizen__subheading",
    text: `${found.reference} — ${KINDS[found.kind]} — ${STATUSES[found.status] ?? found.status}` });
  const lines = [
    `${OFFENCES[facts.offence] ?? ""} : ${facts.description ?? ""}`,
    found.appointment_at ? `Rendez-vous pour signer : ${spokenWhen(found.appointment_at)}` : "",
  ].filter(Boolean).map((text) => el("p", { text }));
  const messages = el("ol", { className: "cases__messages", attrs: { "aria-label": "Messages du dossier" } },
    ...found.messages.map((m) => el("li", { className: `cases__message cases__message--${m.author_role}` },
      el("span", { className: "field__hint", text: `${AUTHORS[m.author_role] ?? m.author_role} · ${spokenWhen(m.at)}` }),
      el("p", { text: m.text }))));
  const files = el("ul", { className: "cases__files", attrs: { "aria-label": "Pièces jointes" } },
    ...found.attachments.map((a) => el("li", { text: `${a.content_type} · ${Math.ceil(a.size / 1024)} Ko${a.metadata_stripped ? " · métadonnées retirées" : ""}` })));
  const note = el("p", { className: "notice", attrs: { id: "case-state", role: "status", hidden: "" } });
  const parts = [heading, ...lines, messages, files];
  if (live) parts.push(replyForm(found, note), attachForm(found, note));
  if (found.kind === "complaint" && ["registered", "closed"].includes(found.status)) {
    const receipt = el("button", { className: "btn", text: "Télécharger le récépissé (PDF)", attrs: { type: "button", id: "case-receipt" } });
    receipt.addEventListener("click", () => downloadReceipt(found, note));
    parts.push(receipt);
  }
  if (live) {
    const withdraw = el("button", { className: "btn btn--quiet", text: "Retirer ma démarche", attrs: { type: "button", id: "case-withdraw" } });
    withdraw.addEventListener("click", () => act(note, () => call("POST", `${casePath(found.id)}/withdraw`), "Démarche retirée."));
    parts.push(" ", withdraw);
  }
  parts.push(note);
  // A live refresh must not lose a reply being typed (a sent one is cleared first).
  const typing = ui.detail.dataset.case === found.id ? document.getElementById("case-reply")?.value ?? "" : "";
  ui.detail.dataset.case = found.id;
  ui.detail.replaceChildren(...parts);
  const reply = document.getElementById("case-reply");
  if (reply && typing) reply.value = typing;
  ui.detail.hidden = false;
}

async function act(note, run, done) {
  try {
    const changed = await run();
    if (changed?.id) showCase(changed);
    else await openCase(state.open);
    say(byId("case-state"), done);
    await loadCases();
  } catch (error) {
    say(note, refusal(error), true);
  }
}

function replyForm(found, note) {
  const text = el("textarea", { attrs: { id: "case-reply", rows: "2", maxlength: "4000", "aria-label": "Votre réponse" } });
  const form = el("form", { className: "cases__reply" }, text,
    el("button", { className: "btn", text: "Envoyer", attrs: { type: "submit" } }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    act(note, async () => {
      const changed = await call("POST", `${casePath(found.id)}/messages`, { text: text.value.trim() });
      text.value = "";  // sent: the refresh below must not put it back
      return changed;
    }, "Message envoyé.");
  });
  return form;
}

function attachForm(found, note) {
  const input = el("input", { attrs: { id: "case-file", type: "file", name: "file", accept: "image/jpeg,image/png,application/pdf" } });
  const strip = el("input", { attrs: { id: "case-strip", type: "checkbox", checked: "" } });
  const send = el("button", { className: "btn btn--quiet", text: "Joindre le fichier", attrs: { type: "submit" } });
  const form = el("form", { className: "cases__attach" },
    el("label", { text: "Joindre une photo ou un PDF ", attrs: { for: "case-file" } }), input,
    el("label", { className: "choice" }, strip, " Retirer les métadonnées (position, appareil…)"), send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.files?.length) return say(note, "Choisissez un fichier.", true);
    const body = new FormData();
    body.append("file", input.files[0]);
    body.append("strip_metadata", strip.checked ? "true" : "false");
    act(note, () => upload(found.id, body), "Fichier joint.");
  });
  return form;
}

async function upload(caseId, body) {
  let response;
  try {
    response = await fetch(`${casePath(caseId)}/attachments`, {
      method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json", ...authHeaders() },
    });
  } catch {
    throw new ApiError("offline", "Pas de connexion au serveur pour le moment.");
  }
  if (response.ok) return null;
  const answer = await response.json().catch(() => ({}));
  const code = answer?.error?.code ?? "internal";
  throw new ApiError(code, TEXT[code] ?? "Le fichier n'a pas pu être joint.");
}

async function downloadReceipt(found, note) {
  try {
    const response = await fetch(`${casePath(found.id)}/receipt`, { credentials: "same-origin", headers: authHeaders() });
    if (!response.ok) return say(note, "Le récépissé n'est pas encore disponible.", true);
    const url = URL.createObjectURL(await response.blob());
    el("a", { attrs: { href: url, download: `recepisse-${found.reference}.pdf` } }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch {
    say(note, "Pas de connexion au serveur pour le moment.", true);
  }
}

// ---- identity ----

async function whoAmI() {
  if (!citizenToken()) return;
  try {
    const me = await call("GET", "/api/v1/me");
    state.verified = me.verified === true;
  } catch {
    state.verified = false;
  }
  showKind();
}

/** Wire the section to the page's /citizen socket (its session and case:updated). */
export function bindCitizenCases(socket) {
  ui.form.addEventListener("submit", file);
  ui.form.addEventListener("change", (event) => { if (event.target.name === "case-kind") showKind(); });
  ui.login.addEventListener("click", () => byId("identity-login").click());
  showKind();
  // identity.js shows this line once a login has linked the token to a verified session.
  new MutationObserver(() => whoAmI()).observe(byId("identity-verified"), { attributes: true, attributeFilter: ["hidden"] });
  socket.on("session", (session) => {
    state.verified = session?.verified === true;
    // The page stores the token on the same event; read it once that is done.
    setTimeout(() => { whoAmI(); loadCases(); }, 0);
  });
  socket.on("case:updated", (event) => {
    loadCases();
    if (event?.case_id && event.case_id === state.open) openCase(state.open);
  });
}
