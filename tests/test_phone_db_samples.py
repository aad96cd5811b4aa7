"""Phone databases: the public real-world samples, read through the whole ingest.

plaso's ``mmssms.db`` / ``contacts2.db`` / ``imessage_chat.db`` and the iLEAPP
WhatsApp iOS databases (read from ../shared/samples, never copied). Each test asserts
the record count, that every record is accounted for, exact first/last times read
from the databases themselves, and that the file (and its -wal/-shm) is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import parsers
from atlas.store import Case
from parsers.base import Probe

MY_PARSERS = (
    "android-mmssms", "android-calllog", "android-contacts", "ios-sms", "ios-callhistory", "ios-addressbook",
    "whatsapp-android-db", "whatsapp-android-contacts", "whatsapp-ios-db", "whatsapp-ios-calls", "whatsapp-ios-contacts",
)
SAMPLE_PARSER = {
    "plaso/mmssms.db": "android-mmssms",
    "plaso/contacts2.db": "android-contacts",
    "plaso/imessage_chat.db": "ios-sms",
    "ileapp-josh-ios15-whatsapp/ChatStorage.sqlite": "whatsapp-ios-db",
    "ileapp-josh-ios15-whatsapp/CallHistory.sqlite": "whatsapp-ios-calls",
    "ileapp-josh-ios15-whatsapp/ContactsV2.sqlite": "whatsapp-ios-contacts",
    "ileapp-josh-ios15-addressbook/AddressBook.sqlitedb": "ios-addressbook",
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(atlas: Callable[..., object], case_dir: Path, path: Path, *args: str) -> dict[str, object]:
    run = atlas("ingest", case_dir, path, "--json", *args)
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    assert outcome["status"] == "ingested"
    assert outcome["records_read"] == outcome["events"] + outcome["rejects"]
    return outcome  # type: ignore[no-any-return]


def events_of(case_dir: Path) -> pl.DataFrame:
    return Case.open(case_dir).events().collect().sort("ts_utc", "source_ref")


# --- detection --------------------------------------------------------------------

@pytest.mark.parametrize("rel", sorted(SAMPLE_PARSER))
def test_exactly_one_parser_claims_each_sample_database(samples: Path, rel: str) -> None:
    probe = Probe(samples / rel)
    claims = {p.INFO.name: p.detect(probe) for p in parsers.all_parsers()}
    winners = [name for name, score in claims.items() if score >= parsers.MIN_CONFIDENCE]
    assert winners == [SAMPLE_PARSER[rel]]
    assert parsers.detect(samples / rel).INFO.name == SAMPLE_PARSER[rel]


def test_phone_database_parsers_claim_no_other_sample(samples: Path) -> None:
    mine = [p for p in parsers.all_parsers() if p.INFO.name in MY_PARSERS]
    assert len(mine) == len(MY_PARSERS)
    for path in sorted(samples.rglob("*")):
        rel = str(path.relative_to(samples))
        if path.is_file() and rel not in SAMPLE_PARSER and path.stat().st_size:
            probe = Probe(path)
            assert all(p.detect(probe) == 0 for p in mine), rel


# --- Android -------------------------------------------------------------------------

def test_plaso_mmssms_gives_nine_sms_at_the_times_the_database_holds(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = samples / "plaso" / "mmssms.db"
    before = sha(path)
    outcome = ingest(atlas, case_dir, path, "--region", "US")
    assert (outcome["parser"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("android-mmssms", 9, 9, 0)
    assert sha(path) == before
    ev = events_of(case_dir)
    # sms.date is milliseconds: rowid 1 = 1383065788038, rowid 9 = 1383066977250.
    first, last = ev.row(0, named=True), ev.row(-1, named=True)
    assert (first["source_ref"], first["ts_utc"], first["ts_raw"]) == ("sms rowid 1", utc("2013-10-29T16:56:28.038"), "1383065788038")
    assert first["text"] == "Yo Fred this is my new number."
    assert (last["source_ref"], last["ts_utc"]) == ("sms rowid 9", utc("2013-10-29T17:16:17.250"))
    assert ev.get_column("direction").cast(pl.String).value_counts().sort("direction").rows() == [("in", 4), ("out", 5)]
    assert set(ev.get_column("channel")) == {"sms"}
    # Both written forms of the number ("1 555-521-5554" sent, "15555215554" received) are one US number.
    others = ev.select(pl.concat_list(pl.col("sender"), pl.col("recipients")).list.drop_nulls()).to_series().explode()
    assert set(others) == {"tel:+15555215554"}
    assert set(ev.filter(pl.col("direction") == "out").get_column("status")) == {"sent"}


def test_a_us_handsets_numbers_are_not_read_as_british(samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    ingest(atlas, case_dir, samples / "plaso" / "mmssms.db")  # the case's region: GB
    ev = events_of(case_dir)
    ids = set(ev.select(pl.concat_list(pl.col("sender"), pl.col("recipients")).list.drop_nulls()).to_series().explode())
    assert not any(i.startswith("tel:+44") for i in ids)
    assert ids == {"tel-raw:1 555-521-5554", "tel-raw:15555215554"}  # kept as written and counted, not guessed


def test_plaso_contacts2_calls_are_read_with_the_region_the_call_log_records(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = samples / "plaso" / "contacts2.db"
    before = sha(path)
    outcome = ingest(atlas, case_dir, path)  # case region GB; countryiso says US
    assert (outcome["parser"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("android-contacts", 3, 3, 0)
    assert "national phone numbers read as US numbers: the country the device recorded (calls.countryiso): 3 records, all US" in \
        outcome["assumptions"]  # type: ignore[operator]
    assert sha(path) == before
    ev = events_of(case_dir)
    rows = ev.select("source_ref", "ts_utc", "ts_end_utc", "direction", "sender", "recipients", "status", "duration_s").rows()
    assert rows == [
        ("call rowid 714", utc("2013-11-06T21:17:16.690"), None, "in", "tel:+15404561685", [], "missed", 0),
        ("call rowid 715", utc("2013-11-06T21:18:53.283"), utc("2013-11-06T21:20:59.283"), "out", None,
         ["tel:+15404561685"], "answered", 126),
        ("call rowid 717", utc("2013-11-07T00:03:36.690"), utc("2013-11-07T00:14:15.690"), "in", "tel:+15404561685", [],
         "answered", 639),
    ]
    evidence = Case.open(case_dir).evidence().collect()
    sid = outcome["source_id"]
    assert evidence.select("basis", "identifier", "related").rows() == [("contact-card", f"name:{sid}:Barney", "tel:+15404561685")]


# --- iOS ---------------------------------------------------------------------------

def test_plaso_imessage_gives_ten_messages_and_says_the_wal_was_not_replayed(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = samples / "plaso" / "imessage_chat.db"
    companions = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    before = [sha(p) for p in companions]
    outcome = ingest(atlas, case_dir, path)
    assert (outcome["parser"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("ios-sms", 10, 10, 0)
    assert [sha(p) for p in companions] == before
    notes = "\n".join(outcome["assumptions"])  # type: ignore[arg-type]
    # The -wal beside it is empty: nothing to replay, and the count is what the main file holds.
    assert "imessage_chat.db-wal beside the database is empty (0 bytes)" in notes
    assert "deleted_messages lists 226 deleted message GUID(s)" in notes
    assert "(rowid 6, 10)" in notes  # text column differs from the archived attributedBody text
    assert outcome["owner"] == "email:ken.doh@icloud.com"
    ev = events_of(case_dir)
    first, last = ev.row(0, named=True), ev.row(-1, named=True)
    # message.date is Apple-epoch seconds in this iOS 9 database: 469908586 and 470777093.
    assert (first["source_ref"], first["ts_utc"], first["ts_raw"]) == ("message rowid 1", utc("2015-11-22T18:09:46"), "469908586")
    assert (last["source_ref"], last["ts_utc"]) == ("message rowid 10", utc("2015-12-02T19:24:53"))
    assert set(ev.get_column("channel")) == {"imessage"}
    assert ev.get_column("direction").cast(pl.String).value_counts().sort("direction").rows() == [("in", 5), ("out", 5)]
    row5 = ev.filter(pl.col("source_ref") == "message rowid 5").row(0, named=True)
    assert (row5["sender"], row5["recipients"], row5["status"]) == ("email:ken.doh@icloud.com", ["tel:+447775455555"], "delivered")
    assert row5["text"] == "Yes, but I can get you a copy of it."
    row8 = ev.filter(pl.col("source_ref") == "message rowid 8").row(0, named=True)
    assert (row8["sender"], row8["status"]) == ("email:xxxxxx2015@icloud.com", "read")


def test_ileapp_whatsapp_chatstorage_gives_32_records_in_5_chats(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = samples / "ileapp-josh-ios15-whatsapp" / "ChatStorage.sqlite"
    before = sha(path)
    outcome = ingest(atlas, case_dir, path)
    assert (outcome["parser"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("whatsapp-ios-db", 32, 32, 0)
    assert sha(path) == before
    assert outcome["owner"] == "tel:+19195794674"
    assert any("missing 28" in a for a in outcome["assumptions"])  # type: ignore[union-attr]
    ev = events_of(case_dir)
    assert ev.get_column("kind").cast(pl.String).value_counts().sort("kind").rows() == [("message", 21), ("note", 11)]
    # ZMESSAGEDATE runs from 670009446 to 706027000 Apple seconds.
    assert (ev.get_column("ts_utc").min(), ev.get_column("ts_utc").max()) == (utc("2022-03-26T17:44:06"), utc("2023-05-17T14:36:40"))
    assert ev.get_column("ts_raw").cast(pl.Float64).min() == 670009446
    chats = ev.filter(pl.col("kind") == "note").select(pl.col("text").str.extract(r" in (.+)$")).to_series().drop_nulls()
    assert set(chats) == {"Our Test Group", "Med Report Review", "Med Report 2", "Working Group", "This Is DFIR Two"}
    msgs = ev.filter(pl.col("kind") == "message")
    assert set(msgs.select(pl.concat_list("sender", "recipients")).to_series().explode()) == {"tel:+19195794674", "tel:+19198887386"}
    assert msgs.get_column("direction").cast(pl.String).value_counts().sort("direction").rows() == [("in", 10), ("out", 11)]
    photo = msgs.filter(pl.col("source_ref") == "ZWAMESSAGE 21").row(0, named=True)
    assert photo["attachments"] == ["d041d159-fd7d-4abb-9192-0e97c10ddb00.jpg [stored: "
                                    "Media/19198887386@s.whatsapp.net/d/0/d041d159-fd7d-4abb-9192-0e97c10ddb00.jpg]"]
    shared = msgs.filter(pl.col("source_ref") == "ZWAMESSAGE 31").row(0, named=True)
    assert (shared["direction"], round(shared["lat"], 6), round(shared["lon"], 6)) == ("in", 35.642532, -78.860931)


def test_ileapp_whatsapp_call_history_gives_four_calls(samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = samples / "ileapp-josh-ios15-whatsapp" / "CallHistory.sqlite"
    before = sha(path)
    outcome = ingest(atlas, case_dir, path)
    assert (outcome["parser"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("whatsapp-ios-calls", 4, 4, 0)
    assert sha(path) == before
    ev = events_of(case_dir)
    assert ev.select("direction", "status", "duration_s", "text").rows() == [
        ("out", "answered", 95, "WhatsApp voice call"), ("in", "answered", 101, "WhatsApp voice call"),
        ("out", "answered", 105, "WhatsApp video call"), ("in", "answered", 104, "WhatsApp video call"),
    ]
    assert ev.get_column("ts_utc").to_list()[0] == datetime(2023, 5, 2, 16, 12, 10, 67211, tzinfo=UTC)
    assert ev.get_column("ts_utc").to_list()[-1] == datetime(2023, 5, 2, 16, 24, 21, 638928, tzinfo=UTC)
    assert set(ev.filter(pl.col("direction") == "in").get_column("sender")) == {"tel:+19198887386"}


def test_ileapp_whatsapp_contacts_link_saved_names_to_numbers_in_the_us(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = samples / "ileapp-josh-ios15-whatsapp" / "ContactsV2.sqlite"
    outcome = ingest(atlas, case_dir, path)
    assert (outcome["parser"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("whatsapp-ios-contacts", 9, 9, 0)
    sid = outcome["source_id"]
    evidence = Case.open(case_dir).evidence().collect()
    josh = evidence.filter(pl.col("identifier") == f"name:{sid}:Josh Hickman").get_column("related").unique().sort().to_list()
    # "(919) 579-0479" is national: only a US reading makes it the same number as the WhatsApp ID.
    assert josh == ["tel:+19193912507", "tel:+19195790479"]
    assert set(evidence.get_column("basis")) == {"contact-card"}


def test_a_folder_of_databases_skips_their_wal_and_shm_files_and_says_why(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    run = atlas("ingest", case_dir, samples / "plaso", "--json", "--region", "US")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    outcomes = {Path(o["path"]).name: o for o in json.loads(run.out)}  # type: ignore[attr-defined]
    assert {n: o["status"] for n, o in outcomes.items()} == {
        "contacts2.db": "ingested", "imessage_chat.db": "ingested", "mmssms.db": "ingested",
        "imessage_chat.db-shm": "skipped", "imessage_chat.db-wal": "skipped"}
    assert outcomes["imessage_chat.db-wal"]["message"].startswith("SQLite wal file of imessage_chat.db: not a source on its own")
    assert sum(o["events"] for o in outcomes.values()) == 9 + 3 + 10
