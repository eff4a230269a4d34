// Uncertain inputs: every numeric field marked `data-uncertain` in index.html gets an "uncertain"
// checkbox that reveals a distribution (uniform low/high, normal mean/sd, triangular
// low/mode/high) in the field's unit; a form with any uncertain field shows its ensemble options
// (samples n, seed). The request then carries, for each such field, the server's distribution
// table ({"dist": "uniform", "low": .., "high": ..}) instead of a number, and an "ensemble" table.
// The controls have no `name`, so the page's plain form reading never sees them; the server checks
// every number (one line naming the field and the allowed range, shown at the field).
import { $, $$, el } from "./dom.js";

export const DISTS = { uniform: ["low", "high"], normal: ["mean", "sd"], triangular: ["low", "mode", "high"] };
const DIST_TEXT = { uniform: "uniform (low to high)", normal: "normal (mean, standard deviation)",
  triangular: "triangular (low, most likely, high)" };
const PARAM_TEXT = { low: "low", high: "high", mean: "mean", sd: "standard deviation", mode: "most likely" };
const PARAMS = ["low", "mode", "high", "mean", "sd"];
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const value = (s) => (NUMBER.test(s) ? Number(s) : s); // a quantity string ("500 kg") goes as typed

// three significant digits: defaults that read as a person would type them
const round3 = (x) => (x === 0 ? 0 : Number(x.toPrecision(3)));

function labelOf(inp) {
  const lab = $(`label[for="${CSS.escape(inp.id)}"]`);
  return lab ? lab.firstChild.textContent.trim() : inp.name;
}

// One form: the checkbox and the distribution box beside each marked field, the ensemble options
// before the buttons. `opts.base(name)`: the number a new distribution is centred on when the field
// is empty (e.g. the catalog's payload); `opts.limits()`: {atOnce, job} samples for this form.
export function initUncertain(form, opts) {
  const fields = $$("input[data-uncertain]", form);
  if (!fields.length) return;
  const panel = form.id.replace(/^form-/, "");
  for (const inp of fields) {
    const id = inp.id;
    const what = labelOf(inp);
    const toggle = el("input", { type: "checkbox", id: `${id}-unc`, class: "unc-on", "aria-controls": `${id}-dist`,
      "aria-expanded": "false", dataset: { field: inp.name } });
    const kind = el("select", { id: `${id}-dist-kind`, class: "unc-kind", "aria-label": `Distribution of ${what}` },
      ...Object.keys(DISTS).map((d) => el("option", { value: d, text: DIST_TEXT[d] })));
    const params = PARAMS.map((p) => el("span", { class: "unc-param", dataset: { param: p } },
      el("label", { for: `${id}-p-${p}`, text: PARAM_TEXT[p] }),
      el("input", { id: `${id}-p-${p}`, type: "text", inputmode: "decimal", dataset: { param: p }, "aria-label": `${what}: ${PARAM_TEXT[p]}` })));
    const box = el("fieldset", { id: `${id}-dist`, class: "unc", hidden: true, dataset: { field: inp.name } },
      el("legend", { text: `${what}: distribution` }), kind, el("div", { class: "unc-params" }, ...params),
      el("small", { class: "hint", text: "In the field's unit (or a quantity such as \"500 kg\"); each sample runs the whole analysis." }));
    const toggleLabel = el("label", { class: "inline unc-toggle", for: `${id}-unc` }, toggle, ` uncertain`);
    toggle.setAttribute("aria-label", `${what}: uncertain (a distribution instead of one number)`);
    inp.after(toggleLabel);
    toggleLabel.after(box);
    kind.addEventListener("change", () => showParams(box));
    toggle.addEventListener("change", () => {
      setOn(form, inp, toggle.checked);
      if (toggle.checked) { prefill(inp, box, opts.base ? opts.base(inp.name) : null); $(`#${id}-p-low`).focus(); }
    });
    showParams(box);
  }
  const lim = opts.limits ? opts.limits() : { atOnce: 200, job: 200 };
  const n = el("input", { id: `${panel}-ens-n`, type: "text", inputmode: "numeric", value: String(opts.defaultN || Math.min(200, lim.atOnce)),
    dataset: { ensemble: "n" }, "aria-describedby": `${panel}-ens-hint` });
  const seed = el("input", { id: `${panel}-ens-seed`, type: "text", inputmode: "numeric", value: "0", dataset: { ensemble: "seed" } });
  const hint = el("small", { id: `${panel}-ens-hint`, class: "hint" });
  const ens = el("fieldset", { class: "field ensemble-opts", hidden: true, id: `${panel}-ensemble` },
    el("legend", { text: "Ensemble over the uncertain inputs" }),
    el("label", { class: "inline", for: n.id, text: "samples n " }), n,
    el("label", { class: "inline", for: seed.id, text: " seed " }), seed, hint);
  $(".actions", form).before(ens);
  updateHint(form, opts);
  form.uncertainOpts = opts;
}

// the samples this form may ask for, from the server's limits (/api/meta)
export function updateHint(form, opts) {
  opts = opts || form.uncertainOpts;
  const panel = form.id.replace(/^form-/, "");
  const hint = $(`#${panel}-ens-hint`);
  if (!hint || !opts) return;
  const lim = opts.limits();
  const n = (x) => Number(x).toLocaleString("en-US");
  hint.textContent = `At most ${n(lim.atOnce)} samples at once; up to ${n(lim.job)} as a background job with a progress bar. ` +
    "Sample i of each input depends only on the seed and i: the same seed gives the same answer.";
}

function showParams(box) {
  const want = DISTS[$(".unc-kind", box).value];
  for (const s of $$(".unc-param", box)) s.hidden = !want.includes(s.dataset.param);
}

function setOn(form, inp, on) {
  const toggle = $(`#${inp.id}-unc`);
  toggle.checked = on;
  toggle.setAttribute("aria-expanded", on ? "true" : "false");
  $(`#${inp.id}-dist`).hidden = !on;
  inp.disabled = on; // the single number is not used while the field is uncertain
  const panel = form.id.replace(/^form-/, "");
  const ens = $(`#${panel}-ensemble`);
  if (ens) ens.hidden = !$$("input.unc-on", form).some((t) => t.checked);
}

// a new distribution around the field's number (or `base`): +-10 % (uniform, triangular), sd 5 %
function prefill(inp, box, base) {
  const p = (k) => $(`[data-param=${k}] input`, box);
  if (PARAMS.some((k) => p(k).value.trim() !== "")) return; // keep what the user typed before
  let x = NUMBER.test(inp.value.trim()) ? Number(inp.value) : (NUMBER.test(inp.placeholder) ? Number(inp.placeholder) : base);
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return;
  x = Number(x);
  const d = Math.abs(x) * 0.1 || 1;
  p("low").value = String(round3(x - d));
  p("high").value = String(round3(x + d));
  p("mode").value = String(x);
  p("mean").value = String(x);
  p("sd").value = String(round3(d / 2));
}

// the distribution table of each uncertain field, and the ensemble table, put into `body`
export function uncertainBody(form, body) {
  let any = false;
  for (const t of $$("input.unc-on", form)) {
    if (!t.checked || t.closest("[hidden]")) continue;
    const name = t.dataset.field;
    const box = $(`fieldset.unc[data-field="${CSS.escape(name)}"]`, form);
    const dist = $(".unc-kind", box).value;
    const table = { dist };
    for (const k of DISTS[dist]) {
      const v = $(`[data-param=${k}] input`, box).value.trim();
      if (v !== "") table[k] = value(v);
    }
    body[name] = table;
    any = true;
  }
  if (any) {
    const panel = form.id.replace(/^form-/, "");
    const ens = {};
    for (const k of ["n", "seed"]) {
      const v = $(`#${panel}-ens-${k}`).value.trim();
      if (v !== "") ens[k] = value(v);
    }
    body.ensemble = ens;
  }
  return body;
}

// Restore the uncertain fields from a request (a share link or a saved scenario): a field whose
// value is a distribution table (an object, or its JSON text in a link) turns uncertain; any other
// value turns it back to one number. `params.ensemble`: n and seed.
export function fillUncertain(form, params) {
  const parse = (v) => {
    if (typeof v === "string" && v.trim().startsWith("{")) { try { return JSON.parse(v); } catch (e) { return null; } }
    return v && typeof v === "object" ? v : null;
  };
  for (const inp of $$("input[data-uncertain]", form)) {
    const t = parse(params[inp.name]);
    const box = $(`#${inp.id}-dist`);
    if (!box) continue;
    for (const i of $$(".unc-params input", box)) i.value = "";
    if (t && DISTS[t.dist]) {
      $(".unc-kind", box).value = t.dist;
      for (const k of DISTS[t.dist]) if (t[k] !== undefined) $(`[data-param=${k}] input`, box).value = String(t[k]);
      inp.value = "";
      showParams(box);
      setOn(form, inp, true);
    } else setOn(form, inp, false);
  }
  const e = parse(params.ensemble);
  const panel = form.id.replace(/^form-/, "");
  if (e) for (const k of ["n", "seed"]) if (e[k] !== undefined && $(`#${panel}-ens-${k}`)) $(`#${panel}-ens-${k}`).value = String(e[k]);
}

// The control that a server error's field names ("payload_kg.high", "ensemble.n", or an uncertain
// "payload_kg"), or null when the field is not one of these.
export function uncertainControl(form, field) {
  const [name, part] = String(field).split(".");
  const panel = form.id.replace(/^form-/, "");
  if (name === "ensemble") return $(`#${panel}-ens-${part === "seed" ? "seed" : "n"}`);
  const toggle = $$("input.unc-on", form).find((t) => t.dataset.field === name);
  if (!toggle || !toggle.checked) return null;
  const box = $(`fieldset.unc[data-field="${CSS.escape(name)}"]`, form);
  const want = DISTS[$(".unc-kind", box).value];
  const k = want.includes(part) ? part : want[0];
  return $(`[data-param=${k}] input`, box);
}

export const anyUncertain = (form) => $$("input.unc-on", form).some((t) => t.checked);
