// Supervisor desk: find a conversation (reference, state, topic, dates) with
// supervision:search, then export it for the court through the HTTP export route,
// with the mandatory reason that the evidence log keeps.

import { byId, el, serviceLabel } from "./dom.js";
import { formatDateTime, shortReference } from "./staff-format.js";

const TOKEN_KEY = "rtc-gateway.agent.token";
const STATUS_TEXT = { queued: "En attente", assigned: "Prise en charge", open: "Ouverte", closed: "Terminée" };
const EXPORT_ERRORS = {
  unauthorized: "Votre jeton a expiré : reconnectez-vous.",
  forbidden: "Votre rôle ne permet pas d'exporter.",
  not_found: "Cette conversation n'est pas dans le journal de preuve.",
  conflict: "Un enregistrement vidéo manque : décochez « inclure les enregistrements » ou faites-le restaurer.",
  bad_request: "Le motif de l'export est obligatoire (500 caractères au plus).",
};

export class SupervisorSearch {
  constructor(state, request) {
    this.state = state;
    this.request = request;
    this.exporting = null;
    this.ui = {
      form: byId("search-form"),
      query: byId("search-query"),
      status: byId("search-status"),
      topic: byId("search-topic"),
      from: byId("search-from"),
      to: byId("search-to"),
      state: byId("search-state"),
      table: byId("search-results"),
      rows: byId("search-rows"),
      exportForm: byId("export-form"),
      exportTitle: byId("export-title"),
      reason: byId("export-reason"),
      media: byId("export-media"),
      exportState: byId("export-state"),
    };
    this.setTopics(state.topics);
    this.ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run().catch((error) => { this.ui.state.textContent = `Recherche impossible : ${error.message}`; });
    });
    this.ui.exportForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.download().catch(() => { this.ui.exportState.textContent = "Export impossible : le serveur ne répond pas."; });
    });
    byId("export-cancel").addEventListener("click", () => this.closeExport());
  }

  setTopics(topics) {
    const keep = this.ui.topic.value;
    this.ui.topic.replaceChildren(
      el("option", { text: "tous", attrs: { value: "" } }),
      ...topics.map((t) => el("option", { text: t.label, attrs: { value: t.id } })),
    );
    this.ui.topic.value = keep;
  }

  async run() {
    const payload = { query: this.ui.query.value.trim() };
    if (this.ui.status.value) payload.status = this.ui.status.value;
    if (this.ui.topic.value) payload.topic = this.ui.topic.value;
    if (this.ui.from.value) payload.opened_from = this.ui.from.value;
    if (this.ui.to.value) payload.opened_to = this.ui.to.value;
    this.ui.state.textContent = "Recherche…";
    const reply = await this.request(this.state.socket, "supervision:search", payload);
    const found = reply.conversations ?? [];
    this.ui.rows.replaceChildren(...found.map((c) => this.row(c)));
    this.ui.table.hidden = found.length === 0;
    this.ui.state.textContent = found.length === 0 ? "Aucune conversation ne correspond."
      : `${found.length} conversation${found.length > 1 ? "s" : ""} trouvée${found.length > 1 ? "s" : ""}.`;
  }

  row(c) {
    const exportButton = el("button", { className: "btn btn--quiet", text: "Exporter", attrs: { type: "button" } });
    exportButton.addEventListener("click", () => this.openExport(c));
    const words = c.first_words ? `« ${c.first_words} »` : "";
    return el(
      "tr",
      { dataset: { conversationId: c.id, status: c.status } },
      el("td", {}, el("code", { text: c.id, attrs: { title: `Réf. ${shortReference(c)}` } })),
      el("td", {},
        el("span", { className: "agent__item-title", text: c.topic_label }),
        el("span", { className: "agent__item-meta", text: ` ${serviceLabel(c.service)}${c.discreet ? " · alerte discrète" : ""}` }),
        words ? el("div", { className: "agent__item-words", text: words }) : null),
      el("td", { text: STATUS_TEXT[c.status] ?? c.status }),
      el("td", { text: formatDateTime(c.opened_at) }),
      el("td", {}, exportButton),
    );
  }

  openExport(conversation) {
    this.exporting = conversation;
    this.ui.exportTitle.textContent = `Exporter la conversation ${conversation.id} (${conversation.topic_label})`;
    this.ui.exportState.textContent = "";
    this.ui.exportForm.hidden = false;
    this.ui.reason.focus();
  }

  closeExport() {
    this.exporting = null;
    this.ui.exportForm.hidden = true;
  }

  async download() {
    const conversation = this.exporting;
    const reason = this.ui.reason.value.trim();
    if (!conversation) return;
    if (!reason) {
      this.ui.exportState.textContent = EXPORT_ERRORS.bad_request;
      this.ui.reason.focus();
      return;
    }
    this.ui.exportState.textContent = "Préparation de l'export…";
    const response = await fetch(`/api/v1/conversations/${encodeURIComponent(conversation.id)}/export`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ""}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ reason, include_media: this.ui.media.checked }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const code = body?.error?.code ?? "";
      this.ui.exportState.textContent = `Export refusé : ${EXPORT_ERRORS[code] ?? `erreur ${response.status}.`}`;
      return;
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = el("a", { attrs: { href: url, download: `evidence-${conversation.id}.zip` } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.ui.reason.value = "";
    this.ui.exportState.textContent = `Export téléchargé (${Math.ceil(blob.size / 1024)} Ko) ; il est consigné au journal de preuve avec son motif.`;
  }
}
