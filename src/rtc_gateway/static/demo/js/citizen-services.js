// Citizen page, citizen services: find the competent police station or gendarmerie
// brigade (GET /api/v1/units), and read, search and follow prevention advice
// (GET /api/v1/advice..., advice:subscribe / advice:missed / advice:new on /citizen).
// Every text from the server is written with textContent (el()), never as HTML.

import { byId, el, serviceLabel } from "./dom.js";
import { request } from "./connection.js";

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const LOCATION_TIMEOUT_MS = 8000;
const LATEST = 6;
const INSEE_CODE = /^(?:\d{5}|2[AB]\d{3})$/;
const ERRORS = {
  bad_request: "Vérifiez votre saisie : un code commune INSEE compte 5 caractères (ex. 69123).",
  not_found: "Cette commune n'est pas encore dans l'annuaire.",
  rate_limited: "Trop de recherches d'affilée : réessayez dans un instant.",
};

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = body?.error?.code ?? "unavailable";
    throw new Error(ERRORS[code] ?? "Le service ne répond pas pour le moment.");
  }
  return body;
}

// ---- units --------------------------------------------------------------------------

function todayHours(hours) {
  const ranges = hours?.[DAYS[new Date().getDay()]] ?? [];
  if (ranges.length === 0) return "Fermé aujourd'hui";
  if (ranges.length === 1 && ranges[0] === "00:00-24:00") return "Ouvert 24 h/24";
  return `Aujourd'hui : ${ranges.map((r) => r.replace("-", "–")).join(", ")}`;
}

function unitItem(unit) {
  const phone = unit.phone
    ? el("a", { className: "services__phone", text: unit.phone,
                attrs: { href: `tel:${unit.phone.replace(/[^0-9+]/g, "")}` } })
    : null;
  const distance = typeof unit.distance_km === "number"
    ? el("span", { className: "services__distance",
                   text: `${unit.distance_km.toLocaleString("fr-FR")} km` })
    : null;
  return el("li", { className: "services__unit", dataset: { unit: unit.id } },
    el("h3", { className: "services__unit-name", text: unit.name }),
    el("p", { text: `${unit.address}, ${unit.postcode} ${unit.commune}`.replace(/, $/, "") }),
    el("p", { className: "services__meta" },
      el("span", { className: unit.open_now ? "badge badge--open" : "badge badge--closed",
                   text: unit.open_now ? "Ouvert maintenant" : "Fermé actuellement" }),
      " ", el("span", { text: todayHours(unit.hours) }), " ", distance),
    phone ? el("p", {}, "Téléphone : ", phone) : null);
}

function showUnits(answer, ui) {
  ui.unitsResult.replaceChildren();
  const force = serviceLabel(answer.force);
  const where = answer.commune ? ` pour ${answer.commune.name}` : "";
  ui.unitsResult.append(el("p", { className: "services__force",
                                  text: `Service compétent${where} : ${force}` }));
  if (answer.coverage === "approximate") {
    ui.unitsResult.append(el("p", { className: "field__hint",
      text: "Ce lieu n'est pas encore dans l'annuaire : le service indiqué est une estimation." }));
  }
  if (answer.units.length === 0) {
    ui.unitsResult.append(el("p", { text: "Aucun accueil du public trouvé à proximité." }));
    return;
  }
  ui.unitsResult.append(el("ol", { className: "services__units" }, ...answer.units.map(unitItem)));
}

async function findUnits(query, ui) {
  ui.unitsError.hidden = true;
  ui.unitsResult.replaceChildren(el("p", { className: "field__hint", text: "Recherche…" }));
  try {
    showUnits(await getJson(`/api/v1/units?${query}`), ui);
  } catch (error) {
    ui.unitsResult.replaceChildren();
    ui.unitsError.textContent = error.message;
    ui.unitsError.hidden = false;
  }
}

function bindUnits(ui) {
  ui.unitsForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = ui.commune.value.trim().toUpperCase();
    if (!INSEE_CODE.test(code)) {
      ui.unitsResult.replaceChildren();
      ui.unitsError.textContent = ERRORS.bad_request;
      ui.unitsError.hidden = false;
      return;
    }
    findUnits(new URLSearchParams({ commune: code }).toString(), ui);
  });
  ui.locate.addEventListener("click", () => {
    if (!navigator.geolocation) {
      ui.unitsError.textContent = "Votre navigateur ne donne pas votre position.";
      ui.unitsError.hidden = false;
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => findUnits(new URLSearchParams({
        lat: position.coords.latitude.toFixed(5), lon: position.coords.longitude.toFixed(5),
      }).toString(), ui),
      () => {
        ui.unitsError.textContent = "Position indisponible : saisissez le code de la commune.";
        ui.unitsError.hidden = false;
      },
      { timeout: LOCATION_TIMEOUT_MS, maximumAge: 60000 });
  });
}

// ---- advice -------------------------------------------------------------------------

function block(part) {
  if (part.type === "heading") return el(part.level <= 2 ? "h4" : "h5", { text: part.text });
  if (part.type === "list") {
    return el(part.ordered ? "ol" : "ul", {}, ...part.items.map((item) => el("li", { text: item })));
  }
  if (part.type === "quote") return el("blockquote", { text: part.text });
  return el("p", { text: part.text });
}

async function openArticle(id, ui) {
  try {
    const article = await getJson(`/api/v1/advice/${encodeURIComponent(id)}`);
    ui.article.replaceChildren(
      el("p", { className: "services__theme", text: article.theme_label }),
      el("h3", { id: "advice-article-title", text: article.title }),
      el("p", { className: "citizen__lead", text: article.summary }),
      ...article.blocks.map(block),
      el("button", { className: "btn btn--quiet", text: "Fermer le conseil",
                     attrs: { type: "button", id: "advice-article-close" } }));
    ui.article.hidden = false;
    byId("advice-article-close").addEventListener("click", () => { ui.article.hidden = true; });
    ui.article.focus();
  } catch (error) {
    ui.adviceError.textContent = error.message;
    ui.adviceError.hidden = false;
  }
}

function adviceItem(advice, ui) {
  const open = el("button", { className: "services__link", text: advice.title,
                              attrs: { type: "button" }, dataset: { advice: advice.id } });
  open.addEventListener("click", () => openArticle(advice.id, ui));
  return el("li", { className: "services__advice" }, open,
            el("p", { className: "field__hint", text: advice.summary }));
}

async function searchAdvice(ui) {
  ui.adviceError.hidden = true;
  const params = new URLSearchParams();
  if (ui.theme.value) params.set("theme", ui.theme.value);
  if (ui.query.value.trim()) params.set("q", ui.query.value.trim());
  try {
    const { advice } = await getJson(`/api/v1/advice?${params}`);
    const browsing = params.size === 0 && advice.length > LATEST;
    const shown = browsing ? advice.slice(0, LATEST) : advice;
    ui.adviceList.replaceChildren(...shown.map((a) => adviceItem(a, ui)));
    if (browsing) {
      ui.adviceList.append(el("li", { className: "field__hint",
        text: "Les plus récents. Choisissez un thème ou cherchez pour voir les autres." }));
    }
    if (advice.length === 0) {
      ui.adviceList.append(el("li", { text: "Aucun conseil ne correspond à votre recherche." }));
    }
  } catch (error) {
    ui.adviceError.textContent = error.message;
    ui.adviceError.hidden = false;
  }
}

function showNews(items, heading, ui) {
  if (items.length === 0) return;
  ui.news.hidden = false;
  ui.newsTitle.textContent = heading;
  ui.newsList.prepend(...items.map((a) => adviceItem(a, ui)));
}

function followedThemes(ui) {
  return [...ui.follow.querySelectorAll("input:checked")].map((input) => input.value);
}

async function loadThemes(socket, ui) {
  const { themes } = await getJson("/api/v1/advice/themes");
  ui.theme.append(...themes.map((t) => el("option", { text: t.label, attrs: { value: t.id } })));
  ui.follow.replaceChildren(...themes.map((t) => el("label", { className: "choice" },
    el("input", { attrs: { type: "checkbox", value: t.id, name: "follow" } }), ` ${t.label}`)));
  ui.follow.addEventListener("change", async () => {
    try {
      const reply = await request(socket, "advice:subscribe", { themes: followedThemes(ui) });
      ui.followState.textContent = reply.themes.length
        ? "Vous serez prévenu des nouveaux conseils de ces thèmes."
        : "Vous ne suivez aucun thème.";
    } catch (error) {
      ui.followState.textContent = error.message;
    }
  });
}

async function catchUp(socket, ui) {
  try {
    const reply = await request(socket, "advice:missed", {});
    for (const input of ui.follow.querySelectorAll("input")) {
      input.checked = reply.themes.includes(input.value);
    }
    showNews(reply.advice, "Nouveaux conseils depuis votre dernière visite", ui);
  } catch {
    // The advice is still readable; only the news are missing.
  }
}

export function bindCitizenServices(socket) {
  const ui = {
    unitsForm: byId("units-form"), commune: byId("units-commune"), locate: byId("units-locate"),
    unitsResult: byId("units-result"), unitsError: byId("units-error"),
    adviceForm: byId("advice-form"), theme: byId("advice-theme"), query: byId("advice-query"),
    adviceList: byId("advice-list"), adviceError: byId("advice-error"),
    article: byId("advice-article"), follow: byId("advice-follow"),
    followState: byId("advice-follow-state"), news: byId("advice-news"),
    newsTitle: byId("advice-news-title"), newsList: byId("advice-news-list"),
  };
  bindUnits(ui);
  ui.adviceForm.addEventListener("submit", (event) => {
    event.preventDefault();
    searchAdvice(ui);
  });
  ui.theme.addEventListener("change", () => searchAdvice(ui));
  const themesLoaded = loadThemes(socket, ui).then(() => searchAdvice(ui)).catch(() => {
    ui.adviceError.textContent = "Les conseils ne sont pas disponibles pour le moment.";
    ui.adviceError.hidden = false;
  });
  socket.on("connect", () => { themesLoaded.then(() => catchUp(socket, ui)); });
  socket.on("advice:new", (event) => showNews([event.advice], "Nouveau conseil", ui));
}
