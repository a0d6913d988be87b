// Small DOM and formatting helpers shared by both pages. User text only ever goes through
// textContent (via el()), never through innerHTML.

export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  const { className, text, attrs, dataset } = options;
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, String(value));
  for (const [name, value] of Object.entries(dataset ?? {})) node.dataset[name] = String(value);
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}

const timeFormat = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit" });

export function formatClock(iso) {
  const date = iso ? new Date(iso) : new Date();
  return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
}

export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min${total % 60 ? ` ${total % 60} s` : ""}`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function secondsSince(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? 0 : (Date.now() - date.getTime()) / 1000;
}

export function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const SERVICE_LABELS = {
  police: "Police nationale",
  gendarmerie: "Gendarmerie nationale",
  auto: "Police ou gendarmerie",
  any: "Police ou gendarmerie",
};

export function serviceLabel(service) {
  return SERVICE_LABELS[service] ?? service ?? "";
}

export async function loadTopics() {
  try {
    const response = await fetch("/api/v1/topics", { headers: { Accept: "application/json" } });
    if (!response.ok) return [];
    const body = await response.json();
    return Array.isArray(body.topics) ? body.topics : [];
  } catch {
    return [];
  }
}
