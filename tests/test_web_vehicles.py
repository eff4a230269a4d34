"""Vehicle files of the user's own in the web API: a pasted/uploaded file (``vehicle_toml``) is
checked by the same loader as on the command line (422 with the same one-line message), flies
exactly like the same vehicle from the catalog, and a ``missile`` field never reads a server file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boostphase.errors import InputError
from boostphase.models import vehicles as v
from boostphase.scenario import registry
from boostphase.web import app as webapp
from boostphase.web.app import create_app

CATALOG_DIR = Path(v.__file__).parents[1] / "catalog"
NODONG = (CATALOG_DIR / "no-dong.toml").read_text()
FLIGHT = {"launch": "39.0,125.7", "azimuth_deg": 40.0}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


def test_pasted_vehicle_flies_like_the_catalog_entry(client):
    by_name = client.post("/api/flyout", json={**FLIGHT, "missile": "no-dong"})
    pasted = client.post("/api/flyout", json={**FLIGHT, "vehicle_toml": NODONG})
    assert by_name.status_code == 200 and pasted.status_code == 200, pasted.text
    assert pasted.json()["summary"] == by_name.json()["summary"]
    mine = NODONG.replace('name = "no-dong"', 'name = "my-nodong"').replace("payload_kg = 1000.0", "payload_kg = 800.0", 1)
    r = client.post("/api/flyout", json={**FLIGHT, "missile": "scud-b", "vehicle_toml": mine})
    assert r.status_code == 200, r.text
    assert r.json()["missile"]["name"] == "my-nodong"  # the file wins over the menu's missile
    assert r.json()["summary"]["range_km"] > by_name.json()["summary"]["range_km"]  # lighter payload


def test_pasted_vehicle_in_shortfall_and_engage(client):
    mine = NODONG.replace('name = "no-dong"', 'name = "my-nodong"')
    sf = client.post("/api/shortfall", json={"vehicle_toml": mine, "launch": "39.0,125.7", "azimuth_deg": 90,
                                             "dt_s": 10})
    assert sf.status_code == 200, sf.text
    assert sf.json()["missile"] == "my-nodong"
    eng = client.post("/api/engage", json={"vehicle_toml": mine, "launch": "39.0,125.7", "azimuth_deg": 90,
                                           "orbit_centre": "39.5,128.0"})
    assert eng.status_code == 200, eng.text
    assert eng.json()["threat"]["missile"] == "my-nodong"


@pytest.mark.parametrize("old, new, field", [
    ("burn_time_s = 70.0", "burn_time_s = 0.0", "stages.1.burn_time_s"),
    ("isp_vac_s = 240.0", "isp_vac_s = 900.0", "stages.1.isp_vac_s"),
    ('"stages.1.dry_mass_kg" = "Forden', '"stages.1.dry_mass_kgx" = "Forden', "stages.1.dry_mass_kg"),
])
def test_bad_pasted_vehicle_is_422_with_the_loaders_line(client, old, new, field):
    text = NODONG.replace(old, new, 1)
    with pytest.raises(InputError) as exc:
        v.from_text(text, "vehicle_toml")
    r = client.post("/api/flyout", json={**FLIGHT, "vehicle_toml": text})
    assert r.status_code == 422, r.text
    d = r.json()
    assert d["field"] == f"vehicle_toml: {field}"
    assert d["error"] == str(exc.value) and "\n" not in d["error"]


@pytest.mark.parametrize("body", [
    {"vehicle_toml": "a = " + "[" * 5000 + "]" * 5000},  # nested beyond any parser's recursion
    {"vehicle_toml": "name = [1, 2"},                      # not TOML
    {"vehicle_toml": 'name = "x"\nstages = [1]\n'},        # wrong shape
])
def test_malformed_vehicle_text_is_422_not_500(client, body):
    r = client.post("/api/flyout", json={**FLIGHT, **body})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["/etc/passwd", str(CATALOG_DIR / "scud-b.toml"), "README.md"])
def test_missile_field_never_reads_a_server_file(client, path):
    for url, body in (("/api/flyout", {**FLIGHT, "missile": path}),
                      ("/api/shortfall", {"missile": path, "launch": "39,125.7", "azimuth_deg": 90}),
                      ("/api/footprint", {"missile": path, "launch": "39,125.7", "target": "Tokyo"})):
        r = client.post(url, json=body)
        assert r.status_code == 422 and r.json()["field"] == "missile", (url, r.text)
    with pytest.raises(InputError) as exc:
        registry.sweep_spec({"kind": "flyout", "fixed": {"lat": 39.0, "lon": 125.7, "azimuth": 90, "kick": 20},
                           "grid": {"missile": ["no-dong", str(CATALOG_DIR / "scud-b.toml")]}})
    assert exc.value.field == "grid.missile[1]"


def test_page_has_the_vehicle_upload_controls():
    html = (Path(webapp.__file__).parent / "static" / "index.html").read_text()
    js = (Path(webapp.__file__).parent / "static" / "app.js").read_text()
    for pre in ("flight", "rec", "eng", "sf"):
        assert f'id="{pre}-vehicle" name="vehicle_toml"' in html
        assert f'data-vehicle-into="{pre}-vehicle"' in html
    assert "textarea[name]" in js and "data-vehicle-into" in js


def test_pasted_vehicle_in_footprint(client):
    """The footprint of a pasted copy of the catalog's No-dong equals the catalog one's (same
    seed, same intercept time): the pasted file is the vehicle flown."""
    base = {"launch": "39.0,125.7", "target": "Busan", "intercept_time_s": 40, "n_fragments": 50, "seed": 3}
    by_name = client.post("/api/footprint", json={**base, "missile": "no-dong"})
    pasted = client.post("/api/footprint", json={**base, "vehicle_toml": NODONG})
    assert by_name.status_code == 200 and pasted.status_code == 200, pasted.text
    a, b = pasted.json(), by_name.json()
    for key in ("shares", "payload", "intercept", "sample"):
        assert a[key] == b[key], key
