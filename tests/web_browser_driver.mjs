// Drives the boostphase page in headless Debian Chromium with playwright-core (never downloads a
// browser). Called by tests/test_web_browser.py, which owns the assertions; this script only
// acts and reports what it saw, as one JSON object on stdout.
//
//   node tests/web_browser_driver.mjs --url http://127.0.0.1:PORT/ --globe OUT.png --page OUT2.png
//     [--check URL] [--reconstruct URL] [--consequence URL] [--engage URL] [--sweep EXAMPLE] [--shots DIR]
//     [--ensemble 1 [--ensemble-n N]] [--only ensemble]
import { chromium } from "playwright-core";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const URL_ = args.url;
const EXE = args.chromium || "/usr/bin/chromium";
const TIMEOUT = Number(args.timeout || 300) * 1000;
// flags from shared/DESIGN.md
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--use-angle=swiftshader", "--enable-unsafe-swiftshader"];

const origin = new URL(URL_).origin;
const report = { external_requests: [], console_errors: [], page_errors: [], steps: [] };
const T0 = Date.now();
const step = (name) => report.steps.push([name, Date.now() - T0]);

function watch(page, tag) {
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")) report.external_requests.push(u);
  });
  page.on("console", (m) => { if (m.type() === "error") report.console_errors.push(`${tag}: ${m.text()}`); });
  page.on("pageerror", (e) => report.page_errors.push(`${tag}: ${e.message}`));
}

async function shown(page) {
  return page.evaluate(() => {
    const cells = {};
    for (const td of document.querySelectorAll("#result-flight td[data-key]")) {
      cells[td.dataset.key] = { value: td.dataset.value, text: td.textContent };
    }
    return { cells, form: window.boostphase.collect("flight"), view: window.boostphase.getView(),
      share: document.querySelector("#share-url").value, hash: location.hash,
      diagnostics: window.boostphaseDiagnostics, panel: window.boostphase.state.panel };
  });
}

async function cells(page, box) {
  return page.evaluate((sel) => {
    const out = {};
    for (const td of document.querySelectorAll(`${sel} [data-key]`)) out[td.dataset.key] = { value: td.dataset.value, text: td.textContent };
    return out;
  }, box);
}

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 60000 }), page.click(selector)]);
  const path = await dl.path();
  const fs = await import("node:fs");
  const buf = fs.readFileSync(path);
  return { name: dl.suggestedFilename(), bytes: buf.length, head: buf.subarray(0, 120).toString("latin1"),
    lines: buf.toString("latin1").split("\n").filter((x) => x).length,
    png: buf.subarray(0, 8).toString("hex") === "89504e470d0a1a0a" ? buf.toString("base64") : null };
}

// Every colour drawn on the globe now (entities of the shown data sources, point clouds, borders),
// read from Cesium's own objects, and the colours the legend lists: the test checks that nothing
// is drawn without a legend entry.
async function overlays(page) {
  return page.evaluate(() => {
    const bp = window.boostphase, v = bp.state.viewer, t = v.clock.currentTime;
    const get = (p) => (p && typeof p.getValue === "function" ? p.getValue(t) : p);
    const hex = (c) => (c ? c.toCssHexString().slice(0, 7) : null);
    const drawn = new Set();
    let ramp = false;
    for (let i = 0; i < v.dataSources.length; i++) {
      const ds = v.dataSources.get(i);
      if (!ds.show) continue;
      for (const e of ds.entities.values) {
        if (e.point) drawn.add(hex(get(e.point.color)));
        if (e.polyline) drawn.add(hex(get(e.polyline.material.color)));
        if (e.path) drawn.add(hex(get(e.path.material.color)));
        if (e.ellipse) drawn.add(hex(get(e.ellipse.outlineColor)));
        if (e.rectangle) ramp = true;
      }
    }
    for (const pc of Object.values(bp.state.prims)) if (pc.show) for (let i = 0; i < pc.length; i++) drawn.add(hex(pc.get(i).color));
    const b = bp.state.borders;
    if (b && b.show && b.length) drawn.add(hex(b.get(0).material.uniforms.color));
    const items = Array.from(document.querySelectorAll("#legend li[data-kind]"));
    return { drawn: [...drawn].filter(Boolean).sort(), legend: [...new Set(items.map((li) => li.dataset.color).filter(Boolean))].sort(),
      ramp, ramp_legend: items.some((li) => li.dataset.kind === "ramp"), legend_shown: !document.querySelector("#legend").hidden,
      texts: items.map((li) => li.textContent) };
  });
}

// the labels on screen once the decluttering pass has run (labels.js), in canvas pixels
async function labels(page) {
  await page.waitForFunction(() => !window.boostphase.visibleLabelBoxes().pending, null, { timeout: 30000, polling: 100 });
  return page.evaluate(() => window.boostphase.visibleLabelBoxes());
}

// the headline sentence on top of each named result box
async function headlines(page, ids) {
  return page.evaluate((list) => Object.fromEntries(list.map((id) => {
    const box = document.querySelector(`#result-${id}`);
    const h = box.querySelector(".headline");
    return [id, h ? { text: h.textContent, first: box.firstElementChild === h,
      weight: Number(getComputedStyle(h.querySelector("strong")).fontWeight) } : null];
  })), ids);
}

// Drag a marker of the globe with real mouse events: press on it, move by `steps` ([dx, dy, pause
// ms] each), release. The legend is folded first so that it cannot cover the marker.
async function dragMarker(page, panel, role, index, steps) {
  if (await page.evaluate(() => document.querySelector("#legend").open)) await page.click("#legend > summary");
  const canvas = await page.locator("#globe canvas").boundingBox();
  const at = await page.evaluate(([a, b, c]) => window.boostphase.handleAt(a, b, c), [panel, role, index]);
  if (!at) throw new Error(`no ${role} marker on the ${panel} layer`);
  let x = canvas.x + at.x, y = canvas.y + at.y;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (const [dx, dy, pause] of steps) {
    x += dx; y += dy;
    await page.mouse.move(x, y, { steps: 3 });
    await page.waitForTimeout(pause);
  }
  await page.mouse.up();
  // the latest request's answer is shown (a drop reruns at once what was still debounced)
  await page.waitForFunction((f) => {
    const st = window.boostphase.state, log = st.requestLog.filter((e) => e.panel === f);
    const last = log[log.length - 1];
    return last && last.event === "shown" && last.seq === st.seq[f];
  }, panel, { timeout: 60000, polling: 100 });
  await page.click("#legend > summary");
  return page.evaluate((f) => ({ log: window.boostphase.state.requestLog.filter((e) => e.panel === f),
    request: window.boostphase.state.results[f].request, form: window.boostphase.collectForm(f) }), panel);
}

// The Consequence tab from a link: the shortfall trace and a footprint big enough to run as a
// background job (progress bar); its share link restores both forms; Save run; KML download.
async function consequence(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 640 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, "consequence");
  await page.goto(args.consequence, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("body[data-ready='1']");
  await page.waitForSelector("#result-shortfall[data-state=done]");
  step("shortfall shown");
  // the footprint job: sample its progress bar until the result is shown
  const progress = [];
  for (let i = 0; i < 1200; i++) {
    const st = await page.evaluate(() => {
      const bar = document.querySelector("#footprint-progress");
      return { state: document.querySelector("#result-footprint").dataset.state, p: bar ? bar.value : null };
    });
    if (st.p !== null && st.state === "busy") progress.push(Number(st.p));
    if (st.state === "done" || st.state === "error") break;
    await page.waitForTimeout(200);
  }
  await page.waitForSelector("#result-footprint[data-state=done]");
  step("consequence done");
  await globeSettled(page);
  const look = { overlays: await overlays(page), labels: await labels(page), headlines: await headlines(page, ["shortfall", "footprint"]) };
  if (args.shots) {
    await page.evaluate(() => document.querySelector("#result-footprint").scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${args.shots}/footprint.png` });
  }
  const c = { ...look, progress, shortfall: await page.evaluate(() => Array.from(document.querySelectorAll("#result-shortfall tbody tr"))
    .map((tr) => [tr.querySelector("th").textContent, ...Array.from(tr.querySelectorAll("td")).map((td) => td.textContent)])),
  footprint: await cells(page, "#result-footprint"),
  job_id: await page.evaluate(() => window.boostphase.state.results.footprint.jobId),
  share: await page.evaluate(() => document.querySelector("#share-url").value),
  diagnostics: await page.evaluate(() => window.boostphaseDiagnostics) };
  c.forms = await page.evaluate(() => ({ shortfall: window.boostphase.collectForm("shortfall"), footprint: window.boostphase.collectForm("footprint") }));
  // KML of the job's footprint
  c.kml = await download(page, "#result-footprint [data-download=kml]");
  step("kml");
  // Save run: the footprint job goes to the run store
  await page.click("#result-footprint button[data-save]");
  await page.waitForSelector("#result-footprint .saved[data-run-id]");
  c.saved_run = await page.evaluate(() => document.querySelector("#result-footprint .saved").dataset.runId);
  await page.click("#saved-runs summary");
  await page.waitForSelector("#saved-runs-list li[data-run-id]");
  c.listed_runs = await page.evaluate(() => Array.from(document.querySelectorAll("#saved-runs-list li[data-run-id]")).map((li) => li.dataset.runId));
  // the share link restores both forms: blank them, open the link again
  await page.evaluate(() => {
    for (const i of document.querySelectorAll("#form-shortfall input[type=text], #form-footprint input[type=text]")) i.value = "";
    window.boostphase.state.results = {};
  });
  const before = await page.evaluate(() => window.boostphase.state.runs);
  await page.goto(args.url + "#flight", { waitUntil: "domcontentloaded" });
  await page.goto(c.share, { waitUntil: "domcontentloaded" });
  // both reruns finished and the footprint's table is on the page (a job's result is drawn
  // after its state turns done; on a cold engine cache the job takes longer than the shortfall)
  await page.waitForFunction((n) => {
    const fp = document.querySelector("#result-footprint"), sf = document.querySelector("#result-shortfall");
    return fp.dataset.state === "done" && Number(fp.dataset.run) > n && sf.dataset.state === "done" &&
      Number(sf.dataset.run) > n && fp.querySelectorAll("[data-key]").length > 0;
  }, before, { timeout: 120000, polling: 250 });
  step("share link rerun");
  c.restored_forms = await page.evaluate(() => ({ shortfall: window.boostphase.collectForm("shortfall"), footprint: window.boostphase.collectForm("footprint") }));
  c.restored_footprint = await cells(page, "#result-footprint");
  // a big footprint cancelled from the page: the job stops
  await page.fill("#fp-n", "1000000");
  await page.click("#form-footprint button[type=submit]");
  await page.waitForSelector("#footprint-progress");
  const cancelId = await page.evaluate(() => document.querySelector("#result-footprint .job").dataset.jobId);
  await page.click("#form-footprint [data-action=cancel]");
  await page.waitForSelector("#result-footprint[data-state=cancelled]");
  c.cancelled_job = cancelId;
  report.consequence = c;
  await ctx.close();
  step("consequence checked");
}

// The Engage tab from a link: the engagement and its map; orbits added by a globe click and by
// the keyboard, one removed; the globe as a PNG; the borders overlay on and off.
async function engage(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 640 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, "engage");
  await page.goto(args.engage, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("body[data-ready='1']");
  await page.waitForSelector("#result-engage[data-state=done]");
  await page.waitForSelector("#result-engagemap[data-state=done]");
  step("engage done");
  const e = { engage: await cells(page, "#result-engage"), map: await cells(page, "#result-engagemap"),
    map_entities: await page.evaluate(() => window.boostphase.state.layers.engagemap.entities.values.map((x) => x.name)) };
  await globeSettled(page);
  step("engage globe settled");
  e.overlays = await overlays(page);
  e.labels = await labels(page);
  e.headlines = await headlines(page, ["engage", "engagemap"]);
  if (args.shots) {
    await page.evaluate(() => document.querySelector("#result-engage").scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${args.shots}/engage.png` });
  }
  e.borders = await page.evaluate(() => window.boostphase.state.borders && window.boostphase.state.borders.bordersLoaded);
  // the globe as a PNG (with the map overlay and the borders)
  e.png = await download(page, "#png-button");
  step("png");
  // add an orbit by clicking the globe (the middle of the view), one by the keyboard; remove one
  const n0 = await page.evaluate(() => document.querySelectorAll("#eng-orbit-list li").length);
  const box = await page.locator("#globe canvas").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction((n) => document.querySelectorAll("#eng-orbit-list li").length === n + 1, n0);
  await page.focus("#eng-orbit-new");
  await page.keyboard.type("40.0,128.5");
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll("#eng-orbit-list li").length === n + 2, n0);
  e.orbits_after_add = await page.evaluate(() => document.querySelector("#eng-orbit").value);
  await page.focus("#eng-orbit-list li:nth-child(2) button");
  await page.keyboard.press("Enter");
  e.orbits_after_remove = await page.evaluate(() => document.querySelector("#eng-orbit").value);
  const runs = await page.evaluate(() => window.boostphase.state.runs);
  await page.click("#form-engage button[type=submit]");
  await page.waitForFunction((n) => window.boostphase.state.runs > n && document.querySelector("#result-engage").dataset.state === "done", runs);
  e.two_orbits = await cells(page, "#result-engage");
  step("two orbits");
  e.request = await page.evaluate(() => window.boostphase.state.results.engage.request);
  // borders off
  await page.click("#borders-button");
  e.borders_after_toggle = await page.evaluate(() => [document.querySelector("#borders-button").getAttribute("aria-pressed"),
    window.boostphase.state.borders.show]);
  // live: orbit 1 dragged in a burst of moves, each past the page's debounce, so that several
  // requests are sent; the route holds the earlier ones back longer, so that their answers would
  // come after later ones: none of them may be shown
  await page.click("#borders-button"); // borders back on (fewer lines to draw under the drag)
  await globeSettled(page);
  const sent = [];
  await page.route("**/api/engage", async (route) => {
    const i = sent.length;
    sent.push(route.request().postData());
    await new Promise((res) => setTimeout(res, Math.max(0, 900 - 250 * i)));
    try { await route.continue(); } catch (err) { /* aborted by the page: a newer request replaced it */ }
  });
  e.live_before = await page.evaluate(() => document.querySelector("#eng-orbit").value);
  e.live = await dragMarker(page, "engage", "orbit", 0, [[30, 10, 180], [30, 10, 180], [30, 10, 180], [30, 10, 180], [30, 10, 40]]);
  e.live.sent = sent.map((b) => JSON.parse(b));
  e.live.cells = await cells(page, "#result-engage");
  e.live.field = await page.evaluate(() => document.querySelector("#eng-orbit").value);
  await page.unroute("**/api/engage");
  step("engage live drag");
  e.diagnostics = await page.evaluate(() => window.boostphaseDiagnostics);
  report.engage = e;
  await ctx.close();
  step("engage checked");
}

// The Sweep tab, opened from the keyboard: a JSON syntax error in the spec is shown at the spec
// and sends nothing; the example named by --sweep, cut to 5 x 40 = 200 cases in the textarea,
// runs as a job to done (the numbers shown are read for the test) and its CSV downloads; a
// bigger sweep, started with Ctrl+Enter, is cancelled from the page.
async function sweepTab(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 640 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, "sweep");
  const posts = []; // the bodies of POST /api/jobs
  page.on("request", (r) => { if (r.method() === "POST" && new URL(r.url()).pathname === "/api/jobs") posts.push(r.postData()); });
  await page.goto(URL_, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("body[data-ready='1']");
  await page.click("#tab-consequence");
  await page.keyboard.press("ArrowRight");
  const s = { tab: await page.evaluate(() => ({ focused: document.activeElement.id, panel: window.boostphase.state.panel,
    selected: document.querySelector("#tab-sweep").getAttribute("aria-selected"), hidden: document.querySelector("#panel-sweep").hidden })) };
  s.examples = await page.evaluate(() => Array.from(document.querySelectorAll("#sweep-example option")).map((o) => o.value));
  await page.selectOption("#sweep-example", args.sweep);
  const spec = await page.inputValue("#sweep-spec");
  s.example_text = spec;

  // a syntax error (a doubled comma): an inline error at the spec, no request
  s.bad_text = spec.replace('"samples": 400', '"samples": 400,,');
  await page.fill("#sweep-spec", s.bad_text);
  await page.click("#form-sweep button[type=submit]");
  await page.waitForSelector("#sweep-spec-error:not([hidden])");
  await page.waitForTimeout(300); // a request, if one were sent, would show by now
  s.syntax = await page.evaluate(() => ({ message: document.querySelector("#sweep-spec-error").textContent,
    role: document.querySelector("#sweep-spec-error").getAttribute("role"),
    invalid: document.querySelector("#sweep-spec").getAttribute("aria-invalid"), focused: document.activeElement.id,
    caret: document.querySelector("#sweep-spec").selectionStart, state: document.querySelector("#result-sweep").dataset.state }));
  s.syntax.posts = posts.length;
  step("sweep syntax error");

  // the example with fewer samples: run, progress bar, done
  s.run_text = spec.replace('"samples": 400', '"samples": 40');
  await page.fill("#sweep-spec", s.run_text);
  await page.click("#form-sweep button[type=submit]");
  await page.waitForSelector("#sweep-progress");
  await page.waitForSelector("#result-sweep[data-state=done]");
  step("sweep done");
  s.posted = posts.slice();
  s.cells = await cells(page, "#result-sweep");
  s.done = await page.evaluate(() => ({ job_id: document.querySelector("#result-sweep").dataset.jobId,
    run: document.querySelector("#result-sweep").dataset.run, error_hidden: document.querySelector("#sweep-spec-error").hidden,
    invalid: document.querySelector("#sweep-spec").getAttribute("aria-invalid"),
    dims: Array.from(document.querySelectorAll("#result-sweep table.sweep-dims tbody th")).map((th) => th.textContent) }));
  s.headlines = await headlines(page, ["sweep"]);
  s.csv = await download(page, "#result-sweep [data-download=csv]");
  step("sweep csv");
  // the share link carries the spec: a new page opened from it shows the same spec, not run
  await page.click("#share-button");
  s.share_url = await page.inputValue("#share-url");
  const other = await ctx.newPage();
  watch(other, "sweep-link");
  await other.goto(s.share_url, { waitUntil: "domcontentloaded" });
  await other.waitForSelector("body[data-ready='1']");
  await other.waitForFunction(() => window.boostphase.state.panel === "sweep");
  s.shared = await other.evaluate(() => ({ panel: window.boostphase.state.panel, spec: document.querySelector("#sweep-spec").value,
    state: document.querySelector("#result-sweep").dataset.state || null }));
  await other.close();
  step("sweep share link");

  // a bigger sweep (50 chunks of 1,000 coasts), run with Ctrl+Enter and cancelled
  await page.fill("#sweep-spec", JSON.stringify({ kind: "coast", name: "cancel-me", chunk: 1000,
    fixed: { lat: 39, lon: 125.7, azimuth: 90 },
    grid: { speed: { from: "2 km/s", to: "7 km/s", n: 200 }, flight_path: { from: 10, to: 80, n: 250 } } }, null, 2));
  await page.focus("#sweep-spec");
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector("#result-sweep[data-job-id][data-state=running]");
  s.cancel_job = await page.evaluate(() => document.querySelector("#result-sweep").dataset.jobId);
  s.cancel_visible = await page.isVisible("#form-sweep [data-action=cancel]");
  await page.click("#form-sweep [data-action=cancel]");
  await page.waitForSelector("#result-sweep[data-state=cancelled]");
  s.cancel_hidden_after = await page.evaluate(() => document.querySelector("#form-sweep [data-action=cancel]").hidden);
  s.diagnostics = await page.evaluate(() => window.boostphaseDiagnostics);
  report.sweep = s;
  await ctx.close();
  step("sweep checked");
}

// The Flight panel with an uncertain payload (uniform, from the keyboard): the ensemble's answer
// (headline, quantiles, sensitivity, strip chart, legend); its share link restores the
// distribution; an ensemble above the panel's at-once size runs as a background job with a
// progress bar; a hostile distribution (low > high) shows the server's line at the field.
async function ensembleFlight(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, "ensemble");
  await page.goto(URL_, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("body[data-ready='1']");
  await page.click("#form-flight [data-action=example]");
  const n = String(args["ensemble-n"] || 60);
  const en = {};
  // the toggle, from the keyboard: it reveals the distribution (uniform by default) and the ensemble options
  await page.focus("#flight-payload-unc");
  await page.keyboard.press("Space");
  en.toggle = await page.evaluate(() => ({ expanded: document.querySelector("#flight-payload-unc").getAttribute("aria-expanded"),
    label: document.querySelector("#flight-payload-unc").getAttribute("aria-label"),
    dist_hidden: document.querySelector("#flight-payload-dist").hidden, kind: document.querySelector("#flight-payload-dist-kind").value,
    low: document.querySelector("#flight-payload-p-low").value, high: document.querySelector("#flight-payload-p-high").value,
    options_hidden: document.querySelector("#flight-ensemble").hidden, hint: document.querySelector("#flight-ens-hint").textContent }));
  await page.fill("#flight-payload-p-low", "450");
  await page.fill("#flight-payload-p-high", "550");
  await page.fill("#flight-ens-n", n);
  await page.fill("#flight-ens-seed", "1");
  await page.click("#form-flight button[type=submit]");
  await page.waitForSelector("#result-flight[data-state=done]");
  step("ensemble shown");
  await globeSettled(page);
  const look = async () => ({ cells: await cells(page, "#result-flight"), request: await page.evaluate(() => window.boostphase.state.results.flight.request),
    form: await page.evaluate(() => window.boostphase.collect("flight")), headlines: await headlines(page, ["flight"]),
    strips: await page.evaluate(() => document.querySelectorAll("#result-flight svg.strip").length) });
  Object.assign(en, await look());
  en.overlays = await overlays(page);
  if (args.shots) {
    await page.evaluate(() => document.querySelector("#result-flight").scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${args.shots}/ensemble.png` });
  }
  // the share link holds the distribution: a fresh page opened from it shows the same request and numbers
  en.share = await page.evaluate(() => document.querySelector("#share-url").value);
  const other = await ctx.newPage();
  watch(other, "ensemble-link");
  await other.goto(en.share, { waitUntil: "domcontentloaded" });
  await other.waitForSelector("#result-flight[data-state=done]");
  en.shared = { form: await other.evaluate(() => window.boostphase.collect("flight")), cells: await cells(other, "#result-flight"),
    checked: await other.evaluate(() => document.querySelector("#flight-payload-unc").checked) };
  await other.close();
  step("ensemble share link");
  // above the at-once size: a background job with a progress bar
  const big = await page.evaluate(() => window.boostphase.state.meta.ensemble.at_once.flight + 10);
  await page.fill("#flight-ens-n", String(big));
  await page.click("#form-flight button[type=submit]");
  const progress = [];
  for (let i = 0; i < 1500; i++) {
    const st = await page.evaluate(() => {
      const bar = document.querySelector("#flight-progress");
      return { state: document.querySelector("#result-flight").dataset.state, p: bar ? bar.value : null };
    });
    if (st.p !== null && st.state === "busy") progress.push(Number(st.p));
    if (st.state === "done" || st.state === "error") break;
    await page.waitForTimeout(200);
  }
  await page.waitForSelector("#result-flight[data-state=done]");
  en.job = { n: big, progress, job_id: await page.evaluate(() => window.boostphase.state.results.flight.jobId),
    cells: await cells(page, "#result-flight"), request: await page.evaluate(() => window.boostphase.state.results.flight.request) };
  step("ensemble job");
  // a hostile distribution: low above high
  await page.fill("#flight-ens-n", n);
  await page.fill("#flight-payload-p-low", "550");
  await page.fill("#flight-payload-p-high", "450");
  await page.click("#form-flight button[type=submit]");
  await page.waitForSelector("#result-flight[data-state=error]");
  en.hostile = await page.evaluate(() => {
    const at = document.querySelector("#form-flight .field-error.at-field");
    return { request: window.boostphase.collect("flight"), at_field: at ? at.textContent : null,
      at_field_in: at ? at.closest("fieldset").id : null, role: at ? at.getAttribute("role") : null,
      box: document.querySelector("#result-flight .error").textContent,
      result_cells: document.querySelectorAll("#result-flight [data-key]").length,
      invalid: Array.from(document.querySelectorAll("#form-flight [aria-invalid=true]")).map((x) => x.id),
      focused: document.activeElement.id };
  });
  en.diagnostics = await page.evaluate(() => window.boostphaseDiagnostics);
  report.ensemble = en;
  await ctx.close();
  step("ensemble checked");
}

async function globeSettled(page) {
  // imagery tiles loaded and no camera flight under way; then one more frame
  await page.waitForFunction(() => {
    const v = window.boostphase.state.viewer;
    return v && v.scene.globe.tilesLoaded && !v.camera._currentFlight;
  }, null, { timeout: 120000, polling: 250 });
  await page.evaluate(() => new Promise((res) => {
    const v = window.boostphase.state.viewer;
    v.scene.requestRender();
    const off = v.scene.postRender.addEventListener(() => { off(); res(); });
  }));
}

const browser = await chromium.launch({ executablePath: EXE, headless: true, args: FLAGS, timeout: 60000 });
try {
  if (args.only === "ensemble") { await ensembleFlight(browser); throw new Error("only"); } // development: just these steps
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, "first");
  const t0 = Date.now();
  await page.goto(URL_, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("body[data-ready='1']");
  report.interactive_ms = Date.now() - t0;
  step("interactive");
  report.globe_present = await page.evaluate(() => !!window.boostphase.state.viewer);

  // the Flight panel's example, run from the keyboard: load example, then Enter in a field
  await page.click("#tab-flight");
  await page.click("#form-flight [data-action=example]");
  await page.focus("#flight-azimuth");
  const t1 = Date.now();
  await page.keyboard.press("Enter");
  await page.waitForSelector("#result-flight[data-state=done]");
  report.flyout_ms = Date.now() - t1;
  step("flyout shown");
  await globeSettled(page);
  report.first = await shown(page);
  report.first.overlays = await overlays(page);
  report.first.labels = await labels(page);
  report.first.headlines = await headlines(page, ["flight"]);
  step("globe settled");
  await page.locator("#globe").screenshot({ path: args.globe });
  if (args.page) {
    // the README's picture: the globe and the result table beside it
    await page.evaluate(() => document.querySelector("#result-flight").scrollIntoView({ block: "start" }));
    await page.screenshot({ path: args.page });
  }

  // the CZML download, animated on the globe
  await page.click("#result-flight button.animate");
  await page.waitForFunction(() => !!window.boostphase.state.czml, null, { timeout: 60000 });
  report.czml_entities = await page.evaluate(() => window.boostphase.state.czml.entities.values.length);
  report.czml_overlays = await overlays(page);
  step("czml");

  // keyboard: arrow keys move between tabs
  await page.focus("#tab-flight");
  await page.keyboard.press("ArrowRight");
  report.tab_after_arrow = await page.evaluate(() => document.activeElement.id);
  await page.keyboard.press("ArrowLeft");
  await ctx.close(); // stop the animation: swiftshader renders on the same 2 cores

  // a fresh visitor opens the shared link
  const ctx2 = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page2 = await ctx2.newPage();
  page2.setDefaultTimeout(TIMEOUT);
  watch(page2, "shared");
  await page2.goto(report.first.share, { waitUntil: "domcontentloaded" });
  await page2.waitForSelector("#result-flight[data-state=done]");
  await globeSettled(page2);
  report.second = await shown(page2);
  step("shared link restored");

  // live: the launch point dragged on the globe; the form follows and the panel recomputes
  const before = await page2.evaluate(() => document.querySelector("#flight-launch").value);
  report.flight_live = await dragMarker(page2, "flight", "launch", null, [[25, 0, 30], [25, 15, 30], [20, 10, 30]]);
  report.flight_live.before = before;
  report.flight_live.cells = (await shown(page2)).cells;
  step("flight live drag");

  // a bad input shows the API's message and marks the field
  await page2.fill("#flight-launch", "95,126");
  await page2.click("#form-flight button[type=submit]");
  await page2.waitForSelector("#result-flight[data-state=error]");
  report.bad_input = await page2.evaluate(() => ({
    message: document.querySelector("#result-flight .error").textContent,
    invalid: document.querySelector("#flight-launch").getAttribute("aria-invalid"),
    focused: document.activeElement.id,
  }));

  // a vehicle file of the user's own, uploaded: it fills the paste box and is checked by the
  // server's loader (a bad one: the loader's line is shown); then the box is cleared again
  if (args.vehicle) {
    await page2.fill("#flight-launch", "39.0,125.7");
    await page2.setInputFiles("#flight-vehicle-upload", args.vehicle);
    await page2.waitForFunction(() => document.querySelector("#flight-vehicle").value.length > 0);
    await page2.click("#form-flight button[type=submit]");
    await page2.waitForSelector("#result-flight[data-state=error]");
    report.vehicle = await page2.evaluate(() => ({
      message: document.querySelector("#result-flight .error").textContent,
      pasted: document.querySelector("#flight-vehicle").value,
      open: document.querySelector("#flight-vehicle").closest("details").open,
    }));
    await page2.fill("#flight-vehicle", "");
    step("vehicle file uploaded");
  }

  // another panel from a link: the claim check's example
  if (args.check) {
    await page2.goto(args.check, { waitUntil: "domcontentloaded" }); // same page, new hash: the page reruns
    await page2.waitForSelector("#result-check[data-state=done]");
    step("before check");
    report.check = await page2.evaluate(() => ({
      verdict: document.querySelector("#result-check .verdict").dataset.value,
      reasons: Array.from(document.querySelectorAll("#result-check ol.reasons li")).map((li) => li.textContent),
      panel: window.boostphase.state.panel,
    }));
    report.check.headlines = await headlines(page2, ["check"]);
  }
  if (args.reconstruct) {
    await page2.goto(args.reconstruct, { waitUntil: "domcontentloaded" });
    await page2.waitForSelector("#result-reconstruct[data-state=done]");
    await globeSettled(page2);
    report.reconstruct = { overlays: await overlays(page2), labels: await labels(page2),
      headlines: await headlines(page2, ["reconstruct"]), diagnostics: await page2.evaluate(() => window.boostphaseDiagnostics) };
    step("reconstruct");
  }

  if (args.consequence) await consequence(browser);
  if (args.engage) await engage(browser);
  if (args.sweep) await sweepTab(browser);
  if (args.ensemble) await ensembleFlight(browser);
} catch (e) {
  if (!(args.only && e.message === "only")) report.failure = String(e && e.stack || e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
