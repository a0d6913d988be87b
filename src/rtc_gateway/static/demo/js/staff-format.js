// How staff pages spell a conversation: its reference, its first words, its place.

import { formatClock } from "./dom.js";

const FIRST_WORDS = 60;
const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "short" });

/** The reference the citizen also sees (and quotes), as the gateway gives it. */
export function shortReference(conversation) {
  return String(conversation?.reference ?? "");
}

export function firstWords(text, limit = FIRST_WORDS) {
  const clean = String(text ?? "").replace(/\s+/g, " ").trim();
  if (clean.length <= limit) return clean;
  const cut = clean.slice(0, limit);
  const space = cut.lastIndexOf(" ");
  return `${space > limit / 2 ? cut.slice(0, space) : cut}…`;
}

/** "Lyon" inside the area, "à 12 km de Lyon" outside it (`place` from the staff view). */
export function placeName(place) {
  if (!place) return "position partagée";
  if (place.inside || place.distance_km < 1) return place.name;
  return `à ${Math.round(place.distance_km)} km de ${place.name}`;
}

export function mapLink(location) {
  const lat = Number(location.lat).toFixed(5);
  const lon = Number(location.lon).toFixed(5);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}

export function presenceText(presence) {
  if (!presence) return "";
  const at = formatClock(presence.at);
  return presence.connected ? `Citoyen connecté (depuis ${at})` : `Le citoyen a quitté la conversation à ${at}.`;
}

export function formatDateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : dateTime.format(date);
}
