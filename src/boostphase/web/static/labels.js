// Label decluttering. Markers' labels (launch, impact, cities, orbits...) must not cover each
// other. Cesium has no collision handling for labels, so after the camera moves (or a layer is
// drawn) the page measures each label's box on the screen and, greedily by priority, hides a
// label whose box overlaps one already kept; the marker's point stays (and the legend names its
// colour). Labels on the far side of the globe are hidden too: labels ignore depth here
// (disableDepthTestDistance), so that the globe's surface does not cut ground-level ones in half.
// The pass is throttled: at most one every THROTTLE_MS, and only when the view or the layers
// changed.

const THROTTLE_MS = 120;
const PAD = 2; // px of air kept around each label

export function createDeclutter(viewer, C) {
  const scene = viewer.scene;
  const ctx = document.createElement("canvas").getContext("2d");
  const widths = new Map();
  const priority = new WeakMap(); // entity -> number (higher keeps its label)
  const hidden = new WeakSet(); // labels this pass hid (never ones the page hid for other reasons)
  let dirty = true;
  let timer = null;
  let lastView = new C.Matrix4();

  function textWidth(font, text) {
    const k = `${font}|${text}`;
    if (!widths.has(k)) { ctx.font = font; widths.set(k, ctx.measureText(text).width); }
    return widths.get(k);
  }
  const val = (p, t, dflt) => (p === undefined ? dflt : (p && typeof p.getValue === "function" ? p.getValue(t) : p));

  // every label of a shown data source, with its entity
  function labelled() {
    const out = [];
    for (let i = 0; i < viewer.dataSources.length; i++) {
      const ds = viewer.dataSources.get(i);
      if (!ds.show) continue;
      for (const e of ds.entities.values) if (e.label && e.show && val(e.label.text, viewer.clock.currentTime)) out.push(e);
    }
    return out;
  }

  // the label's box in canvas pixels, or null when it is off screen or behind the globe
  function boxOf(e, time, occluder) {
    const pos = e.position && e.position.getValue(time);
    if (!pos) return null;
    if (occluder && !occluder.isPointVisible(pos)) return null;
    const p = scene.cartesianToCanvasCoordinates(pos);
    if (!p) return null;
    const L = e.label;
    const font = val(L.font, time, "30px sans-serif");
    const size = Number((/(\d+(\.\d+)?)px/.exec(font) || [0, 30])[1]);
    const scale = val(L.scale, time, 1.0);
    const outline = val(L.outlineWidth, time, 1.0);
    const w = (textWidth(font, val(L.text, time)) + 2 * outline) * scale;
    const h = (size * 1.2 + 2 * outline) * scale;
    const off = val(L.pixelOffset, time, C.Cartesian2.ZERO);
    const ho = val(L.horizontalOrigin, time, C.HorizontalOrigin.CENTER);
    const vo = val(L.verticalOrigin, time, C.VerticalOrigin.CENTER);
    const x = p.x + off.x, y = p.y + off.y;
    const x0 = ho === C.HorizontalOrigin.LEFT ? x : (ho === C.HorizontalOrigin.RIGHT ? x - w : x - w / 2);
    const y0 = vo === C.VerticalOrigin.TOP ? y : (vo === C.VerticalOrigin.CENTER ? y - h / 2 : y - h);
    const cv = scene.canvas;
    if (x0 + w < 0 || y0 + h < 0 || x0 > cv.clientWidth || y0 > cv.clientHeight) return null;
    return { x0, y0, x1: x0 + w, y1: y0 + h };
  }
  const overlap = (a, b) => a.x0 < b.x1 + PAD && b.x0 < a.x1 + PAD && a.y0 < b.y1 + PAD && b.y0 < a.y1 + PAD;

  function apply() {
    timer = null;
    dirty = false;
    C.Matrix4.clone(viewer.camera.viewMatrix, lastView);
    const time = viewer.clock.currentTime;
    const occluder = scene.mode === C.SceneMode.SCENE3D ? new C.EllipsoidalOccluder(scene.globe.ellipsoid, viewer.camera.positionWC) : null;
    const items = labelled().map((e, i) => ({ e, i, p: priority.get(e) || 0 }));
    items.sort((a, b) => b.p - a.p || a.i - b.i); // ties: the label drawn first wins
    const kept = [];
    let changed = false;
    for (const { e } of items) {
      if (val(e.label.show, time, true) === false && !hidden.has(e)) continue; // hidden by the page itself
      const b = boxOf(e, time, occluder);
      const show = b !== null && !kept.some((k) => overlap(k, b));
      if (show) kept.push(b);
      if (show === hidden.has(e)) {
        changed = true;
        e.label.show = show;
        if (show) hidden.delete(e); else hidden.add(e);
      }
    }
    if (changed) scene.requestRender();
  }
  function schedule() {
    if (timer === null) timer = setTimeout(apply, THROTTLE_MS);
  }
  scene.postRender.addEventListener(() => {
    if (dirty || !C.Matrix4.equalsEpsilon(viewer.camera.viewMatrix, lastView, 1e-9)) schedule();
  });

  return {
    // a marker's label priority: launch and target points before burnout and apogee notes
    setPriority(entity, p) { priority.set(entity, p); },
    refresh() { dirty = true; scene.requestRender(); schedule(); },
    // the test hook: the boxes of the labels on screen now (canvas pixels)
    visibleBoxes() {
      const time = viewer.clock.currentTime;
      const occluder = scene.mode === C.SceneMode.SCENE3D ? new C.EllipsoidalOccluder(scene.globe.ellipsoid, viewer.camera.positionWC) : null;
      const out = [];
      for (const e of labelled()) {
        if (val(e.label.show, time, true) === false) continue;
        const b = boxOf(e, time, occluder);
        if (b) out.push({ text: val(e.label.text, time), ...b });
      }
      return { boxes: out, hidden: labelled().filter((e) => hidden.has(e)).length, pending: timer !== null || dirty };
    },
  };
}
