// "Documents" during a video appointment: the attachments of the appointment's case, with
// download links and an upload control (JPEG, PNG or PDF). Shared by the citizen's join
// page and the console's call view. The list is refreshed by a button and polled every
// POLL_MS while the call is open, so a file sent by the other side shows up by itself.
// Text only via textContent.

import { el } from "./dom.js";
import { ApiError, api } from "./services-api.js";

const POLL_MS = 5000;
const KIND = { "image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf" };
const UPLOAD_TEXT = {
  unsupported_type: "Seuls les fichiers JPEG, PNG et PDF sont acceptés.",
  too_large: "Ce fichier est trop volumineux.",
  conflict: "Le dossier n'accepte plus de fichiers.",
  rate_limited: "Trop d'envois en peu de temps. Patientez un instant.",
};

/** A panel for ``caseId``; ``bearer`` is the token to send (or none: the session cookie). */
export function caseDocuments(caseId, { bearer } = {}) {
  const path = `/api/v1/cases/${encodeURIComponent(caseId)}/attachments`;
  const headers = () => (bearer ? { Authorization: `Bearer ${bearer}` } : {});
  const list = el("ul", { className: "documents__list", attrs: { "aria-label": "Documents du dossier" } });
  const state = el("p", { className: "notice", attrs: { role: "status" } });
  state.hidden = true;
  const file = el("input", { attrs: { type: "file", accept: "image/jpeg,image/png,application/pdf", "aria-label": "Fichier à joindre" } });
  const send = el("button", { className: "btn btn--quiet", text: "Joindre au dossier", attrs: { type: "button" } });
  const refreshButton = el("button", { className: "btn btn--quiet", text: "Actualiser", attrs: { type: "button" } });
  const node = el("section", { className: "documents", dataset: { case: caseId }, attrs: { "aria-label": "Documents" } },
    el("h2", { className: "citizen__heading", text: "Documents" }), state, list,
    el("div", {}, file, " ", send, " ", refreshButton));
  let timer = null;

  const say = (text, warn = false) => {
    state.textContent = text;
    state.classList.toggle("notice--warn", warn);
    state.hidden = !text;
  };

  async function refresh() {
    try {
      const { attachments } = await api("GET", path, undefined, { bearer });
      list.replaceChildren(...attachments.map(item));
      if (!attachments.length) list.append(el("li", { text: "Aucun document pour l'instant." }));
      if (state.classList.contains("notice--warn")) say("");
    } catch (error) {
      say(error.code === "not_found" ? "Les documents de ce dossier ne vous sont pas accessibles." : error.message, true);
    }
  }

  function item(attachment) {
    const name = `${attachment.sha256.slice(0, 16)}.${KIND[attachment.content_type] ?? "bin"}`;
    const link = el("button", { className: "btn btn--quiet", text: "Télécharger", attrs: { type: "button" } });
    link.addEventListener("click", () => download(attachment.sha256, name));
    const who = attachment.author_role === "citizen" ? "envoyé par la personne" : "envoyé par l'enquêteur";
    return el("li", { dataset: { sha256: attachment.sha256 } },
      el("span", { className: "documents__name", text: name }),
      ` · ${Math.ceil(attachment.size / 1024)} Ko · ${who} `, link);
  }

  async function download(sha256, name) {
    try {
      const response = await fetch(`${path}/${sha256}`, { credentials: "same-origin", headers: headers() });
      if (!response.ok) return say("Ce document n'est pas disponible.", true);
      const url = URL.createObjectURL(await response.blob());
      el("a", { attrs: { href: url, download: name } }).click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch {
      say("Pas de connexion au serveur pour le moment.", true);
    }
  }

  async function upload() {
    if (!file.files?.length) return say("Choisissez d'abord un fichier.", true);
    const body = new FormData();
    body.append("file", file.files[0]);
    send.disabled = true;
    try {
      const response = await fetch(path, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json", ...headers() },
      });
      if (!response.ok) {
        const code = (await response.json().catch(() => ({})))?.error?.code ?? "internal";
        throw new ApiError(code, UPLOAD_TEXT[code] ?? "Le fichier n'a pas pu être joint.");
      }
      file.value = "";
      say("Document joint au dossier.");
      await refresh();
    } catch (error) {
      say(error.code === "offline" || error instanceof TypeError ? "Pas de connexion au serveur pour le moment." : error.message, true);
    } finally {
      send.disabled = false;
    }
  }

  send.addEventListener("click", upload);
  refreshButton.addEventListener("click", refresh);
  return {
    node,
    refresh,
    start() {
      refresh();
      if (!timer) timer = setInterval(refresh, POLL_MS);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}

/** What the join page says when the appointment has no case to exchange documents on. */
export const NO_CASE_TEXT = "Aucun dossier n'est lié à ce rendez-vous : des documents ne peuvent être "
  + "échangés pendant l'appel que pour un rendez-vous pris avec un dossier (plainte en ligne).";
