"""``atlas export``: each target read back by its own tool's reader or validator, on a small
hand-built case (messages, a call, a record without time, positions inside an exclusion
zone, a proposed identity link), and each byte-identical on a second run."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import shutil
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from _conduct_cases import HOME, NEW_NUMBER, SUSPECT, VICTIM, call, make_case, msg, pos
from conftest import Run
from lxml import etree

from atlas.exhibits import source_refs
from atlas.export.run import export
from atlas.export.timesketch import REQUIRED, RESERVED
from atlas.identity.ledger import ensure_schema, officer_link, propose
from atlas.store import Case

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # case-utils and rdflib call deprecated APIs

ORDER = {"type": "restraining-order", "start": "2026-05-01T09:00:00Z", "reference": "RO-1"}
FORMULA = '=HYPERLINK("http://example.org","click")\x07'


def _north(metres: float) -> tuple[float, float]:
    return HOME[0] + metres / 111_320.0, HOME[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export") / "case"
    untimed = {"kind": "contact", "channel": "address-book", "sender": "name:x:Simon", "text": "address-book entry"}
    case = make_case(root, {
        VICTIM: [msg("2026-05-06 20:00", SUSPECT, VICTIM, FORMULA), call("2026-05-07 21:00", SUSPECT, VICTIM),
                 msg("2026-05-20 21:00", NEW_NUMBER, VICTIM, "new number, answer me"), untimed],
        SUSPECT: [pos("2026-05-09 20:00", *_north(50), 10.0), pos("2026-05-09 20:10", *_north(50), 10.0),
                  pos("2026-05-30 20:00", *_north(2000), 10.0)],
    }, orders=[ORDER])
    with case.db() as con:
        ensure_schema(con)
        propose(case, con, "party:suspect", NEW_NUMBER, "temporal-succession", reason="test: awaiting a decision",
                support=[], score=0.8, origin="test")
    return root


@pytest.fixture
def case_dir(built: Path, tmp_path: Path) -> Path:
    """A fresh copy per test: exports write audit rows."""
    dst = tmp_path / "case"
    shutil.copytree(built, dst)
    return dst


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _micros(text: str) -> int:
    from dateutil import parser

    return (parser.isoparse(text) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_timesketch_lines_read_back_by_the_import_client_with_agreeing_times(case_dir: Path, tmp_path: Path) -> None:
    from timesketch_import_client import importer

    out = tmp_path / "timeline.jsonl"
    outcome = export(Case.open(case_dir), "timesketch", out)
    assert outcome.counts == {"events": 6, "untimed": 1}
    assert outcome.notes == ("1 contact record(s) have no time and are not on the timeline",)
    streamer = importer.ImportStreamer()
    # The client's own file reading (``add_file`` → ``add_json`` → its field fixing); the sketch
    # handle only names an API root, and nothing is uploaded below its 50,000-line threshold.
    streamer.set_sketch(SimpleNamespace(api=SimpleNamespace(api_root="http://127.0.0.1:9/api/v1")))
    streamer.add_file(str(out))
    read = streamer._data_lines  # what it would upload
    written = _lines(out)
    assert len(read) == len(written) == 6
    for line, raw in zip(read, written, strict=True):
        assert all(line.get(f) not in (None, "") for f in REQUIRED)
        assert set(raw) == set(line) - {"data_type"} | {"data_type"}   # nothing dropped (no "_" fields)
        assert not RESERVED & set(raw) and not any(k.startswith("_") for k in raw)
        assert _micros(str(raw["datetime"])) == raw["timestamp"] == _micros(str(line["datetime"]))
        assert str(raw["datetime"]).endswith("+00:00")
    refs = source_refs(Case.open(case_dir))
    first = written[0]
    assert first["text"] == FORMULA and first["sender_party"] == "suspect" and first["recipient_parties"] == ["victim"]
    assert first["record"] == f"{first['exhibit']}, row 1" and first["exhibit"] in refs.values()
    assert first["timestamp_desc"] == "Message received" and first["identity_links"] == "confirmed"
    assert "sender_party" not in next(x for x in written if x.get("sender") == NEW_NUMBER)
    assert [x["timestamp_desc"] for x in written if x["kind"] == "location"] == ["Position recorded"] * 3


def test_timesketch_with_proposed_marks_what_a_proposed_link_adds(case_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.jsonl"
    outcome = export(Case.open(case_dir), "timesketch", out, include_proposed=True)
    assert "1 proposed link(s) awaiting a decision" in outcome.identity
    new = next(x for x in _lines(out) if x.get("sender") == NEW_NUMBER)
    assert (new["sender_party"], new["sender_party_status"], new["identity_links"]) == (
        "suspect", "proposed", "confirmed-and-proposed")
    assert "(suspect, proposed link)" in str(new["message"])


def test_case_uco_document_passes_case_validate_and_a_broken_one_does_not(case_dir: Path, tmp_path: Path) -> None:
    from case_utils.case_validate import validate

    case = Case.open(case_dir)
    first_event = case.events().sort("ts_utc").collect().row(0, named=True)["event_id"]
    officer_link(case, SUSPECT, "tel:+447700900777", "same-imei", note="test: handset return",
                 support=[first_event])
    out = tmp_path / "provenance.jsonld"
    export(case, "case", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    graph = {n["@id"]: n for n in doc["@graph"]}
    by_type: dict[str, list[dict[str, object]]] = {}
    for node in graph.values():
        by_type.setdefault(str(node["@type"]), []).append(node)
    sources = case.sources()
    hashes = {h["uco-types:hashValue"]["@value"] for f in by_type["uco-observable:File"]  # type: ignore[index]
              for facet in f["uco-core:hasFacet"] for h in facet.get("uco-observable:hash", [])}  # type: ignore[attr-defined,union-attr]
    assert {s.upper() for s in sources.get_column("sha256").to_list()} <= hashes
    assert sorted(r["case-investigation:exhibitNumber"] for r in by_type["case-investigation:ProvenanceRecord"]) == \
        sorted(source_refs(case).values())
    names = sorted(str(a["uco-core:name"]) for a in by_type["case-investigation:InvestigativeAction"])
    assert sum(n.startswith("ingest of ") for n in names) == sources.height and "export as CASE/UCO" in names
    [linked] = [a for a in by_type["case-investigation:InvestigativeAction"]
                if a["uco-core:name"] == "identity link recorded by an officer"]
    said = str(linked["uco-core:description"])
    assert "DC 0002 Test Officer" in said and first_event not in said   # the record by exhibit, never its id
    from atlas.export.case_uco import _facts
    from atlas.export.inputs import gather

    sid, _, place = first_event.partition("/")
    ref = f"{source_refs(case)[sid]}, {place}"
    assert _facts(gather(case, include_proposed=False), {"event_id": first_event, "candidate_id": "c0ffee"}) == \
        f"event id: {ref}"
    result = validate(str(out), case_version="case-1.5.0")
    assert result.conforms, result.text
    # The validator is not a rubber stamp: a hash without its value is refused.
    broken = tmp_path / "broken.jsonld"
    for f in by_type["uco-observable:File"]:
        for facet in f["uco-core:hasFacet"]:  # type: ignore[attr-defined]
            for h in facet.get("uco-observable:hash", []):
                del h["uco-types:hashValue"]
    broken.write_text(json.dumps(doc), encoding="utf-8")
    assert not validate(str(broken), case_version="case-1.5.0").conforms


def _anx(path: Path) -> etree._Element:
    data = path.read_bytes()
    assert data[:2] == b"\xff\xfe"   # UTF-16 LE with its BOM, as Analyst's Notebook reads it
    return etree.fromstring(data)


def test_i2_chart_links_each_contact_between_identifier_entities(case_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "chart.anx"
    outcome = export(Case.open(case_dir), "i2", out)
    assert outcome.counts["contacts"] == 3
    root = _anx(out)
    entities = {e.get("Identity"): e.find(".//IconStyle").get("Type") for e in root.iter("Entity")}
    assert entities[SUSPECT] == entities[VICTIM] == entities[NEW_NUMBER] == "Phone"
    assert entities["party:suspect"] == "Person"
    ids = {e.get("EntityId"): e.get("Identity") for e in root.iter("Entity")}
    links = [(item, item.find("Link")) for item in root.iter("ChartItem") if item.find("Link") is not None]
    contacts = [(item, ln) for item, ln in links if ln.find("LinkStyle").get("Type") in ("Call", "Message")]
    assert sorted((ids[ln.get("End1Id")], ids[ln.get("End2Id")], item.get("DateTime")) for item, ln in contacts) == [
        (SUSPECT, VICTIM, "2026-05-06T20:00:00.000"), (SUSPECT, VICTIM, "2026-05-07T21:00:00.000"),
        (NEW_NUMBER, VICTIM, "2026-05-20T21:00:00.000")]
    first = next(item for item, _ in contacts if item.get("DateTime", "").startswith("2026-05-06"))
    assert first.get("Description") == FORMULA.replace("\x07", "\\x07")   # XML cannot hold BEL: escaped, not lost
    attrs = {a.get("AttributeClass"): a.get("Value") for a in first.iter("Attribute")}
    assert attrs["exhibits"].endswith(", row 1") and attrs["identity links"] == "confirmed"
    uses = {ids[ln.get("End2Id")] for _, ln in links if ln.find("LinkStyle").get("Type") == "Uses"}
    assert SUSPECT in uses and NEW_NUMBER not in uses


def test_i2_with_proposed_draws_the_proposed_link_dashed(case_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "chart.anx"
    export(Case.open(case_dir), "i2", out, include_proposed=True)
    root = _anx(out)
    ids = {e.get("EntityId"): e.get("Identity") for e in root.iter("Entity")}
    styles = {ids[ln.get("End2Id")]: ln.find("LinkStyle").get("Strength") for ln in root.iter("Link")
              if ln.find("LinkStyle").get("Type") == "Uses"}
    assert styles[NEW_NUMBER] == "Proposed" and styles[SUSPECT] != "Proposed"
    assert {s.get("Name"): s.get("DotStyle") for s in root.iter("Strength")}["Proposed"] == "DotStyleDashed"


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, a), map(math.radians, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_geojson_is_valid_rfc7946_with_the_radius_as_a_counter_clockwise_polygon(case_dir: Path, tmp_path: Path) -> None:
    import geojson

    out = tmp_path / "map.geojson"
    export(Case.open(case_dir), "geojson", out)
    doc = geojson.loads(out.read_text(encoding="utf-8"))
    assert doc.is_valid, doc.errors()
    assert "crs" not in doc and doc["atlas"]["identity"]["policy"] == "confirmed"
    feats = {f["properties"]["feature"]: f for f in doc["features"]}
    place = feats["protected-place"]
    ring = place["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 65
    area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
    assert area2 > 0   # counter-clockwise: RFC 7946's right-hand rule for an exterior ring
    assert all(abs(_haversine(HOME, (lat, lon)) - 200) < 0.5 for lon, lat in ring)
    assert place["properties"]["radius_m"] == 200 and place["properties"]["exclusion_zone_of"] == ["RO-1"]
    breach = feats["exclusion-zone-breach"]
    assert breach["geometry"]["type"] == "MultiPoint" and len(breach["geometry"]["coordinates"]) == 2
    lon, lat = breach["geometry"]["coordinates"][0]
    assert 45 < _haversine(HOME, (lat, lon)) < 55
    assert breach["properties"]["order"] == "RO-1" and breach["properties"]["exhibits"][0].endswith("row 1")
    assert feats["co-location"]["properties"]["place"] == "victim home"
    positions = [f for f in doc["features"] if f["properties"]["feature"] == "position"]
    assert len(positions) == 3 and all(p["properties"]["party"] == "suspect" for p in positions)


def test_kml_validates_against_the_ogc_schema_and_reads_in_fastkml(case_dir: Path, tmp_path: Path) -> None:
    from fastkml import kml
    from fastkml.validator import get_schema_parser

    out = tmp_path / "map.kml"
    export(Case.open(case_dir), "kml", out)
    tree = etree.parse(str(out))
    schema = get_schema_parser()   # OGC KML 2.2 schema as fastkml ships it: no network
    assert schema.validate(tree), schema.error_log
    doc = kml.KML.parse(out)
    folders = {f.name: list(f.features) for f in doc.features[0].features}
    assert [len(folders[n]) for n in ("Protected places", "Positions", "Co-locations", "Exclusion-zone breaches")] == [1, 3, 1, 1]
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    breach = tree.find(".//k:Folder[k:name='Exclusion-zone breaches']/k:Placemark", ns)
    assert breach.find("k:TimeSpan/k:begin", ns).text == "2026-05-09T20:00:00Z"
    data = {d.get("name"): d.findtext("k:value", namespaces=ns) for d in breach.iter("{*}Data")}
    assert data["order"] == "RO-1" and data["exhibits"].endswith("row 2")


@pytest.mark.parametrize("target", ["timesketch", "case", "i2", "geojson", "kml"])
def test_every_export_is_byte_identical_on_a_second_run_owner_only_and_audited(
        target: str, case_dir: Path, tmp_path: Path) -> None:
    first, second = tmp_path / f"a.{target}", tmp_path / f"b.{target}"
    one = export(Case.open(case_dir), target, first)
    two = export(Case.open(case_dir), target, second)
    assert first.read_bytes() == second.read_bytes() and one.sha256 == two.sha256
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    rows = [r for r in Case.open(case_dir).audit_log() if r["action"] == "export"]
    assert [(r["detail"]["target"], r["detail"]["sha256"]) for r in rows] == [(target, one.sha256)] * 2  # type: ignore[index]


def test_cli_export_says_what_it_followed(case_dir: Path, tmp_path: Path, atlas: Callable[..., Run]) -> None:
    out = tmp_path / "t.jsonl"
    run = atlas("export", case_dir, "--to", "timesketch", out)
    assert run.code == 0, run.err
    assert "proposed links awaiting a decision were not followed" in " ".join(run.out.split())
    assert "1 contact record(s) have no time" in run.out
    run = atlas("export", case_dir, "--to", "geojson", tmp_path, "--json")
    assert run.code == 2 and "is a folder" in run.err


def test_i2_chart_passes_the_writers_validation_which_refuses_a_dangling_link(case_dir: Path) -> None:
    from atlas.contacts import case_contacts
    from atlas.export.i2 import build, validate
    from atlas.export.inputs import gather

    case = Case.open(case_dir)
    built = build(case_contacts(case), gather(case, include_proposed=False), created="2026-06-01T00:00:00")
    assert validate(built.chart) == []
    built.chart.add_link(from_id=SUSPECT, to_id="tel:+440000000000", type="Call")  # no such entity
    assert any("not found" in p for p in validate(built.chart))


def test_export_refuses_a_case_that_no_longer_verifies_unless_asked_and_then_says_so(
        case_dir: Path, tmp_path: Path, atlas: Callable[..., Run]) -> None:
    import polars as pl

    partition = sorted((case_dir / "store" / "events").glob("*.parquet"))[0]
    pl.read_parquet(partition).head(1).write_parquet(partition)  # a valid file, one event fewer: tampered
    out = tmp_path / "map.geojson"
    run = atlas("export", case_dir, "--to", "geojson", out)
    assert run.code == 2 and "does not verify" in run.err and "nothing was exported" in run.err
    assert not out.exists()
    run = atlas("export", case_dir, "--to", "geojson", out, "--unverified", "--json")
    assert run.code == 0, run.err
    assert json.loads(out.read_text(encoding="utf-8"))["atlas"]["integrity"].startswith("UNVERIFIED")
    assert json.loads(run.out)["notes"][0].startswith("UNVERIFIED")
    row = [r for r in Case.open(case_dir).audit_log() if r["action"] == "export"][-1]
    assert row["detail"]["verified"] is False  # type: ignore[index]


def test_gdal_opens_both_maps_as_a_gis_does(case_dir: Path, tmp_path: Path) -> None:
    """GDAL/OGR is what QGIS (and most GIS) read these formats with."""
    from pyogrio import list_layers, read_info
    from pyogrio.raw import read

    gj, kml_file = tmp_path / "map.geojson", tmp_path / "map.kml"
    export(Case.open(case_dir), "geojson", gj)
    export(Case.open(case_dir), "kml", kml_file)
    [[layer, _]] = list_layers(gj)
    info = read_info(gj, layer=layer)
    assert info["features"] == 6 and info["crs"] == "EPSG:4326" and "exhibit" in list(info["fields"])
    meta, _, _, fields = read(gj, layer=layer)
    exhibits = [v for v in fields[list(meta["fields"]).index("exhibit")] if v]
    assert len(exhibits) == 3 and all(", row " in v for v in exhibits)
    layers = {str(name): read_info(kml_file, layer=str(name))["features"] for name, _ in list_layers(kml_file)}
    assert layers == {"Protected places": 1, "Positions": 3, "Co-locations": 1, "Exclusion-zone breaches": 1}


def test_the_maps_give_uk_times_beside_utc_and_no_legal_wording(case_dir: Path, tmp_path: Path) -> None:
    """Seed 14142 (rejected-ex): the GeoJSON and KML gave every time in UTC only, so the breach the statement
    puts at 23/05/2026 21:23 BST read 20:23 in QGIS and Google Earth, and each exclusion-zone breach carried
    breach_rule ("breach is a criminal offence (...)"), legal wording every served table leaves out."""
    gj, kml_file = tmp_path / "map.geojson", tmp_path / "map.kml"
    export(Case.open(case_dir), "geojson", gj)
    export(Case.open(case_dir), "kml", kml_file)
    doc = json.loads(gj.read_text(encoding="utf-8"))
    assert "uk_start" in doc["atlas"]["times"] and "UTC" in doc["atlas"]["times"]
    feats = {f["properties"]["feature"]: f["properties"] for f in doc["features"]}
    breach = feats["exclusion-zone-breach"]
    assert (breach["start_utc"], breach["uk_start"], breach["uk_date"]) == (
        "2026-05-09T20:00:00Z", "09/05/2026 21:00 BST", "09/05/2026")
    assert breach["uk_end"] == "09/05/2026 21:10 BST" and "breach_rule" not in breach
    assert feats["co-location"]["uk_start"] == "09/05/2026 21:00 BST"
    position = next(f["properties"] for f in doc["features"] if f["properties"]["feature"] == "position")
    assert position["uk_time"] == "09/05/2026 21:00 BST"
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    tree = etree.parse(str(kml_file))
    mark = tree.find(".//k:Folder[k:name='Exclusion-zone breaches']/k:Placemark", ns)
    data = {d.get("name"): d.findtext("k:value", namespaces=ns) for d in mark.iter("{*}Data")}
    assert data["uk_start"] == "09/05/2026 21:00 BST" and "breach_rule" not in data
    assert "uk_start" in tree.findtext("k:Document/k:description", namespaces=ns)


def test_a_display_name_is_shown_by_its_exhibit_in_timesketch_and_i2(tmp_path: Path) -> None:
    """covert 62017: Timesketch's "sender" read "name:d6968e1b1e75f004:Chloe" and i2's identifier attribute, shown
    on the chart, "name:0967552107f6f4e5:Ali": a store id where a person reads. They read "Chloe (name in JA/17)"."""
    root = tmp_path / "b"
    sid = hashlib.sha256(f"{VICTIM}:1:{root}".encode()).hexdigest()[:16]  # the id make_case gives the first source
    name = f"name:{sid}:Dan"
    case = make_case(root, {VICTIM: [msg("2026-05-06 20:00", SUSPECT, VICTIM, "one")],
                            SUSPECT: [msg("2026-05-07 20:00", name, VICTIM, "two")]})
    shown = f"Dan (name in {source_refs(case)[sid]})"
    export(case, "timesketch", tmp_path / "t.jsonl")
    line = next(x for x in _lines(tmp_path / "t.jsonl") if x["text"] == "two")
    assert line["sender"] == shown and line["recipients"] == [VICTIM]
    export(Case.open(root), "i2", tmp_path / "c.anx")
    root = _anx(tmp_path / "c.anx")
    item = next(i for i in root.iter("ChartItem") if any(e.get("Identity") == name for e in i.iter("Entity")))
    assert {a.get("AttributeClass"): a.get("Value") for a in item.iter("Attribute")}["identifier"] == shown


def test_the_i2_and_case_documents_name_each_followed_link_by_what_it_joins(case_dir: Path, tmp_path: Path) -> None:
    """covert 62017: the CASE/UCO export action read "14 confirmed link(s) (L19fa5aba6e, L273dea34e8, ...)" and the
    i2 chart's summary the same: ledger handles where the GIS exports name each link by its two sides."""
    from atlas.export.inputs import gather

    [link] = gather(Case.open(case_dir), include_proposed=True).policy.links
    export(Case.open(case_dir), "i2", tmp_path / "c.anx", include_proposed=True)
    export(Case.open(case_dir), "case", tmp_path / "c.jsonld", include_proposed=True)
    summary = next(f.get("Field") for f in _anx(tmp_path / "c.anx").iter("Field")
                   if f.get("Type") == "SummaryFieldComments")
    doc = json.loads((tmp_path / "c.jsonld").read_text(encoding="utf-8"))
    [action] = [n for n in doc["@graph"] if n.get("uco-core:name") == "export as CASE/UCO"]
    export(Case.open(case_dir), "geojson", tmp_path / "c.geojson", include_proposed=True)
    header = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))
    suspect = next(p for p in Case.open(case_dir).manifest.parties if p.id == "suspect")
    for said in (summary, str(action["uco-core:description"]), str(header)):
        assert "1 proposed link(s) awaiting a decision" in said and f"({suspect.name} (suspect) = {NEW_NUMBER})" in said, said
        assert link.link_id not in said and "party:suspect" not in said  # the party by its name, as the i2 chart's person


def test_a_case_link_decision_is_named_by_what_it_joins_with_its_ledger_id_a_property(
        case_dir: Path, tmp_path: Path) -> None:
    """rejected-ex 63511: each identity-link decision's description read "...; key: L02d8e85b06; link id:
    L02d8e85b06; ...; subject: link" beside its two sides (a party by its key, party:suspect). It names the link
    by its sides, a party by its name; the ledger id is the action's uco-core:externalReference, and the
    document still passes case_validate."""
    from case_utils.case_validate import validate

    from atlas.identity.ledger import decide, read_links

    case = Case.open(case_dir)
    [link] = [lk.link_id for lk in read_links(case)]
    decide(case, link, "confirmed", note="checked the handset return")
    export(case, "case", tmp_path / "c.jsonld")
    doc = json.loads((tmp_path / "c.jsonld").read_text(encoding="utf-8"))
    [action] = [n for n in doc["@graph"] if n.get("uco-core:name") == "identity link confirmed by an officer"]
    said = str(action["uco-core:description"])
    assert said.startswith(f"link: Simon Suspect (suspect) = {NEW_NUMBER}; basis: temporal-succession; "), said
    assert link not in said and "key:" not in said and "subject:" not in said, said
    assert "note: checked the handset return" in said and "previous: proposed" in said
    [ref] = action["uco-core:externalReference"]
    assert ref["uco-core:externalIdentifier"] == link and ref["@type"] == "uco-core:ExternalReference"
    result = validate(str(tmp_path / "c.jsonld"), case_version="case-1.5.0")
    assert result.conforms, result.text

