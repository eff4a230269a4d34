"""Files the web app offers for download: CSV, GeoJSON, KML and CZML (written with ``czml3``).

TODO(export): DESIGN.md puts exports in ``boostphase/export.py``; these builders move there when
that module exists (the CLI could then offer ``--czml`` too).

CZML needs absolute times; a scenario has none, so every file starts at :data:`CZML_EPOCH`
(``app.CZML_EPOCH``), said in the document's description. Positions are Earth-fixed
(``cartographicDegrees`` in Cesium's FIXED frame), as the trajectory is computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np


def _epoch(epoch: str) -> dt.datetime:
    return dt.datetime.fromisoformat(epoch.replace("Z", "+00:00"))


def trajectory_csv(traj) -> str:
    """The time series of ``Trajectory.to_csv`` (same columns, same format), as text."""
    cols = traj.table()
    names = list(cols)
    buf = io.StringIO()
    np.savetxt(buf, np.column_stack([cols[n] for n in names]), delimiter=",", header=",".join(names),
               comments="", fmt="%.10g")
    return buf.getvalue()


def _flight_words(s: dict) -> str:
    """'range 990 km, apogee 300 km, 600 s' of a flyout summary; a flight that does not land
    says so instead of a range (no number for a range it does not have)."""
    if s.get("impacted", True) and s.get("range_km") is not None:
        return (f"range {s['range_km']:,.0f} km, apogee {s['apogee_km']:,.0f} km, "
                f"{s['flight_time_s']:,.0f} s")
    return f"no impact ({s.get('reason') or 'no impact within the time limit'}), so no range; " \
           f"highest altitude {s['apogee_km']:,.0f} km"


def _last_point(traj, lat, lon, alt) -> tuple[str, float, float, float]:
    """(kind, lat, lon, alt_m) of the last marker: the impact, or the end of a flight that did
    not land (at its altitude)."""
    if traj.impacted:
        ilat, ilon = traj.impact_lat_lon_deg
        return "impact", ilat, ilon, 0.0
    return "end (no impact)", float(lat[-1]), float(lon[-1]), float(alt[-1])


def _offset():
    from czml3.types import Cartesian2Value

    return Cartesian2Value(values=[0, -16])


def _color(r, g, b, a=255):
    from czml3 import Color

    return Color(rgba=[r, g, b, a])


def trajectory_czml(traj, epoch: str) -> str:
    """An animated CZML document: the missile's position over time with its path, the whole track
    as a static polyline, and launch, burnout, apogee and impact markers."""
    from czml3 import (
        Clock,
        Document,
        Label,
        Packet,
        Path,
        Point,
        Polyline,
        PolylineMaterial,
        Position,
        PositionList,
    )
    from czml3.properties import SolidColorMaterial
    from czml3.types import TimeInterval

    t0 = _epoch(epoch)
    lat, lon, alt = traj.geodetic()
    t = np.asarray(traj.t_s, float)
    t1 = t0 + dt.timedelta(seconds=float(t[-1]))
    samples = np.column_stack([t, lon, lat, alt]).ravel().tolist()
    red = PolylineMaterial(solidColor=SolidColorMaterial(color=_color(230, 60, 40)))
    s = traj.summary()
    b = traj.burnout()
    i_apo = int(np.argmax(alt))
    last = _last_point(traj, lat, lon, alt)
    desc = (f"{traj.missile.title}: {s['profile']} flight, {_flight_words(s)}. Times start at {epoch} "
            "(arbitrary: the scenario has no date). Computed by boostphase.")
    packets = [
        Packet(id="document", name=f"boostphase flyout {traj.missile.name}", version="1.0",
               clock=Clock(interval=TimeInterval(start=t0, end=t1), currentTime=t0, multiplier=30)),
        Packet(id="missile", name=traj.missile.title, description=desc,
               availability=TimeInterval(start=t0, end=t1),
               position=Position(epoch=t0, cartographicDegrees=samples),
               point=Point(pixelSize=9, color=_color(255, 220, 0)),
               path=Path(material=red, width=2, leadTime=0, trailTime=float(t[-1]) + 1)),
        Packet(id="track", name="track",
               polyline=Polyline(positions=PositionList(cartographicDegrees=np.column_stack([lon, lat, alt]).ravel().tolist()),
                                 width=1.5, material=PolylineMaterial(solidColor=SolidColorMaterial(
                                     color=_color(230, 60, 40, 110))))),
    ]
    for kind, la, lo, al in (("launch", traj.launch_lat_deg, traj.launch_lon_deg, 0.0),
                             ("burnout", b["lat_deg"], b["lon_deg"], b["altitude_m"]),
                             ("apogee", float(lat[i_apo]), float(lon[i_apo]), float(alt[i_apo])),
                             last):
        packets.append(Packet(id=kind.split(" ")[0], name=kind, position=Position(cartographicDegrees=[lo, la, al]),
                              point=Point(pixelSize=8, color=_color(255, 255, 255)),
                              label=Label(text=kind, font="12px sans-serif", pixelOffset=_offset())))
    return Document(packets=packets).to_json()


def reconstruct_geojson(res: dict) -> dict:
    """FeatureCollection: reach contour, launch point, and each city with its verdict."""
    feats = []
    if res.get("reach_geojson"):
        feats.append(res["reach_geojson"])
    if res.get("launch"):
        feats.append({"type": "Feature", "properties": {"kind": "launch"},
                      "geometry": {"type": "Point", "coordinates": [res["launch"]["lon"], res["launch"]["lat"]]}})
    for c in res.get("cities", []):
        feats.append({"type": "Feature", "properties": {"kind": "city", **{k: v for k, v in c.items()
                                                                          if k not in ("lat", "lon")}},
                      "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]}})
    return {"type": "FeatureCollection", "features": feats}


def reconstruct_csv(res: dict) -> str:
    """Reach by azimuth (one row per launch azimuth); the fit and cities follow as comment-free
    sections separated by a blank line, so a spreadsheet shows all of it."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["quantity", "value"])
    for k in ("missile_model", "max_range_km", "burnout_speed_km_s", "standard_apogee_km", "standard_flight_time_s"):
        w.writerow([k, res.get(k)])
    for k, v in (res.get("fit") or {}).items():
        w.writerow([f"fit.{k}", v])
    for k, v in (res.get("residuals") or {}).items():
        w.writerow([f"residuals.{k}", v])
    if res.get("reach_by_azimuth"):
        w.writerow([])
        w.writerow(["azimuth_deg", "range_km", "bearing_deg"])
        for r in res["reach_by_azimuth"]:
            w.writerow([r["azimuth_deg"], r["range_km"], r["bearing_deg"]])
    if res.get("cities"):
        w.writerow([])
        w.writerow(["city", "lat", "lon", "distance_km", "range_km", "in_reach", "margin_km"])
        for c in res["cities"]:
            w.writerow([c["name"], c["lat"], c["lon"], c["distance_km"], c["range_km"], c["in_reach"], c["margin_km"]])
    return buf.getvalue()


def reconstruct_czml(res: dict, epoch: str) -> str:
    """Static CZML: the reach contour (a ground polyline), the launch site, cities in/out of reach."""
    from czml3 import (
        Clock,
        Document,
        Label,
        Packet,
        Point,
        Polyline,
        PolylineMaterial,
        Position,
        PositionList,
    )
    from czml3.properties import SolidColorMaterial
    from czml3.types import TimeInterval

    t0 = _epoch(epoch)
    packets = [Packet(id="document", name="boostphase reconstruction", version="1.0",
                      clock=Clock(interval=TimeInterval(start=t0, end=t0 + dt.timedelta(hours=1)), currentTime=t0))]
    reach = res.get("reach_geojson")
    if reach and reach.get("geometry"):  # null geometry: every bearing global, no contour
        ring = reach["geometry"]["coordinates"][0]
        flat = [x for lo, la in ring for x in (lo, la, 0.0)]
        packets.append(Packet(id="reach", name=f"reach ({res.get('missile_model')})",
                              description="Impact points of minimum-energy flights on every azimuth "
                                          "(rotating Earth), joined into a contour.",
                              polyline=Polyline(positions=PositionList(cartographicDegrees=flat), width=2,
                                                material=PolylineMaterial(solidColor=SolidColorMaterial(
                                                    color=_color(255, 140, 0))))))
    if res.get("launch"):
        la = res["launch"]
        packets.append(Packet(id="launch", name="launch site", position=Position(cartographicDegrees=[la["lon"], la["lat"], 0.0]),
                              point=Point(pixelSize=9, color=_color(255, 255, 255)),
                              label=Label(text="launch", font="12px sans-serif", pixelOffset=_offset())))
    for i, c in enumerate(res.get("cities", [])):
        col = _color(220, 40, 40) if c["in_reach"] else _color(60, 170, 80)
        packets.append(Packet(id=f"city-{i}", name=c["name"],
                              description=f"{c['distance_km']:,.0f} km away; reach on that bearing {_reach_text(c)}",
                              position=Position(cartographicDegrees=[c["lon"], c["lat"], 0.0]),
                              point=Point(pixelSize=8, color=col),
                              label=Label(text=c["name"], font="12px sans-serif", pixelOffset=_offset())))
    return Document(packets=packets).to_json()


# ------------------------------------------------------------------------------------------------
# KML (written by hand: a few placemarks; text escaped)


def _kml_doc(name: str, description: str, body: list[str]) -> str:
    from xml.sax.saxutils import escape

    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">',
                      "<Document>", f"<name>{escape(name)}</name>", f"<description>{escape(description)}</description>",
                      '<Style id="track"><LineStyle><color>ff283ce6</color><width>3</width></LineStyle></Style>',
                      '<Style id="reach"><LineStyle><color>ff008cff</color><width>2</width></LineStyle></Style>',
                      *body, "</Document>", "</kml>"])


def _kml_point(name: str, lon: float, lat: float, alt_m: float = 0.0, description: str = "") -> str:
    from xml.sax.saxutils import escape

    mode = "absolute" if alt_m > 0 else "clampToGround"
    desc = f"<description>{escape(description)}</description>" if description else ""
    return (f"<Placemark><name>{escape(name)}</name>{desc}<Point><altitudeMode>{mode}</altitudeMode>"
            f"<coordinates>{lon:.6f},{lat:.6f},{alt_m:.1f}</coordinates></Point></Placemark>")


def trajectory_kml(traj) -> str:
    """KML: the trajectory as a 3D line (absolute altitude) and launch, burnout, apogee and
    impact placemarks."""
    lat, lon, alt = traj.geodetic()
    s = traj.summary()
    b = traj.burnout()
    i_apo = int(np.argmax(alt))
    kind, ilat, ilon, ialt = _last_point(traj, lat, lon, alt)
    step = max(1, len(lat) // 2000)  # at most ~2,000 vertices
    idx = np.unique(np.r_[np.arange(0, len(lat), step), len(lat) - 1])
    coords = " ".join(f"{lon[i]:.5f},{lat[i]:.5f},{alt[i]:.0f}" for i in idx)
    body = [f"<Placemark><name>trajectory</name><styleUrl>#track</styleUrl><LineString><altitudeMode>absolute"
            f"</altitudeMode><coordinates>{coords}</coordinates></LineString></Placemark>",
            _kml_point("launch", traj.launch_lon_deg, traj.launch_lat_deg),
            _kml_point(f"burnout {b['time_s']:.0f} s", b["lon_deg"], b["lat_deg"], b["altitude_m"]),
            _kml_point(f"apogee {alt[i_apo] / 1e3:.0f} km", float(lon[i_apo]), float(lat[i_apo]), float(alt[i_apo])),
            _kml_point(f"impact, {s['range_km']:.0f} km" if traj.impacted else kind, ilon, ilat, ialt)]
    desc = f"{traj.missile.title}: {s['profile']} flight, {_flight_words(s)}. Computed by boostphase."
    return _kml_doc(f"boostphase flyout {traj.missile.name}", desc, body)


def _reach_text(c: dict) -> str:
    """A city's reach on its bearing: "global" for a flight that does not come down, else km."""
    return "global" if c.get("range_km") is None else f"{c['range_km']:,.0f} km"


def reconstruct_kml(res: dict) -> str:
    """KML: the reach contour (a ground line), the launch site and the cities in or out of reach."""
    body = []
    reach = res.get("reach_geojson")
    if reach and reach.get("geometry"):  # null geometry: every bearing global, no contour
        ring = reach["geometry"]["coordinates"][0]
        coords = " ".join(f"{lo:.5f},{la:.5f},0" for lo, la in ring)
        body.append(f"<Placemark><name>reach ({res.get('missile_model')})</name><styleUrl>#reach</styleUrl>"
                    f"<LineString><tessellate>1</tessellate><coordinates>{coords}</coordinates></LineString></Placemark>")
    if res.get("launch"):
        body.append(_kml_point("launch site", res["launch"]["lon"], res["launch"]["lat"]))
    for c in res.get("cities", []):
        verdict = "in reach" if c["in_reach"] else "out of reach"
        body.append(_kml_point(f"{c['name']}: {verdict}", c["lon"], c["lat"], 0.0,
                               f"{c['distance_km']:,.0f} km away; reach on that bearing {_reach_text(c)}"))
    return _kml_doc("boostphase reconstruction", "Reach of the fitted vehicle on minimum-energy flights "
                    "(rotating Earth). Computed by boostphase.", body)


def sweep_csv(ds) -> str:
    """A sweep's dataset as one CSV table: a row per case in case order (C order over the
    dimensions), columns ``case`` (the flat case index), the coordinates, then the variables.
    Floats are written in their shortest round-trip form (read back, they are the same doubles);
    NaN is an empty cell, flags are True/False. Units are in the job's JSON and the NetCDF."""
    from ..sweep import KINDS

    dims = list(ds[next(iter(ds.data_vars))].dims)
    kind = KINDS.get(ds.attrs.get("kind"))
    first = [n for n in (kind.outputs if kind else ()) if n in ds.data_vars]  # the engine's order
    names = first + sorted(n for n in ds.data_vars if n not in first)
    import pandas as pd

    shape = tuple(int(ds.sizes[d]) for d in dims)
    cols = {"case": np.arange(int(np.prod(shape, dtype=np.int64)))}  # a sweep of one case has no dims
    for d, g in zip(dims, np.meshgrid(*(ds[d].values for d in dims), indexing="ij"), strict=True):
        cols[d] = g.ravel()
    for n in names:
        cols[n] = np.asarray(ds[n].transpose(*dims).values).ravel()
    return pd.DataFrame(cols).to_csv(index=False, lineterminator="\n")


def sweep_netcdf(ds) -> bytes:
    """A sweep's dataset as NetCDF-3 bytes (xarray with scipy, the writer this environment has):
    integers are stored as int32 (step counts fit), flags as int8 decoded back to booleans by
    xarray, and integer attributes too large for NetCDF-3 (a seed above 2**31) as text."""
    ds = ds.copy()
    ds.attrs = {k: (str(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                    and not -2**31 <= int(v) < 2**31 else v) for k, v in ds.attrs.items()}
    return bytes(ds.to_netcdf())
