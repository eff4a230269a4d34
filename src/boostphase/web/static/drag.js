// Dragging markers on the globe (the launch point, the target, a UAV orbit): LEFT_DOWN on a
// draggable entity starts a drag and stops the camera from following the mouse, MOUSE_MOVE moves
// the point over the ellipsoid, LEFT_UP drops it. The page decides what a move means (app.js:
// the form field changes and the panel recomputes, debounced).

export function createDrag(viewer, C, { onMove, onDrop }) {
  const scene = viewer.scene;
  const handles = new WeakMap(); // entity -> {panel, role, index}
  const handler = new C.ScreenSpaceEventHandler(scene.canvas);
  let drag = null;
  let pressedHandle = false; // the last press was on a handle: its click is not a globe click

  function lonLat(windowPos) {
    const cart = viewer.camera.pickEllipsoid(windowPos, scene.globe.ellipsoid);
    if (!cart) return null;
    const g = C.Cartographic.fromCartesian(cart);
    return [C.Math.toDegrees(g.latitude), C.Math.toDegrees(g.longitude)];
  }
  function end() {
    const d = drag;
    drag = null;
    scene.screenSpaceCameraController.enableInputs = true;
    scene.canvas.style.cursor = "";
    return d;
  }

  handler.setInputAction((ev) => {
    // the topmost draggable under the pointer (a line of fire may start on an orbit's centre)
    const hit = scene.drillPick(ev.position, 6).find((p) => p && p.id instanceof C.Entity && handles.has(p.id));
    const info = hit ? handles.get(hit.id) : undefined;
    pressedHandle = !!info;
    if (!info) return;
    drag = { ...info, moved: false };
    scene.screenSpaceCameraController.enableInputs = false;
    scene.canvas.style.cursor = "grabbing";
  }, C.ScreenSpaceEventType.LEFT_DOWN);

  handler.setInputAction((ev) => {
    if (!drag) return;
    const ll = lonLat(ev.endPosition);
    if (!ll) return;
    drag.moved = true;
    onMove(drag, ll[0], ll[1]);
  }, C.ScreenSpaceEventType.MOUSE_MOVE);

  handler.setInputAction(() => { if (drag) { const d = end(); if (d.moved) onDrop(d); } }, C.ScreenSpaceEventType.LEFT_UP);
  // a pointer that leaves the page mid-drag must not leave the camera locked
  window.addEventListener("blur", () => { if (drag) { const d = end(); if (d.moved) onDrop(d); } });

  return {
    handle(entity, info) { handles.set(entity, info); return entity; },
    info: (entity) => handles.get(entity),
    dragging: () => drag,
    pressedHandle: () => pressedHandle,
  };
}
