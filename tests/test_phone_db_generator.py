"""The phone-database writers end to end: generate, ingest, find every truth contact.

For each writer (the victim's Android databases, an iPhone's, WhatsApp's own), small
generated cases are ingested the way an analyst would (one call per file, ``--owner``
from truth.json), and every truth contact the writer placed must be found by its
event id, at the right time (within the handset's stated skew and delivery delay),
on the right channel, in the right direction, between the right identifiers.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.ingest import IngestOptions, ingest
from atlas.model import NOT_CONTACT_STATUSES
from atlas.store import Case
from fixtures.generate import generate
from fixtures.scenarios import build
from fixtures.writers import android_phone, ios_phone, whatsapp_db
from fixtures.writers._phone_common import ANDROID_SKEW, DELIVERY_DELAY_S, IPHONES

PARSERS = {
    "android-phone": {"android-mmssms", "android-calllog", "android-contacts"},
    "ios-phone": {"ios-sms", "ios-callhistory", "ios-addressbook"},
    "whatsapp-db": {"whatsapp-android-db", "whatsapp-android-contacts", "whatsapp-ios-db", "whatsapp-ios-contacts"},
}
CHANNELS = {"sms": {"sms", "mms", "imessage"}, "voice": {"voice"}, "whatsapp": {"whatsapp"}}
SLACK_S = DELIVERY_DELAY_S[1] + 1.5
"""Delivery delay (at most 5 s) plus the sub-second part a handset adds to a whole-second truth time."""


def _ingest_mine(root: Path, parsers: set[str]) -> tuple[dict[str, Any], Case, list[dict[str, Any]]]:
    truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    case = Case.open(root)
    sources = [s for s in truth["sources"] if s["parser"] in parsers]
    for src in sources:
        [outcome] = ingest(case, [root / src["path"]], IngestOptions(owner=src["owner"]))
        assert outcome.status in ("ingested", "already") and outcome.parser == src["parser"], (src["path"], outcome)
        assert outcome.source_id == src["source_id"]
        assert outcome.records_read == outcome.events + outcome.rejects
    return truth, case, sources


def _skew(truth: dict[str, Any], src: dict[str, Any]) -> timedelta:
    phone = IPHONES.get(truth["scenario"])
    if phone is not None and src["owner"] == phone.owner:
        return phone.skew
    return ANDROID_SKEW


def check_written(root: Path, writer: str) -> dict[str, int]:
    """Every truth contact this writer placed is an event with the right time, channel,
    direction and identifiers. Returns how many were checked per parser."""
    truth, case, sources = _ingest_mine(root, PARSERS[writer])
    events = {r["event_id"]: r for r in case.events().collect().iter_rows(named=True)}
    by_sid = {s["source_id"]: s for s in sources}
    first_id = {pid: p["identifiers"] for pid, p in truth["parties"].items()}
    checked: dict[str, int] = {s["parser"]: 0 for s in sources}
    for contact in truth["contacts"]:
        for where in contact["sources"]:
            src = by_sid.get(where["source_id"])
            if src is None:
                continue
            ev = events.get(where["event_id"])
            assert ev is not None, (writer, where)
            owner = src["owner"]
            outgoing = contact["from"] == owner
            # A received WhatsApp message carries the server's time, not the handset's clock.
            skew = timedelta(0) if contact["channel"] == "whatsapp" and not outgoing else _skew(truth, src)
            true_ts = datetime.fromisoformat(contact["ts"].replace("Z", "+00:00"))
            off = (ev["ts_utc"] - true_ts - skew).total_seconds()
            assert -1.5 <= off <= SLACK_S, (where, ev["ts_utc"], true_ts, skew)
            assert ev["channel"] in CHANNELS[contact["channel"]], (where, ev["channel"])
            assert ev["kind"] == contact["kind"]
            other = contact["to_id"] if outgoing else contact["from_id"]
            mine = next(i for i in first_id[owner] if i.startswith("tel:"))
            assert ev["direction"] == ("out" if outgoing else "in"), where
            if outgoing:
                assert ev["sender"] == mine and other in ev["recipients"], (where, ev["sender"], ev["recipients"])
            else:
                assert ev["sender"] == other and mine in ev["recipients"], (where, ev["sender"], ev["recipients"])
            assert ev["status"] not in NOT_CONTACT_STATUSES
            if contact["kind"] == "message" and ev["channel"] != "mms":
                assert ev["text"] == contact["text"]
            checked[src["parser"]] += 1
    # Names the writers say each file shows are identifiers in that file.
    shown = set(case.events().select(pl.concat_list(pl.col("sender"), pl.col("recipients")).list.drop_nulls())
                .collect().to_series().explode().drop_nulls())
    shown |= set(case.evidence().collect().get_column("identifier"))
    for pid, party in truth["parties"].items():
        for ident in party["identifiers"]:
            if ident.startswith("name:") and ident.split(":")[1] in by_sid:
                assert ident in shown, (pid, ident)
    return checked


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("phonegen")
    out = {}
    for scenario in ("rejected-ex", "third-parties", "clean", "time-limit"):
        out[scenario] = root / scenario
        generate(scenario, 3, 0.2, out[scenario])
    return out


@pytest.mark.parametrize("scenario", ["rejected-ex", "time-limit"])
def test_every_truth_contact_on_the_victims_android_is_found(cases: dict[str, Path], scenario: str) -> None:
    checked = check_written(cases[scenario], "android-phone")
    assert checked["android-mmssms"] > 30 and checked["android-calllog"] > 10
    assert checked["android-contacts"] == 0  # an address book holds no contacts between people


def test_victims_android_keeps_drafts_failed_mms_photos_and_blocked_calls(cases: dict[str, Path]) -> None:
    root = cases["rejected-ex"]
    _, case, sources = _ingest_mine(root, PARSERS["android-phone"])
    ev = case.events().collect()
    sid = {s["parser"]: s["source_id"] for s in sources}
    sms = ev.filter(pl.col("source_id") == sid["android-mmssms"])
    assert sorted(sms.filter(pl.col("status").is_in(list(NOT_CONTACT_STATUSES))).get_column("status")) == ["draft", "failed"]
    mms = sms.filter(pl.col("channel") == "mms")
    assert mms.height == 3
    assert all(len(a) == 1 and a[0].startswith("IMG_") and "[stored: /data/user_de/0/com.android.providers.telephony/app_parts/PART_"
               in a[0] for a in mms.get_column("attachments"))
    calls = ev.filter(pl.col("source_id") == sid["android-calllog"])
    # After she blocked his first number on 10 March, his calls from it are logged as blocked.
    truth = json.loads((root / "truth.json").read_text())
    blocked_number = truth["blocks"][0]["identifier"]
    blocked = calls.filter(pl.col("status") == "blocked")
    assert set(blocked.get_column("sender")) <= {blocked_number}
    assert set(calls.get_column("status")) >= {"answered", "missed"}
    # The suspect is in her address book under the name she gave him, linked to his first number.
    evidence = case.evidence().collect().filter(pl.col("source_id") == sid["android-contacts"])
    dan = evidence.filter(pl.col("identifier") == f"name:{sid['android-contacts']}:Dan").get_column("related").to_list()
    assert "tel:+447700900002" in dan and "tel:+447700900002" in truth["parties"]["suspect"]["identifiers"]


def test_every_truth_contact_on_the_sisters_iphone_is_found_including_the_last_incident(cases: dict[str, Path]) -> None:
    root = cases["third-parties"]
    checked = check_written(root, "ios-phone")
    assert checked["ios-sms"] > 5
    truth = json.loads((root / "truth.json").read_text())
    last = max((c for c in truth["contacts"] if c["conduct"]), key=lambda c: c["ts"])
    assert last["text"] == "Tell her I'm not finished"
    iphone = [s for s in last["sources"] if s["source_ref"].startswith("message rowid")]
    assert len(iphone) == 1
    case = Case.open(root)
    ev = case.events().filter(pl.col("event_id") == iphone[0]["event_id"]).collect().row(0, named=True)
    # 23:30:00 UTC on 30 June, received on an iPhone whose clock is 7 s slow.
    assert ev["ts_utc"].date().isoformat() == "2026-06-30" and ev["channel"] == "sms"


def test_iphone_keeps_recently_deleted_and_archived_only_texts(cases: dict[str, Path]) -> None:
    root = cases["clean"]
    check_written(root, "ios-phone")
    truth = json.loads((root / "truth.json").read_text())
    sms_src = next(s for s in truth["sources"] if s["parser"] == "ios-sms")
    ev = Case.open(root).events().filter(pl.col("source_id") == sms_src["source_id"]).collect()
    assert ev.get_column("deleted").sum() == 1
    assert ev.height >= 4 and ev.get_column("text").null_count() == 0  # texts recovered from attributedBody


@pytest.mark.parametrize("scenario", ["rejected-ex", "time-limit", "clean", "third-parties"])
def test_every_truth_contact_in_the_whatsapp_databases_is_found(cases: dict[str, Path], scenario: str) -> None:
    checked = check_written(cases[scenario], "whatsapp-db")
    assert checked["whatsapp-android-db"] > 0


def test_whatsapp_database_and_text_export_record_the_same_messages(cases: dict[str, Path]) -> None:
    """The victim's chat exports and her msgstore.db are two records of each message."""
    truth = json.loads((cases["rejected-ex"] / "truth.json").read_text())
    parser_of = {s["source_id"]: s["parser"] for s in truth["sources"]}
    both = [c for c in truth["contacts"] if c["channel"] == "whatsapp"
            and {"whatsapp-text", "whatsapp-android-db"} <= {parser_of[s["source_id"]] for s in c["sources"]}]
    exported = [c for c in truth["contacts"] if c["channel"] == "whatsapp"
                and "whatsapp-text" in {parser_of[s["source_id"]] for s in c["sources"]}]
    assert exported and len(both) == len(exported)


def test_legacy_msgstore_placeholder_row_is_a_reject_with_a_reason(cases: dict[str, Path]) -> None:
    root = cases["time-limit"]
    _, case, sources = _ingest_mine(root, {"whatsapp-android-db"})
    rejects = case.rejects().filter(pl.col("source_id") == sources[0]["source_id"]).collect()
    assert rejects.select("source_ref", "reason").rows() == [
        ("messages rowid 1", "WhatsApp's placeholder row (key_remote_jid '-1'), written when the database was created: not a message")]
    [src] = sources
    source = case.sources().filter(pl.col("source_id") == src["source_id"]).row(0, named=True)
    assert source["records_read"] == source["events"] + 1 and source["events"] > 0
    assert any("legacy (messages table)" in a for a in source["assumptions"]), src


def test_phone_writers_write_the_same_bytes_every_time(tmp_path: Path) -> None:
    world = build("clean", 4, 0.2)
    digests = []
    for run in ("a", "b"):
        folder = tmp_path / run
        for writer in (android_phone, ios_phone, whatsapp_db):
            writer.write(world, folder, random.Random(f"clean:4:{writer.NAME}"))
        digests.append({str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(folder.rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]
    names = {Path(k).name for k in digests[0]}
    mother_whatsapp = any(c.channel == "whatsapp" and "mother" in (c.sender, c.recipient) for c in world.contacts)
    expected = {"mmssms.db", "calllog.db", "contacts2.db", "msgstore.db", "wa.db", "sms.db", "CallHistory.storedata",
                "AddressBook.sqlitedb"} | ({"ChatStorage.sqlite", "ContactsV2.sqlite"} if mother_whatsapp else set())
    # clean's msgstore.db is a live extraction: one empty page, every row in its -wal (salts fixed: same bytes).
    assert names == expected | {"msgstore.db-wal"}
    assert not any(k.endswith(("-shm", "-journal")) for k in digests[0])
    assert [k for k in digests[0] if k.endswith("-wal")] == [
        "sources/victim-phone/filesystem/data/data/com.whatsapp/databases/msgstore.db-wal"]
