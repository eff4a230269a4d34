// boostphase web page: forms -> JSON API -> tables, charts and the Cesium globe.
// No inline script, no eval, no request leaves this origin (CSP enforces it).
// The URL hash holds the scenario and the view: "#flight?missile=...&launch=...&view=lon,lat,h,hd,p,r".
// An ES module (strict, deferred); the globe's legend, label decluttering, marker dragging and the
// results' headline sentences live in their own modules beside it.
import { $, $$, el, fmt, num } from "./dom.js";
import * as headlines from "./headlines.js";
import { createLegend } from "./legend.js";
import { createDeclutter } from "./labels.js";
import { createDrag } from "./drag.js";
import { altitudeChart, mapLegend, marginColor } from "./charts.js";
import { fillUncertain, initUncertain, uncertainBody, uncertainControl, updateHint } from "./uncertain.js";
import { ensembleHeadline, ensembleParts } from "./ensemble.js";

const PANELS = ["flight", "reconstruct", "check", "engage", "consequence", "sweep"];
const API = { flight: "flyout", reconstruct: "reconstruct", check: "check", engage: "engage",
  engagemap: "engage/map", shortfall: "shortfall", footprint: "footprint" };
// forms/results/layers that live inside another panel's tab (the Consequence tab holds two forms,
// the Engage tab the engagement and its map)
const TAB_OF = { shortfall: "consequence", footprint: "consequence", engagemap: "engage" };
const FORMS_OF = { engage: ["engage", "engagemap"], consequence: ["shortfall", "footprint"] };
const tabOf = (k) => TAB_OF[k] || k;
const formsOf = (tab) => FORMS_OF[tab] || (API[tab] ? [tab] : []);
const state = {
  meta: null, catalog: [], tests: [], sites: [], viewer: null, panel: "flight",
  results: {}, controllers: {}, layers: {}, prims: {}, runs: 0, jobs: {}, borders: null,
  // globe helpers (legend.js, labels.js, drag.js), made with the viewer
  legend: null, declutter: null, drag: null,
  // per form: the number of its latest request; an answer to an older one is dropped
  seq: {}, requestLog: [],
};
const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  if (signal) signal.addEventListener("abort", () => { clearTimeout(t); reject(new DOMException("Aborted", "AbortError")); }, { once: true });
});

// ------------------------------------------------------------------------------ status
function status(text, kind) {
  const s = $("#status");
  s.textContent = text || "";
  s.className = kind || "";
}

// ------------------------------------------------------------------------------ API
async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}
async function post(path, body, signal) {
  const r = await fetch(path, {
    method: "POST", credentials: "same-origin", signal,
    headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return r;
}

// ------------------------------------------------------------------------------ globe
function initGlobe() {
  const box = $("#globe");
  if (!window.Cesium) {
    box.append(el("p", { class: "no-globe", text: "CesiumJS is not installed on this server (run tools/web_setup.sh). The forms and tables still work." }));
    return;
  }
  const C = window.Cesium;
  C.buildModuleUrl.setBaseUrl("/cesium/");
  // Cesium.js (the IIFE build) carries its workers as one string and starts them from blob: URLs
  // that importScripts() another blob: URL, which script-src 'self' forbids. Without that string
  // Cesium starts module workers from /cesium/Workers/ (same origin) instead.
  delete globalThis.CESIUM_WORKERS;
  // Every widget that needs knockout's eval-based bindings is off (CSP forbids eval); the page
  // provides its own controls.
  const viewer = new C.Viewer(box, {
    baseLayer: C.ImageryLayer.fromProviderAsync(
      C.TileMapServiceImageryProvider.fromUrl(C.buildModuleUrl("Assets/Textures/NaturalEarthII"))),
    terrainProvider: new C.EllipsoidTerrainProvider(),
    baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false,
    navigationHelpButton: false, animation: false, timeline: false, fullscreenButton: false,
    infoBox: false, selectionIndicator: false, vrButton: false, projectionPicker: false,
    requestRenderMode: true, maximumRenderTimeChange: Infinity,
  });
  viewer.scene.globe.enableLighting = false;
  viewer.scene.skyAtmosphere.show = true;
  viewer.camera.setView({ destination: C.Cartesian3.fromDegrees(170.0, 40.0, 2.2e7) });
  state.viewer = viewer;
  for (const p of ["flight", "reconstruct", "check", "engage", "engagemap", "shortfall", "footprint"]) {
    const ds = new C.CustomDataSource(p);
    viewer.dataSources.add(ds);
    state.layers[p] = ds;
    ds.show = tabOf(p) === state.panel;
  }
  // point clouds (shortfall trace, fragment sample) as point primitives: thousands draw smoothly
  for (const p of ["shortfall", "footprint"]) {
    state.prims[p] = viewer.scene.primitives.add(new C.PointPrimitiveCollection());
    state.prims[p].show = tabOf(p) === state.panel;
  }
  state.legend = createLegend(box);
  state.declutter = createDeclutter(viewer, C);
  state.drag = createDrag(viewer, C, { onMove: dragMove, onDrop: dragDrop });
  // clicking the globe fills the launch point or the target
  const handler = new C.ScreenSpaceEventHandler(viewer.scene.canvas);
  handler.setInputAction((ev) => {
    if (state.drag.pressedHandle()) return; // a press on a draggable marker moves it instead
    const cart = viewer.camera.pickEllipsoid(ev.position, viewer.scene.globe.ellipsoid);
    if (!cart) return;
    const g = C.Cartographic.fromCartesian(cart);
    const text = `${C.Math.toDegrees(g.latitude).toFixed(4)},${C.Math.toDegrees(g.longitude).toFixed(4)}`;
    if (state.panel === "flight") {
      const mode = ($("input[name=click]:checked") || {}).value;
      if (mode === "launch") $("#flight-launch").value = text;
      else if (mode === "target") {
        setDirection("target");
        $("#flight-target").value = text;
      }
    } else if (state.panel === "reconstruct") {
      $("#rec-launch").value = text;
    } else if (state.panel === "engage") {
      const mode = ($("#form-engage input[name=click]:checked") || {}).value;
      if (mode === "launch") $("#eng-launch").value = text;
      else if (mode === "orbit_add") addOrbit(text);
      else { $("#eng-orbit").value = text; renderOrbits(); }
    } else if (state.panel === "consequence") {
      $("#sf-launch").value = text;
    }
    status(`Globe click: ${text}`);
  }, C.ScreenSpaceEventType.LEFT_CLICK);
  viewer.camera.moveEnd.addEventListener(() => writeHash());
  const reset = el("button", { type: "button", class: "globe-button", title: "Reset the view", "aria-label": "Reset the view",
    onclick: () => viewer.camera.flyTo({ destination: C.Cartesian3.fromDegrees(170.0, 40.0, 2.2e7), duration: 1.0 }) }, "⌂");
  const mode = el("button", { type: "button", class: "globe-button second", title: "Switch between the 3D globe and a 2D map",
    "aria-label": "Switch between the 3D globe and a 2D map", onclick: () => {
      const twoD = viewer.scene.mode === C.SceneMode.SCENE2D;
      if (twoD) viewer.scene.morphTo3D(0.8); else viewer.scene.morphTo2D(0.8);
      mode.textContent = twoD ? "2D" : "3D";
    } }, "2D");
  const png = el("button", { type: "button", class: "globe-button third", id: "png-button", title: "Save the globe view as a PNG image",
    "aria-label": "Save the globe view as a PNG image", onclick: () => savePng() }, "PNG");
  const borders = el("button", { type: "button", class: "globe-button fourth", id: "borders-button",
    title: "Show or hide the country borders (Natural Earth)", "aria-label": "Country borders", "aria-pressed": "true",
    onclick: () => toggleBorders() }, "Borders");
  box.append(reset, mode, png, borders);
  toggleBorders(true);
}

// The globe as a PNG: draw a frame and read the canvas in the same task (the WebGL drawing
// buffer is only guaranteed until the task ends; preserveDrawingBuffer is not needed). The
// browser test checks the picture is not blank.
function savePng() {
  const v = state.viewer;
  if (!v) return;
  // requestRenderMode: render() draws only when a frame was requested
  v.scene.requestRender();
  v.render();
  const url = v.canvas.toDataURL("image/png");
  const a = el("a", { href: url, download: `boostphase-${state.panel}.png` });
  document.body.append(a);
  a.click();
  setTimeout(() => a.remove(), 1000);
  status("Saved the globe view as a PNG image.");
}

// Country borders: /api/borders (simplified Natural Earth outlines), drawn as one polyline
// collection a little above the ground; loaded on first use.
async function toggleBorders(on) {
  const v = state.viewer;
  if (!v) return;
  const C = window.Cesium;
  const btn = $("#borders-button");
  const show = on === undefined ? !(state.borders && state.borders.show) : on;
  if (btn) btn.setAttribute("aria-pressed", show ? "true" : "false");
  if (show && !state.borders) {
    state.borders = v.scene.primitives.add(new C.PolylineCollection());
    try {
      const gj = await getJSON("/api/borders");
      const mat = C.Material.fromType("Color", { color: C.Color.fromCssColorString(COLORS.border).withAlpha(0.75) });
      for (const f of gj.features) {
        for (const line of f.geometry.coordinates) {
          const flat = [];
          for (const [lo, la] of line) flat.push(lo, la, 3000.0);
          state.borders.add({ positions: C.Cartesian3.fromDegreesArrayHeights(flat), width: 1.0, material: mat });
        }
      }
      state.borders.bordersLoaded = gj.features.length;
    } catch (e) {
      status(`Borders: ${e}`, "error");
    }
  }
  if (state.borders) state.borders.show = show;
  state.legend.set("borders", [{ kind: "line", color: COLORS.border, label: "country borders (Natural Earth)" }]);
  overlaysChanged();
}

function getView() {
  const v = state.viewer;
  if (!v) return null;
  const C = window.Cesium;
  const g = v.camera.positionCartographic;
  return [C.Math.toDegrees(g.longitude).toFixed(5), C.Math.toDegrees(g.latitude).toFixed(5), g.height.toFixed(0),
    C.Math.toDegrees(v.camera.heading).toFixed(2), C.Math.toDegrees(v.camera.pitch).toFixed(2),
    C.Math.toDegrees(v.camera.roll).toFixed(2)].join(",");
}
function setView(text) {
  const v = state.viewer;
  if (!v || !text) return false;
  const p = text.split(",").map(Number);
  if (p.length !== 6 || p.some((x) => !Number.isFinite(x))) return false;
  const C = window.Cesium;
  v.camera.setView({
    destination: C.Cartesian3.fromDegrees(p[0], p[1], p[2]),
    orientation: { heading: C.Math.toRadians(p[3]), pitch: C.Math.toRadians(p[4]), roll: C.Math.toRadians(p[5]) },
  });
  v.scene.requestRender();
  return true;
}
// Frame a set of positions (Cartesian3). viewer.flyTo(dataSource) waits for post-render events,
// which requestRenderMode does not raise while nothing changes, so the page frames by itself.
function flyToPositions(positions) {
  const v = state.viewer;
  if (!v || !positions) return Promise.resolve();
  const C = window.Cesium;
  if (positions.over) {
    return new Promise((resolve) => {
      v.camera.flyTo({ destination: C.Cartesian3.fromDegrees(positions.over[0], positions.over[1], positions.height),
        duration: 1.2, complete: resolve, cancel: resolve });
      v.scene.requestRender();
      setTimeout(resolve, 5000);
    });
  }
  if (!positions.length) return Promise.resolve();
  const sphere = C.BoundingSphere.fromPoints(positions);
  const range = Math.max(sphere.radius * 3.2, 2.0e6);
  return new Promise((resolve) => {
    v.camera.flyToBoundingSphere(sphere, {
      duration: 1.2, offset: new C.HeadingPitchRange(0.0, -C.Math.PI_OVER_TWO, range),
      complete: resolve, cancel: resolve,
    });
    v.scene.requestRender();
    setTimeout(resolve, 5000); // never hang the page on a camera flight
  });
}
function clearLayer(panel) {
  if (state.layers[panel]) state.layers[panel].entities.removeAll();
  if (state.prims[panel]) state.prims[panel].removeAll();
  if (state.czml) { state.viewer.dataSources.remove(state.czml, true); state.czml = null; }
  if (state.legend) state.legend.set(panel, null);
}
// The legend lists what is on screen, and the labels are thinned again, whenever an overlay is
// drawn, cleared, shown or hidden.
function overlaysChanged() {
  if (!state.viewer) return;
  const visible = Object.keys(state.layers).filter((k) => state.layers[k].show);
  if (state.czml) visible.push("czml");
  if (state.borders && state.borders.show) visible.push("borders");
  state.legend.render(visible);
  state.declutter.refresh();
}
// A point with a label. `priority`: which label stays when two would overlap (labels.js):
// launch and target points first, then orbits and impacts, then notes such as the apogee.
function marker(ds, lon, lat, altM, text, color, below, priority) {
  const C = window.Cesium;
  const e = ds.entities.add({
    position: C.Cartesian3.fromDegrees(lon, lat, altM),
    point: { pixelSize: 9, color: C.Color.fromCssColorString(color || "#ffffff"), outlineColor: C.Color.BLACK, outlineWidth: 1 },
    // labels ignore depth, so the ground does not cut them; labels.js hides those behind the globe
    label: { text, font: "13px sans-serif", fillColor: C.Color.WHITE, outlineColor: C.Color.BLACK, outlineWidth: 3,
      style: C.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new C.Cartesian2(0, below ? 18 : -18), showBackground: false,
      disableDepthTestDistance: Number.POSITIVE_INFINITY },
  });
  state.declutter.setPriority(e, priority === undefined ? 50 : priority);
  return e;
}

// ------------------------------------------------------------------------------ forms
function formOf(panel) { return $(`#form-${panel}`); }

function setDirection(mode) {
  const r = $(`#form-flight input[name=direction][value=${mode}]`);
  if (r) r.checked = true;
  for (const d of $$("#form-flight [data-direction]")) d.hidden = d.dataset.direction !== mode;
}
function updateProfile() {
  const p = $("#flight-profile").value;
  for (const d of $$("#form-flight [data-needs-profile]")) d.hidden = !d.dataset.needsProfile.split(" ").includes(p);
  if (p === "target") setDirection("target");
}

function collect(panel) {
  const body = collectForm(panel);
  if (panel === "footprint" && !body.example) {
    // a custom footprint: the threat of the shortfall form, at the intercept time given here
    const sf = collectForm("shortfall");
    for (const k of ["missile", "vehicle_toml", "launch", "target", "payload_kg", "beta_kg_m2"]) if (sf[k] !== undefined) body[k] = sf[k];
  }
  if (panel === "engagemap") return { ...collectForm("engage"), ...body }; // the threat, UAV and interceptor above
  return body;
}
function collectForm(panel) {
  const form = formOf(panel);
  const body = {};
  for (const inp of $$("input[name], select[name], textarea[name]", form)) {
    const name = inp.name;
    if (["direction", "click"].includes(name)) continue;
    if (inp.closest("[hidden]")) continue;
    if (inp.type === "checkbox") { if (inp.checked) body[name] = true; continue; }
    const v = inp.value.trim();
    if (v === "") continue;
    body[name] = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) ? Number(v) : v;
  }
  return uncertainBody(form, body); // uncertain fields: their distribution tables, and the ensemble
}
function fill(panel, params) {
  const form = formOf(panel);
  for (const inp of $$("input[name], select[name]", form)) {
    if (["direction", "click"].includes(inp.name)) continue;
    const v = params[inp.name];
    // a parameter left out takes the field's default (the value written in the page)
    if (inp.type === "checkbox") inp.checked = v === undefined ? inp.defaultChecked : v === true || v === "true" || v === "1";
    else if (inp.tagName === "SELECT") {
      const dflt = Array.from(inp.options).find((o) => o.defaultSelected) || inp.options[0];
      inp.value = v === undefined || v === null ? (dflt ? dflt.value : "") : String(v);
    } else inp.value = v === undefined || v === null ? inp.defaultValue : String(v);
  }
  fillUncertain(form, params);
  if (panel === "flight") {
    setDirection(params.target !== undefined && params.azimuth_deg === undefined ? "target" : "azimuth");
    updateProfile();
    showMissileSources();
  }
  if (panel === "engage") renderOrbits();
}

// ------------------------------------------------------------------------------ engage orbits
function orbitList() {
  return $("#eng-orbit").value.split(";").map((x) => x.trim()).filter((x) => x);
}
function renderOrbits() {
  const ul = $("#eng-orbit-list");
  if (!ul) return;
  const list = orbitList();
  ul.replaceChildren(...list.map((o, i) => el("li", {}, el("span", { text: `Orbit ${i + 1}: ${o}` }),
    el("button", { type: "button", class: "small", "aria-label": `Remove orbit ${i + 1} (${o})`,
      onclick: () => removeOrbit(i) }, "Remove"))));
}
function addOrbit(text) {
  const list = orbitList();
  if (list.length >= 10) { status("At most 10 orbits.", "error"); return; }
  list.push(text.trim());
  $("#eng-orbit").value = list.join("; ");
  renderOrbits();
  status(`Orbit ${list.length} added at ${text.trim()}.`);
}
function removeOrbit(i) {
  const list = orbitList();
  const [gone] = list.splice(i, 1);
  $("#eng-orbit").value = list.join("; ");
  renderOrbits();
  const next = $$("#eng-orbit-list button")[Math.min(i, list.length - 1)];
  if (next) next.focus(); else $("#eng-orbit").focus();
  status(`Orbit ${gone} removed.`);
}
function clearErrors(panel) {
  for (const i of $$("[aria-invalid]", formOf(panel))) i.removeAttribute("aria-invalid");
  for (const p of $$(".field-error.at-field", formOf(panel))) p.remove();
}
// The server's message beside the control it names (an uncertain field's distribution, or the
// ensemble options), as well as in the result box.
function errorAtField(inp, message) {
  const where = inp.closest("fieldset.unc, fieldset.ensemble-opts, .field, .sub-field");
  if (!where || !message) return;
  const id = `${inp.id}-error`;
  const p = el("p", { id, class: "error field-error at-field", role: "alert", text: message });
  where.append(p);
  inp.setAttribute("aria-describedby", [inp.getAttribute("aria-describedby"), id].filter((x) => x && !x.includes(id)).join(" "));
}
function markError(panel, field, focus, message) {
  if (!field) return null;
  const form = formOf(panel);
  const key = String(field).replace(/^--/, "").split(/[ .:]/)[0];
  // the message names the distribution's own number ("payload_kg.high: got ..."), the field only the field
  const named = /^([A-Za-z_]+\.[a-z]+):/.exec(message || "");
  const bare = String(field).replace(/^params\./, "");
  const unc = uncertainControl(form, named && named[1].startsWith(`${bare}.`) ? named[1] : bare);
  if (unc) {
    unc.setAttribute("aria-invalid", "true");
    errorAtField(unc, message);
    if (focus !== false) unc.focus();
    return unc;
  }
  let inp = $(`[name="${CSS.escape(key)}"]`, form);
  if (!inp && key === "azimuth") inp = $("[name=azimuth_deg]", form);
  if (!inp && key === "city") inp = $("[name=cities]", form) || $("[name=target]", form);
  if (inp) { inp.setAttribute("aria-invalid", "true"); if (focus !== false) inp.focus(); }
  return inp;
}

// ------------------------------------------------------------------------------ run
// Run a form: POST its fields, show the answer (table, headline) and draw it. `opts.view`: a
// camera view to restore instead of framing the result; `opts.live`: a recomputation while a
// marker is dragged (no camera move, no "Computing…" ticker). Only the answer to a form's latest
// request is shown: a newer run aborts the older one's fetch, and an answer that still arrives
// for an older request (state.seq) is dropped.
async function run(panel, opts) {
  opts = opts || {};
  if (!API[panel]) return;
  const body = collect(panel);
  const box = $(`#result-${panel}`);
  const form = formOf(panel);
  if (state.controllers[panel]) state.controllers[panel].abort();
  const ctrl = new AbortController();
  state.controllers[panel] = ctrl;
  const seq = (state.seq[panel] || 0) + 1;
  state.seq[panel] = seq;
  const stale = () => state.seq[panel] !== seq;
  logRequest(panel, seq, "sent", body);
  clearErrors(panel);
  box.dataset.state = "busy";
  form.setAttribute("aria-busy", "true");
  $("[data-action=cancel]", form).hidden = false;
  const t0 = performance.now();
  const tick = opts.live ? null : setInterval(() => status(`Computing… ${((performance.now() - t0) / 1000).toFixed(0)} s`), 1000);
  if (!opts.live) status("Computing…");
  try {
    const asJob = panel === "footprint" && state.meta && Number(body.n_fragments) > state.meta.footprint_job_above;
    const ens = ensembleJob(panel, body);
    let r, data, jobId = null;
    if (asJob) ({ r, data, jobId } = await viaJob({ kind: "footprint", params: body, panel: "footprint",
      what: `${Number(body.n_fragments).toLocaleString("en-US")} fragments`, label: "Footprint job progress" }, ctrl, box));
    else if (ens) ({ r, data, jobId } = await viaJob(ens, ctrl, box));
    else {
      r = await post(`/api/${API[panel]}`, body, ctrl.signal);
      data = await r.json();
    }
    if (stale()) { logRequest(panel, seq, "dropped"); return; }
    if (tick) clearInterval(tick); // the answer is in: the ticker must not outlive it during the camera flight
    const ms = performance.now() - t0;
    if (!r.ok) {
      box.replaceChildren(el("p", { class: "error", role: "alert", text: data.error || `HTTP ${r.status}` }));
      box.dataset.state = "error";
      markError(panel, data.field, !opts.live, data.error);
      status(`Error: ${data.error || r.status}`, "error");
      return;
    }
    state.runs += 1;
    state.results[panel] = { request: body, response: data, jobId };
    if (data.ensemble) {
      box.replaceChildren(headline(ensembleHeadline(panel, data, body), { key: "ensemble.headline", value: String(data.ensemble.headline) }),
        ...ensembleParts(panel, data));
    } else RENDER[panel](data, body, box);
    // a background ensemble is not saved from here (the run store recomputes, within the at-once size)
    if (!(data.ensemble && jobId)) box.append(saveButton(panel));
    box.dataset.state = "done";
    box.dataset.run = String(state.runs);
    box.dataset.seq = String(seq);
    logRequest(panel, seq, "shown");
    status(`${opts.live ? "Recomputed" : "Done"} in ${(ms / 1000).toFixed(2)} s.`);
    writeHash();
    if (state.viewer && DRAW[panel]) {
      const frame = data.ensemble ? drawEnsemble(panel, data, body) : DRAW[panel](data, body);
      overlaysChanged();
      if (!opts.live && !(opts.view && setView(opts.view))) await flyToPositions(frame);
      writeHash();
    }
  } catch (e) {
    if (stale()) logRequest(panel, seq, "dropped"); // a newer request owns the box
    else if (e.name === "AbortError") { status("Cancelled."); box.dataset.state = "cancelled"; }
    else { box.replaceChildren(el("p", { class: "error", role: "alert", text: String(e) })); box.dataset.state = "error"; status(String(e), "error"); }
  } finally {
    if (tick) clearInterval(tick);
    if (!stale()) {
      form.removeAttribute("aria-busy");
      $("[data-action=cancel]", form).hidden = true;
    }
    if (state.controllers[panel] === ctrl) state.controllers[panel] = null;
  }
}
// what each form sent, showed and dropped (the last 200 events): the browser test reads it to
// check that a stale answer is never shown
function logRequest(panel, seq, event, body) {
  state.requestLog.push(body === undefined ? { panel, seq, event } : { panel, seq, event, body });
  if (state.requestLog.length > 200) state.requestLog.shift();
}

// An ensemble bigger than its panel answers at once (/api/meta's ensemble.at_once): the job that
// runs it, or null.
function ensembleJob(panel, body) {
  const lim = state.meta && state.meta.ensemble;
  if (!body.ensemble || !lim || !lim.kind[panel]) return null;
  const n = Number(body.ensemble.n === undefined ? lim.default_n : body.ensemble.n);
  if (!(n > lim.at_once[panel])) return null;
  // chunks of about n/20 samples, so that the bar moves (the samples, so the answer, do not depend on it)
  const ensemble = { chunk: Math.max(10, Math.ceil(n / 20)), ...body.ensemble };
  return { kind: "ensemble", params: { kind: lim.kind[panel], ...body, ensemble }, panel,
    what: `an ensemble of ${n.toLocaleString("en-US")} samples`, label: "Ensemble job progress" };
}
// A footprint or an ensemble too big for one request: a background job with a progress bar; the
// form's Cancel button (the AbortController) deletes the job, which stops within about a second.
// `job`: {kind, params, panel, what (words), label (the bar's)}.
async function viaJob(job, ctrl, box) {
  const r0 = await post("/api/jobs", { kind: job.kind, params: job.params }, ctrl.signal);
  const d0 = await r0.json();
  if (!r0.ok) {
    // a 422 names params.FIELD: mark FIELD in the form
    if (d0.field) d0.field = String(d0.field).replace(/^params\./, "");
    return { r: r0, data: d0 };
  }
  const id = d0.job_id;
  state.jobs[job.panel] = id;
  const bar = el("progress", { id: `${job.panel}-progress`, max: "1", value: "0", "aria-label": job.label });
  const msg = el("span", { class: "job-message", text: "queued" });
  box.replaceChildren(el("div", { class: "job", dataset: { jobId: id } },
    el("p", { text: `Background job (${job.what}):` }), bar, msg));
  const onAbort = () => fetch(`/api/jobs/${id}`, { method: "DELETE", credentials: "same-origin" });
  ctrl.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      await sleep(400, ctrl.signal);
      const s = await getJSON(`/api/jobs/${id}`);
      bar.value = s.progress;
      msg.textContent = ` ${fmt(100 * s.progress, 0)} %: ${s.message}`;
      box.dataset.progress = String(s.progress);
      if (s.state === "done") return { r: { ok: true, status: 200 }, data: s.result, jobId: id };
      if (s.state === "failed") return { r: { ok: false, status: 422 }, data: { error: s.error, field: s.field } };
      if (s.state === "cancelled") throw new DOMException("Job cancelled", "AbortError");
    }
  } finally {
    ctrl.signal.removeEventListener("abort", onAbort);
    if (state.jobs[job.panel] === id) state.jobs[job.panel] = null;
  }
}

// ------------------------------------------------------------------------------ sweep
// The Sweep tab: a SWEEP.toml as JSON in a textarea, run as a background job (POST /api/jobs,
// polled every 400 ms like a big footprint). The result is the job's summary: dimensions,
// variables with their statistics (SI units and degrees, as the API gives them), the CSV and
// NetCDF downloads. Cancel asks the server to stop (between chunks) and the page waits for it.
// Nothing is drawn on the globe.
const sweep = { ctrl: null, jobId: null, cancel: false };

function sweepExamples() { return (state.meta && state.meta.examples && state.meta.examples.sweep) || {}; }
function initSweep() {
  const ex = sweepExamples();
  $("#sweep-example").replaceChildren(...Object.entries(ex).map(([k, v]) =>
    el("option", { value: k, text: `${k.replace(/_/g, " ")} (${v.kind}${v.name ? `, "${v.name}"` : ""})` })));
  if (state.meta && state.meta.max_sweep_cases) $("#sweep-max").textContent = fmt(state.meta.max_sweep_cases, 0);
  loadSweepExample();
}
function loadSweepExample() {
  const ex = sweepExamples()[$("#sweep-example").value];
  if (!ex) return;
  $("#sweep-spec").value = JSON.stringify(ex, null, 2);
  sweepError(null);
}
// the inline error under the spec (null clears it); `at`: [start, end] to select in the text
function sweepError(text, at) {
  const p = $("#sweep-spec-error"), ta = $("#sweep-spec");
  p.textContent = text || "";
  p.hidden = !text;
  if (!text) { ta.removeAttribute("aria-invalid"); return; }
  ta.setAttribute("aria-invalid", "true");
  ta.focus();
  if (at) ta.setSelectionRange(at[0], at[1]);
}

// Where JSON.parse failed: the index of the first character that cannot continue valid JSON.
// Browsers word their messages differently and some give no position, so the page finds it.
function jsonErrorAt(s) {
  let i = 0;
  const fail = () => { throw i; };
  const ws = () => { while (i < s.length && " \t\n\r".includes(s[i])) i++; };
  const word = (w) => { for (const c of w) { if (s[i] !== c) fail(); i++; } };
  function str() {
    for (i++; ; i++) {
      if (i >= s.length || s[i] < " ") fail();
      if (s[i] === '"') { i++; return; }
      if (s[i] === "\\") {
        i++;
        if (s[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) fail(); i += 4; }
        else if (!s[i] || !'"\\/bfnrt'.includes(s[i])) fail();
      }
    }
  }
  function seq(close, item) { // the items of an object or array, after its opening bracket
    i++; ws();
    if (s[i] === close) { i++; return; }
    for (;;) {
      item(); ws();
      if (s[i] === ",") { i++; ws(); continue; }
      if (s[i] === close) { i++; return; }
      fail();
    }
  }
  function value() {
    ws();
    const c = s[i];
    if (c === "{") return seq("}", () => { if (s[i] !== '"') fail(); str(); ws(); if (s[i] !== ":") fail(); i++; value(); });
    if (c === "[") return seq("]", value);
    if (c === '"') return str();
    if (c === "t" || c === "f" || c === "n") return word({ t: "true", f: "false", n: "null" }[c]);
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(s.slice(i, i + 400));
    if (!m) fail();
    i += m[0].length;
  }
  try { value(); ws(); if (i < s.length) fail(); } catch (e) { return typeof e === "number" ? e : s.length; }
  return s.length;
}
// The spec as an object, or {error, at}: a syntax error names the spec, its line and column
function parseSweepSpec(text) {
  let v;
  try { v = JSON.parse(text); } catch (e) {
    const pos = Math.min(jsonErrorAt(text), text.length);
    const lines = text.slice(0, pos).split("\n");
    return { error: `Sweep spec: JSON syntax error at line ${lines.length}, column ${lines[lines.length - 1].length + 1}: ` +
      `${e.message}. Nothing was sent.`, at: [pos, Math.min(pos + 1, text.length)] };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return { error: "Sweep spec: a JSON object {…} with the keys of a SWEEP.toml (kind, fixed, grid…) is needed. Nothing was sent.", at: null };
  }
  return { spec: v };
}
// the key a 422's field names ("grid.speed.n"), found in the spec's text, to select it
function fieldAt(text, field) {
  let from = 0, found = null;
  for (const part of String(field).split(".")) {
    const key = JSON.stringify(part.replace(/\[\d+\]$/, ""));
    const k = text.indexOf(key, from);
    if (k < 0) break;
    found = [k, k + key.length];
    from = found[1];
  }
  return found;
}

async function runSweep() {
  const form = $("#form-sweep"), box = $("#result-sweep"), ta = $("#sweep-spec");
  const cancel = $("[data-action=cancel]", form);
  const parsed = parseSweepSpec(ta.value);
  if (parsed.error) {
    sweepError(parsed.error, parsed.at);
    status(parsed.error, "error");
    if (!sweep.ctrl) { box.replaceChildren(); box.dataset.state = "error"; } // a run under way goes on
    return;
  }
  if (sweep.ctrl) sweep.ctrl.abort(); // a new run replaces the one under way (whose job is cancelled)
  sweepError(null);
  const ctrl = new AbortController();
  Object.assign(sweep, { ctrl, jobId: null, cancel: false });
  const t0 = performance.now();
  const bar = el("progress", { id: "sweep-progress", max: "1", value: "0", "aria-label": "Sweep job progress" });
  const msg = el("span", { class: "job-message", text: " submitting" });
  box.replaceChildren(el("div", { class: "job" }, el("p", { text: "Background sweep job:" }), bar, msg));
  box.dataset.state = "running";
  delete box.dataset.jobId;
  delete box.dataset.progress;
  form.setAttribute("aria-busy", "true");
  cancel.hidden = false;
  cancel.disabled = false;
  status("Sweep submitted…");
  let id = null;
  const drop = () => fetch(`/api/jobs/${id}`, { method: "DELETE", credentials: "same-origin" });
  try {
    const r = await post("/api/jobs", { kind: "sweep", params: parsed.spec }, ctrl.signal);
    const d = await r.json();
    if (ctrl.signal.aborted) throw new DOMException("Aborted", "AbortError");
    if (!r.ok) { sweepFailed(d, r.status, ta.value); return; }
    id = d.job_id;
    sweep.jobId = state.jobs.sweep = box.dataset.jobId = id;
    if (sweep.cancel) await drop(); // Cancel was pressed before the job had an id
    for (;;) {
      await sleep(400, ctrl.signal);
      const s = await getJSON(`/api/jobs/${id}`);
      if (ctrl.signal.aborted) throw new DOMException("Aborted", "AbortError");
      bar.value = s.progress;
      msg.textContent = ` ${fmt(100 * s.progress, 0)} %: ${s.message}`;
      box.dataset.progress = String(s.progress);
      if (s.state === "done") {
        state.runs += 1;
        state.results.sweep = { request: parsed.spec, response: s.result, jobId: id };
        renderSweep(s, box);
        box.dataset.state = "done";
        box.dataset.run = String(state.runs);
        status(`Sweep done: ${fmt(s.result.n_cases, 0)} cases in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
        return;
      }
      if (s.state === "failed") { sweepFailed(s, 422, ta.value); return; }
      if (s.state === "cancelled") {
        box.replaceChildren(el("p", { text: `Cancelled: ${fmt(100 * s.progress, 0)} % was done (${s.message}); nothing was kept.` }));
        box.dataset.state = "cancelled";
        status("Sweep cancelled.");
        return;
      }
    }
  } catch (e) {
    // aborted: a newer run owns the box; this run's job is cancelled on the server
    if (e.name === "AbortError") { if (id) drop(); return; }
    box.replaceChildren(el("p", { class: "error", role: "alert", text: String(e) }));
    box.dataset.state = "error";
    status(String(e), "error");
  } finally {
    if (sweep.ctrl === ctrl) {
      sweep.ctrl = null;
      form.removeAttribute("aria-busy");
      cancel.hidden = true;
      if (state.jobs.sweep === id) state.jobs.sweep = null;
    }
  }
}
// Cancel: the server stops the job after the chunk it is computing; the poll then sees it
async function cancelSweep() {
  if (!sweep.ctrl) return;
  sweep.cancel = true;
  $("#form-sweep [data-action=cancel]").disabled = true;
  status("Cancelling the sweep: it stops after the chunk under way…");
  if (sweep.jobId) await fetch(`/api/jobs/${sweep.jobId}`, { method: "DELETE", credentials: "same-origin" });
}
// A refused spec (422, or a job that failed on its input) is shown at the spec, naming the
// field; anything else (429: too many jobs; an internal error) in the result box.
function sweepFailed(d, code, text) {
  const box = $("#result-sweep");
  const error = d.error || `HTTP ${code}`;
  box.dataset.state = "error";
  status(`Error: ${error}`, "error");
  if (code === 422 && d.field) {
    const field = String(d.field).replace(/^params\.?/, "");
    sweepError(`Sweep spec refused${field ? ` (field ${field})` : ""}: ${error}`, field ? fieldAt(text, field) : null);
    box.replaceChildren();
    return;
  }
  box.replaceChildren(el("p", { class: "error", role: "alert", text: error }));
}

const cell = (key, value) => el("td", { class: "num", text: num(value), dataset: { key, value: String(value) } });
function renderSweep(job, box) {
  const res = job.result;
  const parts = [headline(headlines.sweep(job)), table(`Sweep "${res.name}" (${res.kind})`, [
    ["Cases", res.n_cases, 0, "", "n_cases"],
    ["Chunks", res.n_chunks, 0, `of up to ${fmt(res.chunk, 0)} cases`, "n_chunks"],
    ["Random seed", String(res.seed), 0, "", "seed"],
    ["Job time on the server", job.elapsed_s, 2, "s", "elapsed_s"],
    ["of which computing", res.timings_s.compute_s, 2, "s", "timings_s.compute_s"],
  ])];
  // dimensions: the grid's fields in order (then "sample" with a dispersion)
  const dt = el("table", { class: "results sweep-dims" }, el("caption", { text: res.dims.length ?
    `Dimensions (shape ${res.shape.join(" × ")})` : "No dimension: a single case" }));
  dt.append(el("thead", {}, el("tr", {}, ...["dimension", "size", "units", "first", "last"].map((h) => el("th", { scope: "col", text: h })))));
  const db = el("tbody");
  for (const d of res.dims) {
    db.append(el("tr", {}, el("th", { scope: "row", title: d.long_name, text: d.name }), cell(`dims.${d.name}.size`, d.size),
      el("td", { class: "unit", text: d.units }), cell(`dims.${d.name}.first`, d.values[0]),
      cell(`dims.${d.name}.last`, d.values[d.values.length - 1])));
  }
  dt.append(db);
  // variables: min, mean, max over the finite values and the count of the others; flags: counts
  const vt = el("table", { class: "results sweep-vars" }, el("caption", { text: "Variables over every case" }));
  vt.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "variable [units]" }),
    ...["min", "mean", "max"].map((h) => el("th", { scope: "col", class: "num", text: h })),
    el("th", { scope: "col", class: "num" }, el("abbr", { title: "values that are not finite (NaN: e.g. no impact)", text: "NaN" })))));
  const vb = el("tbody");
  for (const [name, v] of Object.entries(res.variables)) {
    const head = [el("th", { scope: "row" }, name, " ", el("span", { class: "unit", text: v.units }),
      el("small", { class: "hint", text: v.long_name }))];
    if ("true" in v) {
      const count = (k) => el("span", { text: `${fmt(v[k], 0)} ${k}`, dataset: { key: `variables.${name}.${k}`, value: String(v[k]) } });
      vb.append(el("tr", {}, ...head, el("td", { class: "num", colspan: "3" }, count("true"), ", ", count("false")), el("td", { class: "num", text: "—" })));
    } else {
      vb.append(el("tr", {}, ...head, cell(`variables.${name}.min`, v.min), cell(`variables.${name}.mean`, v.mean),
        cell(`variables.${name}.max`, v.max), cell(`variables.${name}.nan`, v.nan)));
    }
  }
  vt.append(vb);
  const fixed = Object.entries(res.fixed || {}).map(([k, v]) => `${k} = ${v}`).join(", ");
  parts.push(dt, vt,
    el("p", { class: "method" }, `Fixed for every case: ${fixed || "nothing"}. ${res.case_order}. SHA-256 of the data: `,
      el("code", { class: "digest", text: res.sha256, dataset: { key: "sha256", value: res.sha256 } })),
    downloads("sweep", null, [["csv", "CSV"], ["netcdf", "NetCDF"]], job.job_id));
  box.replaceChildren(...parts);
}

// "Save run": the panel's request and the summary of its result go to the run store
function saveButton(panel) {
  const res = state.results[panel];
  const out = el("span", { class: "saved", role: "status" });
  const b = el("button", { type: "button", class: "save-run", "data-save": panel, onclick: async () => {
    b.disabled = true;
    try {
      const body = res.jobId ? { panel, job_id: res.jobId } : { panel, request: res.request };
      const r = await post("/api/runs", body);
      const d = await r.json();
      if (!r.ok) { out.textContent = `Not saved: ${d.error}`; out.className = "saved error"; b.disabled = false; return; }
      out.textContent = ` Saved as run ${d.id}.`;
      out.dataset.runId = String(d.id);
      status(`Saved as run ${d.id} (${d.kind}).`);
      if ($("#saved-runs").open) loadRuns();
    } catch (e) { out.textContent = `Not saved: ${e}`; b.disabled = false; }
  } }, "Save run");
  return el("div", { class: "save-row" }, b, out);
}
async function loadRuns() {
  const ol = $("#saved-runs-list");
  try {
    const runs = await getJSON("/api/runs?limit=20");
    ol.replaceChildren(...runs.map((r) => el("li", { dataset: { runId: String(r.id) } },
      el("strong", { text: `#${r.id} ` }), `${r.kind.replace(/^web-/, "")}, ${r.created_utc.replace("T", " ").slice(0, 19)} UTC`,
      el("code", { text: ` ${JSON.stringify(r.scenario).slice(0, 160)}` }))));
    if (!runs.length) ol.replaceChildren(el("li", { text: "No runs saved from this page yet." }));
  } catch (e) { ol.replaceChildren(el("li", { class: "error", text: String(e) })); }
}

function table(caption, rows) {
  const t = el("table", { class: "results" }, el("caption", { text: caption }));
  const head = el("tr", {}, el("th", { scope: "col", text: "quantity" }), el("th", { scope: "col", text: "value" }),
    el("th", { scope: "col", text: "unit" }));
  t.append(el("thead", {}, head));
  const tb = el("tbody");
  for (const [label, value, digits, unit, key] of rows) {
    const shown = typeof value === "number" ? fmt(value, digits) : (value === null || value === undefined ? "—" : String(value));
    tb.append(el("tr", {}, el("th", { scope: "row", text: label }),
      el("td", { class: "num", text: shown, dataset: key ? { key, value: String(value) } : {} }),
      el("td", { class: "unit", text: unit || "" })));
  }
  t.append(tb);
  return t;
}

function downloads(panel, body, formats, jobId) {
  formats = formats || [["geojson", "GeoJSON"], ["csv", "CSV"], ["kml", "KML"], ["czml", "CZML"]];
  const wrap = el("div", { class: "downloads", role: "group", "aria-label": "Downloads" }, el("span", { text: "Download: " }));
  for (const [fmtName, label] of formats) {
    wrap.append(el("button", { type: "button", "data-download": fmtName, onclick: () => download(panel, fmtName, body, jobId) }, label));
  }
  return wrap;
}
async function download(panel, fmtName, body, jobId) {
  status(`Preparing ${fmtName.toUpperCase()}…`);
  const r = jobId ? await fetch(`/api/jobs/${jobId}/${fmtName}`, { credentials: "same-origin" })
    : await post(`/api/${API[panel]}/${fmtName}`, body);
  if (!r.ok) { const d = await r.json(); status(`Error: ${d.error}`, "error"); return; }
  const blob = await r.blob();
  const cd = r.headers.get("content-disposition") || "";
  const name = (cd.match(/filename="([^"]+)"/) || [])[1] || `boostphase.${fmtName}`;
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  status(`Saved ${name}.`);
}

// ------------------------------------------------------------------------------ panels
// the headline sentence (headlines.js) on top of a result; `data`: a data-key for the tests
// (the Check and Engage verdicts keep theirs)
function headline(h, data) {
  return el("p", { class: `headline verdict${h.tone ? ` ${h.tone}` : ""}`, dataset: data }, el("strong", { text: h.text }));
}
const RENDER = {
  flight(res, body, box) {
    const s = res.summary;
    const rows = [
      ["Ground range", s.impacted ? s.range_km : "none (no impact)", 1, s.impacted ? "km" : "", "range_km"],
      ["Apogee", s.apogee_km, 1, "km", "apogee_km"],
      ["Flight time", s.flight_time_s, 1, "s", "flight_time_s"],
      ["Flight time", s.flight_time_s == null ? null : s.flight_time_s / 60, 1, "min", null],
      ["Burnout time", s.burnout.time_s, 1, "s", "burnout.time_s"],
      ["Burnout altitude", s.burnout.altitude_km, 1, "km", "burnout.altitude_km"],
      ["Burnout speed", s.burnout.speed_km_s, 3, "km/s", "burnout.speed_km_s"],
      ["Burnout flight-path angle", s.burnout.flight_path_deg, 2, "deg above horizontal", "burnout.flight_path_deg"],
      ["Launch azimuth", s.azimuth_deg, 2, "deg from north", "azimuth_deg"],
      ["Pitch-over kick", s.kick_deg, 3, "deg", "kick_deg"],
      ["Impact latitude", s.impact.lat, 4, "deg", "impact.lat"],
      ["Impact longitude", s.impact.lon, 4, "deg", "impact.lon"],
      ["Earth model", s.earth, 0, "", "earth"],
    ];
    const parts = [table(`${res.missile.title}: ${s.profile} flight`, rows)];
    // a flight that does not land has no range, impact point or flight time (null, shown "—")
    if (!s.impacted) parts.unshift(el("p", { class: "warning", role: "note", text: `No impact, so no range: ${s.reason || "no impact within the time limit"}.` }));
    parts.unshift(headline(headlines.flight(res, body, state.catalog)));
    parts.push(altitudeChart(res));
    parts.push(downloads("flight", body));
    parts.push(el("button", { type: "button", class: "animate", onclick: () => animateCzml(body) }, "Animate the flight on the globe (CZML)"));
    box.replaceChildren(...parts);
  },
  reconstruct(res, body, box) {
    // a flight that does not come down (or flies 18,000 km or more) has no range: "global"
    const rows = [
      ["Maximum range, standard trajectory (non-rotating Earth)", res.global_reach ? "global (any point on Earth)" : res.max_range_km, 0, res.global_reach ? "" : "km", "max_range_km"],
      ["Smallest range the fit and its band support", res.max_range_lower_km, 0, "km", "max_range_lower_km"],
    ];
    if (res.max_range_band_km) rows.push(["Finite ranges with burn time ×0.8 / ×1.2", `${fmt(res.max_range_band_km[0], 0)} to ${fmt(res.max_range_band_km[1], 0)}`, 0, "km", "max_range_band_km"]);
    rows.push(
      ["Burnout speed of the test", res.burnout_speed_km_s, 3, "km/s", "burnout_speed_km_s"],
      ["Fitted payload", res.fit.payload_kg, 0, "kg", "fit.payload_kg"],
      ["Fitted pitch-over kick", res.fit.kick_deg, 3, "deg", "fit.kick_deg"],
      ["Fit: apogee", res.fit.apogee_km, 1, "km", "fit.apogee_km"],
      ["Fit: range", res.fit.range_km, 1, "km", "fit.range_km"],
      ["Fit: flight time", res.fit.flight_time_s, 0, "s", "fit.flight_time_s"],
      ["Residual: flight time", res.residuals.flight_time_s, 0, "s", "residuals.flight_time_s"],
      ["Standard trajectory: apogee", res.standard_apogee_km, 0, "km", "standard_apogee_km"],
      ["Standard trajectory: flight time", res.standard_flight_time_s == null ? "none (no impact)" : res.standard_flight_time_s / 60, 1, res.standard_flight_time_s == null ? "" : "min", null],
      ["Model fitted", res.missile_model, 0, "", "missile_model"],
    );
    const parts = [headline(headlines.reconstruct(res)), table("Reconstruction of the test", rows), el("p", { class: "method", text: `Method: ${res.method}. Model: ${res.model_choice ? res.model_choice.why : res.missile_model}.` })];
    if (res.global_note) parts.push(el("p", { class: "method", text: `Global: ${res.global_note.why}` }));
    if (res.cities && res.cities.length) {
      const t = el("table", { class: "results cities" }, el("caption", { text: "Cities (rotating Earth, reach on each city's bearing)" }));
      t.append(el("thead", {}, el("tr", {}, ...["city", "distance (km)", "reach (km)", "verdict", "margin (km)"].map((h) => el("th", { scope: "col", text: h })))));
      const tb = el("tbody");
      for (const c of res.cities) {
        tb.append(el("tr", { class: c.in_reach ? "in" : "out" }, el("th", { scope: "row", text: c.name }),
          el("td", { class: "num", text: fmt(c.distance_km, 0) }), el("td", { class: "num", text: c.global_reach ? "global" : fmt(c.range_km, 0) }),
          el("td", { text: c.in_reach ? "in reach" : "out of reach" }), el("td", { class: "num", text: c.global_reach ? "—" : fmt(c.margin_km, 0) })));
      }
      t.append(tb);
      parts.push(t);
    }
    parts.push(downloads("reconstruct", body));
    box.replaceChildren(...parts);
  },
  check(res, body, box) {
    const verdict = headline(headlines.check(res), { key: "ballistic_consistent", value: String(res.ballistic_consistent) });
    const why = el("p", { class: "verdict-sentence", dataset: { key: "verdict", value: String(res.verdict) } },
      el("strong", { text: `${String(res.verdict).replaceAll("_", " ")}: ` }), res.verdict_sentence || "");
    const reasons = el("ol", { class: "reasons" }, ...res.reasons.map((r) => el("li", { text: r })));
    const rows = [
      ["Least burnout speed for the range (min-energy arc)", res.min_energy && res.min_energy.burnout_speed_km_s, 3, "km/s", "min_energy.burnout_speed_km_s"],
      ["Apogee of the min-energy arc", res.min_energy && res.min_energy.apogee_km, 0, "km", "min_energy.apogee_km"],
      ["Speed needed through the claimed apogee", res.through_apogee && res.through_apogee.burnout_speed_km_s, 3, "km/s", "through_apogee.burnout_speed_km_s"],
      ["Peak speed needed", res.peak_speed_km_s_needed, 3, "km/s", "peak_speed_km_s_needed"],
      ["Claimed peak speed", res.claimed_peak_speed_km_s, 3, "km/s", "claimed_peak_speed_km_s"],
      ["Claimed peak Mach", res.claimed_peak_mach, 1, res.mach_convention, "claimed_peak_mach"],
      ["Least glide L/D for the claimed speed", res.min_glide_ld_for_claimed_speed, 2, "", "min_glide_ld_for_claimed_speed"],
    ].filter((r) => r[1] !== null && r[1] !== undefined);
    box.replaceChildren(verdict, why, el("h3", { text: "Reasons" }), reasons, table("Figures (spherical Earth)", rows),
      el("p", { class: "method", text: `Earth: ${res.earth}.` }));
  },
  engage(res, body, box) {
    const r = res.row;
    const verdict = headline(headlines.engage(res), { key: "intercept_possible", value: String(r.intercept_possible) });
    const rows = [
      ["Intercept time after threat launch", r.intercept_time_s, 1, "s", "intercept_time_s"],
      ["Margin before burnout", r.margin_before_burnout_s, 1, "s", "margin_before_burnout_s"],
      ["Interceptor fly-out time", r.interceptor_flyout_s, 1, "s", "interceptor_flyout_s"],
      ["Closing speed", r.closing_speed_km_s, 2, "km/s", "closing_speed_km_s"],
      ["Intercept latitude", r.intercept.lat, 4, "deg", "intercept.lat"],
      ["Intercept longitude", r.intercept.lon, 4, "deg", "intercept.lon"],
      ["Intercept altitude", r.intercept.alt_km, 1, "km", "intercept.alt_km"],
      ["Ground range from the orbit (worst point)", r.ground_range_km, 0, "km", "ground_range_km"],
      ["Interceptor too late by at least", r.shortfall_s, 1, "s", "shortfall_s"],
      ["Threat burnout time", r.burnout_time_s, 1, "s", "burnout_time_s"],
      ["Interceptor", res.interceptor, 0, "", null],
    ].filter((x) => x[1] !== null && x[1] !== undefined);
    const tl = el("table", { class: "results timeline" }, el("caption", { text: "Timeline (s after the threat's launch)" }));
    tl.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "event" }), el("th", { scope: "col", text: "time (s)" }))));
    const tb = el("tbody");
    for (const e of res.timeline) tb.append(el("tr", {}, el("th", { scope: "row", text: e.event }), el("td", { class: "num", text: fmt(e.t_s, 1) })));
    tl.append(tb);
    const parts = [verdict, table(`${res.threat.name} vs ${r.platform}${res.rows.length > 1 ? " (orbit 1)" : ""}`, rows), tl];
    if (res.rows.length > 1) {
      const ot = el("table", { class: "results orbits" }, el("caption", { text: "Every orbit" }));
      ot.append(el("thead", {}, el("tr", {}, ...["orbit", "intercept", "time (s)", "margin (s)", "altitude (km)"].map((h) => el("th", { scope: "col", text: h })))));
      const ob = el("tbody");
      res.rows.forEach((x, i) => ob.append(el("tr", { class: x.intercept_possible ? "in" : "out" },
        el("th", { scope: "row", text: `${i + 1}: ${fmt(res.orbits[i].lat, 2)}, ${fmt(res.orbits[i].lon, 2)}` }),
        el("td", { text: x.intercept_possible ? "yes" : "no", dataset: { key: `rows.${i}.intercept_possible`, value: String(x.intercept_possible) } }),
        el("td", { class: "num", text: fmt(x.intercept_time_s, 1), dataset: { key: `rows.${i}.intercept_time_s`, value: String(x.intercept_time_s) } }),
        el("td", { class: "num", text: fmt(x.margin_before_burnout_s, 1), dataset: { key: `rows.${i}.margin_before_burnout_s`, value: String(x.margin_before_burnout_s) } }),
        el("td", { class: "num", text: fmt(x.intercept.alt_km, 1) }))));
      ot.append(ob);
      parts.push(ot);
    }
    parts.push(el("p", { class: "method", text: `Method: reach ${r.method}, reference ${r.platform_reference}, criterion ${r.criterion}.` }));
    box.replaceChildren(...parts);
  },
  engagemap(res, body, box) {
    const rows = [
      ["Cells with an intercept before burnout", res.feasible_cells, 0, `of ${res.cells}`, "feasible_cells"],
      ["Largest margin before burnout", res.max_margin_s, 1, "s", "max_margin_s"],
      ["Interceptor launch after the threat's", res.interceptor_launch_time_s, 0, "s", "interceptor_launch_time_s"],
      ["Threat burnout time", res.burnout_time_s, 1, "s", "burnout_time_s"],
      ["UAV altitude", res.platform.altitude_km, 1, "km", null],
      ["Grid", `${res.lat.length} × ${res.lon.length}`, 0, "cells", null],
    ];
    const best = (res.best_cells || []).slice(0, 3).map((c) => `${fmt(c.lat, 2)}, ${fmt(c.lon, 2)} (${fmt(c.mean_margin_s, 0)} s)`);
    box.replaceChildren(headline(headlines.engagemap(res)), table(`Engagement map: ${res.interceptor}`, rows), mapLegend(res.max_margin_s),
      el("p", { class: "method", text: `Best orbit centres: ${best.join("; ") || "none"}. No keep-out zones; ranges from the orbit's worst point.` }));
  },
  shortfall(res, body, box) {
    const t = el("table", { class: "results" }, el("caption", { text: `Where the payload falls if thrust stops (burnout ${fmt(res.burnout_s, 0)} s)` }));
    t.append(el("thead", {}, el("tr", {}, ...["territory", "cut-off from (s)", "to (s)"].map((h) => el("th", { scope: "col", text: h })))));
    const tb = el("tbody");
    for (const iv of res.intervals) {
      tb.append(el("tr", {}, el("th", { scope: "row" }, swatch(iv.territory), iv.territory),
        el("td", { class: "num", text: fmt(iv.from_s, 0) }), el("td", { class: "num", text: fmt(iv.to_s, 0) })));
    }
    t.append(tb);
    const last = res.trace[res.trace.length - 1];
    box.replaceChildren(headline(headlines.shortfall(res, body)), t, el("p", { class: "method", text: `${res.trace.length} cut-off times; at burnout the payload falls ` +
      `${fmt(last.nearest_city_km, 0)} km from ${last.nearest_city}. Payload ballistic coefficient: ` +
      `${res.beta_kg_m2 === null ? "vacuum" : fmt(res.beta_kg_m2, 0) + " kg/m²"}.` }));
  },
  footprint(res, body, box) {
    const t = el("table", { class: "results" }, el("caption", { text: `Fragment impacts by territory (${fmt(res.n, 0)} fragments, seed ${res.seed})` }));
    t.append(el("thead", {}, el("tr", {}, ...["territory", "share (%)", "95 % interval (%)"].map((h) => el("th", { scope: "col", text: h })))));
    const tb = el("tbody");
    for (const [k, v] of Object.entries(res.shares).sort((a, b) => b[1] - a[1])) {
      const ci = res.shares_ci[k] || [null, null];
      tb.append(el("tr", {}, el("th", { scope: "row" }, swatch(k), k), el("td", { class: "num", text: fmt(100 * v, 1), dataset: { key: `shares.${k}`, value: String(v) } }),
        el("td", { class: "num", text: `${fmt(100 * ci[0], 1)} to ${fmt(100 * ci[1], 1)}` })));
    }
    t.append(tb);
    const parts = [headline(headlines.footprint(res)), t, el("p", { class: "method", text: `Globe: ${fmt(res.sample.lat.length, 0)} of ${fmt(res.sample.of, 0)} impact points (a random sample). ${res.ci_method}.` })];
    if (res.cities_at_risk && res.cities_at_risk.length) {
      parts.push(el("p", { class: "method", text: `Cities within ${fmt(res.city_radius_km, 0)} km of an impact: ` +
        res.cities_at_risk.slice(0, 8).map((c) => c.name || c.city).join(", ") + "." }));
    }
    const run = state.results.footprint;
    parts.push(downloads("footprint", body, [["geojson", "GeoJSON"], ["kml", "KML"]], run && run.jobId));
    box.replaceChildren(...parts);
  },
};

// one colour per territory name, in order of first appearance (the same in every table, on the
// globe and in the legend for the whole session; 20 colours before they repeat)
const PALETTE = ["#ef476f", "#ffd166", "#06d6a0", "#4cc9f0", "#f78c6b", "#b388eb", "#83c5be", "#ffafcc", "#90be6d", "#f9c74f",
  "#577590", "#e5e5e5", "#f3722c", "#43aa8b", "#9b5de5", "#00bbf9", "#fee440", "#f15bb5", "#8ac926", "#c0c0ff"];
const territoryColors = new Map();
function territoryColor(name) {
  const k = String(name);
  if (!territoryColors.has(k)) territoryColors.set(k, PALETTE[territoryColors.size % PALETTE.length]);
  return territoryColors.get(k);
}
function swatch(name) {
  return el("span", { class: "swatch", style: `background:${territoryColor(name)}`, "aria-hidden": "true" });
}
// impact points coloured by territory; returns their positions and their legend entries (one per
// territory, weighted by its number of points)
function points(panel, lats, lons, names, size) {
  const C = window.Cesium;
  const pc = state.prims[panel];
  const colors = {};
  const counts = new Map();
  const out = [];
  for (let i = 0; i < lats.length; i++) {
    const name = names[i];
    if (!colors[name]) colors[name] = C.Color.fromCssColorString(territoryColor(name));
    counts.set(name, (counts.get(name) || 0) + 1);
    const pos = C.Cartesian3.fromDegrees(lons[i], lats[i], 0);
    pc.add({ position: pos, pixelSize: size, color: colors[name], outlineColor: C.Color.BLACK, outlineWidth: size > 4 ? 1 : 0 });
    out.push(pos);
  }
  const legend = [...counts].map(([name, n]) => ({ kind: "dot", color: territoryColor(name), label: name, weight: n }));
  return { positions: out, legend };
}

// Every colour drawn on the globe, named once: the legend's entries use these.
const COLORS = {
  track: "#ff5a36", ground: "#ffd166", launch: "#ffffff", burnout: "#ffd166", apogee: "#06d6a0", impact: "#ef476f",
  target: "#c77dff", reach: "#ff9f1c", inReach: "#ef476f", outReach: "#06d6a0", orbitOk: "#4cc9f0", orbitNo: "#9aa5b1",
  intercept: "#06d6a0", border: "#f4e8c1", czmlMissile: "#ffdc00", czmlPath: "#e63c28",
};
const LAT_LON = /^\s*([-+]?\d+(?:\.\d*)?)\s*,\s*([-+]?\d+(?:\.\d*)?)\s*$/;

// A target marker that can be dragged. `text`: the form's target, LAT,LON or a city name (looked
// up in the offline gazetteer); drawn only if the layer still shows the same answer by then.
async function targetMarker(panel, text, res) {
  let lat, lon;
  const m = LAT_LON.exec(String(text));
  if (m) [lat, lon] = [Number(m[1]), Number(m[2])];
  else {
    try {
      const c = await getJSON(`/api/city?name=${encodeURIComponent(text)}`);
      [lat, lon] = [c.lat, c.lon];
    } catch (e) { return; } // the answer above names a bad target already
  }
  if (!state.results[panel] || state.results[panel].response !== res) return;
  const e = marker(state.layers[panel], lon, lat, 0, "target", COLORS.target, true, 95);
  state.drag.handle(e, { panel, role: "target" });
  state.viewer.scene.requestRender();
  state.declutter.refresh();
}

// An ensemble on the globe: its launch point and, where the outputs hold the impact point, the
// box from the 5 % to the 95 % quantile of impact latitude and of impact longitude (each taken on
// its own: a marginal box, not a joint region). The API gives quantiles, not each sample's track.
function drawEnsemble(panel, res, body) {
  const C = window.Cesium;
  const ds = state.layers[panel];
  clearLayer(panel);
  if (!ds) return [];
  const legend = [];
  const frame = [];
  const m = LAT_LON.exec(String(body.launch || ""));
  if (m) {
    marker(ds, Number(m[2]), Number(m[1]), 0, "launch", COLORS.launch, false, 100);
    legend.push({ kind: "point", color: COLORS.launch, label: "launch point" });
    frame.push(C.Cartesian3.fromDegrees(Number(m[2]), Number(m[1]), 0));
  }
  const o = res.ensemble.outputs;
  const lat = o["impact.lat"], lon = o["impact.lon"];
  if (lat && lon && lat.n && lon.n) {
    const [s, n, w, e] = [lat.quantiles.q05, lat.quantiles.q95, lon.quantiles.q05, lon.quantiles.q95];
    if ([s, n, w, e].every(Number.isFinite)) {
      ds.entities.add({ name: "impact box", polyline: { positions: C.Cartesian3.fromDegreesArray([w, s, e, s, e, n, w, n, w, s]),
        width: 3, material: C.Color.fromCssColorString(COLORS.impact), arcType: C.ArcType.RHUMB } });
      marker(ds, lon.quantiles.q50, lat.quantiles.q50, 0, `impact, median range ${fmt(o.range_km ? o.range_km.quantiles.q50 : NaN, 0)} km`, COLORS.impact, false, 85);
      legend.push({ kind: "line", color: COLORS.impact, label: "impact: 5–95 % of latitude and of longitude (each on its own)" },
        { kind: "point", color: COLORS.impact, label: "median impact latitude and longitude" });
      frame.push(...C.Cartesian3.fromDegreesArray([w, s, e, n]));
    }
  }
  legend.push({ kind: "note", label: `ensemble of ${fmt(res.ensemble.n, 0)} samples: no single track is drawn` });
  state.legend.set(panel, legend);
  return frame;
}

const DRAW = {
  flight(res, body) {
    const C = window.Cesium;
    const ds = state.layers.flight;
    clearLayer("flight");
    const t = res.track;
    const xyz = [];
    const ground = [];
    for (let i = 0; i < t.lat.length; i++) { xyz.push(t.lon[i], t.lat[i], t.alt_km[i] * 1000); ground.push(t.lon[i], t.lat[i]); }
    ds.entities.add({ name: "trajectory", polyline: { positions: C.Cartesian3.fromDegreesArrayHeights(xyz), width: 3,
      material: C.Color.fromCssColorString(COLORS.track), arcType: C.ArcType.NONE } });
    ds.entities.add({ name: "ground track", polyline: { positions: C.Cartesian3.fromDegreesArray(ground), width: 2,
      material: new C.PolylineDashMaterialProperty({ color: C.Color.fromCssColorString(COLORS.ground) }), arcType: C.ArcType.GEODESIC } });
    const ev = res.events;
    state.drag.handle(marker(ds, ev.launch.lon, ev.launch.lat, 0, "launch", COLORS.launch, false, 100), { panel: "flight", role: "launch" });
    marker(ds, ev.burnout.lon, ev.burnout.lat, ev.burnout.alt_km * 1000, `burnout ${fmt(ev.burnout.t_s, 0)} s, ${fmt(ev.burnout.alt_km, 0)} km`, COLORS.burnout, true, 40);
    marker(ds, ev.apogee.lon, ev.apogee.lat, ev.apogee.alt_km * 1000, `apogee ${fmt(ev.apogee.alt_km, 0)} km`, COLORS.apogee, false, 40);
    if (ev.impact) marker(ds, ev.impact.lon, ev.impact.lat, 0, `impact, ${fmt(res.summary.range_km, 0)} km`, COLORS.impact, false, 85);
    else if (ev.end) marker(ds, ev.end.lon, ev.end.lat, ev.end.alt_km * 1000, `no impact (end of the computed flight, ${fmt(ev.end.t_s, 0)} s)`, COLORS.impact, false, 85);
    const legend = [
      { kind: "line", color: COLORS.track, label: "trajectory" },
      { kind: "dash", color: COLORS.ground, label: "ground track" },
      { kind: "point", color: COLORS.launch, label: "launch point (drag it to move)" },
      { kind: "point", color: COLORS.burnout, label: "burnout" },
      { kind: "point", color: COLORS.apogee, label: "apogee" },
      { kind: "point", color: COLORS.impact, label: ev.impact ? "impact" : "end of the computed flight (no impact)" },
    ];
    if (body && body.target !== undefined) {
      legend.push({ kind: "point", color: COLORS.target, label: "target (drag it to move)" });
      targetMarker("flight", body.target, res);
    }
    state.legend.set("flight", legend);
    return C.Cartesian3.fromDegreesArrayHeights(xyz);
  },
  reconstruct(res) {
    const C = window.Cesium;
    const ds = state.layers.reconstruct;
    clearLayer("reconstruct");
    const legend = [];
    if (res.reach_geojson && res.reach_geojson.geometry) {
      const ring = res.reach_geojson.geometry.coordinates[0];
      ds.entities.add({ name: "reach", polyline: { positions: C.Cartesian3.fromDegreesArray(ring.flat()), width: 3,
        material: C.Color.fromCssColorString(COLORS.reach), arcType: C.ArcType.GEODESIC } });
      legend.push({ kind: "line", color: COLORS.reach, label: "reach on a minimum-energy trajectory (rotating Earth)" });
    }
    if (res.launch) {
      marker(ds, res.launch.lon, res.launch.lat, 0, "launch", COLORS.launch, false, 100);
      legend.push({ kind: "point", color: COLORS.launch, label: "launch site" });
    }
    const frame = [];
    (res.cities || []).forEach((c, i) => {
      // the cities in the order asked: an earlier one keeps its label when two would overlap
      marker(ds, c.lon, c.lat, 0, `${c.name}: ${c.in_reach ? "in" : "out of"} reach`, c.in_reach ? COLORS.inReach : COLORS.outReach, false, 60 - i / 100);
      frame.push(C.Cartesian3.fromDegrees(c.lon, c.lat));
    });
    if ((res.cities || []).some((c) => c.in_reach)) legend.push({ kind: "point", color: COLORS.inReach, label: "city in reach" });
    if ((res.cities || []).some((c) => !c.in_reach)) legend.push({ kind: "point", color: COLORS.outReach, label: "city out of reach" });
    state.legend.set("reconstruct", legend);
    if (res.launch) {
      // A contour of thousands of km wraps around the globe: look down on the middle of the launch
      // site and the cities (the part of the contour that matters), from high enough to see them.
      const pts = [[res.launch.lon, res.launch.lat], ...(res.cities || []).map((c) => [c.lon, c.lat])];
      const sum = new C.Cartesian3(0, 0, 0);
      for (const [lo, la] of pts) C.Cartesian3.add(sum, C.Cartesian3.normalize(C.Cartesian3.fromDegrees(lo, la), new C.Cartesian3()), sum);
      const mid = C.Cartographic.fromCartesian(C.Cartesian3.multiplyByScalar(C.Cartesian3.normalize(sum, sum), 6.4e6, sum));
      const reach = Math.max(...(res.reach_by_azimuth || []).map((r) => (r.global_reach ? 20000 : r.range_km)), 1000);
      const spread = pts.length > 1 ? 2.6e7 : Math.min(Math.max(reach * 2.2e3, 3.0e6), 2.6e7);
      return { over: [C.Math.toDegrees(mid.longitude), C.Math.toDegrees(mid.latitude)], height: spread };
    }
    return frame;
  },
  engage(res) {
    const C = window.Cesium;
    const ds = state.layers.engage;
    clearLayer("engage");
    const t = res.track;
    const xyz = [];
    for (let i = 0; i < t.lat.length; i++) xyz.push(t.lon[i], t.lat[i], t.alt_km[i] * 1000);
    ds.entities.add({ name: "threat boost", polyline: { positions: C.Cartesian3.fromDegreesArrayHeights(xyz), width: 3,
      material: C.Color.fromCssColorString(COLORS.track), arcType: C.ArcType.NONE } });
    state.drag.handle(marker(ds, res.threat.launch.lon, res.threat.launch.lat, 0, "launch", COLORS.launch, false, 100), { panel: "engage", role: "launch" });
    // the target is far from the boost (not framed), but it can be dragged like the launch point
    state.drag.handle(marker(ds, res.threat.target.lon, res.threat.target.lat, 0, "target", COLORS.target, true, 95), { panel: "engage", role: "target" });
    const n = t.lat.length - 1;
    if (n >= 0) marker(ds, t.lon[n], t.lat[n], t.alt_km[n] * 1000, `burnout ${fmt(t.t_s[n], 0)} s`, COLORS.burnout, false, 40);
    const frame = C.Cartesian3.fromDegreesArrayHeights(xyz);
    const orbits = res.orbits || [res.orbit];
    const rows = res.rows || [res.row];
    let anyOk = false, anyNo = false, anyIntercept = false;
    orbits.forEach((o, i) => {
      const r = rows[i];
      const col = r.intercept_possible ? COLORS.orbitOk : COLORS.orbitNo;
      if (r.intercept_possible) anyOk = true; else anyNo = true;
      const handle = { panel: "engage", role: "orbit", index: i };
      state.drag.handle(ds.entities.add({ name: `UAV orbit ${i + 1}`, position: C.Cartesian3.fromDegrees(o.lon, o.lat, o.alt_km * 1000),
        ellipse: { semiMajorAxis: Math.max(o.radius_km, 1) * 1000, semiMinorAxis: Math.max(o.radius_km, 1) * 1000,
          height: o.alt_km * 1000, fill: false, outline: true, outlineColor: C.Color.fromCssColorString(col), outlineWidth: 2 } }), handle);
      state.drag.handle(marker(ds, o.lon, o.lat, o.alt_km * 1000, orbits.length > 1 ? `orbit ${i + 1}` : "UAV orbit", col, true, 90 - i / 100), handle);
      frame.push(C.Cartesian3.fromDegrees(o.lon, o.lat, o.alt_km * 1000));
      if (r.intercept.lat !== null) {
        anyIntercept = true;
        if (i === 0 || orbits.length <= 3) marker(ds, r.intercept.lon, r.intercept.lat, r.intercept.alt_km * 1000, `intercept ${fmt(r.intercept_time_s, 0)} s, ${fmt(r.intercept.alt_km, 0)} km`, COLORS.intercept, true, 80);
        ds.entities.add({ name: `interceptor line of fire ${i + 1}`, polyline: { positions: C.Cartesian3.fromDegreesArrayHeights(
          [o.lon, o.lat, o.alt_km * 1000, r.intercept.lon, r.intercept.lat, r.intercept.alt_km * 1000]), width: 2,
        material: new C.PolylineDashMaterialProperty({ color: C.Color.fromCssColorString(COLORS.intercept) }), arcType: C.ArcType.NONE } });
      }
    });
    state.legend.set("engage", [
      { kind: "line", color: COLORS.track, label: "threat's boost" },
      { kind: "point", color: COLORS.launch, label: "threat launch (drag it to move)" },
      { kind: "point", color: COLORS.target, label: "threat target (drag it to move)" },
      { kind: "point", color: COLORS.burnout, label: "threat burnout" },
      anyOk ? { kind: "ring", color: COLORS.orbitOk, label: "UAV orbit, intercept before burnout (drag it)" } : null,
      anyNo ? { kind: "ring", color: COLORS.orbitNo, label: "UAV orbit, no intercept in time (drag it)" } : null,
      anyIntercept ? { kind: "point", color: COLORS.intercept, label: "intercept point" } : null,
      anyIntercept ? { kind: "dash", color: COLORS.intercept, label: "interceptor's line of fire" } : null,
    ].filter(Boolean));
    return frame;
  },
  engagemap(res) {
    // one rectangle textured with a canvas: a pixel per cell (no per-cell entities)
    const C = window.Cesium;
    const ds = state.layers.engagemap;
    clearLayer("engagemap");
    const nLat = res.lat.length, nLon = res.lon.length;
    const cv = document.createElement("canvas");
    cv.width = nLon; cv.height = nLat;
    const ctx = cv.getContext("2d");
    const img = ctx.createImageData(nLon, nLat);
    for (let i = 0; i < nLat; i++) {
      for (let j = 0; j < nLon; j++) {
        const m = res.margin_s[i][j];
        const k = ((nLat - 1 - i) * nLon + j) * 4; // row 0 of the image is the north edge
        if (m === null) { img.data[k + 3] = 0; continue; }
        const [r, g, b] = marginColor(m, res.max_margin_s);
        img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 150;
      }
    }
    ctx.putImageData(img, 0, 0);
    const dlat = (res.lat[nLat - 1] - res.lat[0]) / Math.max(nLat - 1, 1);
    const lonu = res.lon_unwrapped;
    const dlon = (lonu[nLon - 1] - lonu[0]) / Math.max(nLon - 1, 1);
    const wrap = (x) => ((x + 540) % 360) - 180;
    const rect = C.Rectangle.fromDegrees(wrap(lonu[0] - dlon / 2), Math.max(-90, res.lat[0] - dlat / 2),
      wrap(lonu[nLon - 1] + dlon / 2), Math.min(90, res.lat[nLat - 1] + dlat / 2));
    ds.entities.add({ name: "engagement map", rectangle: { coordinates: rect,
      material: new C.ImageMaterialProperty({ image: cv, transparent: true }) } });
    marker(ds, res.threat.launch.lon, res.threat.launch.lat, 0, "launch", COLORS.launch, false, 100);
    for (const [i, o] of (res.orbits || []).entries()) marker(ds, o.lon, o.lat, 0, `orbit ${i + 1}`, COLORS.orbitOk, true, 90 - i / 100);
    const stops = [0, 0.25, 0.5, 0.75, 1].map((x) => `rgb(${marginColor(x * (res.max_margin_s || 1), res.max_margin_s).join(",")})`);
    state.legend.set("engagemap", [
      { kind: "ramp", stops, label: "engagement map: intercept margin before burnout", from: "0 s", to: `${fmt(res.max_margin_s, 0)} s` },
      { kind: "note", label: "uncoloured cells: no intercept in time" },
      { kind: "point", color: COLORS.launch, label: "threat launch" },
      { kind: "point", color: COLORS.orbitOk, label: "UAV orbit centre (map layer)" },
    ]);
    return [C.Cartesian3.fromDegrees(lonu[0], res.lat[0]), C.Cartesian3.fromDegrees(lonu[nLon - 1], res.lat[nLat - 1])];
  },
  shortfall(res) {
    const ds = state.layers.shortfall;
    clearLayer("shortfall");
    const tr = res.trace;
    const pts = points("shortfall", tr.map((p) => p.lat), tr.map((p) => p.lon), tr.map((p) => p.territory), 7);
    marker(ds, res.launch.lon, res.launch.lat, 0, "launch", COLORS.launch, false, 100);
    const legend = [{ kind: "note", label: "large dots: where the payload falls if thrust stops at each moment of boost" },
      { kind: "point", color: COLORS.launch, label: "launch point" }];
    if (res.nominal_impact && res.nominal_impact.lat != null) {
      marker(ds, res.nominal_impact.lon, res.nominal_impact.lat, 0, "nominal impact", COLORS.impact, true, 85);
      legend.push({ kind: "point", color: COLORS.impact, label: "nominal impact (no intercept)" });
    }
    state.legend.set("shortfall", [...legend, ...pts.legend]);
    return pts.positions;
  },
  footprint(res) {
    const ds = state.layers.footprint;
    clearLayer("footprint");
    const s = res.sample;
    const pts = points("footprint", s.lat, s.lon, s.territory, 4);
    const legend = [{ kind: "note", label: "small dots: fragment impacts (a random sample of the cloud)" }];
    if (res.threat && res.threat.launch) {
      marker(ds, res.threat.launch.lon, res.threat.launch.lat, 0, "launch", COLORS.launch, false, 100);
      legend.push({ kind: "point", color: COLORS.launch, label: "launch point" });
    }
    state.legend.set("footprint", [...legend, ...pts.legend]);
    return pts.positions;
  },
};

async function animateCzml(body) {
  const C = window.Cesium;
  if (!state.viewer) return;
  status("Loading CZML…");
  const r = await post("/api/flyout/czml", body);
  if (!r.ok) { status("CZML failed", "error"); return; }
  const doc = await r.json();
  if (state.czml) state.viewer.dataSources.remove(state.czml, true);
  state.czml = await C.CzmlDataSource.load(doc);
  await state.viewer.dataSources.add(state.czml);
  state.legend.set("czml", [{ kind: "point", color: COLORS.czmlMissile, label: "missile (animation, 30× real time)" },
    { kind: "line", color: COLORS.czmlPath, label: "flown path (animation)" },
    { kind: "point", color: COLORS.launch, label: "launch, burnout, apogee, end (animation)" }]);
  overlaysChanged();
  state.viewer.clock.shouldAnimate = true;
  state.viewer.scene.maximumRenderTimeChange = 0.0;
  status("Animating (30× real time).");
}

// ------------------------------------------------------------------------------ sources
function sourcesList(sources, notes) {
  const dl = el("dl");
  for (const [k, v] of Object.entries(sources || {})) dl.append(el("dt", { text: k }), el("dd", { text: v }));
  const out = [dl];
  if (notes) out.push(el("p", { class: "notes", text: notes }));
  return out;
}
function showMissileSources() {
  const m = state.catalog.find((x) => x.name === $("#flight-missile").value);
  const det = $("#flight-missile-sources");
  if (!m) return;
  $("summary", det).textContent = `Sources for ${m.title} (${Object.keys(m.sources).length} cited)`;
  $(".body", det).replaceChildren(
    el("p", { text: `${m.stages} stage(s), launch mass ${fmt(m.launch_mass_kg / 1000, 1)} t, payload ${fmt(m.payload_kg, 0)} kg, boost ${fmt(m.boost_time_s, 0)} s.` }),
    ...sourcesList(m.sources, m.notes));
}

// ------------------------------------------------------------------------------ live panels
// Dragging a marker (drag.js) writes its new LAT,LON into the form at once and recomputes the tab
// LIVE_MS after the last move: the answers take milliseconds, so the panel follows the mouse.
// run() keeps only the answer to the latest request. The Engage tab reruns its map too when the
// map is shown (its orbit markers and the threat move with the drag).
const LIVE_MS = 100;
const liveTimers = {};
const DRAG_FIELD = { flight: { launch: "#flight-launch", target: "#flight-target" }, engage: { launch: "#eng-launch", target: "#eng-target" } };

function dragMove(d, lat, lon) {
  const text = `${lat.toFixed(4)},${lon.toFixed(4)}`;
  if (d.role === "orbit") {
    const list = orbitList();
    list[d.index] = text;
    $("#eng-orbit").value = list.join("; ");
    renderOrbits();
  } else {
    if (d.panel === "flight" && d.role === "target") setDirection("target");
    $(DRAG_FIELD[d.panel][d.role]).value = text;
  }
  moveHandles(d, lat, lon);
  status(`Moving the ${d.role === "orbit" ? `orbit ${d.index + 1}` : d.role} to ${text}`);
  const forms = d.panel === "engage" && state.results.engagemap ? ["engage", "engagemap"] : [d.panel];
  for (const f of forms) {
    clearTimeout(liveTimers[f]);
    liveTimers[f] = setTimeout(() => { delete liveTimers[f]; run(f, { live: true }); }, LIVE_MS);
  }
}
// the drop: a recomputation still waiting for its debounce runs now
function dragDrop(d) {
  for (const f of formsOf(d.panel)) {
    if (liveTimers[f] === undefined) continue;
    clearTimeout(liveTimers[f]);
    delete liveTimers[f];
    run(f, { live: true });
  }
}
// the dragged marker (and its orbit circle) follows the mouse before the answer comes
function moveHandles(d, lat, lon) {
  const C = window.Cesium;
  const v = state.viewer;
  for (const e of state.layers[d.panel].entities.values) {
    const h = state.drag.info(e);
    if (!h || h.role !== d.role || h.index !== d.index) continue;
    const alt = C.Cartographic.fromCartesian(e.position.getValue(v.clock.currentTime)).height;
    e.position = C.Cartesian3.fromDegrees(lon, lat, alt);
  }
  v.scene.requestRender();
}
// test hook: where a draggable marker is on the canvas (CSS pixels), or null
function handleAt(panel, role, index) {
  const v = state.viewer;
  for (const e of state.layers[panel].entities.values) {
    const h = state.drag.info(e);
    if (!h || h.role !== role || (h.index ?? null) !== (index ?? null) || !e.point) continue;
    const p = v.scene.cartesianToCanvasCoordinates(e.position.getValue(v.clock.currentTime));
    return p ? { x: p.x, y: p.y } : null;
  }
  return null;
}

// ------------------------------------------------------------------------------ hash (share link)
// A tab with one form: its last request, unprefixed ("#flight?missile=..."). A tab with several
// forms (Engage, Consequence): each form's fields prefixed with its name ("shortfall.missile=...",
// the last run's request, else the form as filled in) and "run=" the forms that had been run.
function writeHash() {
  const panel = state.panel;
  const params = new URLSearchParams();
  const forms = formsOf(panel);
  if (forms.length === 1) {
    const res = state.results[panel];
    // a pasted vehicle file is not put in links (too long for a URL)
    if (res) for (const [k, v] of Object.entries(res.request)) if (k !== "vehicle_toml") params.set(k, hashValue(v));
  } else if (forms.length > 1) {
    const ran = [];
    for (const f of forms) {
      const own = collectForm(f);
      const res = state.results[f];
      if (res) ran.push(f);
      const names = new Set([...$$("input[name], select[name]", formOf(f)).map((i) => i.name), "ensemble"]);
      const src = res ? Object.fromEntries(Object.entries(res.request).filter(([k]) => names.has(k))) : own;
      for (const [k, v] of Object.entries(src)) if (k !== "vehicle_toml") params.set(`${f}.${k}`, hashValue(v));
    }
    if (ran.length) params.set("run", ran.join(","));
  } else if (panel === "sweep") {
    // the spec, compact; a link opens the tab with it filled in (not run: a sweep is a job)
    try { params.set("spec", JSON.stringify(JSON.parse($("#sweep-spec").value))); } catch (e) { /* not valid JSON: not shared */ }
  }
  const view = getView();
  if (view) params.set("view", view);
  const q = params.toString();
  const hash = `#${panel}${q ? "?" + q : ""}`;
  history.replaceState(null, "", hash);
  $("#share-url").value = location.origin + location.pathname + hash;
}
// a distribution table or the ensemble table goes into a link as its JSON text (fill() reads it back)
const hashValue = (v) => (v && typeof v === "object" ? JSON.stringify(v) : String(v));
function readHash() {
  const h = location.hash.slice(1);
  if (!h) return null;
  const [panel, q] = h.split("?");
  if (!PANELS.includes(panel)) return null;
  const params = {};
  for (const [k, v] of new URLSearchParams(q || "")) params[k] = v;
  return { panel, params };
}
async function applyHash() {
  const h = readHash();
  if (!h) return;
  selectPanel(h.panel, false);
  const view = h.params.view;
  delete h.params.view;
  const forms = formsOf(h.panel);
  if (forms.length > 1) {
    const per = Object.fromEntries(forms.map((f) => [f, {}]));
    let any = false;
    for (const [k, v] of Object.entries(h.params)) {
      const dot = k.indexOf(".");
      const f = dot > 0 ? k.slice(0, dot) : null;
      if (f && per[f]) { per[f][k.slice(dot + 1)] = v; any = true; }
      else if (k !== "run") { per[forms[0]][k] = v; any = true; } // an older link: the first form's fields
    }
    if (!any) { if (view) setView(view); return; }
    for (const f of forms) if (Object.keys(per[f]).length) fill(f, per[f]);
    const torun = h.params.run === undefined ? [forms[0]] : h.params.run.split(",").filter((f) => forms.includes(f));
    for (const [i, f] of torun.entries()) await run(f, { view: i === torun.length - 1 ? view : undefined });
    if (!torun.length && view) setView(view);
  } else if (Object.keys(h.params).length && API[h.panel]) {
    fill(h.panel, h.params);
    await run(h.panel, { view });
  } else if (h.panel === "sweep" && h.params.spec !== undefined) {
    try { $("#sweep-spec").value = JSON.stringify(JSON.parse(h.params.spec), null, 2); sweepError(null); } catch (e) {
      $("#sweep-spec").value = h.params.spec;
      sweepError("The shared sweep spec is not valid JSON.");
    }
    if (view) setView(view);
  } else if (view) setView(view);
}

// ------------------------------------------------------------------------------ tabs
function selectPanel(panel, focus) {
  state.panel = panel;
  for (const t of $$("[role=tab]")) {
    const on = t.dataset.panel === panel;
    t.setAttribute("aria-selected", on ? "true" : "false");
    t.tabIndex = on ? 0 : -1;
    if (on && focus) t.focus();
  }
  for (const p of $$("[role=tabpanel]")) p.hidden = p.dataset.panel !== panel;
  for (const [k, ds] of Object.entries(state.layers)) ds.show = tabOf(k) === panel;
  for (const [k, pc] of Object.entries(state.prims)) pc.show = tabOf(k) === panel;
  if (state.viewer) { state.viewer.scene.requestRender(); overlaysChanged(); }
}
function initTabs() {
  const tabs = () => $$("[role=tab]").filter((t) => !t.hidden);
  for (const t of $$("[role=tab]")) {
    t.addEventListener("click", () => { selectPanel(t.dataset.panel, true); writeHash(); });
    t.addEventListener("keydown", (e) => {
      const list = tabs();
      const i = list.indexOf(t);
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % list.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + list.length) % list.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = list.length - 1;
      if (j !== null) { e.preventDefault(); selectPanel(list[j].dataset.panel, true); writeHash(); }
    });
  }
}

// ------------------------------------------------------------------------------ start
function populate() {
  const opts = state.catalog.map((m) => el("option", { value: m.name, text: `${m.title} (${m.name})` }));
  $("#flight-missile").replaceChildren(...opts);
  for (const id of ["#eng-missile", "#sf-missile"]) {
    $(id).replaceChildren(...state.catalog.map((m) => el("option", { value: m.name, text: `${m.title} (${m.name})` })));
  }
  $("#rec-missile").replaceChildren(el("option", { value: "", text: "default (the class model that matches the test)" }),
    ...state.catalog.map((m) => el("option", { value: m.name, text: m.title })));
  for (const id of ["#flight-site", "#rec-site"]) {
    const sel = $(id);
    for (const s of state.sites) sel.append(el("option", { value: `${s.lat},${s.lon}`, text: s.name, title: s.source }));
    sel.addEventListener("change", () => {
      if (sel.value) $(`#${sel.dataset.fills}`).value = sel.value;
      const s = state.sites.find((x) => `${x.lat},${x.lon}` === sel.value);
      const hint = $("#flight-site-src");
      if (id === "#flight-site" && hint) hint.textContent = s ? `Source: ${s.source}` : "";
    });
  }
  const tsel = $("#rec-test");
  state.tests.forEach((t, i) => {
    if (t.apogee_km && t.range_km) tsel.append(el("option", { value: String(i), text: `${t.date} ${t.vehicle}: ${fmt(t.apogee_km, 0)} km up, ${fmt(t.range_km, 0)} km out` }));
  });
  tsel.addEventListener("change", () => {
    const t = state.tests[Number(tsel.value)];
    const det = $("#rec-test-sources");
    if (!t || tsel.value === "") return;
    $("#rec-apogee").value = t.apogee_km;
    $("#rec-range").value = t.range_km;
    $("#rec-time").value = t.flight_time_s || "";
    $("#rec-launch").value = `${t.site_lat_deg},${t.site_lon_deg}`;
    $(".body", det).replaceChildren(el("p", { text: `${t.date}, ${t.vehicle}, from ${t.site_name}.` }), ...sourcesList(t.sources, t.notes));
    det.open = true;
  });
}

function initForms() {
  for (const panel of Object.keys(API)) {
    const form = formOf(panel);
    form.addEventListener("submit", (e) => { e.preventDefault(); run(panel); });
    $("[data-action=example]", form).addEventListener("click", () => {
      const ex = state.meta && state.meta.examples[panel];
      if (ex) { fill(panel, Object.fromEntries(Object.entries(ex).map(([k, v]) => [k, v]))); status("Example loaded: press the button to run it."); }
    });
    $("[data-action=cancel]", form).addEventListener("click", () => { if (state.controllers[panel]) state.controllers[panel].abort(); });
  }
  for (const r of $$("#form-flight input[name=direction]")) r.addEventListener("change", () => setDirection(r.value));
  $("#eng-orbit").addEventListener("input", renderOrbits);
  const addFromField = () => {
    const inp = $("#eng-orbit-new");
    const v = inp.value.trim();
    if (!/^[-+]?\d+(\.\d*)?\s*,\s*[-+]?\d+(\.\d*)?$/.test(v)) {
      inp.setAttribute("aria-invalid", "true");
      status("Add an orbit: LAT,LON in degrees, e.g. 40.0,128.5", "error");
      inp.focus();
      return;
    }
    inp.removeAttribute("aria-invalid");
    addOrbit(v);
    inp.value = "";
  };
  $("#eng-orbit-add").addEventListener("click", addFromField);
  $("#eng-orbit-new").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); addFromField(); } });
  // the Sweep tab (not in API: its form runs a job, not a panel endpoint)
  $("#form-sweep").addEventListener("submit", (e) => { e.preventDefault(); runSweep(); });
  $("#form-sweep [data-action=cancel]").addEventListener("click", cancelSweep);
  $("#sweep-example").addEventListener("change", loadSweepExample);
  $("#sweep-spec").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("#form-sweep").requestSubmit(); }
  });
  $("#saved-runs").addEventListener("toggle", () => { if ($("#saved-runs").open) loadRuns(); });
  $("#saved-runs-refresh").addEventListener("click", loadRuns);
  $("#flight-profile").addEventListener("change", updateProfile);
  $("#flight-missile").addEventListener("change", showMissileSources);
  // vehicle files of the user's own: an upload fills the paste box (the server checks the text)
  for (const up of $$("input[data-vehicle-into]")) {
    up.addEventListener("change", async () => {
      const f = up.files && up.files[0];
      if (!f) return;
      if (f.size > 65536) { status(`${f.name}: a vehicle file of at most 65,536 bytes, please.`, "error"); return; }
      const box = $(`#${up.dataset.vehicleInto}`);
      box.value = await f.text();
      box.closest("details").open = true;
      status(`${f.name} loaded: it is used instead of the catalog missile (clear the box to go back).`);
    });
  }
  $("#share-button").addEventListener("click", async () => {
    writeHash();
    const inp = $("#share-url");
    inp.select();
    try { await navigator.clipboard.writeText(inp.value); status("Share link copied."); } catch (e) { status("Share link selected: copy it with Ctrl+C."); }
  });
  window.addEventListener("hashchange", () => applyHash());
}

// the uncertain toggles of the Flight, Check, Engage and Shortfall forms (uncertain.js), capped by
// the server's limits (/api/meta's ensemble), read when they are needed
function ensembleLimits(panel) {
  const lim = state.meta && state.meta.ensemble;
  if (!lim) return { atOnce: 200, job: 200 };
  let job = lim.job[panel];
  if (panel === "flight" && $("#flight-profile").value !== "min-energy") job = lim.job_loop; // each sample searches alone
  return { atOnce: lim.at_once[panel], job };
}
function catalogPayload(select) {
  const m = state.catalog.find((x) => x.name === $(select).value);
  return m ? m.payload_kg : null;
}
function initUncertainForms() {
  const base = { flight: { payload_kg: "#flight-missile" }, shortfall: { payload_kg: "#sf-missile" } };
  for (const panel of ["flight", "check", "engage", "shortfall"]) {
    initUncertain(formOf(panel), { limits: () => ensembleLimits(panel),
      base: (name) => (base[panel] && base[panel][name] ? catalogPayload(base[panel][name]) : null) });
  }
  $("#flight-profile").addEventListener("change", () => updateHint(formOf("flight")));
}
function ensembleDefaults() {
  const lim = state.meta && state.meta.ensemble;
  if (!lim) return;
  for (const panel of ["flight", "check", "engage", "shortfall"]) {
    const n = $(`#${panel}-ens-n`);
    if (!n) continue;
    n.value = n.defaultValue = String(Math.min(lim.default_n, lim.at_once[panel]));
    updateHint(formOf(panel));
  }
}

async function start() {
  initTabs();
  initForms();
  initUncertainForms();
  try {
    const [meta, catalog, tests] = await Promise.all([getJSON("/api/meta"), getJSON("/api/catalog"), getJSON("/api/tests")]);
    state.meta = meta; state.catalog = catalog; state.tests = tests.tests; state.sites = tests.sites;
    ensembleDefaults();
    for (const [p, on] of Object.entries(meta.panels)) { const t = $(`#tab-${p}`); if (t) t.hidden = !on; }
    populate();
    fill("flight", meta.examples.flight);
    fill("reconstruct", meta.examples.reconstruct);
    fill("check", meta.examples.check);
    for (const p of ["engage", "engagemap", "shortfall", "footprint"]) if (meta.examples[p]) fill(p, meta.examples[p]);
    initSweep();
  } catch (e) {
    status(`Could not load the catalog: ${e}`, "error");
  }
  try { initGlobe(); } catch (e) { status(`Globe failed: ${e}`, "error"); window.boostphaseDiagnostics.errors.push(String(e)); }
  document.body.dataset.ready = "1";
  await applyHash();
  if (!location.hash) writeHash();
}

window.boostphase = {
  state, getView, setView, run, collect, collectForm, handleAt,
  visibleLabelBoxes: () => (state.declutter ? state.declutter.visibleBoxes() : { boxes: [], hidden: 0, pending: false }),
};
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
