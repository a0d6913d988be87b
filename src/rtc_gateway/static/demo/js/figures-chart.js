// Horizontal bar charts of the THESEE desk's figures, drawn as inline SVG with
// createElementNS (no library, no markup strings), labels through textContent, each
// followed by the same numbers as a table for screen readers and for reading exactly.

import { el } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const LABEL_W = 160;
const VALUE_W = 34;
const ROW_H = 22;
const BAR_H = 14;
let chartCount = 0;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function bars(entries, titleId) {
  const height = Math.max(1, entries.length) * ROW_H + 4;
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const room = WIDTH - LABEL_W - VALUE_W;
  const drawing = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "chart__svg",
                               role: "img", "aria-labelledby": titleId, focusable: "false" });
  entries.forEach(([label, n], row) => {
    const y = row * ROW_H + 4;
    const width = Math.round((n / max) * room);
    drawing.append(
      svg("text", { x: LABEL_W - 8, y: y + BAR_H - 3, "text-anchor": "end", class: "chart__label" }, label),
      svg("rect", { x: LABEL_W, y, width, height: BAR_H, rx: 2, class: "chart__bar",
                    "data-label": label, "data-value": n }),
      svg("text", { x: LABEL_W + width + 6, y: y + BAR_H - 3, class: "chart__value" }, n));
  });
  return drawing;
}

function table(caption, heading, entries) {
  const body = el("tbody", {}, ...entries.map(([label, n]) =>
    el("tr", {}, el("th", { text: label, attrs: { scope: "row" } }), el("td", { text: n }))));
  return el("details", { className: "chart__table" },
    el("summary", { text: "Voir en tableau" }),
    el("table", {},
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, el("th", { text: heading, attrs: { scope: "col" } }),
                                    el("th", { text: "Dossiers", attrs: { scope: "col" } }))),
      body));
}

/** A titled bar chart of `entries` ([label, count] pairs) with its table. */
export function barChart(name, title, heading, entries) {
  chartCount += 1;
  const titleId = `chart-${name}-${chartCount}`;
  return el("figure", { className: "chart", dataset: { chart: name } },
    el("figcaption", { text: title, attrs: { id: titleId } }),
    entries.length ? bars(entries, titleId) : el("p", { className: "field__hint", text: "Aucun dossier." }),
    table(title, heading, entries));
}

/** "2026-W49" as a French reader expects it. */
export function weekLabel(isoWeek) {
  const match = /^(\d{4})-W(\d{2})$/.exec(isoWeek);
  return match ? `sem. ${Number(match[2])} (${match[1]})` : isoWeek;
}
