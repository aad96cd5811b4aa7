"""GIS: GeoJSON (RFC 7946) and KML (OGC KML 2.2) of positions, protected places with their
radius, co-locations and breaches of exclusion zones.

One typed input (:class:`GeoInputs`) renders to both formats, so a map in QGIS or Google
Earth shows exactly what the analysis found, each feature with its exhibit records.

* **Positions**: every location record with coordinates (device positions; cell records
  placed at their cell site), a point with its accuracy and whose device it was.
* **Protected places** (case.toml ``[[place]]``): RFC 7946 has no circles, so the radius is
  a 64-sided polygon computed on the sphere, exterior ring counter-clockwise (the RFC's
  right-hand rule), and the centre and ``radius_m`` are kept as properties; the orders
  that make a place an exclusion zone are listed on it.
* **Co-locations** and **exclusion-zone breaches** (:mod:`atlas.conduct`): the positions
  behind each, as a MultiPoint, with the place, the time span, distance, certainty and
  exhibits. Contact breaches have no place and are not drawn (the document counts them).
* **Possible co-locations** (a position with no stated accuracy:
  :mod:`atlas.conduct.possible_colocations`), in a folder of their own, never among the
  measured ones: both devices' positions, each with its ``state`` (``confirmed``: counted,
  "possible co-location, confirmed by an officer"; ``open``: "not counted"), ``counted``
  and its ``basis``; the name says which and the exhibits it rests on. Who decided and why
  is in the decisions ledger, not here (as in the exhibit tables). Dismissed ones are not
  drawn: the header counts them (the unused-material schedule lists them).

Coordinates are longitude, latitude (WGS 84), rounded to 7 decimals (about a centimetre);
nothing else varies between runs, so the files are byte-identical for the same case.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from lxml import etree

from atlas.conduct.breaches import order_name
from atlas.conduct.possible_colocations import SHOWN_AS, PossibleColocation
from atlas.conduct.records import Breach, Colocation
from atlas.exhibits import join_list
from atlas.normalise.times import uk_display
from atlas.store.manifest import Order, Place

from .inputs import ExportContext
from .text import xml_safe

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean Earth radius (IUGG), as the analysis's haversine distances use."""
CIRCLE_SEGMENTS: Final = 64
DECIMALS: Final = 7
KML_NS: Final = "http://www.opengis.net/kml/2.2"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
TIMES: Final = ("time_utc, start_utc and end_utc (and KML's TimeStamp and TimeSpan) are UTC; uk_time, uk_start and "
                "uk_end give the same times in UK local time with GMT or BST stated, and date and uk_date the UK local "
                "date")


@dataclass(frozen=True)
class Position:
    event_id: str
    record: str
    kind: str
    channel: str | None
    ts: datetime | None
    lat: float
    lon: float
    accuracy_m: float | None
    party: str | None
    party_status: str | None


@dataclass(frozen=True)
class GeoInputs:
    positions: tuple[Position, ...]
    places: tuple[Place, ...]
    orders: tuple[Order, ...]
    colocations: tuple[Colocation, ...]
    breaches: tuple[Breach, ...]
    points: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Event id → (lat, lon) of every position a co-location or breach rests on."""
    possible: tuple[PossibleColocation, ...] = ()
    """The possible co-locations with their decisions (confirmed and open are drawn; dismissed counted only)."""


def _r(x: float) -> float:
    return round(x, DECIMALS)


def circle(lat: float, lon: float, radius_m: float, segments: int = CIRCLE_SEGMENTS) -> list[list[float]]:
    """A closed ring of ``segments`` points ``radius_m`` from the centre (great-circle
    destination), counter-clockwise, as ``[lon, lat]`` pairs."""
    phi1, lam1, delta = math.radians(lat), math.radians(lon), radius_m / EARTH_RADIUS_M
    ring = []
    for i in range(segments):
        bearing = -2 * math.pi * i / segments  # decreasing bearing: counter-clockwise on a map
        phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing))
        lam2 = lam1 + math.atan2(math.sin(bearing) * math.sin(delta) * math.cos(phi1),
                                 math.cos(delta) - math.sin(phi1) * math.sin(phi2))
        ring.append([_r((math.degrees(lam2) + 540) % 360 - 180), _r(math.degrees(phi2))])
    ring.append(list(ring[0]))
    return ring


def _iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else None


def _uk_beside(start: datetime | None, end: datetime | None, day: date) -> dict[str, str]:
    """A finding's date and times as a person reads them (``22/11/2026``, ``22/11/2026 14:05 GMT``) beside the
    machine's ISO/UTC values, as breaches.csv and colocations.csv give them: the maps gave UTC only, so a breach
    the statement puts at 21:23 BST showed as 20:23 in QGIS and Google Earth."""
    out = {"uk_date": f"{day:%d/%m/%Y}"}
    if start is not None:
        out["uk_start"] = uk_display(start)
    if end is not None:
        out["uk_end"] = uk_display(end)
    return out


def zone_orders(places: Sequence[Place], orders: Sequence[Order]) -> dict[str, list[str]]:
    """Place name → the orders that make it an exclusion zone, named as breaches name them."""
    out: dict[str, list[str]] = {p.name: [] for p in places}
    for o in orders:
        for name in o.exclusion_zones:
            out.setdefault(name, []).append(order_name(o))
    return out


@dataclass(frozen=True)
class _Feature:
    id: str
    kind: str
    name: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    begin: datetime | None = None
    end: datetime | None = None


def _features(geo: GeoInputs) -> list[_Feature]:
    out: list[_Feature] = []
    zones = zone_orders(geo.places, geo.orders)
    for place in sorted(geo.places, key=lambda p: p.name):
        out.append(_Feature(
            f"place:{place.name}", "protected-place", place.name,
            {"type": "Polygon", "coordinates": [circle(place.lat, place.lon, place.radius_m)]},
            {"place": place.name, "party": place.party, "radius_m": place.radius_m, "centre_lat": _r(place.lat),
             "centre_lon": _r(place.lon), "exclusion_zone_of": zones.get(place.name, []),
             "shape": f"circle of radius {place.radius_m:g} m drawn as a {CIRCLE_SEGMENTS}-sided polygon"}))
    for p in sorted(geo.positions, key=lambda p: (p.ts is not None, p.ts or _EPOCH, p.event_id)):
        pprops: dict[str, Any] = {"kind": p.kind, "channel": p.channel, "time_utc": _iso(p.ts),
                 "uk_time": uk_display(p.ts) or None, "accuracy_m": p.accuracy_m,
                 "party": p.party, "party_status": p.party_status, "exhibit": p.record}
        out.append(_Feature(f"position:{p.record}", "position", p.record,  # the exhibit record, never a store id
                            {"type": "Point", "coordinates": [_r(p.lon), _r(p.lat)]}, pprops, p.ts))

    def multipoint(ids: Sequence[str]) -> dict[str, Any] | None:
        pts = [[_r(geo.points[e][1]), _r(geo.points[e][0])] for e in ids if e in geo.points]
        return {"type": "MultiPoint", "coordinates": pts} if pts else None

    for i, c in enumerate(sorted(geo.colocations, key=lambda c: (c.start, c.kind, c.place or "", c.event_ids)), 1):
        geom = multipoint(c.event_ids)
        if geom is None:
            continue
        where = c.place or "the victim's own position"
        props: dict[str, Any] = {"co_location": c.kind, "place": c.place, "start_utc": _iso(c.start), "end_utc": _iso(c.end),
                 "date": c.date.isoformat(), "points": c.points, "min_distance_m": c.min_distance_m,
                 "certainty": c.certainty, "precision": c.precision, "exhibits": list(c.exhibits),
                 "victim_exhibits": list(c.victim_exhibits), **_uk_beside(c.start, c.end, c.date)}
        out.append(_Feature(f"co-location:{i}", "co-location", f"Co-location at {where}", geom, props, c.start, c.end))
    drawn = [q for q in geo.possible if q.state in ("confirmed", "open")]
    for i, pc in enumerate(sorted(drawn, key=lambda q: (q.start, q.state, q.colocation.event_ids)), 1):
        c = pc.colocation
        geom = multipoint([*c.event_ids, *c.victim_event_ids])
        if geom is None:
            continue
        where = c.place or "near the victim"
        name = (f"{SHOWN_AS[pc.state][0].upper()}{SHOWN_AS[pc.state][1:]}: {where}, {_uk_day(c.start)} "
                f"({pc.records_by_exhibit()})")
        pprops2: dict[str, Any] = {
            "co_location": c.kind, "state": pc.state, "counted": pc.counts, "shown_as": SHOWN_AS[pc.state],
            "decision": ("confirmed by an officer; recorded in the case's decisions ledger" if pc.state == "confirmed"
                         else "none yet: listed, not counted"),
            "place": c.place, "start_utc": _iso(c.start), "end_utc": _iso(c.end),
            "date": c.date.isoformat(), "min_distance_m": c.min_distance_m, "basis": pc.basis,
            "suspect_accuracy": pc.accuracy[0], "victim_accuracy": pc.accuracy[1], "exhibits": list(c.exhibits),
            "victim_exhibits": list(c.victim_exhibits), "marker-color": MARKER_COLOUR[pc.state],
            **_uk_beside(c.start, c.end, c.date)}
        out.append(_Feature(f"possible-co-location:{i}", "possible-co-location", name, geom, pprops2, c.start, c.end))
    for i, b in enumerate(sorted((b for b in geo.breaches if b.kind != "contact"),
                                 key=lambda b: (b.ts, b.order, b.event_ids)), 1):
        geom = multipoint(b.event_ids)
        if geom is None:
            continue
        confirmed = b.kind != "exclusion-zone"  # a possible breach an officer confirmed: never a measured presence
        bprops: dict[str, Any] = {"order": b.order, "order_type": b.order_type, "place": b.place, "start_utc": _iso(b.ts),
                 "end_utc": _iso(b.end), "date": b.date.isoformat(), "points": b.points,
                 "min_distance_m": b.min_distance_m, "certainty": b.certainty, "precision": b.precision,
                 "identifier_status": b.identifier_status, "exhibits": list(b.exhibits), **_uk_beside(b.ts, b.end, b.date)}
        # no breach_rule: the rule's legal wording ("breach is a criminal offence (...)") is advice, left out of
        # every served table (reports.build.ADVICE_KEYS); the map is served with them
        if confirmed:
            bprops["counted"] = "confirmed by an officer; recorded in the case's decisions ledger"
        out.append(_Feature(f"breach:{i}", "exclusion-zone-breach-confirmed" if confirmed else "exclusion-zone-breach",
                            f"Exclusion zone {b.place}: {b.order}" + (
                                " (possible presence, confirmed by an officer)" if confirmed else ""), geom, bprops,
                            b.ts, b.end))
    return out


def _uk_day(ts: datetime) -> str:
    from zoneinfo import ZoneInfo

    local = ts.astimezone(ZoneInfo("Europe/London"))
    return f"{local:%d/%m/%Y %H:%M} {local.tzname()}"


def _header(geo: GeoInputs, ctx: ExportContext) -> dict[str, Any]:
    contact_breaches = sum(1 for b in geo.breaches if b.kind == "contact")
    dismissed = sum(1 for p in geo.possible if p.state == "dismissed")
    header = {"case": ctx.case_reference, "written_by": f"Atlas {ctx.atlas_version}",
              "identity": ctx.policy.to_json(ctx.refs, ctx.parties),  # served: identifiers by exhibit, no ledger ids
              "coordinates": "WGS 84 longitude, latitude", "times": TIMES,
              "not_drawn": f"{contact_breaches} contact breach(es) (no place)" + (
                  f"; {dismissed} possible co-location(s) dismissed by an officer (never counted; listed in the "
                  "unused-material schedule)" if dismissed else "")}
    if geo.possible:
        header["possible_co_locations"] = (
            "positions with no stated accuracy: 'confirmed' ones count as incidents only because an officer confirmed "
            "each (recorded in the case's decisions ledger), never as measured; 'open' ones are listed, not counted")
    if ctx.integrity:
        header["integrity"] = ctx.integrity
    return header


def geojson_document(geo: GeoInputs, ctx: ExportContext) -> dict[str, Any]:
    """A GeoJSON FeatureCollection; Atlas's header is a foreign member (``atlas``), as RFC 7946 §6.1 allows."""
    features = [{"type": "Feature", "id": f.id, "geometry": f.geometry,
                 "properties": {"feature": f.kind, "name": f.name, **{k: v for k, v in f.properties.items() if v is not None}}}
                for f in _features(geo)]
    return {"type": "FeatureCollection", "atlas": _header(geo, ctx), "features": features}


def geojson_text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


_FOLDERS: Final = (("protected-place", "Protected places"), ("position", "Positions"), ("co-location", "Co-locations"),
                   ("possible-co-location", "Possible co-locations (no stated accuracy): confirmed by an officer, "
                                            "or not counted"),
                   ("exclusion-zone-breach", "Exclusion-zone breaches"),
                   ("exclusion-zone-breach-confirmed", "Possible exclusion-zone breaches confirmed by an officer "
                                                       "(no measured presence)"))
_OPTIONAL_FOLDERS: Final = frozenset({"possible-co-location", "exclusion-zone-breach-confirmed"})
"""Folders written only where the case has such a feature (a case without them gives the file as before)."""


_KML_COLOUR: Final = {"confirmed": "ff0161e6", "open": "ff999999"}
"""KML aabbggrr: a confirmed possible co-location orange, an open one grey."""
MARKER_COLOUR: Final = {"confirmed": "#e66101", "open": "#999999"}
"""The same colours as ``marker-color`` (the simplestyle convention many GeoJSON viewers follow)."""


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _coords(pairs: Sequence[Sequence[float]]) -> str:
    return " ".join(f"{lon!r},{lat!r}" for lon, lat in pairs)


def _kml_geometry(parent: etree._Element, geometry: Mapping[str, Any]) -> None:
    kind = geometry["type"]
    if kind == "Point":
        etree.SubElement(etree.SubElement(parent, _k("Point")), _k("coordinates")).text = _coords([geometry["coordinates"]])
    elif kind == "MultiPoint":
        multi = etree.SubElement(parent, _k("MultiGeometry"))
        for pair in geometry["coordinates"]:
            etree.SubElement(etree.SubElement(multi, _k("Point")), _k("coordinates")).text = _coords([pair])
    else:
        ring = etree.SubElement(etree.SubElement(etree.SubElement(parent, _k("Polygon")), _k("outerBoundaryIs")),
                                _k("LinearRing"))
        etree.SubElement(ring, _k("coordinates")).text = _coords(geometry["coordinates"][0])


def _xml_id(kind: str, n: int) -> str:
    """A placemark's XML ``ID`` (an NCName): its kind and its place in the document (``position-17``),
    stable for the same case and decisions and unique, never a hash; its name is its exhibit record."""
    return f"{kind}-{n}"


def _text(value: Any) -> str:
    """A value as a KML ``Data`` text: a boolean as ``true``/``false``, as XML Schema, the served CSVs and
    the GeoJSON write it (it read Python's ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return xml_safe(join_list(value))
    return xml_safe(str(value))


def kml_document(geo: GeoInputs, ctx: ExportContext) -> bytes:
    """A KML 2.2 document: one folder per kind of feature, each placemark with its time
    (``TimeStamp`` or ``TimeSpan``) and its facts as ``ExtendedData``."""
    header = _header(geo, ctx)
    root = etree.Element(_k("kml"), nsmap={None: KML_NS})
    doc = etree.SubElement(root, _k("Document"))
    etree.SubElement(doc, _k("name")).text = xml_safe(f"Atlas: {ctx.case_reference}")
    etree.SubElement(doc, _k("description")).text = xml_safe(
        (f"{ctx.integrity}. " if ctx.integrity else "") + f"Written by {header['written_by']}. Identity links followed: {ctx.policy.describe(ctx.refs, ctx.parties)}. Times: {TIMES}. "
        f"Not drawn: {header['not_drawn']}.")
    features = _features(geo)
    possible = [f for f in features if f.kind == "possible-co-location"]
    for state in sorted({str(f.properties["state"]) for f in possible}):  # seen apart from measured ones in a viewer
        style = etree.SubElement(doc, _k("Style"), id=f"possible-{state}")
        icon = etree.SubElement(style, _k("IconStyle"))
        etree.SubElement(icon, _k("color")).text = _KML_COLOUR[state]
        etree.SubElement(etree.SubElement(style, _k("LabelStyle")), _k("color")).text = _KML_COLOUR[state]
    for kind, title in _FOLDERS:
        if kind in _OPTIONAL_FOLDERS and not any(f.kind == kind for f in features):
            continue  # no folder where the case has none (the file is as before)
        folder = etree.SubElement(doc, _k("Folder"))
        etree.SubElement(folder, _k("name")).text = title
        for n, f in enumerate((f for f in features if f.kind == kind), 1):
            mark = etree.SubElement(folder, _k("Placemark"), id=_xml_id(kind, n))
            etree.SubElement(mark, _k("name")).text = xml_safe(f.name)
            if f.kind == "possible-co-location":
                etree.SubElement(mark, _k("styleUrl")).text = f"#possible-{f.properties['state']}"
            if f.begin is not None and f.end is not None and f.end != f.begin:
                span = etree.SubElement(mark, _k("TimeSpan"))
                etree.SubElement(span, _k("begin")).text = _iso(f.begin)
                etree.SubElement(span, _k("end")).text = _iso(f.end)
            elif f.begin is not None:
                etree.SubElement(etree.SubElement(mark, _k("TimeStamp")), _k("when")).text = _iso(f.begin)
            data = etree.SubElement(mark, _k("ExtendedData"))
            for key, value in sorted(f.properties.items()):
                if value is None or value == []:
                    continue
                item = etree.SubElement(data, _k("Data"), name=key)
                etree.SubElement(item, _k("value")).text = _text(value)
            _kml_geometry(mark, f.geometry)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


__all__ = ["GeoInputs", "Position", "circle", "geojson_document", "geojson_text", "kml_document", "zone_orders"]
