// The result panels' small SVG charts (the altitude profile, the engagement map's colour scale)
// and the margin -> colour scale shared with the map drawn on the globe. Built with DOM calls.
import { el, fmt } from "./dom.js";

// intercept margin (s) -> colour: red (just in time) through yellow to green (a minute or more)
export function marginColor(m, max) {
  const x = Math.max(0, Math.min(1, m / Math.max(max || 1, 1)));
  const r = x < 0.5 ? 230 : Math.round(230 - (x - 0.5) * 2 * 200);
  const g = x < 0.5 ? Math.round(60 + x * 2 * 160) : Math.round(220 - (x - 0.5) * 2 * 30);
  return [r, g, 60];
}
export function mapLegend(max) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 300 34");
  svg.setAttribute("class", "legend");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Colour scale: intercept margin from 0 s (red) to ${fmt(max, 0)} s (green); no colour: no intercept`);
  for (let i = 0; i < 30; i++) {
    const [r, g, b] = marginColor((i + 0.5) / 30 * (max || 1), max);
    const rect = document.createElementNS(NS, "rect");
    for (const [k, v] of Object.entries({ x: 10 + i * 9, y: 2, width: 9, height: 12, fill: `rgb(${r},${g},${b})` })) rect.setAttribute(k, v);
    svg.append(rect);
  }
  for (const [x, t, a] of [[10, "0 s", "start"], [280, `${fmt(max, 0)} s`, "end"]]) {
    const tx = document.createElementNS(NS, "text");
    tx.setAttribute("x", x); tx.setAttribute("y", 28); tx.setAttribute("text-anchor", a);
    tx.textContent = t;
    svg.append(tx);
  }
  return el("figure", { class: "chart-box" }, svg, el("figcaption", { text: "Margin by which the intercept beats burnout, per orbit centre (s); uncoloured cells: no intercept in time." }));
}

// altitude vs ground range, as SVG built with DOM calls (no innerHTML)
export function altitudeChart(res) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 340, H = 180, L = 48, R = 22, T = 10, B = 34;
  const x = res.track.range_km, y = res.track.alt_km;
  const xmax = Math.max(...x) || 1, ymax = Math.max(...y) || 1;
  const sx = (v) => L + (v / xmax) * (W - L - R), sy = (v) => H - B - (v / ymax) * (H - T - B);
  const svg = document.createElementNS(NS, "svg");
  const a = (e, attrs) => { for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  a(svg, { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `Altitude against ground range: apogee ${fmt(ymax, 0)} km, range ${fmt(xmax, 0)} km` });
  const line = (x1, y1, x2, y2, cls) => svg.append(a(document.createElementNS(NS, "line"), { x1, y1, x2, y2, class: cls }));
  const text = (tx, ty, s, anchor) => { const t = a(document.createElementNS(NS, "text"), { x: tx, y: ty, "text-anchor": anchor || "middle" }); t.textContent = s; svg.append(t); };
  line(L, H - B, W - R, H - B, "axis");
  line(L, T, L, H - B, "axis");
  for (let k = 0; k <= 4; k++) {
    text(sx((xmax * k) / 4), H - B + 14, fmt((xmax * k) / 4, 0));
    text(L - 4, sy((ymax * k) / 4) + 4, fmt((ymax * k) / 4, 0), "end");
  }
  text((L + W - R) / 2, H - 4, "ground range (km)");
  const yl = a(document.createElementNS(NS, "text"), { x: 10, y: (T + H - B) / 2, transform: `rotate(-90 10 ${(T + H - B) / 2})`, "text-anchor": "middle" });
  yl.textContent = "altitude (km)";
  svg.append(yl);
  const pts = x.map((v, i) => `${sx(v).toFixed(1)},${sy(y[i]).toFixed(1)}`).join(" ");
  svg.append(a(document.createElementNS(NS, "polyline"), { points: pts, class: "track" }));
  const ev = res.events;
  const bi = res.track.t_s.findIndex((t) => t >= ev.burnout.t_s);
  if (bi >= 0) svg.append(a(document.createElementNS(NS, "circle"), { cx: sx(x[bi]), cy: sy(y[bi]), r: 3.5, class: "burnout" }));
  const ai = y.indexOf(ymax);
  svg.append(a(document.createElementNS(NS, "circle"), { cx: sx(x[ai]), cy: sy(y[ai]), r: 3.5, class: "apogee" }));
  return el("figure", { class: "chart-box" }, svg, el("figcaption", { text: "Altitude against ground range; dots: burnout (yellow) and apogee (green)." }));
}

const svgEl = (tag, attrs, text) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

// An ensemble output's quantiles as a strip: the 5-95 % whiskers, the 25-75 % box, the median
// (bar) and the mean (dot), on an axis from the 5 % to the 95 % quantile (the API gives
// quantiles, not samples, so this is the honest picture of them). `o`: {quantiles, mean}.
export function quantileStrip(o, label, digits) {
  const q = o.quantiles;
  const W = 340, H = 74, L = 20, R = 20, y = 26;
  const lo = q.q05, hi = q.q95;
  const span = hi - lo || Math.abs(hi) || 1;
  const sx = (v) => L + ((v - lo) / span) * (W - L - R) * (hi === lo ? 0 : 1) + (hi === lo ? (W - L - R) / 2 : 0);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart strip", role: "img",
    "aria-label": `${label}: 5 % ${fmt(lo, digits)}, 25 % ${fmt(q.q25, digits)}, median ${fmt(q.q50, digits)}, ` +
      `75 % ${fmt(q.q75, digits)}, 95 % ${fmt(hi, digits)}, mean ${fmt(o.mean, digits)}` });
  svg.append(svgEl("line", { x1: sx(lo), y1: y, x2: sx(hi), y2: y, class: "whisker" }));
  for (const v of [lo, hi]) svg.append(svgEl("line", { x1: sx(v), y1: y - 7, x2: sx(v), y2: y + 7, class: "whisker" }));
  if (q.q25 !== undefined && q.q75 !== undefined) {
    svg.append(svgEl("rect", { x: sx(q.q25), y: y - 10, width: Math.max(1, sx(q.q75) - sx(q.q25)), height: 20, class: "iqr" }));
  }
  svg.append(svgEl("line", { x1: sx(q.q50), y1: y - 12, x2: sx(q.q50), y2: y + 12, class: "median" }));
  if (o.mean !== null && o.mean !== undefined) svg.append(svgEl("circle", { cx: sx(o.mean), cy: y, r: 3.5, class: "mean" }));
  svg.append(svgEl("text", { x: sx(lo), y: y + 26, "text-anchor": "start" }, fmt(lo, digits)));
  svg.append(svgEl("text", { x: sx(hi), y: y + 26, "text-anchor": "end" }, fmt(hi, digits)));
  svg.append(svgEl("text", { x: W / 2, y: H - 2, "text-anchor": "middle" }, label));
  return el("figure", { class: "chart-box" }, svg, el("figcaption", {
    text: "Line: 90 % of outcomes (5 % to 95 % quantile); box: the middle half; bar: median; dot: mean." }));
}

// An ensemble probability with its 95 % interval, on a 0-100 % axis. `p`: {p, ci95}.
export function probabilityBar(p, label) {
  const W = 340, H = 62, L = 20, R = 20, y = 22;
  const sx = (v) => L + v * (W - L - R);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart strip", role: "img",
    "aria-label": `Probability of ${label}: ${fmt(100 * p.p, 0)} %, 95 % interval ${fmt(100 * p.ci95[0], 0)} to ${fmt(100 * p.ci95[1], 0)} %` });
  svg.append(svgEl("rect", { x: sx(0), y: y - 8, width: sx(1) - sx(0), height: 16, class: "track-bg" }));
  svg.append(svgEl("rect", { x: sx(0), y: y - 8, width: Math.max(0, sx(p.p) - sx(0)), height: 16, class: "iqr" }));
  svg.append(svgEl("line", { x1: sx(p.ci95[0]), y1: y, x2: sx(p.ci95[1]), y2: y, class: "whisker" }));
  for (const v of p.ci95) svg.append(svgEl("line", { x1: sx(v), y1: y - 6, x2: sx(v), y2: y + 6, class: "whisker" }));
  for (const [v, a] of [[0, "start"], [0.5, "middle"], [1, "end"]]) svg.append(svgEl("text", { x: sx(v), y: y + 22, "text-anchor": a }, `${fmt(100 * v, 0)} %`));
  svg.append(svgEl("text", { x: W / 2, y: H - 2, "text-anchor": "middle" }, `P(${label})`));
  return el("figure", { class: "chart-box" }, svg, el("figcaption", { text: "Bar: the probability over the samples; line: its 95 % interval." }));
}
