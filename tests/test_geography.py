"""Tests of boostphase.models.geography against points whose answer is known independently."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boostphase.errors import InputError
from boostphase.models import geography as geo

R = 6371.0


def haversine_km(lat1, lon1, lat2, lon2):
    """Independent great-circle distance for the checks below (same 6371.0 km sphere)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


# ------------------------------------------------------------------------------ territory

@pytest.mark.parametrize(("lat", "lon", "expected"), [
    (39.02, 125.75, "North Korea"),               # Pyongyang
    (40.0, 135.0, "Sea of Japan"),
    (43.12, 131.89, "Russia"),                    # Vladivostok
    (35.68, 139.69, "Japan"),                     # Tokyo
    (30.0, -150.0, "North Pacific Ocean"),
    (37.57, 126.98, "South Korea"),               # Seoul
    (38.90, -77.04, "United States of America"),  # Washington, D.C.
    (50.0, 150.0, "Sea of Okhotsk"),
    (58.0, -175.0, "Bering Sea"),
    (36.0, 123.0, "Yellow Sea"),
    (42.0, 50.5, "Caspian Sea"),
    (-89.99, 0.0, "Antarctica"),
    (43.0, 145.9, "North Pacific Ocean"),         # 35 km off Nemuro, Hokkaido
    (41.5, 140.6, "Tsugaru Strait"),              # smaller sea polygon beats Sea of Japan
    (47.7, -87.5, "United States of America"),    # Lake Superior: lakes count as land
    (44.95, 34.1, "Russia"),                      # Simferopol: de facto borders
])
def test_territory_known_points(lat, lon, expected):
    assert geo.territory(lat, lon) == expected


def test_point_off_hokkaido_is_sea_not_japan():
    # About 20 km off the Pacific coast of eastern Hokkaido, south of Kushiro.
    lat, lon = 42.75, 144.5
    name = geo.territory(lat, lon)
    assert name == "North Pacific Ocean"
    assert name != "Japan"
    assert 10.0 < geo.distance_to_territory_km(lat, lon, "Japan") < 30.0


def test_coastal_gap_between_sea_polygon_and_coast_gets_nearest_sea():
    # 38.75N 128.2E lies a few km off North Korea's east coast, in a strip that Natural
    # Earth's sea polygons leave uncovered: it must get a sea's name, not "Open ocean".
    t = geo.territory_table()
    lat, lon = np.array([38.75]), np.array([128.2])
    codes, snapped = t.exact(lat, lon, return_snapped=True)
    assert snapped[0]
    assert geo.territory(38.75, 128.2) in ("East Korea Bay", "Sea of Japan")


def test_territory_vectorised_shape_and_longitude_wrap():
    lat = np.array([[39.02, 35.68], [40.0, 30.0]])
    lon = np.array([[125.75, 139.69], [135.0, -150.0]])
    out = geo.territory(lat, lon)
    assert out.shape == (2, 2)
    assert out.tolist() == [["North Korea", "Japan"], ["Sea of Japan", "North Pacific Ocean"]]
    assert all(isinstance(x, str) for x in out.ravel())
    # any longitude range: +-360 degrees, and 0..360 for the western hemisphere
    assert (geo.territory(lat, lon + 360.0) == out).all()
    assert (geo.territory(lat, lon - 720.0) == out).all()
    assert geo.territory(30.0, 210.0) == "North Pacific Ocean"
    # broadcasting a scalar latitude
    assert geo.territory(39.02, np.array([125.75, 125.75])).tolist() == ["North Korea"] * 2


def test_antimeridian_and_poles():
    # Chukotka straddles the antimeridian; Natural Earth cuts it along +-180.
    assert geo.territory(65.5, 179.9) == "Russia"
    assert geo.territory(65.5, -179.9) == "Russia"
    assert geo.territory(65.5, 180.0) == "Russia"
    assert geo.territory(65.5, -180.0) == "Russia"
    assert geo.territory(-90.0, 0.0) == "Antarctica"
    assert geo.territory(90.0, 0.0) == "Arctic Ocean"
    # open Pacific on both sides of the date line
    assert geo.territory(40.0, 179.99) == geo.territory(40.0, -179.99) == "North Pacific Ocean"


def test_grid_agrees_with_polygon_test():
    t = geo.territory_table()
    rng = np.random.default_rng(7)
    n = 20_000
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    # plus points near the Korean peninsula, where borders and coasts are dense
    lat = np.concatenate([lat, rng.uniform(33.0, 43.0, n)])
    lon = np.concatenate([lon, rng.uniform(124.0, 132.0, n)])
    assert np.array_equal(t.codes(lat, lon), t.exact(lat, lon))


def test_territory_rejects_bad_input():
    with pytest.raises(InputError):
        geo.territory(91.0, 0.0)
    with pytest.raises(InputError):
        geo.territory(float("nan"), 0.0)


def test_every_label_is_a_string_and_countries_listed():
    names = geo.country_names()
    assert len(names) > 200
    for n in ("North Korea", "Russia", "Japan", "United States of America", "China"):
        assert n in names


# ------------------------------------------------------------------------------ cities

def test_nearest_city_pyongyang():
    names, dist = geo.nearest_city(39.02, 125.75)
    assert names == "Pyongyang"
    assert dist < 5.0
    names, dist = geo.nearest_city([39.02, 35.68], [125.75, 139.69 + 360.0])
    assert names.shape == dist.shape == (2,)
    assert names[0] == "Pyongyang"


def test_nearest_city_distance_matches_haversine():
    names, dist = geo.nearest_city(40.0, 135.0)
    c = geo.find_city(str(names))
    assert dist == pytest.approx(haversine_km(40.0, 135.0, c.lat_deg, c.lon_deg), abs=1e-6)


@pytest.mark.parametrize(("name", "lat", "lon", "cc"), [
    ("Los Angeles", 34.05, -118.24, "US"),
    ("Chicago", 41.88, -87.63, "US"),
    ("Denver", 39.74, -104.99, "US"),
    ("Washington", 38.90, -77.04, "US"),
    ("Washington DC", 38.90, -77.04, "US"),
    ("Washington, D.C.", 38.90, -77.04, "US"),
    ("new york", 40.71, -74.01, "US"),
    ("Pyongyang", 39.03, 125.75, "KP"),
    ("Sao Paulo", -23.55, -46.63, "BR"),     # accent-insensitive
    ("ZÜRICH", 47.37, 8.54, "CH"),
])
def test_find_city(name, lat, lon, cc):
    c = geo.find_city(name)
    assert isinstance(c, geo.City)
    assert c.country_code == cc
    assert abs(c.lat_deg - lat) < 0.2
    assert abs(c.lon_deg - lon) < 0.2
    assert c.population >= 15_000


def test_find_city_unknown_suggests():
    with pytest.raises(InputError) as e:
        geo.find_city("Chicgo")
    assert e.value.field == "city"
    assert e.value.value == "Chicgo"
    assert "15,000" in e.value.allowed
    assert e.value.hint.startswith("did you mean: ")
    assert "Chicago" in e.value.hint
    with pytest.raises(InputError):
        geo.find_city("")


def test_cities_within():
    hits = geo.cities_within(39.02, 125.75, 30.0)
    assert hits[0][0] == "Pyongyang"
    dists = [haversine_km(39.02, 125.75, h[2], h[3]) for h in hits]
    assert all(d <= 30.0 for d in dists)
    assert dists == sorted(dists)
    name, cc, lat, lon, pop = hits[0]
    assert cc == "KP" and pop > 1_000_000
    assert geo.cities_within(0.0, -140.0, 100.0) == []


# ------------------------------------------------------------------------------ distance

def test_distance_to_north_korea():
    assert geo.distance_to_territory_km(39.02, 125.75, "North Korea") == 0.0
    d = float(geo.distance_to_territory_km(38.0, 132.0, "North Korea"))
    # By hand: North Korea's nearest land to 38N 132E is where the inter-Korean border meets
    # the Sea of Japan, about 38.61N 128.36E: dx = 3.64 deg * cos(38.3 deg) * 111.19 km
    # = 317.6 km, dy = 0.61 deg * 111.19 km = 67.8 km, so about 325 km.
    assert 200.0 < d < 500.0
    assert d == pytest.approx(haversine_km(38.0, 132.0, 38.61, 128.36), abs=10.0)
    # Upper bound: Wonsan (39.15N 127.44E) is in North Korea.
    assert geo.territory(39.15, 127.44) == "North Korea"
    assert d <= haversine_km(38.0, 132.0, 39.15, 127.44)


def test_distance_to_territory_vectorised_and_names():
    lat = np.array([39.02, 38.0, 35.68])
    lon = np.array([125.75, 132.0, 139.69])
    d1 = geo.distance_to_territory_km(lat, lon, "North Korea")
    d2 = geo.distance_to_territory_km(lat, lon, "PRK")
    d3 = geo.distance_to_territory_km(lat, lon, "dprk")
    assert d1.shape == (3,)
    assert np.array_equal(d1, d2) and np.array_equal(d1, d3)
    assert d1[0] == 0.0 and d1[2] > 1000.0


def test_distance_never_exceeds_nearest_raw_vertex():
    # The densified border contains every Natural Earth vertex, so the distance is at most
    # the distance to the nearest vertex, and within 0.5 km of the true border distance.
    t = geo.territory_table()
    ci = t.country_index("North Korea")
    verts = np.concatenate([t.xy[t.ring_off[r]: t.ring_off[r + 1]]
                            for p in np.flatnonzero(t.poly_label == ci)
                            for r in range(t.poly_off[p], t.poly_off[p + 1])])
    for lat, lon in [(38.0, 132.0), (41.0, 133.0), (37.5, 124.0)]:
        raw = min(haversine_km(lat, lon, y, x) for x, y in verts)
        d = float(geo.distance_to_territory_km(lat, lon, "North Korea"))
        assert d <= raw + 1e-6
        assert d > raw - 5.0


def test_distance_unknown_country():
    with pytest.raises(InputError) as e:
        geo.distance_to_territory_km(0.0, 0.0, "Nort Korea")
    assert e.value.field == "territory"
    assert "North Korea" in e.value.hint


# ------------------------------------------------------------------------------ data

def test_data_files_are_small():
    total = geo.TERRITORY_FILE.stat().st_size + geo.CITIES_FILE.stat().st_size
    assert total < 6.5e6


def test_ambiguous_city_names_are_refused_and_a_country_code_picks():
    """Issue 16: a name shared by places of similar size is refused with the places listed
    (GeoNames: San Jose, US 1.0 M and Costa Rica 0.34 M); "Name (CC)" picks within a country;
    a name whose next namesake is far smaller resolves to the big one (Vancouver, Canada 0.66 M
    vs Washington State 0.20 M), and describe_city says which place was taken."""
    from boostphase.errors import InputError
    from boostphase.models.geography import describe_city, find_city

    with pytest.raises(InputError, match=r"San Jose \(US\).*San Jos. \(CR\)"):
        find_city("San Jose")
    assert find_city("San Jose (CR)").country_code == "CR"
    assert find_city("san jose (us)").country_code == "US"
    assert find_city("Vancouver").country_code == "CA"
    with pytest.raises(InputError, match="no place of that name in country XX"):
        find_city("Paris (XX)")
    atlantis = describe_city(find_city("Atlantis"))
    assert atlantis.startswith("Atlantis (ZA, population ")


def test_the_cli_says_which_place_a_name_was_taken_as(tmp_path):
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "flyout", "--missile", "no-dong", "--launch",
                        "39,125.7", "--target", "Atlantis", "--json"], capture_output=True, text=True, timeout=300)
    assert "taken as Atlantis (ZA, population" in p.stderr
