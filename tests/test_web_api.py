"""The web API (FastAPI TestClient, no server): same numbers as the Python API, 422s that name the
field, the token and host guards, the body limit, the CSP, and a schema-driven fuzz with no 500s."""

from __future__ import annotations

import json
import math
import os
import threading
import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from boostphase.scenario import registry, specs
from boostphase.web import app as webapp
from boostphase.web import jobs, payloads, security
from boostphase.web.app import EXAMPLES, create_app, jsonable

BASE = "http://127.0.0.1:8000"
TOKEN = "correct-horse-battery-staple-42"

# A SWEEP.toml as JSON: 30 x 20 x 2 = 1,200 coasts with and without drag, 2 chunks of 1,000
SWEEP_PARAMS = {"kind": "coast", "name": "web-test", "chunk": 1000,
                "fixed": {"lat": 40.0, "lon": "125 deg", "azimuth": 90},
                "grid": {"speed": {"from": "1 km/s", "to": "3 km/s", "n": 30},
                         "flight_path": {"from": 20, "to": 70, "n": 20}, "beta": ["vacuum", "5000 kg/m^2"]}}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url=BASE, raise_server_exceptions=False) as c:
        yield c


# ------------------------------------------------------------------------------ same numbers


def test_flight_example_equals_python_api(client):
    from boostphase.flight.flyout import fly
    from boostphase.models.vehicles import load

    ex = EXAMPLES["flight"]
    r = client.post("/api/flyout", json=ex)
    assert r.status_code == 200, r.text
    lat, lon = (float(x) for x in ex["launch"].split(","))
    traj = fly(load(ex["missile"]), lat, lon, azimuth_deg=ex["azimuth_deg"], profile=ex["profile"])
    got = r.json()
    assert got["summary"] == jsonable(traj.summary())  # same process, same kernel: bit for bit
    assert got["summary"]["range_km"] == pytest.approx(traj.range_m / 1e3, rel=1e-12)
    # the track drawn on the globe is the trajectory's own
    glat, glon, galt = traj.geodetic()
    assert got["track"]["lat"] == pytest.approx(glat.tolist(), rel=1e-12)
    assert max(got["track"]["alt_km"]) == pytest.approx(traj.apogee_m / 1e3, rel=1e-3)
    assert got["events"]["burnout"]["t_s"] == pytest.approx(traj.burnout_time_s)
    # units in strings go through boostphase.units: "45 deg" is 45
    r2 = client.post("/api/flyout", json={**ex, "azimuth_deg": "45 deg"})
    assert r2.json()["summary"] == got["summary"]


def test_check_example_equals_python_api(client):
    from boostphase.claims.check import check_claim

    ex = EXAMPLES["check"]
    r = client.post("/api/check", json=ex)
    assert r.status_code == 200, r.text
    want = jsonable(check_claim(ex["range_km"], apogee_km=ex["apogee_km"], peak_mach=ex["peak_mach"],
                                mach_convention=ex["mach_convention"]))
    assert r.json() == want
    assert r.json()["ballistic_consistent"] is False  # claim C3: Mach 14 does not fit 1,000 km / 100 km


def test_reconstruct_example_is_the_python_api_result(monkeypatch):
    """The API hands the panel's example to boostphase.reconstruct.reconstruction.reconstruct with the CLI's
    arguments and returns its result unchanged (one computation; the independent recomputation is
    the slow test below)."""
    import boostphase.reconstruct.reconstruction as rec

    calls = []
    real = rec.reconstruct

    def spy(*a, **k):
        calls.append((a, k))
        out = real(*a, **k)
        calls[-1] = (a, k, out)
        return out

    monkeypatch.setattr(rec, "reconstruct", spy)
    ex = EXAMPLES["reconstruct"]
    client = TestClient(create_app(), base_url=BASE)  # a fresh result cache
    r = client.post("/api/reconstruct", json=ex)
    assert r.status_code == 200, r.text
    (a, k, out), = calls
    assert a == (ex["apogee_km"], ex["range_km"], ex["flight_time_s"])
    assert k["launch"] == (40.61556, 126.46306) and k["sensitivity"] is False
    assert k["cities"] == ["Los Angeles", "Chicago", "New York", "Washington"]
    got = r.json()
    for key, val in jsonable(out).items():
        assert got[key] == val, key
    assert got["launch"] == {"lat": 40.61556, "lon": 126.46306}
    assert {c["name"] for c in got["cities"]} >= {"Los Angeles", "Chicago"}
    # downloads reuse the cached result (no second computation) and are well-formed
    for fmt in ("geojson", "csv", "czml", "kml"):
        f = client.post(f"/api/reconstruct/{fmt}", json=ex)
        assert f.status_code == 200 and "attachment" in f.headers["content-disposition"]
    assert len(calls) == 1
    czml = json.loads(client.post("/api/reconstruct/czml", json=ex).text)
    assert czml[0]["id"] == "document" and any(p["id"] == "reach" for p in czml)


@pytest.mark.slow
def test_reconstruct_example_recomputed_equals_api():
    from boostphase.reconstruct.reconstruction import reconstruct

    ex = EXAMPLES["reconstruct"]
    with TestClient(create_app(), base_url=BASE) as c:
        got = c.post("/api/reconstruct", json=ex).json()
    want = jsonable(reconstruct(ex["apogee_km"], ex["range_km"], ex["flight_time_s"], launch=(40.61556, 126.46306),
                                test_azimuth_deg=ex["test_azimuth"], cities=ex["cities"].split(","),
                                sensitivity=False))
    for key, val in want.items():
        assert got[key] == val, key


def test_catalog_city_meta_tests(client):
    from boostphase.models.vehicles import catalog

    cat = client.get("/api/catalog").json()
    assert [m["name"] for m in cat] == [m.name for m in catalog()]
    assert all(m["sources"] for m in cat)
    city = client.get("/api/city", params={"name": "new york"}).json()
    assert city["name"] == "New York City" and city["country_code"] == "US"
    meta = client.get("/api/meta").json()
    # the panels' examples, and the example sweeps under their own key (test_meta_sweep_examples...)
    assert {k: v for k, v in meta["examples"].items() if k != "sweep"} == EXAMPLES and meta["panels"]["flight"]
    tests = client.get("/api/tests").json()
    assert any(t["date"] == "2017-07-28" for t in tests["tests"]) and tests["sites"]


def test_flyout_downloads(client):
    ex = EXAMPLES["flight"]
    gj = client.post("/api/flyout/geojson", json=ex)
    assert gj.status_code == 200
    kinds = [f["properties"]["kind"] for f in gj.json()["features"]]
    assert kinds[0] == "track" and "burnout" in kinds
    csv = client.post("/api/flyout/csv", json=ex).text.splitlines()
    assert csv[0].startswith("t_s,lat_deg,lon_deg,alt_m") and len(csv) > 50
    doc = json.loads(client.post("/api/flyout/czml", json=ex).text)
    ids = [p["id"] for p in doc]
    assert ids[0] == "document" and {"missile", "burnout", "apogee", "impact"} <= set(ids)
    missile = next(p for p in doc if p["id"] == "missile")
    samples = missile["position"]["cartographicDegrees"]
    assert len(samples) % 4 == 0 and samples[0] == 0.0
    kml = client.post("/api/flyout/kml", json=ex)
    assert kml.status_code == 200 and kml.headers["content-type"].startswith("application/vnd.google-earth.kml+xml")
    assert kml.text.startswith("<?xml") and "<LineString>" in kml.text and "apogee" in kml.text
    import xml.dom.minidom

    xml.dom.minidom.parseString(kml.text.encode())  # well-formed
    r = client.post("/api/flyout/shp", json=ex)
    assert r.status_code == 422 and r.json()["field"] == "fmt"


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("path, body, field", [
    ("/api/flyout", {**EXAMPLES["flight"], "missile": "hwasong-99"}, "missile"),
    ("/api/flyout", {**EXAMPLES["flight"], "launch": "95,126"}, "launch latitude"),
    ("/api/flyout", {**EXAMPLES["flight"], "launch": "Pyongyang"}, "launch"),
    ("/api/flyout", {**EXAMPLES["flight"], "azimuth_deg": "north"}, "azimuth_deg"),
    ("/api/flyout", {**EXAMPLES["flight"], "azimuth_deg": "9**9**9 deg"}, "azimuth_deg"),
    ("/api/flyout", {**EXAMPLES["flight"], "azimuth_deg": "45 kg"}, "azimuth_deg"),
    ("/api/flyout", {**EXAMPLES["flight"], "profile": "sideways"}, "profile"),
    ("/api/flyout", {**EXAMPLES["flight"], "wind": 3}, "wind"),
    ("/api/flyout", {"missile": "scud-b", "launch": "39,125.7"}, "azimuth_deg"),
    ("/api/flyout", {"launch": "39,125.7", "azimuth_deg": 40}, "missile"),
    ("/api/flyout", {**EXAMPLES["flight"], "profile": "lofted"}, "apogee_km"),
    ("/api/check", {**EXAMPLES["check"], "range_km": -5}, "range_km"),
    ("/api/check", {**EXAMPLES["check"], "peak_speed_km_s": 4.0}, "peak_mach"),
    ("/api/check", {**EXAMPLES["check"], "mach_convention": "martian"}, "mach_convention"),
    ("/api/reconstruct", {**EXAMPLES["reconstruct"], "cities": "Atlantiz"}, "city"),
    ("/api/reconstruct", {**EXAMPLES["reconstruct"], "apogee_km": 5}, "apogee_km"),
    ("/api/reconstruct", {"apogee_km": 3000, "range_km": 900, "cities": "Chicago"}, "cities"),
])
def test_bad_input_is_422_naming_the_field(client, path, body, field):
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    d = r.json()
    assert d["field"] == field
    assert d["error"].startswith(field)
    assert "Traceback" not in r.text


def test_same_error_text_as_the_cli(client):
    """The CLI prints 'error: <text>'; the API's error is <text> (fields named without '--')."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "flyout", "--missile", "hwasong-99",
                        "--launch", "39,125.7", "--azimuth", "40"], capture_output=True, text=True, timeout=300)
    r = client.post("/api/flyout", json={"missile": "hwasong-99", "launch": "39,125.7", "azimuth_deg": 40})
    assert p.returncode == 2
    # the CLI also reads a vehicle file by path; the web only its text (vehicle_toml), never a path
    cli = p.stderr.strip().replace(", or a path to a vehicle TOML file", "")
    assert cli == f"error: {r.json()['error']}"


def test_city_errors(client):
    r = client.get("/api/city", params={"name": "Atlantiz"})
    assert r.status_code == 422 and r.json()["field"] == "city"
    r = client.get("/api/city")
    assert r.status_code == 422 and r.json()["field"] == "name"
    r = client.get("/api/city", params={"name": "x" * 500})
    assert r.status_code == 422 and r.json()["field"] == "name"


def test_malformed_json_is_422(client):
    r = client.post("/api/flyout", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"]


# ------------------------------------------------------------------------------ security


def test_body_size_limit(client):
    big = {"missile": "x" * (security.MAX_BODY_BYTES + 10), "launch": "1,1"}
    r = client.post("/api/flyout", json=big)
    assert r.status_code == 413


def test_body_size_limit_without_content_length(client):
    def chunks():
        for _ in range(20):
            yield b" " * 8192

    r = client.post("/api/flyout", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_token_required_when_set():
    app = create_app(token=TOKEN)
    with TestClient(app, base_url="http://0.0.0.0:8000") as c:
        assert c.get("/api/meta").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/cesium/Cesium.js").status_code == 401
        assert c.post("/api/check", json=EXAMPLES["check"]).status_code == 401
        assert c.get("/api/meta", headers={"Authorization": "Bearer wrong-token-of-some-length"}).status_code == 401
        assert c.get("/api/meta", params={"token": TOKEN[:-1]}).status_code == 401
        assert c.get("/api/meta", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        r = c.get("/", params={"token": TOKEN})
        assert r.status_code == 200
        assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
        # the cookie set by ?token= lets the page load its scripts and call the API
        assert c.get("/static/app.js").status_code == 200


def test_non_loopback_host_refused_without_token():
    with TestClient(create_app(), base_url="http://attacker.example:8000") as c:
        assert c.get("/api/meta").status_code == 421
    with TestClient(create_app(), base_url="http://localhost:8000") as c:
        assert c.get("/api/meta").status_code == 200


def test_serve_refuses_public_host_without_token(monkeypatch):
    from boostphase.cli.web import resolve_token
    from boostphase.errors import InputError

    monkeypatch.delenv("BOOSTPHASE_TOKEN", raising=False)
    assert resolve_token("127.0.0.1", None) is None
    with pytest.raises(InputError, match="--host"):
        resolve_token("0.0.0.0", None)
    with pytest.raises(InputError, match="--token"):
        resolve_token("0.0.0.0", "short")
    assert resolve_token("0.0.0.0", TOKEN) == TOKEN
    monkeypatch.setenv("BOOSTPHASE_TOKEN", TOKEN)
    assert resolve_token("0.0.0.0", None) == TOKEN


def test_security_headers_and_page(client):
    r = client.get("/")
    assert r.status_code == 200 and "<title>" in r.text
    csp = r.headers["content-security-policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-eval'" not in script_src and "'unsafe-inline'" not in script_src
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    # no inline script in the page; no outside URL loaded by it
    assert "<script>" not in r.text and "http://" not in r.text.replace("http://www.w3.org", "")
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 404  # the Swagger page would load code from a CDN
    assert client.get("/static/../app.py").status_code == 404


def test_cesium_served_only_from_its_build(client):
    if webapp.find_cesium_dir() is None:
        pytest.fail("CesiumJS missing: run tools/web_setup.sh")
    assert client.get("/cesium/Cesium.js").status_code == 200
    assert client.get("/cesium/Assets/Textures/NaturalEarthII/tilemapresource.xml").status_code == 200
    assert client.get("/cesium/../package.json").status_code == 404
    assert client.get("/cesium/%2e%2e/package.json").status_code == 404


# ------------------------------------------------------------------------------ fuzz (OpenAPI)

_JUNK = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                  st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                  st.sampled_from(["", " ", "nan", "inf km", "1e999 km", "-0", "9**9**9 km", "1,2,3", "NaN,NaN",
                                   "\x00", "😀", "40,500", "Los Angeles", "1 lightyear", "45 kg"]),
                  st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def _resolve(schema, spec):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _value(schema, spec, example):
    schema = _resolve(schema, spec)
    options = [_JUNK]
    if example is not None:
        options += [st.just(example)] * 3
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if "const" in schema:
        options.append(st.just(schema["const"]))
    for sub in schema.get("anyOf", []):
        sub = _resolve(sub, spec)
        if sub.get("type") != "null":
            options.append(_value(sub, spec, None))
    t = schema.get("type")
    if t == "number":
        options.append(st.floats(min_value=-1e5, max_value=1e5, allow_nan=False))
    elif t == "integer":
        options.append(st.integers(min_value=-10**6, max_value=10**6))
    elif t == "boolean":
        options.append(st.booleans())
    elif t == "string" and "enum" not in schema:
        options.append(st.text(max_size=schema.get("maxLength", 40) + 5))
    return st.one_of(*options)


def _bodies(spec, path, example):
    op = spec["paths"][path]["post"]
    schema = _resolve(op["requestBody"]["content"]["application/json"]["schema"], spec)
    req = set(schema.get("required", []))
    props = schema.get("properties", {})
    required = {k: _value(v, spec, example.get(k)) for k, v in props.items() if k in req}
    optional = {k: _value(v, spec, example.get(k)) for k, v in props.items() if k not in req}
    body = st.fixed_dictionaries(required, optional=optional)
    extra = st.dictionaries(st.sampled_from(["extra", "token", "__proto__"]), _JUNK, max_size=1)
    # the panel's example with one field changed: near-valid requests that reach the physics
    fields = {**required, **optional}

    def plausible(k):
        v = example.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return fields[k]
        near = st.floats(min_value=min(0.5 * v, 2 * v), max_value=max(0.5 * v, 2 * v))
        return st.one_of(fields[k], near, near)

    mutated = st.sampled_from(sorted(fields)).flatmap(
        lambda k: plausible(k).map(lambda v, k=k: {**example, k: v}))
    return st.one_of(st.tuples(body, extra).map(lambda be: {**be[0], **be[1]}), mutated, mutated)


@pytest.fixture(scope="module")
def spec(client):
    return client.get("/api/openapi.json").json()


def test_openapi_lists_every_endpoint(spec):
    assert {"/api/flyout", "/api/reconstruct", "/api/check", "/api/city", "/api/catalog",
            "/api/flyout/{fmt}", "/api/reconstruct/{fmt}", "/api/engage", "/api/engage/map", "/api/shortfall",
            "/api/footprint", "/api/footprint/{fmt}", "/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/{fmt}",
            "/api/runs", "/api/borders"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/jobs/{job_id}"]) == {"get", "delete"}
    assert spec["components"]["schemas"]["FlyoutRequest"]["additionalProperties"] is False


_CANNED: dict = {}


def _fuzz_stand_ins(monkeypatch, tmp_path, reconstruct: bool = True):
    """Computations that pass validation but take long are answered by stand-ins, so the fuzz
    stays fast (their own tests above and below run them for real): a reconstruction by a dict
    (a real one takes ~20 s); a footprint, once validated into a scenario, by the real footprint
    of the Chicago example with 300 fragments (a new threat costs several seconds of flights);
    a sweep job's chunks by zeros (a new batch size costs seconds of compilation), and sweeps are
    capped at 2,000 cases (the long fuzz computes them for real). Saved runs go to a temporary
    store."""
    import numpy as np

    import boostphase.consequence as cons
    import boostphase.reconstruct.reconstruction as rec
    import boostphase.sweep.run as sw

    monkeypatch.setattr(webapp, "MAX_SWEEP_JOB_CASES", 2000)
    monkeypatch.setattr(registry, "MAX_SWEEP_JOB_CASES", 2000)

    if reconstruct:
        monkeypatch.setattr(rec, "reconstruct", lambda *a, **k: {"stand_in": True, "args": [a, sorted(k)]})
        real = cons.footprint

        def canned(sc, **kw):
            if "fp" not in _CANNED:
                _CANNED["fp"] = real(registry.footprint_scenario(specs.FootprintRequest(example="chicago")), n=300)
            if kw.get("progress"):
                kw["progress"](300)
            return _CANNED["fp"]

        monkeypatch.setattr(cons, "footprint", canned)

        def zeros(spec, k, *a):
            s, e = spec.chunk_range(k)
            out = {n: np.zeros(e - s, o.dtype) for n, o in sw.KINDS[spec.kind].outputs.items()}
            return out | {f"{n}_value": np.zeros(e - s) for n in spec.dispersion}

        monkeypatch.setattr(sw, "compute_chunk", zeros)
    else:
        real = cons.footprint
        monkeypatch.setattr(cons, "footprint", lambda sc, **kw: real(sc, n=min(sc.fragments.n, 300), **kw))
    monkeypatch.setenv("BOOSTPHASE_STORE", str(tmp_path / "runs.sqlite"))


def test_fuzz_api_from_openapi_no_500(spec, monkeypatch, tmp_path):
    """~90 schema-driven requests (valid, near-valid and junk) over every endpoint, jobs and the
    run store included: never a 500; every 422 names a field (see _fuzz_stand_ins)."""
    _fuzz_stand_ins(monkeypatch, tmp_path)
    seen = _fuzz(spec, 90)
    assert seen["422"] > 0 and seen["ok"] > 0


@pytest.mark.slow
def test_fuzz_api_long(spec, monkeypatch, tmp_path):
    """The same fuzz, 400 requests, every computation real (footprints: 300 fragments at most)."""
    _fuzz_stand_ins(monkeypatch, tmp_path, reconstruct=False)
    seen = _fuzz(spec, 400)
    assert seen["422"] > 0 and seen["ok"] > 0


def test_fuzz_sweep_jobs_no_500(monkeypatch, tmp_path):
    """~60 sweep specs near the example (JSON junk in every key of the SWEEP.toml, and values that
    parse_spec must refuse): 202, 422 naming the field, or 429; never a 500 (see _fuzz_stand_ins)."""
    _fuzz_stand_ins(monkeypatch, tmp_path)
    fields = ["lat", "lon", "alt", "speed", "flight_path", "azimuth", "beta", "earth", "rotation", "t_max", "kick",
              "missile", "payload"]
    leaf = st.one_of(_JUNK, st.floats(allow_nan=False), st.integers(-10**20, 10**20),
                     st.sampled_from(["2 km/s", "vacuum", "5 deg", "log", "inf km/s", "scud-b", "1 km/parsec"]))
    value = st.recursive(leaf, lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.sampled_from(["from", "to", "n", "step", "spacing"]), c, max_size=4)),
        max_leaves=6)
    table = st.dictionaries(st.sampled_from(fields), value, max_size=3)
    change = st.fixed_dictionaries({}, optional={
        "kind": st.one_of(st.sampled_from(["coast", "flyout"]), _JUNK), "chunk": st.one_of(st.integers(-5, 10**6), _JUNK),
        "seed": st.one_of(st.integers(-5, 2**64), _JUNK), "name": _JUNK, "fixed": st.one_of(table, _JUNK),
        "grid": st.one_of(table, _JUNK),
        "dispersion": st.one_of(st.dictionaries(st.sampled_from(["samples", *fields]), value, max_size=3), _JUNK)})
    with TestClient(create_app(), base_url=BASE, raise_server_exceptions=False) as c:
        seen = {"ok": 0, "422": 0}

        @settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
        @given(change)
        def one(d):
            payload = json.dumps({"kind": "sweep", "params": {**SWEEP_PARAMS, **d}}, allow_nan=False)
            r = c.post("/api/jobs", content=payload, headers={"content-type": "application/json"})
            assert r.status_code in (202, 422, 429), (d, r.status_code, r.text)
            if r.status_code != 202:
                e = r.json()
                assert e["field"] and e["error"], e
            seen["ok" if r.status_code == 202 else "422"] += 1

        one()
    assert seen["ok"] > 0 and seen["422"] > 0, seen


def _schema_bodies(spec, name, example):
    schema = spec["components"]["schemas"][name]
    props = schema.get("properties", {})
    req = set(schema.get("required", []))
    return st.fixed_dictionaries({k: _value(v, spec, example.get(k)) for k, v in props.items() if k in req},
                                 optional={k: _value(v, spec, example.get(k)) for k, v in props.items() if k not in req})


def _fuzz(spec, n: int) -> dict:
    client = TestClient(create_app(), base_url=BASE, raise_server_exceptions=False)  # its own cache and jobs
    client.__enter__()  # lifespan: the job pool is shut down at the end
    engage_map = {**EXAMPLES["engage"], **EXAMPLES["engagemap"]}
    examples = {"/api/flyout": EXAMPLES["flight"], "/api/check": EXAMPLES["check"],
                "/api/reconstruct": EXAMPLES["reconstruct"], "/api/engage": EXAMPLES["engage"],
                "/api/engage/map": engage_map, "/api/shortfall": EXAMPLES["shortfall"],
                "/api/footprint": EXAMPLES["footprint"]}
    job_ids = st.one_of(st.text(max_size=45), st.sampled_from(["AAAAAAAAAAAA", "../../etc", "x" * 41, "%00"]))
    panels = st.one_of(st.sampled_from(list(specs.SAVE_PANELS)), _JUNK)
    saved = st.one_of(
        st.sampled_from([{"panel": "check", "request": EXAMPLES["check"]},
                         {"panel": "footprint", "request": EXAMPLES["footprint"]},
                         {"panel": "engagemap", "request": engage_map, "note": "fuzz"}]),
        st.builds(lambda p, r: {"panel": p, "request": r}, panels,
                  st.one_of(st.sampled_from([EXAMPLES["check"], EXAMPLES["flight"], EXAMPLES["footprint"]]),
                            _schema_bodies(spec, "CheckRequest", EXAMPLES["check"]), _JUNK)),
        st.builds(lambda p, j: {"panel": p, "job_id": j}, panels, job_ids),
        _schema_bodies(spec, "RunSaveRequest", {"panel": "check", "request": EXAMPLES["check"]}))
    jobs = st.one_of(st.just({"kind": "footprint", "params": {**EXAMPLES["footprint"], "n_fragments": 50_000}}),
                     st.just({"kind": "sweep", "params": SWEEP_PARAMS}),
                     st.builds(lambda k, p: {"kind": k, "params": p},
                               st.one_of(st.sampled_from(specs.JOB_KINDS), _JUNK),
                               st.one_of(_schema_bodies(spec, "FootprintJobParams", EXAMPLES["footprint"]),
                                         _bodies(spec, "/api/footprint", EXAMPLES["footprint"]),
                                         _schema_bodies(spec, "SweepJobParams", SWEEP_PARAMS), _JUNK)))
    strategy = st.one_of(
        *[st.tuples(st.just(p), _bodies(spec, p, ex)) for p, ex in examples.items()],
        st.tuples(st.just("/api/city"), st.one_of(st.text(max_size=120), st.sampled_from(["Tokyo", "", "São Paulo"]))),
        st.tuples(st.just("/api/jobs"), jobs),
        st.tuples(st.just("/api/runs"), saved),
        st.tuples(st.sampled_from(["GET /api/jobs/", "DELETE /api/jobs/"]), job_ids),
        st.tuples(st.just("GET /api/runs"), st.dictionaries(st.sampled_from(["limit", "web_only", "path"]),
                                                              st.one_of(st.integers(-5, 500), st.text(max_size=8)),
                                                              max_size=2)),
    )
    seen = {"ok": 0, "422": 0}

    @settings(max_examples=n, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(strategy)
    # every endpoint answers at least one valid request
    @example(("/api/runs", {"panel": "check", "request": EXAMPLES["check"]}))
    @example(("/api/runs", {"panel": "footprint", "request": EXAMPLES["footprint"]}))
    @example(("/api/jobs", {"kind": "footprint", "params": {**EXAMPLES["footprint"], "n_fragments": 50_000}}))
    @example(("/api/jobs", {"kind": "sweep", "params": SWEEP_PARAMS}))
    @example(("/api/engage", EXAMPLES["engage"]))
    @example(("/api/engage/map", engage_map))
    @example(("GET /api/runs", {"limit": 3}))
    def one(case):
        path, body = case
        ok_codes = {200}
        if path == "/api/city":
            r = client.get(path, params={"name": body})
        elif path == "GET /api/runs":
            r = client.get("/api/runs", params=body)
        elif path.endswith("/api/jobs/"):
            from urllib.parse import quote

            method = path.split()[0]
            r = client.request(method, "/api/jobs/" + quote(body, safe=""))
            ok_codes = {200, 404, 405}
        else:
            try:
                payload = json.dumps(body, allow_nan=False)
            except ValueError:
                return
            r = client.post(path, content=payload, headers={"content-type": "application/json"})
            ok_codes = {"/api/jobs": {202, 429}, "/api/runs": {201}}.get(path, {200})
        assert r.status_code != 500, (path, body, r.text)
        assert r.status_code in ok_codes | {422}, (path, body, r.status_code, r.text)
        if r.status_code in (422, 404, 405, 429):
            d = r.json()
            assert d["field"] and d["error"], d
            seen["422"] += r.status_code == 422
        else:
            seen["ok"] += 1
            if r.headers["content-type"].startswith("application/json"):
                _all_finite(r.json())

    try:
        one()
    finally:
        client.__exit__(None, None, None)
    return seen


def _all_finite(o):
    if isinstance(o, dict):
        for v in o.values():
            _all_finite(v)
    elif isinstance(o, list):
        for v in o:
            _all_finite(v)
    elif isinstance(o, float):
        assert math.isfinite(o)


# ------------------------------------------------------------------------------ engage and consequence


def test_engage_example_equals_python_api(client):
    from boostphase.engage import Engagement, Interceptor, Platform, Threat, Timeline
    from boostphase.models.geography import find_city

    ex = EXAMPLES["engage"]
    r = client.post("/api/engage", json=ex)
    assert r.status_code == 200, r.text
    got = r.json()
    c = find_city(ex["target"])
    threat = Threat(ex["missile"], 39.0, 125.7, target=(c.lat_deg, c.lon_deg), profile=ex["profile"])
    platform = Platform(41.0, 131.3, altitude_m=15e3, orbit_radius_m=20e3, name="orbit 41.00,131.30")
    want = Engagement(threat, platform, Interceptor.two_stage(5e3), Timeline.total(65.0)).solve().row()
    assert got["row"] == jsonable(want)
    assert got["row"]["intercept_possible"] is True
    assert got["row"]["interceptor_launch_time_s"] == 65.0
    tr = threat.track
    assert got["track"]["lat"][0] == pytest.approx(tr.lat_deg[0])
    assert got["track"]["t_s"][-1] <= tr.burnout_time_s + 1e-9
    assert [e["event"] for e in got["timeline"]][:2] == ["threat launch", "interceptor launch"]
    assert client.get("/api/meta").json()["examples"]["engage"] == ex
    # units in strings: "5000 m/s" is 5 km/s
    r2 = client.post("/api/engage", json={**ex, "burnout_speed_km_s": "5000 m/s"})
    assert r2.json()["row"] == got["row"]


def test_shortfall_example_equals_python_api(client):
    from boostphase.consequence import resolve_missile, shortfall_trace
    from boostphase.models.geography import find_city

    ex = EXAMPLES["shortfall"]
    r = client.post("/api/shortfall", json=ex)
    assert r.status_code == 200, r.text
    c = find_city(ex["target"])
    want = shortfall_trace(resolve_missile(ex["missile"], ex["payload_kg"]), (39.0, 125.7), (c.lat_deg, c.lon_deg),
                           ex["beta_kg_m2"], dt_s=ex["dt_s"])
    got = r.json()
    assert got["trace"] == jsonable(want.rows())
    assert got["intervals"] == jsonable(want.intervals)
    assert {"cutoff_s", "lat", "lon", "territory", "nearest_city", "nearest_city_km"} == set(got["trace"][0])


def test_footprint_sample_is_capped(client, monkeypatch):
    monkeypatch.setattr(registry, "MAX_FOOTPRINT_SAMPLE", 50)
    body = {"missile": "hwasong-15", "launch": "39.0,125.7", "target": "Chicago", "payload_kg": 800,
            "beta_kg_m2": 5000, "intercept_time_s": 150, "n_fragments": 200, "seed": 7}
    r = client.post("/api/footprint", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["n"] == 200 and d["seed"] == 7
    assert len(d["sample"]["lat"]) == len(d["sample"]["lon"]) == len(d["sample"]["territory"]) == 50
    assert d["sample"]["of"] > 50
    assert sum(d["shares"].values()) == pytest.approx(1.0, abs=0.02)
    assert set(d["shares_ci"]) == set(d["shares"])


def test_footprint_sample_helper_caps_and_keeps_small_clouds():
    import numpy as np

    class FP:
        impacted = np.ones(12_000, bool)
        lat = np.linspace(0, 1, 12_000)
        lon = np.linspace(0, 1, 12_000)
        territory = np.array(["Russia"] * 12_000)

    s = registry.footprint_sample(FP, registry.MAX_FOOTPRINT_SAMPLE, 1)
    assert len(s["lat"]) == registry.MAX_FOOTPRINT_SAMPLE == 5000 and s["of"] == 12_000
    FP.impacted = np.zeros(12_000, bool)
    FP.impacted[:10] = True
    assert len(registry.footprint_sample(FP, 5000, 1)["lat"]) == 10


@pytest.mark.parametrize("path, body, field", [
    ("/api/engage", {**EXAMPLES["engage"], "orbit_centre": "95,131"}, "orbit_centre"),
    ("/api/engage", {**EXAMPLES["engage"], "burnout_speed_km_s": 50}, "burnout_speed_km_s"),
    ("/api/engage", {**EXAMPLES["engage"], "delay_s": "1 kg"}, "delay_s"),
    ("/api/engage", {**EXAMPLES["engage"], "missile": "hwasong-99"}, "missile"),
    ("/api/engage", {**EXAMPLES["engage"], "target": None}, "target"),
    ("/api/shortfall", {**EXAMPLES["shortfall"], "launch": "Pyongyang"}, "launch"),
    ("/api/shortfall", {**EXAMPLES["shortfall"], "dt_s": 0.001}, "dt_s"),
    ("/api/shortfall", {**EXAMPLES["shortfall"], "payload_kg": None}, "target"),  # out of range
    ("/api/footprint", {"example": "chicago", "n_fragments": 20_001}, "n_fragments"),
    ("/api/footprint", {"example": "atlantis"}, "example"),
    ("/api/footprint", {"missile": "hwasong-15", "launch": "39,125.7"}, "target"),
])
def test_engage_consequence_bad_input_is_422_naming_the_field(client, path, body, field):
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    d = r.json()
    assert d["field"].startswith(field), d  # e.g. "orbit_centre latitude", like "launch latitude"
    assert d["error"].startswith(d["field"]), d
    assert "Traceback" not in r.text


@pytest.mark.parametrize("path, body, field", [
    ("/api/engage", {**EXAMPLES["engage"], "orbit_centre": "41,131; 95,131"}, "orbit_centre 2 latitude"),
    ("/api/engage", {**EXAMPLES["engage"], "orbit_centre": ";".join(["41,131"] * 11)}, "orbit_centre"),
    ("/api/engage/map", {**EXAMPLES["engage"], "cells": 500}, "cells"),
    ("/api/engage/map", {**EXAMPLES["engage"], "half_width_deg": "0.1 deg"}, "half_width_deg"),
    ("/api/engage/map", {**EXAMPLES["engage"], "launch": "39,999"}, "launch longitude"),
    ("/api/jobs", {"kind": "orbit", "params": EXAMPLES["footprint"]}, "kind"),
    ("/api/jobs", {"params": EXAMPLES["footprint"]}, "kind"),
    ("/api/jobs", {"kind": "sweep", "params": EXAMPLES["footprint"]}, "params.kind"),
    ("/api/jobs", {"kind": "sweep"}, "params"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "kind": "orbit"}}, "params.kind"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "fixed": {"lat": 95, "lon": 125}}}, "fixed.lat"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "fixed": {"lat": 40, "colour": 1}}}, "fixed.colour"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "grid": {"speed": 5}}}, "grid.speed"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "grid": {"speed": {"from": 1, "to": 2, "n": 10**8}}}},
     "grid.speed.n"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "grid": {"speed": {"from": "1 km/s", "to": "2 km/s",
                                                                                  "step": "1 mm/s"}}}},
     "grid.speed.step"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "grid": {"speed": {"from": 1e3, "to": 3e3, "n": 500},
                                                                        "flight_path": {"from": 10, "to": 80, "n": 500}}}},
     "grid"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "dispersion": {"samples": 1000, "speed": "5 m/s"}}},
     "dispersion.samples"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "chunk": 50_000}}, "chunk"),
    ("/api/jobs", {"kind": "sweep", "params": {**SWEEP_PARAMS, "chunk": 10}}, "chunk"),
    ("/api/jobs", {"kind": "footprint", "params": {**EXAMPLES["footprint"], "n_fragments": 2_000_000}},
     "params.n_fragments"),
    ("/api/jobs", {"kind": "footprint", "params": {"missile": "hwasong-15", "launch": "39,125.7"}}, "target"),
    ("/api/jobs", {"kind": "footprint"}, "params"),
    ("/api/runs", {"panel": "check"}, "request"),
    ("/api/runs", {"panel": "sideways", "request": {}}, "panel"),
    ("/api/runs", {"panel": "check", "request": {**EXAMPLES["check"], "range_km": "far"}}, "request.range_km"),
    ("/api/runs", {"panel": "check", "request": EXAMPLES["check"], "path": "/tmp/x.sqlite"}, "path"),
    ("/api/runs", {"panel": "footprint", "job_id": "AAAAAAAAAAAA"}, "job_id"),
    ("/api/runs", {"panel": "check", "job_id": "../../../etc/passwd"}, "job_id"),
])
def test_new_endpoints_bad_input_is_422_naming_the_field(client, path, body, field, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOSTPHASE_STORE", str(tmp_path / "runs.sqlite"))
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    d = r.json()
    assert d["field"] == field, d
    assert field.split(".")[-1] in d["error"], d
    assert "Traceback" not in r.text
    assert not (tmp_path / "runs.sqlite").exists()  # nothing saved


def test_engage_several_orbits_equal_python_api(client):
    from boostphase.engage import Engagement, Interceptor, Platform, Threat, Timeline
    from boostphase.models.geography import find_city

    ex = {**EXAMPLES["engage"], "orbit_centre": "41.0,131.3; 40.0,128.5;38,135"}
    r = client.post("/api/engage", json=ex)
    assert r.status_code == 200, r.text
    got = r.json()
    c = find_city(ex["target"])
    threat = Threat(ex["missile"], 39.0, 125.7, target=(c.lat_deg, c.lon_deg), profile=ex["profile"])
    want = [Engagement(threat, Platform(la, lo, altitude_m=15e3, orbit_radius_m=20e3, name=f"orbit {la:.2f},{lo:.2f}"),
                       Interceptor.two_stage(5e3), Timeline.total(65.0)).solve().row()
            for la, lo in ((41.0, 131.3), (40.0, 128.5), (38.0, 135.0))]
    assert got["rows"] == jsonable(want)
    assert got["row"] == got["rows"][0]
    assert [(o["lat"], o["lon"]) for o in got["orbits"]] == [(41.0, 131.3), (40.0, 128.5), (38.0, 135.0)]
    # one orbit: the same first row as before
    assert client.post("/api/engage", json=EXAMPLES["engage"]).json()["row"] == got["row"]


def test_engage_map_equals_python_api(client):
    import numpy as np

    from boostphase.engage import Interceptor, Platform, Threat, Timeline, engagement_map
    from boostphase.models.geography import find_city

    body = {**EXAMPLES["engage"], **EXAMPLES["engagemap"], "cells": 12}
    r = client.post("/api/engage/map", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert len(got["lat"]) == len(got["lon"]) == 12 and len(got["margin_s"]) == 12
    c = find_city(body["target"])
    threat = Threat(body["missile"], 39.0, 125.7, target=(c.lat_deg, c.lon_deg), profile=body["profile"])
    lat, lon = np.array(got["lat"]), np.array(got["lon_unwrapped"])
    emap = engagement_map([threat], Interceptor.two_stage(5e3), Timeline.total(65.0),
                          Platform(41.0, 131.3, altitude_m=15e3, orbit_radius_m=20e3),
                          (lat[0], lat[-1]), (lon[0], lon[-1]), 12, 12)
    assert lat[-1] - lat[0] == pytest.approx(2 * body["half_width_deg"])
    want = np.where(emap.feasible[0], np.round(emap.margin_s[0], 2), np.nan)
    have = np.array([[np.nan if x is None else x for x in row] for row in got["margin_s"]])
    np.testing.assert_array_equal(have, want)
    assert got["feasible_cells"] == int(emap.feasible[0].sum()) > 0
    # the map covers the example's orbit, which can intercept
    assert lat[0] < 41.0 < lat[-1] and lon[0] < 131.3 < lon[-1]


def test_borders_geojson(client):
    import gzip

    r = client.get("/api/borders")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert len(r.content) < 2_000_000
    doc = r.json()
    names = {f["properties"]["name"] for f in doc["features"]}
    assert len(doc["features"]) > 200 and {"Russia", "North Korea", "Japan", "United States of America"} <= names
    seg = []
    for f in doc["features"]:
        assert f["geometry"]["type"] == "MultiLineString"
        for line in f["geometry"]["coordinates"]:
            assert len(line) >= 2
            for (x0, y0), (x1, y1) in zip(line, line[1:], strict=False):
                assert -180 <= x0 <= 180 and -90 <= y0 <= 90
                seg.append(max(abs(x1 - x0), abs(y1 - y0)))
    assert max(seg) <= 1.01  # densified: no chord cuts under the globe
    z = client.get("/api/borders", headers={"accept-encoding": "gzip"})
    assert z.headers.get("content-encoding") == "gzip" and z.content == r.content  # httpx decodes it
    assert len(payloads.borders_bytes().gzipped) < len(r.content) / 2
    assert len(gzip.decompress(payloads.borders_bytes().gzipped)) == len(r.content)


def test_footprint_downloads(client):
    ex = EXAMPLES["footprint"]
    kml = client.post("/api/footprint/kml", json=ex)
    assert kml.status_code == 200 and "<kml" in kml.text and "of fragments" in kml.text
    import xml.dom.minidom

    xml.dom.minidom.parseString(kml.text.encode())
    gj = client.post("/api/footprint/geojson", json=ex).json()
    kinds = {f["properties"]["kind"] for f in gj["features"]}
    assert {"fragment", "payload", "density contour"} <= kinds
    assert client.post("/api/footprint/csv", json=ex).status_code == 422


# ------------------------------------------------------------------------------ jobs


def _wait(client, job_id, states=("done", "cancelled", "failed"), timeout=120.0):
    t0 = time.time()
    seen = []
    while time.time() - t0 < timeout:
        st = client.get(f"/api/jobs/{job_id}").json()
        seen.append(st["progress"])
        if st["state"] in states:
            return st, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {st['state']} after {timeout} s")


@pytest.fixture
def progress_spy(monkeypatch):
    """Record every progress report of footprint jobs (fragments per chunk) and the chunk size."""
    calls = {"chunks": [], "chunk_size": []}
    real = registry.run_footprint

    def spy(req, *, progress=None, chunk_size=None):
        calls["chunk_size"].append(chunk_size)

        def wrapped(k):
            calls["chunks"].append(k)
            progress(k)

        return real(req, progress=wrapped if progress else None, chunk_size=chunk_size)

    monkeypatch.setattr(jobs, "run_footprint", spy)
    return calls


def test_footprint_job_progress_and_result_equal_the_request(client, progress_spy, monkeypatch):
    monkeypatch.setattr(jobs, "JOB_CHUNK_SIZE", 2500)
    params = {**EXAMPLES["footprint"], "n_fragments": 10_000, "seed": 11}
    r = client.post("/api/jobs", json={"kind": "footprint", "params": params})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    st, seen = _wait(client, job_id)
    assert st["state"] == "done", st
    assert progress_spy["chunks"] == [2500] * 4 and progress_spy["chunk_size"] == [2500]
    assert seen == sorted(seen) and st["progress"] == 1.0
    assert st["params"]["n_fragments"] == 10_000
    # the job's result is what /api/footprint answers for the same request (chunking changes nothing)
    direct = client.post("/api/footprint", json=params).json()
    for k in ("n", "seed", "shares", "shares_ci", "payload", "stages", "cities_at_risk", "sample"):
        assert st["result"][k] == direct[k], k
    kml = client.get(f"/api/jobs/{job_id}/kml")
    assert kml.status_code == 200 and "<kml" in kml.text and "attachment" in kml.headers["content-disposition"]
    assert client.get(f"/api/jobs/{job_id}/geojson").json()["type"] == "FeatureCollection"


def test_footprint_job_cancel_stops_the_work(client, progress_spy, monkeypatch):
    monkeypatch.setattr(jobs, "JOB_CHUNK_SIZE", 5000)
    r = client.post("/api/jobs", json={"kind": "footprint", "params": {**EXAMPLES["footprint"],
                                                                      "n_fragments": 1_000_000}})
    job_id = r.json()["job_id"]
    st, _ = _wait(client, job_id, states=("running",))
    t0 = time.time()
    while not progress_spy["chunks"]:
        assert time.time() - t0 < 120
        time.sleep(0.05)
    d = client.delete(f"/api/jobs/{job_id}")
    assert d.status_code == 200 and d.json()["state"] in ("running", "cancelled")
    t1 = time.time()
    st, _ = _wait(client, job_id, timeout=30)
    assert st["state"] == "cancelled" and time.time() - t1 < 10 and "result" not in st
    n = len(progress_spy["chunks"])
    assert n * 5000 < 1_000_000  # it did not run to the end
    time.sleep(1.0)
    assert len(progress_spy["chunks"]) == n  # nothing runs any more
    assert client.get(f"/api/jobs/{job_id}/kml").status_code == 409
    # the worker is free: a small job runs at once
    r2 = client.post("/api/jobs", json={"kind": "footprint", "params": {**EXAMPLES["footprint"], "n_fragments": 500}})
    st2, _ = _wait(client, r2.json()["job_id"])
    assert st2["state"] == "done"


def test_footprint_job_failure_is_reported_with_the_field(client):
    # valid as a request; the physics refuses it (the intercept comes after burnout)
    params = {**EXAMPLES["footprint"], "intercept_time_s": 1999, "n_fragments": 50_000}
    r = client.post("/api/jobs", json={"kind": "footprint", "params": params})
    assert r.status_code == 202, r.text
    st, _ = _wait(client, r.json()["job_id"])
    assert st["state"] == "failed" and st["field"] == "intercept.time"
    assert st["error"].startswith("intercept.time") and "Traceback" not in st["error"]


def test_job_manager_limits_and_bounded_memory():
    started = threading.Event()
    release = threading.Event()

    def slow(job):
        started.set()
        release.wait(10)
        if job.cancel.is_set():
            raise jobs.JobCancelled()
        return {"ok": True}

    jm = jobs.JobManager(workers=1, max_pending=2, keep=3)
    try:
        a = jm.submit("t", {}, 1, slow)
        b = jm.submit("t", {}, 1, slow)
        with pytest.raises(jobs.JobsBusy):
            jm.submit("t", {}, 1, slow)
        assert started.wait(10)
        assert jm.get(a.id).state == "running" and jm.get(b.id).state == "queued"
        assert jm.cancel(b.id).state == "cancelled"  # a queued job never starts
        release.set()
        for _ in range(200):
            if jm.get(a.id).state == "done":
                break
            time.sleep(0.02)
        assert jm.get(a.id).status()["result"] == {"ok": True}
        ids = []
        for _ in range(5):
            j = jm.submit("t", {}, 1, lambda job: 1)
            ids.append(j.id)
            for _ in range(200):
                if j.state == "done":
                    break
                time.sleep(0.01)
        kept = [i for i in [a.id, b.id, *ids] if jm.get(i) is not None]
        assert kept == ids[-3:]  # the last 3 finished jobs
    finally:
        release.set()
        jm.shutdown()


def test_jobs_queue_limit_is_429(monkeypatch):
    with TestClient(create_app(), base_url=BASE) as c:
        c.app.state.jobs.max_pending = 1
        body = {"kind": "footprint", "params": {**EXAMPLES["footprint"], "n_fragments": 1_000_000}}
        first = c.post("/api/jobs", json=body).json()["job_id"]
        r = c.post("/api/jobs", json=body)
        assert r.status_code == 429 and r.json()["field"] == "kind" and r.headers["retry-after"]
        c.delete(f"/api/jobs/{first}")
        assert c.get("/api/jobs/AAAAAAAAAAAA").status_code == 404
        assert c.get("/api/jobs/not a job").status_code == 422


# ------------------------------------------------------------------------------ sweep jobs

def test_sweep_job_equals_run_sweep(tmp_path, monkeypatch):
    """A sweep job reaches done with progress 1; its summary, CSV and NetCDF hold exactly the
    numbers of ``run_sweep`` of the same spec called here (serial, workers=0). Exact, not
    approximate: both run the same pure chunk function (same spec, chunk indices and batch size,
    in this process), the CSV writes floats in their shortest round-trip form and NetCDF stores
    the doubles themselves. The job's folder goes when the job is dropped and at shutdown."""
    import io

    import numpy as np
    import pandas as pd
    import xarray as xr

    from boostphase.sweep import dataset_digest, parse_spec, run_sweep

    with TestClient(create_app(), base_url=BASE, raise_server_exceptions=False) as c:
        r = c.post("/api/jobs", json={"kind": "sweep", "params": SWEEP_PARAMS})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        st, seen = _wait(c, job_id)
        assert st["state"] == "done", st
        assert st["progress"] == 1.0 and seen == sorted(seen) and st["kind"] == "sweep"
        assert st["params"] == SWEEP_PARAMS and st["files"] == ["csv", "netcdf"]
        res = st["result"]

        direct = run_sweep(parse_spec(SWEEP_PARAMS), tmp_path / "direct", workers=0, progress=False)
        ds = direct.dataset
        assert res["n_cases"] == 1200 and res["n_chunks"] == 2 and res["shape"] == [30, 20, 2]
        assert res["sha256"] == dataset_digest(ds)  # every coordinate and value, bit for bit
        assert [d["name"] for d in res["dims"]] == ["speed", "flight_path", "beta"]
        for d in res["dims"]:
            want = [None if isinstance(x, float) and math.isnan(x) else x for x in ds[d["name"]].values.tolist()]
            assert d["values"] == want and d["units"] == ds[d["name"]].attrs["units"]
        assert {k: v["units"] for k, v in res["variables"].items()} == {k: v.attrs["units"] for k, v in ds.data_vars.items()}
        assert res["variables"]["range"]["max"] == float(ds["range"].max())
        assert set(res["timings_s"]) >= {"compute_s", "total_s"}

        csv = c.get(f"/api/jobs/{job_id}/csv")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]
        table = pd.read_csv(io.StringIO(csv.text))
        assert len(table) == 1200 and list(table.columns[:4]) == ["case", "speed", "flight_path", "beta"]
        np.testing.assert_array_equal(table["case"], np.arange(1200))
        grids = np.meshgrid(*(ds[d].values for d in ("speed", "flight_path", "beta")), indexing="ij")
        for name, g in zip(("speed", "flight_path", "beta"), grids, strict=True):
            np.testing.assert_array_equal(table[name].to_numpy(), g.ravel(), err_msg=name)
        for name in ds.data_vars:
            np.testing.assert_array_equal(table[name].to_numpy(), ds[name].values.ravel(), err_msg=name)

        nc = c.get(f"/api/jobs/{job_id}/netcdf")
        assert nc.status_code == 200 and nc.headers["content-type"] == "application/x-netcdf"
        back = xr.open_dataset(io.BytesIO(nc.content), engine="scipy").load()
        for name in ds.variables:
            np.testing.assert_array_equal(back[name].values, ds[name].values, err_msg=name)
        assert back["range"].attrs["units"] == "m" and back.attrs["n_cases"] == 1200
        assert c.get(f"/api/jobs/{job_id}/kml").json()["field"] == "fmt"
        monkeypatch.setenv("BOOSTPHASE_STORE", str(tmp_path / "runs.sqlite"))
        r = c.post("/api/runs", json={"panel": "footprint", "job_id": job_id})
        assert r.status_code == 422 and r.json()["field"] == "job_id"  # not a footprint

        # dropped from the kept jobs: its folder goes with it
        jm = c.app.state.jobs
        workdir = jm.get(job_id).workdir
        assert workdir.is_dir()
        jm.keep = 0
        one = {"kind": "coast", "fixed": {**SWEEP_PARAMS["fixed"], "speed": "2 km/s", "flight_path": 45}}
        r2 = c.post("/api/jobs", json={"kind": "sweep", "params": one})  # a single case: no dimension
        assert not workdir.exists() and c.get(f"/api/jobs/{job_id}").status_code == 404
        jm.keep = 16
        st2, _ = _wait(c, r2.json()["job_id"])
        assert st2["state"] == "done" and st2["result"]["n_cases"] == 1 and st2["result"]["dims"] == []
        rows = c.get(f"/api/jobs/{r2.json()['job_id']}/csv").text.splitlines()
        assert len(rows) == 2 and rows[0].startswith("case,range,") and rows[1].startswith("0,")
        workdir2 = jm.get(r2.json()["job_id"]).workdir
        assert workdir2.is_dir()
    assert not workdir2.exists()  # the server stopped


def test_sweep_job_cancel_stops_between_chunks(client, monkeypatch):
    """A cancelled sweep stops after the chunk it is computing: no further chunk is computed or
    written, the state is cancelled, no files, and its folder is gone."""
    import boostphase.sweep.run as sw

    computed, saved = [], []
    reached, gate = threading.Event(), threading.Event()
    real_compute, real_save = sw.compute_chunk, sw.save_chunk

    def compute(spec, k, *a):
        computed.append(k)
        if k == 1:  # hold chunk 1 until the test has cancelled
            reached.set()
            gate.wait(30)
        return real_compute(spec, k, *a)

    def save(out, k, *a):
        saved.append(k)
        return real_save(out, k, *a)

    monkeypatch.setattr(sw, "compute_chunk", compute)
    monkeypatch.setattr(sw, "save_chunk", save)
    params = {**SWEEP_PARAMS, "grid": {**SWEEP_PARAMS["grid"], "speed": {"from": "1 km/s", "to": "3 km/s", "n": 125}}}
    r = client.post("/api/jobs", json={"kind": "sweep", "params": params})  # 5,000 cases, 5 chunks
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    try:
        assert reached.wait(120)
        st = client.get(f"/api/jobs/{job_id}").json()
        assert st["state"] == "running" and 0 < st["progress"] < 1 and "1 of 5 chunks" in st["message"]
        d = client.delete(f"/api/jobs/{job_id}")
        assert d.status_code == 200 and d.json()["state"] in ("running", "cancelled")
    finally:
        gate.set()
    st, _ = _wait(client, job_id, timeout=30)
    assert st["state"] == "cancelled" and "result" not in st and st["files"] == []
    assert computed == [0, 1] and saved == [0, 1]
    time.sleep(0.5)
    assert computed == [0, 1] and saved == [0, 1]  # nothing runs any more
    assert client.get(f"/api/jobs/{job_id}/csv").status_code == 409
    assert not client.app.state.jobs.get(job_id).workdir.exists()


def test_sweep_job_limits_name_the_cli(client):
    grid = {"speed": {"from": 1e3, "to": 3e3, "n": 1000}, "flight_path": {"from": 10, "to": 80, "n": 300}}
    for g, samples, field, n in ((grid, 2, "grid", "600,000"),  # the grid alone is over the cap
                                 ({**grid, "flight_path": [10, 20, 30]}, 100, "dispersion.samples", "300,000")):
        big = {**SWEEP_PARAMS, "grid": g, "dispersion": {"samples": samples, "speed": "5 m/s"}}
        r = client.post("/api/jobs", json={"kind": "sweep", "params": big})
        assert r.status_code == 422 and r.json()["field"] == field, r.text
        assert f"{n} cases" in r.json()["error"] and "boostphase sweep" in r.json()["error"]
    # NaN and infinities (which Python's JSON parser accepts) never reach the engine
    body = '{"kind": "sweep", "params": {"kind": "coast", "fixed": {"lat": NaN}}}'
    r = client.post("/api/jobs", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "fixed.lat"
    inf = {**SWEEP_PARAMS, "grid": {"speed": {"from": "1 km/s", "to": "2 km/s", "step": "inf m/s"}}}
    assert client.post("/api/jobs", json={"kind": "sweep", "params": inf}).json()["field"] == "grid.speed.step"
    assert client.get("/api/meta").json()["max_sweep_cases"] == webapp.MAX_SWEEP_JOB_CASES


def test_meta_sweep_examples_are_accepted_jobs(client):
    """/api/meta lists examples/sweep_*.toml (parsed) for the page's Sweep panel; each is accepted
    as a job (202, no 422); the smallest runs to done with the number of cases of its spec, the
    others are cancelled (queued: they never start)."""
    import tomllib

    meta = client.get("/api/meta").json()
    assert meta["panels"]["sweep"] is True
    ex = meta["examples"]["sweep"]
    assert set(ex) == {"coast_speed_angle", "debris_dispersion", "flyout_kick"}
    for name, params in ex.items():
        assert params == tomllib.loads((registry.EXAMPLES_DIR / f"sweep_{name}.toml").read_text()), name
    n_cases = {name: registry.sweep_spec(params).n_cases for name, params in ex.items()}
    order = sorted(ex, key=n_cases.get)  # the smallest first: the one worker runs it first
    ids = {}
    for name in order:
        r = client.post("/api/jobs", json={"kind": "sweep", "params": ex[name]})
        assert r.status_code == 202, (name, r.text)
        ids[name] = r.json()["job_id"]
    for name in order[1:]:
        client.delete(f"/api/jobs/{ids[name]}")
    st, _ = _wait(client, ids[order[0]])
    assert st["state"] == "done", st
    res = st["result"]
    spec = ex[order[0]]
    assert res["n_cases"] == n_cases[order[0]] and res["name"] == spec["name"] and res["kind"] == spec["kind"]
    assert [d["name"] for d in res["dims"]] == [*spec["grid"], *(["sample"] if "dispersion" in spec else [])]
    for name in order[1:]:
        assert _wait(client, ids[name], timeout=60)[0]["state"] == "cancelled", name


def test_sweep_examples_only_within_the_web_limits(tmp_path, monkeypatch):
    """An example sweep over the web's limits is left out of /api/meta (the CLI runs it); without
    an examples folder (an installed package) there are none."""
    (tmp_path / "sweep_small.toml").write_text('kind = "coast"\n[fixed]\nlat = 1\nlon = 2\nspeed = 3000\n'
                                               'flight_path = 45\n[grid]\nazimuth = [0, 90]\n')
    (tmp_path / "sweep_big.toml").write_text('kind = "coast"\n[grid]\nspeed = {from = 1000, to = 2000, n = 1000}\n'
                                             'flight_path = {from = 10, to = 80, n = 1000}\n')
    (tmp_path / "sweep_broken.toml").write_text('kind = "coast"\n[grid\n')
    try:
        monkeypatch.setattr(payloads, "EXAMPLES_DIR", tmp_path)
        payloads.sweep_examples.cache_clear()
        assert list(payloads.sweep_examples()) == ["small"]
        monkeypatch.setattr(payloads, "EXAMPLES_DIR", tmp_path / "absent")
        payloads.sweep_examples.cache_clear()
        assert payloads.sweep_examples() == {}
    finally:
        monkeypatch.undo()
        payloads.sweep_examples.cache_clear()
    assert len(payloads.sweep_examples()) == 3


def test_stale_sweep_folders_of_dead_servers_are_removed(tmp_path):
    """A server killed outright leaves its sweep folders; the next server removes those whose
    server pid is gone, and leaves a live server's folders alone. A real dead pid: a child
    process that has exited and been reaped."""
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead = tmp_path / f"{jobs.SWEEP_DIR_PREFIX}{int(child.stdout)}-abcd1234-x1"
    live = tmp_path / f"{jobs.SWEEP_DIR_PREFIX}{os.getpid()}-abcd1234-x2"
    other = tmp_path / "boostphase-sweep-notes"  # not a job folder: never touched
    for d in (dead, live, other):
        (d / "out").mkdir(parents=True)
    assert jobs.remove_stale_sweep_dirs(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and other.exists()


# ------------------------------------------------------------------------------ run store


def test_save_run_and_list(client, tmp_path, monkeypatch):
    from boostphase.present.store import get_run

    db = tmp_path / "runs.sqlite"
    monkeypatch.setenv("BOOSTPHASE_STORE", str(db))
    assert client.get("/api/runs").json() == []
    r = client.post("/api/runs", json={"panel": "check", "request": EXAMPLES["check"], "note": "claim C3"})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    stored = get_run(run_id, path=db)
    assert stored["kind"] == "web-check" and stored["command"] == ["web", "/api/check"]
    assert stored["scenario"]["range_km"] == EXAMPLES["check"]["range_km"] and stored["scenario"]["note"] == "claim C3"
    assert stored["summary"] == client.post("/api/check", json=EXAMPLES["check"]).json()
    r2 = client.post("/api/runs", json={"panel": "engage", "request": EXAMPLES["engage"]})
    assert r2.status_code == 201
    summ = get_run(r2.json()["id"], path=db)["summary"]
    assert summ["rows"][0]["intercept_time_s"] == client.post("/api/engage", json=EXAMPLES["engage"]).json()["row"][
        "intercept_time_s"]
    assert "track" not in summ  # figures, not the arrays drawn
    listed = client.get("/api/runs", params={"limit": 5}).json()
    assert [x["id"] for x in listed] == [r2.json()["id"], run_id]
    assert set(listed[0]) == {"id", "created_utc", "kind", "command", "version", "seed", "scenario", "summary"}
    # a CLI run in the same store is listed only when asked for
    from boostphase.present.store import save_run

    save_run(command=["check", "--range", "1000"], scenario={}, summary={}, path=db)
    assert len(client.get("/api/runs").json()) == 2
    assert len(client.get("/api/runs", params={"web_only": False}).json()) == 3
    assert client.get("/api/runs", params={"limit": 1000}).status_code == 422
    # `boostphase runs rerun` reproduces a web run: its request computed again in-process gives
    # the stored summary (rtol 1e-9: the same code on the same machine; floats agree exactly)
    from boostphase.present.store import rerun

    for rid in (run_id, r2.json()["id"]):
        rep = rerun(rid, path=db)
        assert rep.reproduced, rep.differences
    tampered = save_run(command=["web", "/api/check"], kind="web-check", scenario=EXAMPLES["check"],
                        summary={**stored["summary"], "range_km": -1.0}, path=db)
    assert not rerun(tampered, path=db).reproduced  # a rerun that cannot fail proves nothing


def test_identical_requests_in_flight_share_one_computation():
    """Single flight (issue 18): twenty identical requests arriving while the first is computed
    wait for its result instead of computing it again; an error is not cached."""
    import threading
    import time

    from boostphase.web.jobs import ResultCache

    cache, calls = ResultCache(), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return {"answer": 42}

    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get_or_compute("k", slow))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and out == [{"answer": 42}] * 20

    def fail():
        calls.append(1)
        raise ValueError("bad")

    for _ in range(2):
        with pytest.raises(ValueError):
            cache.get_or_compute("e", fail)
    assert len(calls) == 3  # each failed attempt computed again


def test_meta_ensemble_limits_are_the_servers(client):
    """/api/meta's ``ensemble`` sizes (the page caps its n field with them) are where the panel
    endpoints and the ensemble job start refusing: one more sample is a 422 naming ensemble.n."""
    lim = client.get("/api/meta").json()["ensemble"]
    dist = {"dist": "uniform", "low": 40, "high": 120}
    bodies = {"flight": {**EXAMPLES["flight"], "azimuth_deg": dist}, "check": {**EXAMPLES["check"], "range_km": dist},
              "engage": {**EXAMPLES["engage"], "delay_s": dist}}
    api = {"flight": "flyout", "check": "check", "engage": "engage"}
    for panel, body in bodies.items():
        over = {**body, "ensemble": {"n": lim["at_once"][panel] + 1}}
        r = client.post(f"/api/{api[panel]}", json=over)
        assert r.status_code == 422 and r.json()["field"] == "ensemble.n", r.text
        job = {"kind": "ensemble", "params": {"kind": lim["kind"][panel], **body,
                                              "ensemble": {"n": lim["job"][panel] + 1}}}
        r = client.post("/api/jobs", json=job)
        assert r.status_code == 422 and "ensemble.n" in r.json()["error"], r.text
    # a flight that searches each sample alone (not min-energy) has the loop's cap
    lofted = {**bodies["flight"], "profile": "lofted", "apogee_km": 1000, "ensemble": {"n": lim["job_loop"] + 1}}
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"kind": "flyout", **lofted}})
    assert r.status_code == 422 and "ensemble.n" in r.json()["error"], r.text
    assert lim["job_loop"] < lim["job"]["flight"] and lim["default_n"] <= lim["at_once"]["flight"]
