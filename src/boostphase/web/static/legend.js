// The globe's legend: a small box over the globe listing colour -> meaning for every overlay that
// is drawn. Each layer registers its entries when it draws (drawing and legend live side by side
// in app.js, so a new overlay cannot forget its entry); the box shows the entries of the layers
// on screen and is rebuilt whenever one is drawn, cleared, shown or hidden.
//
// An entry: {kind, color, label}; kind is "line", "dash", "point", "ring" (an outline), "dot"
// (one of many impact points, coloured by territory: listed under one heading, most frequent
// first, the long tail folded), "ramp" ({stops: [css colours], from, to}: a colour scale) or
// "note" (a line of text, no colour).
import { el } from "./dom.js";

const SHOWN_DOTS = 6; // territories listed before the rest fold into "N more"

export function createLegend(container) {
  const layers = new Map(); // layer name -> entries
  const list = el("div", { class: "legend-body" });
  const box = el("details", { class: "legend-box", id: "legend", open: true },
    el("summary", { text: "Legend" }), list);
  box.hidden = true;
  container.append(box);

  function key(e) {
    const k = el("span", { class: `key key-${e.kind}`, "aria-hidden": "true" });
    if (e.kind === "ramp") k.style.background = `linear-gradient(to right, ${e.stops.join(", ")})`;
    else k.style.setProperty("--c", e.color);
    return k;
  }
  function item(e) {
    if (e.kind === "note") return el("li", { class: "note", dataset: { kind: "note" }, text: e.label });
    const li = el("li", { dataset: { kind: e.kind, color: e.color || "" } }, key(e));
    if (e.kind === "ramp") li.append(el("span", { text: `${e.label}: ${e.from} → ${e.to}` }));
    else li.append(el("span", { text: e.label }));
    return li;
  }

  // `visible`: the names of the layers on screen, in the order their entries should appear
  function render(visible) {
    const seen = new Set();
    const lines = [];
    const dots = new Map(); // territory -> {entry, weight}
    for (const name of visible) {
      for (const e of layers.get(name) || []) {
        if (e.kind === "dot") {
          const d = dots.get(e.label) || { entry: e, weight: 0 };
          d.weight += e.weight || 1;
          dots.set(e.label, d);
          continue;
        }
        // one line per kind and colour: a layer drawn over another (the engagement map's launch
        // point under the engagement's) does not repeat it
        const k = e.kind === "note" ? e.label : `${e.kind}|${e.color}`;
        if (!seen.has(k)) { seen.add(k); lines.push(e); }
      }
    }
    const parts = [];
    if (lines.length) parts.push(el("ul", {}, ...lines.map(item)));
    if (dots.size) {
      const sorted = [...dots.values()].sort((a, b) => b.weight - a.weight).map((d) => d.entry);
      parts.push(el("p", { class: "legend-head", text: "Impact points, by territory" }));
      parts.push(el("ul", { class: "dots" }, ...sorted.slice(0, SHOWN_DOTS).map(item)));
      if (sorted.length > SHOWN_DOTS) {
        const rest = sorted.slice(SHOWN_DOTS);
        parts.push(el("details", { class: "legend-more" }, el("summary", { text: `${rest.length} more` }),
          el("ul", { class: "dots" }, ...rest.map(item))));
      }
    }
    list.replaceChildren(...parts);
    box.hidden = parts.length === 0;
  }

  return {
    set(layer, entries) { if (entries && entries.length) layers.set(layer, entries); else layers.delete(layer); },
    render,
    entries: (layer) => layers.get(layer) || [],
  };
}
