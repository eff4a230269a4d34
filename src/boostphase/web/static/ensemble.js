// The answer of a panel whose request held distributions: the server's ensemble report
// (`ensemble`: n, seed, inputs, outputs.NAME.quantiles/mean, probabilities.NAME.p/ci95/n,
// headline, convergence, sensitivity) shown as a headline sentence in plain words, a quantile
// strip (or a probability bar) of the headline output, tables of the main outputs' quantiles, the
// probabilities with their 95 % intervals and the sensitivity ranking. Only what the API returned
// is shown: the page computes no statistics of its own.
import { el, fmt } from "./dom.js";
import { probabilityBar, quantileStrip } from "./charts.js";

// the main outputs of each panel: [name, label, unit, digits]
const MAIN = {
  flight: [["range_km", "Ground range", "km", 0], ["apogee_km", "Apogee", "km", 0], ["flight_time_s", "Flight time", "s", 0],
    ["burnout.speed_km_s", "Burnout speed", "km/s", 3], ["burnout.time_s", "Burnout time", "s", 1],
    ["impact.lat", "Impact latitude", "deg", 3], ["impact.lon", "Impact longitude", "deg", 3]],
  check: [["min_energy.burnout_speed_km_s", "Least burnout speed for the range", "km/s", 3],
    ["min_energy.apogee_km", "Apogee of the min-energy arc", "km", 0],
    ["through_apogee.burnout_speed_km_s", "Speed needed through the claimed apogee", "km/s", 3],
    ["peak_speed_km_s_needed", "Peak speed needed", "km/s", 3], ["claimed_peak_speed_km_s", "Claimed peak speed", "km/s", 3],
    ["min_glide_ld_for_claimed_speed", "Least glide L/D for the claimed speed", "", 2]],
  engage: [["rows[0].intercept_time_s", "Intercept time after threat launch", "s", 1],
    ["rows[0].margin_before_burnout_s", "Margin before burnout", "s", 1], ["rows[0].closing_speed_km_s", "Closing speed", "km/s", 2],
    ["rows[0].intercept.alt_km", "Intercept altitude", "km", 1], ["rows[0].ground_range_km", "Ground range from the orbit", "km", 0],
    ["rows[0].burnout_time_s", "Threat burnout time", "s", 1]],
  engagemap: [["feasible_cells", "Cells with an intercept before burnout", "", 0], ["max_margin_s", "Largest margin before burnout", "s", 1]],
  shortfall: [["burnout_s", "Burnout time", "s", 1]],
  reconstruct: [["max_range_km", "Maximum range, standard trajectory", "km", 0], ["fit.payload_kg", "Fitted payload", "kg", 0]],
};
// plain words for the events the headlines are about
const EVENT = { ballistic_consistent: "consistent with a ballistic flight", impacted: "the flight lands",
  "rows[0].intercept_possible": "an intercept before burnout (orbit 1)", global_reach: "global reach" };
const QLABEL = (k) => (k === "q50" ? "median" : `${Number(k.slice(1))} %`);

// the unit of an output from its name's suffix (the API's names carry their units)
export function unitOf(name) {
  const last = String(name).split(".").pop();
  if (/_km_s$/.test(last)) return "km/s";
  if (/_deg$/.test(last) || last === "lat" || last === "lon") return "deg";
  const m = /_(km|s|kg|m|kg_m2)$/.exec(last);
  return m ? m[1].replace("kg_m2", "kg/m²") : "";
}
function describe(panel, name) {
  const known = (MAIN[panel] || []).find((o) => o[0] === name);
  if (known) return { label: known[1], unit: known[2], digits: known[3] };
  const unit = unitOf(name);
  return { label: name, unit, digits: unit === "km/s" ? 3 : (unit === "deg" ? 3 : 1) };
}
const withUnit = (text, unit) => (unit ? `${text} ${unit}` : text);
const pct = (x, d) => `${fmt(100 * x, d === undefined ? 0 : d)} %`;

// the input that moves the headline most: [name, words], or a reason there is none
function mover(e, unit) {
  const s = e.sensitivity || [];
  if (!s.length) return "too few samples to rank the inputs (each third of an input's range needs 10)";
  const top = s[0];
  if (!top.effect) return "no uncertain input moves it";
  const sign = top.effect > 0 ? "+" : "−";
  const size = top.statistic === "p" ? `${sign}${fmt(Math.abs(100 * top.effect), 0)} points of probability`
    : withUnit(`${sign}${fmt(Math.abs(top.effect), Math.abs(top.effect) < 10 ? 2 : 0)}`, unit);
  const how = top.method === "range over values" ? "across its values" : "from its lowest to its highest third";
  return `the input that moves it most: ${top.input} (${size} ${how})`;
}

// The headline sentence: the result and the conditions it holds under.
export function ensembleHeadline(panel, res, body) {
  const e = res.ensemble;
  const h = e.headline;
  const ns = `n = ${fmt(e.n, 0)}, seed ${e.seed}`;
  const given = Object.entries(e.inputs).map(([k, v]) => `${k} ${v.text}`).join("; ");
  const tail = `Uncertain: ${given}; the other inputs as in the form.`;
  if (h && e.outputs[h]) {
    const d = describe(panel, h);
    const q = e.outputs[h].quantiles;
    const label = d.label.charAt(0).toUpperCase() + d.label.slice(1);
    return { text: `${label} ${withUnit(fmt(q.q50, d.digits), d.unit)}, the median (90 % of outcomes ` +
      `${fmt(q.q05, d.digits)}–${withUnit(fmt(q.q95, d.digits), d.unit)}, ${ns}); ${mover(e, d.unit)}. ${tail}` };
  }
  if (h && e.probabilities[h]) {
    const p = e.probabilities[h];
    const what = EVENT[h] || h;
    return { text: `${what.charAt(0).toUpperCase() + what.slice(1)} in ${pct(p.p)} of outcomes (95 % interval ` +
      `${pct(p.ci95[0])}–${pct(p.ci95[1])}, ${ns}); ${mover(e, "")}. ${tail}` };
  }
  return { text: `Ensemble of ${fmt(e.n, 0)} samples (seed ${e.seed}). ${tail}` };
}

const cell = (key, value, text) => el("td", { class: "num", text, dataset: { key, value: String(value) } });

function quantileTable(caption, rows, e, panel) {
  const qs = Object.keys((e.outputs[rows[0]] || {}).quantiles || {});
  const t = el("table", { class: "results ensemble-q" }, el("caption", { text: caption }));
  t.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "output" }),
    ...qs.map((q) => el("th", { scope: "col", text: QLABEL(q) })), el("th", { scope: "col", text: "mean" }))));
  const tb = el("tbody");
  for (const name of rows) {
    const o = e.outputs[name];
    const d = describe(panel, name);
    tb.append(el("tr", {}, el("th", { scope: "row", text: d.unit ? `${d.label} (${d.unit})` : d.label, title: name }),
      ...qs.map((q) => cell(`ensemble.outputs.${name}.${q}`, o.quantiles[q], fmt(o.quantiles[q], d.digits))),
      cell(`ensemble.outputs.${name}.mean`, o.mean, fmt(o.mean, d.digits))));
  }
  t.append(tb);
  return t;
}

function probabilityTable(e) {
  const t = el("table", { class: "results ensemble-p" }, el("caption", { text: "Probabilities over the samples (95 % intervals: sampling error only)" }));
  t.append(el("thead", {}, el("tr", {}, ...["event", "probability", "95 % interval", "samples"].map((x) => el("th", { scope: "col", text: x })))));
  const tb = el("tbody");
  for (const [name, p] of Object.entries(e.probabilities)) {
    tb.append(el("tr", {}, el("th", { scope: "row", text: EVENT[name] || name, title: name }),
      cell(`ensemble.probabilities.${name}.p`, p.p, pct(p.p, 1)),
      el("td", { class: "num", text: `${pct(p.ci95[0], 1)} to ${pct(p.ci95[1], 1)}`, dataset: { key: `ensemble.probabilities.${name}.ci95`, value: JSON.stringify(p.ci95) } }),
      cell(`ensemble.probabilities.${name}.n`, p.n, fmt(p.n, 0))));
  }
  t.append(tb);
  return t;
}

function sensitivityTable(e, unit) {
  const t = el("table", { class: "results ensemble-s" }, el("caption", { text: `Which uncertain input moves ${e.headline} most` }));
  t.append(el("thead", {}, el("tr", {}, ...["rank", "input", "effect", "how"].map((x) => el("th", { scope: "col", text: x })))));
  const tb = el("tbody");
  e.sensitivity.forEach((s, i) => {
    const prob = s.statistic === "p";
    tb.append(el("tr", {}, el("th", { scope: "row", text: String(i + 1) }),
      el("td", { text: s.input, dataset: { key: `ensemble.sensitivity.${i}.input`, value: s.input } }),
      cell(`ensemble.sensitivity.${i}.effect`, s.effect, prob ? `${fmt(100 * s.effect, 1)} points` : withUnit(fmt(s.effect, 2), unit)),
      el("td", { text: `${prob ? "probability" : "mean"}, ${s.method}` })));
  });
  t.append(tb);
  return t;
}

function convergenceLine(e, unit) {
  const c = e.convergence;
  if (!c) return null;
  const ok = c.converged ? "yes" : "not yet: more samples would narrow it";
  const text = c.median_ci95
    ? `Median settled within ${pct(c.tol)}: ${ok} (95 % interval of the median ${fmt(c.median_ci95[0], 1)} to ${withUnit(fmt(c.median_ci95[1], 1), unit)}).`
    : `Probability known to ±${pct(c.half_width, 1)} (target ±${pct(c.tol)}): ${ok}.`;
  return el("p", { class: "method", dataset: { key: "ensemble.convergence.converged", value: String(c.converged) }, text });
}

// The parts of the result box (the headline first, made by the caller from ensembleHeadline).
export function ensembleParts(panel, res) {
  const e = res.ensemble;
  const h = e.headline;
  const d = h ? describe(panel, h) : { unit: "" };
  const parts = [];
  if (h && e.outputs[h]) parts.push(quantileStrip(e.outputs[h], `${d.label} (${d.unit || "dimensionless"})`, d.digits));
  else if (h && e.probabilities[h]) parts.push(probabilityBar(e.probabilities[h], EVENT[h] || h));
  const main = [h, ...(MAIN[panel] || []).map((o) => o[0])].filter((k, i, a) => k && e.outputs[k] && a.indexOf(k) === i);
  if (main.length) parts.push(quantileTable(`Quantiles over ${fmt(e.n, 0)} samples`, main, e, panel));
  if (Object.keys(e.probabilities).length) parts.push(probabilityTable(e));
  if (e.sensitivity && e.sensitivity.length) parts.push(sensitivityTable(e, d.unit));
  parts.push(convergenceLine(e, d.unit));
  const rest = Object.keys(e.outputs).filter((k) => !main.includes(k));
  if (rest.length) {
    parts.push(el("details", { class: "all-outputs" }, el("summary", { text: `All ${Object.keys(e.outputs).length} numeric outputs` }),
      quantileTable("Every numeric output of the summary", rest, e, panel)));
  }
  parts.push(el("p", { class: "method", text: `Sampled inputs: ${Object.entries(e.inputs).map(([k, v]) => `${k}: ${v.text}`).join("; ")}. ` +
    "Each sample is the whole analysis with these numbers put in; intervals are sampling error only." }));
  return parts.filter(Boolean);
}
