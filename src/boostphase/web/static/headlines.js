// The headline of each result: one bold sentence at the top of the panel that says the answer in
// plain words and the conditions it holds under, so that a screenshot of the panel cannot be
// quoted without them. Built only from the fields the API returns (and the request that was
// sent): the page computes no physics of its own.
import { fmt, num } from "./dom.js";

const pct = (x, digits) => `${fmt(100 * x, digits || 0)} %`;
const deg = (lat, lon) => `${fmt(Math.abs(lat), 2)}° ${lat >= 0 ? "N" : "S"}, ${fmt(Math.abs(lon), 2)}° ${lon >= 0 ? "E" : "W"}`;
const isLatLon = (s) => /^\s*[-+]?\d+(\.\d*)?\s*,\s*[-+]?\d+(\.\d*)?\s*$/.test(String(s));
// "A", "A and B", "A, B and C"
function list(items) {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
// the largest entries of {name: share}, largest first
const ranked = (obj) => Object.entries(obj || {}).sort((a, b) => b[1] - a[1]);
const PROFILE = { "min-energy": "minimum-energy", lofted: "lofted", depressed: "depressed", target: "aimed" };

export function flight(res, body, catalog) {
  const s = res.summary;
  // the catalog's payload, when a catalog missile was flown (a pasted vehicle file states its own)
  const m = !body.vehicle_toml && (catalog || []).find((x) => x.name === s.missile);
  const toward = body.target !== undefined ? `toward ${isLatLon(body.target) ? body.target : String(body.target)}` : `azimuth ${fmt(s.azimuth_deg, 1)}°`;
  const earth = s.earth === "sphere" ? "textbook sphere, no rotation" : `WGS84${body.no_rotation ? ", no rotation" : ", rotating"}`;
  // a payload typed in the form is the one flown
  const payload = typeof body.payload_kg === "number" ? body.payload_kg : (m ? m.payload_kg : null);
  const cond = [res.missile.title, payload !== null ? `payload ${fmt(payload, 0)} kg` : null,
    `${PROFILE[s.profile] || s.profile} trajectory`, toward, earth].filter(Boolean).join(", ");
  if (!s.impacted) return { text: `No impact, so no range: ${s.reason || "no impact within the time limit"} (${cond}).`, tone: "no" };
  return { text: `Range ${fmt(s.range_km, 0)} km: lands at ${deg(s.impact.lat, s.impact.lon)} after ` +
    `${fmt(s.flight_time_s / 60, 1)} min, apogee ${fmt(s.apogee_km, 0)} km (${cond}).` };
}

export function reconstruct(res) {
  const cities = res.cities || [];
  const yes = cities.filter((c) => c.in_reach).map((c) => c.name);
  const no = cities.filter((c) => !c.in_reach).map((c) => c.name);
  let what = "";
  if (yes.length && no.length) what = `: reaches ${list(yes)}, not ${list(no)}`;
  else if (yes.length) what = `: reaches ${list(yes)}`;
  else if (no.length) what = `: reaches none of ${list(no)}`;
  const head = res.global_reach ? "Global reach" : `Range ${fmt(res.max_range_km, 0)} km on a standard trajectory`;
  const cond = `${res.missile_model} model fitted to the test, payload ${fmt(res.fit.payload_kg, 0)} kg; range on a ` +
    `non-rotating Earth${cities.length ? ", cities on the rotating WGS84 Earth" : ""}`;
  return { text: `${head}${what} (${cond}).`, tone: no.length && !yes.length ? "no" : (yes.length ? "yes" : "") };
}

export function check(res) {
  const c = res.claim;
  const claimed = [
    c.range_km != null ? `${fmt(c.range_km, 0)} km range` : null,
    c.apogee_km != null ? `${fmt(c.apogee_km, 0)} km apogee` : null,
    c.flight_time_s != null ? `${fmt(c.flight_time_s, 0)} s flight` : null,
    c.peak_mach != null ? `Mach ${num(c.peak_mach)} (${c.mach_convention} sound speed)`
      : (c.peak_speed_km_s != null ? `${fmt(c.peak_speed_km_s, 2)} km/s peak` : null),
    c.glide_ld != null ? `glide L/D ${num(c.glide_ld)}` : null,
  ].filter(Boolean);
  const ok = res.ballistic_consistent;
  return { text: `${ok ? "Consistent with a ballistic flight" : "No ballistic flight matches the claim"}: ` +
    `${String(res.verdict).replaceAll("_", " ")} (claimed ${list(claimed)}; each figure ±${pct(c.tolerance, 0)}, ` +
    "spherical non-rotating Earth).", tone: ok ? "yes" : "no" };
}

function engageConditions(interceptor, launchS, altKm, burnoutS, missile) {
  return `${interceptor} interceptor fired ${fmt(launchS, 0)} s after launch from a UAV at ${fmt(altKm, 0)} km; ` +
    `${missile} burns out at ${fmt(burnoutS, 0)} s`;
}

export function engage(res) {
  const rows = res.rows || [res.row];
  const orbits = res.orbits || [res.orbit];
  const r = res.row;
  const cond = engageConditions(res.interceptor, r.interceptor_launch_time_s, orbits[0].alt_km, r.burnout_time_s, res.threat.missile);
  if (rows.length > 1) {
    const ok = rows.map((x, i) => [x, i]).filter(([x]) => x.intercept_possible);
    if (!ok.length) return { text: `None of the ${rows.length} orbits intercepts before burnout (${cond}).`, tone: "no" };
    const [best, i] = ok.reduce((a, b) => (b[0].margin_before_burnout_s > a[0].margin_before_burnout_s ? b : a));
    return { text: `${ok.length} of ${rows.length} orbits intercept before burnout; best: orbit ${i + 1} ` +
      `(${deg(orbits[i].lat, orbits[i].lon)}), ${fmt(best.margin_before_burnout_s, 1)} s to spare (${cond}).`, tone: "yes" };
  }
  const where = `the orbit at ${deg(orbits[0].lat, orbits[0].lon)}`;
  if (r.intercept_possible) {
    return { text: `Intercept ${fmt(r.intercept_time_s, 1)} s after launch, ${fmt(r.margin_before_burnout_s, 1)} s before ` +
      `burnout, at ${fmt(r.intercept.alt_km, 0)} km altitude, from ${where} (${cond}).`, tone: "yes" };
  }
  const late = r.shortfall_s != null ? `: the interceptor is at least ${fmt(r.shortfall_s, 1)} s too late` : "";
  return { text: `No intercept before burnout from ${where}${late} (${cond}).`, tone: "no" };
}

export function engagemap(res) {
  const cond = `${engageConditions(res.interceptor, res.interceptor_launch_time_s, res.platform.altitude_km, res.burnout_time_s,
    String(res.threat.name).split(" from ")[0])}; ${res.lat.length} × ${res.lon.length} orbit centres around the boost`;
  if (!res.feasible_cells) return { text: `No orbit centre on the map intercepts before burnout (${cond}).`, tone: "no" };
  const b = (res.best_cells || [])[0];
  return { text: `An orbit intercepts before burnout from ${fmt(res.feasible_cells, 0)} of ${fmt(res.cells, 0)} cells ` +
    `(${pct(res.feasible_cells / res.cells, 0)}); the best margin is ${fmt(res.max_margin_s, 0)} s` +
    `${b ? ` at ${deg(b.lat, b.lon)}` : ""} (${cond}).`, tone: "yes" };
}

// where the payload falls, by how long each territory lasts during the boost
export function shortfall(res, body) {
  const dur = {};
  for (const iv of res.intervals) dur[iv.territory] = (dur[iv.territory] || 0) + (iv.to_s - iv.from_s);
  const top = ranked(dur).slice(0, 2).map(([k, v]) => `${k} (${fmt(v, 0)} s)`);
  const last = res.trace[res.trace.length - 1];
  const target = body && body.target !== undefined && !isLatLon(body.target) ? body.target : deg(res.target.lat, res.target.lon);
  const beta = res.beta_kg_m2 === null ? "in vacuum" : `ballistic coefficient ${fmt(res.beta_kg_m2, 0)} kg/m²`;
  return { text: `Thrust cut during the ${fmt(res.burnout_s, 0)} s boost drops the payload in ${Object.keys(dur).length} ` +
    `territories, longest in ${list(top)}; at burnout it falls ${fmt(last.nearest_city_km, 0)} km from ${last.nearest_city} ` +
    `(${res.missile} toward ${target}, payload ${beta}).` };
}

export function footprint(res) {
  const [top, share] = ranked(res.shares)[0] || ["nowhere", 0];
  const ci = (res.shares_ci || {})[top] || [null, null];
  const it = res.intercept || {};
  const pay = ranked(res.payload && res.payload.share_of_window)[0];
  // "engagement": the window opens at the earliest intercept of the scenario's UAV laydown
  const policy = it.window_source === "engagement" ? "earliest-fire policy" : `window from the ${it.window_source || "scenario"}`;
  const when = it.window ? `intercept uniform over ${fmt(it.from_s, 0)}–${fmt(it.to_s, 0)} s after launch, ${policy}`
    : `intercept ${fmt(it.from_s, 0)} s after launch`;
  const t = res.threat || {};
  const to = res.title && res.title !== "web request" ? res.title : (t.target ? deg(t.target.lat, t.target.lon) : "its target");
  const payload = !pay ? "" : (it.window ? `Payload lands in ${pay[0]} in ${pct(pay[1], 0)} of intercept times; `
    : `Payload lands in ${pay[0]}; `);
  return { text: `${payload}${pct(share, 1)} of ${fmt(res.n, 0)} fragments land in ${top} ` +
    `(95 % interval ${pct(ci[0], 1)} to ${pct(ci[1], 1)}) (${t.missile || "threat"} toward ${to}; ${when}).` };
}

export function sweep(job) {
  const res = job.result;
  const vars = Object.entries(res.variables);
  const flag = vars.find(([, v]) => "true" in v);
  const main = vars.find(([k, v]) => !("true" in v) && /range/.test(k)) || vars.find(([, v]) => !("true" in v));
  const parts = [`${fmt(res.n_cases, 0)} ${res.kind} cases computed in ${fmt(job.elapsed_s, 1)} s`];
  if (flag) parts.push(`${flag[0]} in ${fmt(flag[1].true, 0)} (${pct(flag[1].true / Math.max(res.n_cases, 1), 0)})`);
  if (main) {
    const [k, v] = main;
    const km = v.units === "m" && Math.abs(v.max) >= 1e4; // metres of ground range read better in km
    const f = (x) => (km ? fmt(x / 1000, 0) : num(x));
    parts.push(`${k} from ${f(v.min)} to ${f(v.max)} ${km ? "km" : v.units}`.trim());
  }
  const dims = res.dims.map((d) => `${d.name} × ${d.size}`).join(", ") || "a single case";
  return { text: `Sweep "${res.name}": ${parts.join("; ")} (${dims}, seed ${res.seed}).` };
}
