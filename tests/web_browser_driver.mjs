// Drives the boostphase page in headless Debian Chromium with playwright-core (never downloads a
// browser). Called by tests/test_web_browser.py, which owns the assertions; this script only
// acts and reports what it saw, as one JSON object on stdout.
//
//   node tests/web_browser_driver.mjs --url http://127.0.0.1:PORT/ --globe OUT.png --page OUT2.png
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

  // a bad input shows the API's message and marks the field
  await page2.fill("#flight-launch", "95,126");
  await page2.click("#form-flight button[type=submit]");
  await page2.waitForSelector("#result-flight[data-state=error]");
  report.bad_input = await page2.evaluate(() => ({
    message: document.querySelector("#result-flight .error").textContent,
    invalid: document.querySelector("#flight-launch").getAttribute("aria-invalid"),
    focused: document.activeElement.id,
  }));

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
  }
} catch (e) {
  report.failure = String(e && e.stack || e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
