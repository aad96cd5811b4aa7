"""Cellebrite report.xml / UFDR: a hand-written report in the real element vocabulary,
the same report inside a UFDR zip, damaged reports, detection, and every scenario's
suspect-handset download against truth.json.

No public Cellebrite report can be shipped (they are case material), so the format
tests use a report written here element by element, in the layout real reports have.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from fixtures.generate import generate
from fixtures.scenarios import SCENARIOS
from fixtures.writers.cellebrite_xml import DEVICE_CLOCK_SKEW
from parsers import cellebrite_xml
from parsers.base import ParseContext, ParseResult, Probe

NS = "http://pa.cellebrite.com/report/2.0"


def f(name: str, value: str | None, ftype: str = "String") -> str:
    if value is None:
        return f'<field name="{name}" type="{ftype}"><empty /></field>'
    return f'<field name="{name}" type="{ftype}"><value type="{ftype}"><![CDATA[{value}]]></value></field>'


def ts(value: str) -> str:
    return f'<field name="TimeStamp" type="TimeStamp"><value type="TimeStamp" format="TimeStampKnown">{value}</value></field>'


def m(mtype: str, mid: str, body: str, deleted: str = "Intact") -> str:
    return f'<model type="{mtype}" id="{mid}" deleted_state="{deleted}" decoding_confidence="High">{body}</model>'


def party(pid: str, ident: str, role: str | None, name: str | None = None, owner: bool = False) -> str:
    return m("Party", pid, f("Identifier", ident) + f("Role", role) + f("Name", name)
             + f("IsPhoneOwner", "True" if owner else "False", "Boolean"), deleted="Unknown")


def multi(name: str, *models: str) -> str:
    return f'<multiModelField name="{name}">{"".join(models)}</multiModelField>'


OWNER_JID = "15555215554@s.whatsapp.net"
BOB_JID = "15555210000@s.whatsapp.net"

REPORT = f"""<?xml version="1.0" encoding="utf-8"?>
<project id="p1" name="US handset" reportVersion="7.60.0.114" extractionType="AdvancedLogical" xmlns="{NS}">
<metadata section="Device Info">
  <item name="DeviceInfoOwnerName"><![CDATA[Jane Roe]]></item>
  <item name="MSISDN"><![CDATA[+1 555-521-5554]]></item>
  <item name="IMSI"><![CDATA[310260000000001]]></item>
</metadata>
<taggedFiles><file id="f1" fs="Data" path="/sdcard/DCIM/a.jpg" size="10"><accessInfo /></file></taggedFiles>
<decodedData>
<modelType type="Call">
{m("Call", "call-1", f("Type", "Entrante") + ts("2026-03-01T10:00:00.000+00:00") + f("Duration", "00:01:23")
   + multi("Parties", party("p1", "555-521-0000", "From", "Bob")))}
{m("Call", "call-2", f("Type", "Outgoing") + ts("2026-07-01T09:30:00.000") + f("Duration", "00:00:00")
   + multi("Parties", party("p2", "(555) 521-0001", "To")), deleted="Deleted")}
{m("Call", "call-3", f("Type", "Weird") + ts("2026-03-02T11:00:00.000+01:00") + f("Duration", "00:00:05")
   + multi("Parties", party("p3", "555-521-0002", "From")))}
</modelType>
<modelType type="SMS">
{m("SMS", "sms-1", ts("2026-03-03T08:00:00.000+00:00") + f("Folder", "Inbox") + f("Status", "Read") + f("Body", "Hello Jane")
   + multi("Parties", party("p4", "+15555210000", "From", "Bob")))}
{m("SMS", "sms-2", ts("2026-03-03T08:05:00.000+00:00") + f("Folder", "Draft") + f("Status", "Unsent") + f("Body", "not sent")
   + multi("Parties", party("p5", "5555210000", "To")))}
{m("SMS", "sms-3", ts("2026-03-03T08:06:00.000+00:00") + f("Folder", "Sent") + f("Body", "gone")
   + multi("Parties", party("p6", "5555210000", "To")), deleted="Deleted")}
{m("SMS", "sms-4", f("Folder", "Inbox") + f("Body", "no time at all") + multi("Parties", party("p7", "5555210000", "From")))}
</modelType>
<modelType type="Chat">
{m("Chat", "chat-1", f("Source", "WhatsApp") + f("Name", "Bob")
   + multi("Participants", party("p8", OWNER_JID, None, "Jane", owner=True), party("p9", BOB_JID, None, "Bob"))
   + multi("Messages",
           m("InstantMessage", "im-1", f("Source", "WhatsApp") + ts("2026-03-04T12:00:00.000+00:00") + f("Body", "hi from Bob")
             + f'<modelField name="From" type="Party">{party("p10", BOB_JID, "From", "Bob")}</modelField>'
             + f("Status", "Read")),
           m("InstantMessage", "im-2", f("Source", "WhatsApp") + ts("2026-03-04T12:01:00.000+00:00") + f("Body", "look")
             + f'<modelField name="From" type="Party">{party("p11", OWNER_JID, "From", "Jane", owner=True)}</modelField>'
             + f("Status", "Sent")
             + multi("Attachments", m("Attachment", "a1", f("Filename", "IMG-20260304-WA0001.jpg")
                                      + f("LocalPath", "files/Image/IMG-20260304-WA0001.jpg")
                                      + f("ContentType", "image/jpeg"), deleted="Unknown")))))}
</modelType>
<modelType type="Contact">
{m("Contact", "contact-1", f("Source", "Phone") + f("Name", "Bob")
   + multi("Entries", m("PhoneNumber", "e1", f("Value", "555-521-0000") + f("Category", "Mobile")),
           m("EmailAddress", "e2", f("Value", "bob@example.org")),
           m("UserID", "e3", f("Value", "bob.insta") + f("Domain", "Instagram"))))}
</modelType>
<modelType type="UserAccount">
{m("UserAccount", "ua-1", f("Source", "Instagram") + f("ServiceType", "Instagram") + f("Username", "jane.r")
   + f("Name", "Jane") + f("Password", "hunter2-secret")
   + multi("Entries", m("EmailAddress", "e4", f("Value", "jane@example.org"))))}
</modelType>
<modelType type="Location">
{m("Location", "loc-1", ts("2026-03-05T18:00:00.000+00:00") + f("Source", "Google Maps") + f("Accuracy", "12", "Double")
   + '<modelField name="Position" type="Coordinate">'
   + m("Coordinate", "c1", f("Latitude", "40.748817", "Double") + f("Longitude", "-73.985428", "Double"))
   + "</modelField>")}
</modelType>
<modelType type="CellTower">
{m("CellTower", "cell-1", f("MCC", "310") + f("MNC", "260") + f("LAC", "100") + f("CID", "2000")
   + ts("2026-03-05T18:01:00.000+00:00"))}
</modelType>
<modelType type="WebBookmark">
{m("WebBookmark", "wb-1", f("Title", "Maps") + f("URL", "https://example.org") + ts("2026-03-06T09:00:00.000+00:00"))}
</modelType>
<modelType type="InstalledApplication">
{m("InstalledApplication", "app-1", f("Name", "Signal") + f("Identifier", "org.thoughtcrime.securesms"))}
</modelType>
</decodedData>
<extraInfos><extraInfo type="model" id="call-1"><sourceInfo><nodeInfos>
<nodeInfo id="n1" name="calllog.db" path="/data/data/com.android.providers.contacts/databases/calllog.db" size="1" tableName="calls" offset="0" />
</nodeInfos></sourceInfo></extraInfo></extraInfos>
</project>
"""


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.xml"
    path.write_text(REPORT, encoding="utf-8")
    return path


@pytest.fixture
def ufdr(tmp_path: Path) -> Path:
    path = tmp_path / "handset.ufdr"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("files/Image/IMG-20260304-WA0001.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
        zf.writestr("report.xml", REPORT.encode("utf-8"))
    return path


def parse(path: Path, **ctx: object) -> ParseResult:
    return cellebrite_xml.parse(path, ParseContext(source_id="src", path=path, **ctx))  # type: ignore[arg-type]


def row(result: ParseResult, ref: str) -> dict[str, object]:
    return result.events.filter(pl.col("source_ref") == f"report.xml model {ref}").row(0, named=True)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def test_every_model_is_an_event_or_a_reject_with_a_reason(report: Path) -> None:
    result = parse(report)
    assert result.records_read == 15
    assert (result.events.height, result.rejects.height) == (13, 2)
    reasons = dict(zip(result.rejects["source_ref"], result.rejects["reason"], strict=True))
    assert reasons == {
        "report.xml model sms-4": "SMS model without a timestamp",
        "report.xml model app-1": "model type InstalledApplication is not read as evidence by Atlas and has no time",
    }
    note = row(result, "wb-1")
    assert (note["kind"], note["ts_utc"]) == ("note", utc(2026, 3, 6, 9, 0))
    assert "WebBookmark" in str(note["text"])
    assert any("WebBookmark ×1" in a and "InstalledApplication ×1" in a for a in result.assumptions)


def test_owner_and_region_come_from_the_report(report: Path) -> None:
    result = parse(report)
    assert result.owner == "phone:+1 555-521-5554"
    assert result.region == "US"
    assert "device owner's number +1 555-521-5554 from the report's metadata (MSISDN)" in result.assumptions
    # in words, the number as a person reads it (it read "1 calls/messages do not name the owner's side: filled
    # with the device owner phone:+1 555-521-5554", the parser's own spelling)
    [filled] = [a for a in result.assumptions if "owner's side" in a]
    assert "phone:" not in filled and "calls/messages" not in filled, filled
    assert filled.endswith("filled with the device owner +1 555-521-5554"), filled
    assert filled.startswith("5 calls or messages do not name"), filled


def test_calls_localised_labels_zone_less_times_and_durations(report: Path) -> None:
    result = parse(report)
    incoming = row(result, "call-1")  # "Entrante": Spanish for incoming
    assert (incoming["kind"], incoming["channel"], incoming["direction"], incoming["status"]) == ("call", "voice", "in", "answered")
    assert (incoming["ts_utc"], incoming["ts_end_utc"], incoming["ts_basis"]) == (
        utc(2026, 3, 1, 10, 0), utc(2026, 3, 1, 10, 1, 23), "offset")
    assert incoming["duration_s"] == 83
    assert incoming["sender"] == "phone:555-521-0000"
    assert incoming["recipients"] == ["phone:+1 555-521-5554"]  # the owner's side, filled from the report
    zoneless = row(result, "call-2")
    assert zoneless["ts_utc"] is None and zoneless["ts_local"] == datetime(2026, 7, 1, 9, 30)
    assert zoneless["ts_raw"] == "2026-07-01T09:30:00.000"
    assert (zoneless["direction"], zoneless["deleted"], zoneless["status"]) == ("out", True, None)
    assert any("1 timestamp in the report has no UTC offset" in a for a in result.assumptions)
    odd = row(result, "call-3")  # an unknown label is named, not guessed
    assert odd["direction"] is None and odd["ts_utc"] == utc(2026, 3, 2, 10, 0)
    assert any("Call Type 'Weird' ×1" in a for a in result.assumptions)


def test_a_draft_keeps_its_folder_and_deleted_sms_are_kept(report: Path) -> None:
    result = parse(report)
    draft = row(result, "sms-2")
    assert (draft["status"], draft["direction"], draft["text"]) == ("draft", "out", "not sent")
    gone = row(result, "sms-3")
    assert (gone["deleted"], gone["status"], gone["direction"]) == (True, "sent", "out")
    inbox = row(result, "sms-1")
    assert (inbox["status"], inbox["direction"], inbox["sender"]) == ("read", "in", "phone:+15555210000")


def test_chat_messages_take_app_participants_and_attachment_names(report: Path) -> None:
    result = parse(report)
    got = row(result, "im-1")
    assert (got["channel"], got["direction"], got["sender"], got["recipients"]) == (
        "whatsapp", "in", "phone:+15555210000", ["phone:+15555215554"])
    sent = row(result, "im-2")
    assert (sent["direction"], sent["status"], sent["attachments"]) == ("out", "sent", ["IMG-20260304-WA0001.jpg"])
    stored = result.extra["attachments"].row(0, named=True)
    assert stored == {"source_ref": "report.xml model im-2", "name": "IMG-20260304-WA0001.jpg",
                      "stored_path": "files/Image/IMG-20260304-WA0001.jpg", "content_type": "image/jpeg"}


def test_contacts_and_accounts_are_identity_evidence_and_passwords_are_never_read(report: Path) -> None:
    result = parse(report)
    assert result.evidence is not None
    ev = {(r["basis"], r["identifier"], r["related"]) for r in result.evidence.iter_rows(named=True)}
    assert {("contact-card", "name:Bob", "phone:555-521-0000"), ("contact-card", "name:Bob", "email:bob@example.org"),
            ("contact-card", "name:Bob", "instagram:bob.insta"),
            ("account-profile", "instagram:jane.r", "email:jane@example.org"),
            ("device-owner", "phone:+1 555-521-5554", "instagram:jane.r")} <= ev
    # The owner's WhatsApp number is the MSISDN written differently: not a link between two identifiers.
    assert not any(b == "device-owner" and "15555215554" in r for b, _, r in ev)
    card = row(result, "contact-1")
    assert (card["kind"], card["sender"], card["recipients"]) == (
        "contact", "name:Bob", ["phone:555-521-0000", "email:bob@example.org", "instagram:bob.insta"])
    everything = json.dumps([result.events.drop("ts_utc", "ts_local", "ts_end_utc", "ts_end_local").to_dicts(),
                             result.evidence.to_dicts()], default=str)
    assert "hunter2" not in everything


def test_locations_and_cell_towers(report: Path) -> None:
    result = parse(report)
    loc = row(result, "loc-1")
    assert (loc["kind"], loc["lat"], loc["lon"], loc["accuracy_m"], loc["ts_utc"]) == (
        "location", 40.748817, -73.985428, 12.0, utc(2026, 3, 5, 18, 0))
    cell = row(result, "cell-1")
    assert (cell["kind"], cell["cell_id"]) == ("cell", "310-260-100-2000")
    assert result.extra["cells"]["cell_id"].to_list() == ["310-260-100-2000"]


def test_a_us_handset_numbers_are_read_as_us_numbers_in_a_gb_case(report: Path, case_dir: Path,
                                                                    atlas: Callable[..., object]) -> None:
    run = atlas("ingest", case_dir, report, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    assert (outcome["records_read"], outcome["events"], outcome["rejects"]) == (15, 13, 2)
    assert outcome["owner"] == "tel:+15555215554"
    events = Case.open(case_dir).events().collect()
    call = events.filter(pl.col("source_ref") == "report.xml model call-1").row(0, named=True)
    assert call["sender"] == "tel:+15555210000" and call["recipients"] == ["tel:+15555215554"]
    zoneless = events.filter(pl.col("source_ref") == "report.xml model call-2").row(0, named=True)
    assert (zoneless["ts_utc"], zoneless["ts_basis"]) == (utc(2026, 7, 1, 8, 30), "local")  # BST wall clock


def test_a_ufdr_is_streamed_from_the_zip_with_the_same_result(report: Path, ufdr: Path) -> None:
    bare, zipped = parse(report), parse(ufdr)
    assert zipped.records_read == bare.records_read
    assert zipped.events.equals(bare.events)
    assert zipped.rejects.equals(bare.rejects)


def test_a_truncated_report_is_a_clear_error_naming_the_place(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(REPORT[: len(REPORT) // 2], encoding="utf-8")
    with pytest.raises(FormatError, match=r"report\.xml: XML error at line \d+: .*truncated"):
        parse(path)


def test_an_encrypted_or_reportless_zip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.ufdr"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("files/x.txt", "x")
    with pytest.raises(FormatError, match=r"zip without a report\.xml"):
        parse(path)


def test_detection_claims_reports_and_ufdrs_and_nothing_else(report: Path, ufdr: Path, tmp_path: Path,
                                                             samples: Path) -> None:
    assert cellebrite_xml.detect(Probe(report)) == 95
    assert cellebrite_xml.detect(Probe(ufdr)) == 95
    assert parsers.detect(report).INFO.name == "cellebrite-xml"
    assert parsers.detect(ufdr).INFO.name == "cellebrite-xml"
    other_xml = tmp_path / "other.xml"
    other_xml.write_text('<?xml version="1.0"?><project xmlns="urn:example"><model/></project>', encoding="utf-8")
    docx_like = tmp_path / "book.xlsx"
    with zipfile.ZipFile(docx_like, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    others = [other_xml, docx_like, *sorted((samples / "chat-miner" / "whatsapp").glob("*.txt")),
              *sorted((samples / "plaso").glob("*.db"))]
    for path in others:
        assert cellebrite_xml.detect(Probe(path)) == 0, path


# --- the generator: every scenario's suspect handset against truth.json -------------------

@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_truth_record_the_writer_placed_is_found(scenario: str, tmp_path: Path) -> None:
    """Each contact/position the writer put in the download is an event with its time
    (device clock 40 s fast, so exactly truth + 40 s), channel, direction and identifiers."""
    out = tmp_path / scenario
    truth: dict[str, Any] = generate(scenario, 3, 0.2, out)
    [src] = [s for s in truth["sources"] if s["parser"] == "cellebrite-xml"]
    assert src["path"].endswith(".ufdr" if scenario in ("time-limit", "covert") else "report.xml")
    case = Case.open(out)
    [outcome] = ingest(case, [out / src["path"]], IngestOptions())
    assert outcome.status == "ingested" and outcome.parser == "cellebrite-xml"
    suspect = truth["parties"]["suspect"]
    assert outcome.owner in suspect["identifiers"]
    events = {r["event_id"]: r for r in case.events().collect().iter_rows(named=True)}
    channel = {"whatsapp-call": "whatsapp"}
    found = 0
    for c in truth["contacts"]:
        for ap in (a for a in c["sources"] if a["source_id"] == src["source_id"]):
            e = events[ap["event_id"]]
            true_ts = datetime.fromisoformat(c["ts"].replace("Z", "+00:00"))
            assert e["ts_utc"] - true_ts == DEVICE_CLOCK_SKEW, c["cid"]
            assert (e["kind"], e["channel"]) == (c["kind"], channel.get(c["channel"], c["channel"])), c["cid"]
            assert e["direction"] == ("out" if c["from"] == "suspect" else "in"), c["cid"]
            assert e["sender"] == c["from_id"] and c["to_id"] in e["recipients"], c["cid"]
            if c["kind"] == "message":
                assert e["text"] == c["text"]
            found += 1
    # Every contact of his on the channels a handset download holds is in it (Signal keeps its
    # messages in an encrypted store a download like this does not decode).
    held = {"voice", "whatsapp-call", "sms", "mms", "whatsapp", "instagram", "facebook", "snapchat", "telegram", "x"}
    assert found == sum(1 for c in truth["contacts"] if "suspect" in (c["from"], c["to"]) and c["channel"] in held)
    assert found > 50
    positions = [ev for v in truth["visits"] for ev in v["event_ids"] if ev.startswith(src["source_id"])]
    for eid in positions:
        assert events[eid]["kind"] == "location" and events[eid]["lat"] is not None
    # The draft is kept, marked, and is not any truth contact.
    drafts = [e for e in events.values() if e["status"] == "draft"]
    assert len(drafts) == 1 and drafts[0]["direction"] == "out"
    assert drafts[0]["event_id"] not in {a["event_id"] for c in truth["contacts"] for a in c["sources"]}
    deleted = [e for e in events.values() if e["deleted"]]
    assert 1 <= len(deleted) <= 3 and all(e["channel"] == "sms" for e in deleted)
    # The alias accounts logged in on his phone are documented against the device owner.
    evidence = case.evidence().collect() if hasattr(case, "evidence") else None
    if evidence is not None:
        related = set(evidence.filter(pl.col("basis") == "device-owner")["related"].to_list())
        assert {a for a in suspect["aliases"] if a.startswith("instagram:")} <= related | {outcome.owner}


def test_positions_in_the_download_keep_their_time_and_place(tmp_path: Path) -> None:
    out = tmp_path / "case"
    truth: dict[str, Any] = generate("covert", 5, 0.2, out)
    [src] = [s for s in truth["sources"] if s["parser"] == "cellebrite-xml"]
    case = Case.open(out)
    ingest(case, [out / src["path"]], IngestOptions())
    events = case.events().filter(pl.col("kind") == "location").collect()
    assert events.height > 100
    mine = [v for v in truth["visits"] if any(e.startswith(src["source_id"]) for e in v["event_ids"])]
    assert len(mine) >= 10
    visit = mine[0]
    start = datetime.fromisoformat(visit["start"].replace("Z", "+00:00"))
    in_mine = sorted(e for e in visit["event_ids"] if e.startswith(src["source_id"]))
    first = events.filter(pl.col("event_id") == in_mine[0]).row(0, named=True)
    assert start + DEVICE_CLOCK_SKEW <= first["ts_utc"] <= start + DEVICE_CLOCK_SKEW + timedelta(minutes=30)
    assert first["accuracy_m"] == 12.0
