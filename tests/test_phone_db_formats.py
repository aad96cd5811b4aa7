"""Phone databases: damaged files, and the format variants the public samples lack.

Damaged copies are made in tmp_path from the public samples (never altered in
place). Variant databases are built here with the same CREATE TABLE statements the
generator uses (the real apps' schemas), a few rows each, so each test names one
behaviour: a withheld caller, a FaceTime call, a message deleted for everyone …
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from atlas.normalise.identifiers import identifier_uri
from fixtures.writers import android_phone, ios_phone, whatsapp_db
from fixtures.writers._phone_common import build_sqlite, typedstream_blob
from parsers import (
    android_calllog,
    android_contacts,
    android_mmssms,
    ios_addressbook,
    ios_callhistory,
    ios_sms,
    whatsapp_android_contacts,
    whatsapp_android_db,
)
from parsers._phone_db import typedstream_text
from parsers.base import ParseContext, ParseResult

APPLE = 978_307_200


def parse(module: object, path: Path, **ctx: object) -> ParseResult:
    result: ParseResult = module.parse(path, ParseContext(source_id="src", path=path, **ctx))  # type: ignore[attr-defined]
    assert result.records_read == result.events.height + result.rejects.height
    return result


def db(tmp_path: Path, name: str, ddl: str, rows: Sequence[tuple[str, Sequence[Sequence[object]]]]) -> Path:
    path = tmp_path / name
    build_sqlite(path, ddl, rows)
    return path


def by_ref(result: ParseResult) -> dict[str, dict[str, object]]:
    return {r["source_ref"]: r for r in result.events.iter_rows(named=True)}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uri(raw: str | None, region: str = "GB") -> str | None:
    return None if raw is None else identifier_uri(raw, source_id="src", region=region)


# --- damaged, encrypted and locked files --------------------------------------------

def test_a_truncated_copy_is_refused_naming_the_file(samples: Path, tmp_path: Path, atlas: Callable[..., object],
                                                      case_dir: Path) -> None:
    data = (samples / "plaso" / "mmssms.db").read_bytes()
    cut = tmp_path / "mmssms.db"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"mmssms\.db: truncated: the header declares 25 pages of 4096 bytes"):
        parse(android_mmssms, cut)
    run = atlas("ingest", case_dir, cut, "--format", "android-mmssms")
    assert run.code != 0 and "truncated" in run.err and str(cut) in run.err  # type: ignore[attr-defined]


def test_random_bytes_behind_a_sqlite_header_are_refused(tmp_path: Path) -> None:
    rng = random.Random(7)
    fake = tmp_path / "msgstore.db"
    fake.write_bytes(b"SQLite format 3\x00" + bytes(rng.randrange(256) for _ in range(16 * 4096 - 16)))
    with pytest.raises(FormatError, match=r"msgstore\.db: .*(damaged|encrypted)"):
        parse(whatsapp_android_db, fake)
    with pytest.raises(FormatError, match="format not recognised"):
        parsers.detect(fake)


def test_an_encrypted_database_is_named_as_encrypted(tmp_path: Path) -> None:
    rng = random.Random(8)
    sqlcipher = tmp_path / "sms.db"
    sqlcipher.write_bytes(bytes(rng.randrange(256) for _ in range(8 * 4096)))
    with pytest.raises(FormatError, match=r"sms\.db: not a plain SQLite database: .*look random .*SQLCipher"):
        parse(ios_sms, sqlcipher)


def test_a_database_copied_mid_write_is_read_at_its_last_commit_with_its_journal(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "contacts2.db"
    shutil.copyfile(samples / "plaso" / "contacts2.db", path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=DELETE")
    writer.execute("PRAGMA cache_size=2")  # a small cache spills: the app has started rewriting the file itself
    writer.execute("BEGIN EXCLUSIVE")
    for i in range(300):
        writer.execute("INSERT INTO calls (number, date, type, name) VALUES (?, ?, 1, ?)", ("07700900002", i, "x" * 500))
    journal = path.with_name("contacts2.db-journal")
    try:
        before = [sha(path), sha(journal)]
        assert parsers.detect(path) is android_contacts
        result = parse(android_contacts, path)
        # The half-written transaction (300 calls) is rolled back on a copy: the 3 committed calls.
        assert result.events.filter(pl.col("kind") == "call").height == 3
        notes = "\n".join(result.assumptions)
        assert "contacts2.db-journal (" in notes and "is a hot rollback journal" in notes
        assert "read at its last committed transaction" in notes
        assert [sha(path), sha(journal)] == before
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert parse(android_contacts, path).events.height == 3


def test_a_wal_with_frames_is_read_with_the_database_and_says_which_rows_came_from_it(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "mmssms.db"
    shutil.copyfile(samples / "plaso" / "mmssms.db", path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("INSERT INTO sms (address, date, type, body) VALUES ('15555215554', 1383067000000, 1, 'only in the WAL')")
    con.commit()
    try:
        wal = path.with_name("mmssms.db-wal")
        assert wal.stat().st_size > 0
        before = [sha(path), sha(wal)]
        result = parse(android_mmssms, path, region="US")
        assert result.events.height == 10
        assert result.events.filter(pl.col("text") == "only in the WAL").get_column("source_ref").to_list() == ["sms rowid 10"]
        notes = "\n".join(result.assumptions)
        assert "mmssms.db-wal (" in notes and "read with mmssms.db as one source" in notes
        assert "sms 9 -> 10" in notes
        assert [sha(path), sha(wal)] == before
    finally:
        con.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_a_clear_error(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "mmssms.db"
    shutil.copyfile(samples / "plaso" / "mmssms.db", path)
    path.chmod(0)
    try:
        with pytest.raises(FormatError, match=r"mmssms\.db: cannot be read"):
            parse(android_mmssms, path)
    finally:
        path.chmod(0o644)


# --- Android -------------------------------------------------------------------------

def test_android_mms_times_are_seconds_sms_milliseconds_and_attachments_keep_both_names(tmp_path: Path) -> None:
    path = db(tmp_path, "mmssms.db", android_phone.MMSSMS_DDL, [
        ("INSERT INTO sms (_id, address, date, type, body, read, status) VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (1, "+447700900002", 1_773_500_000_123, 1, "hi", 1, -1),
            (2, "07700 900002", 1_773_500_100_000, 2, "hello", 1, 0),
            (3, "07700 900003", 1_773_500_200_000, 3, "a draft", 1, -1),
            (4, "07700 900003", 1_773_500_300_000, 4, "in the outbox", 1, -1),
            (5, "07700 900003", 1_773_500_400_000, 6, "queued", 1, -1),
        ]),
        ("INSERT INTO pdu (_id, date, msg_box, m_type, m_id, read) VALUES (?, ?, ?, ?, ?, ?)", [
            (1, 1_773_600_000, 1, 132, "m1", 1), (2, 1_773_600_100, 2, 128, "m2", 1),
            (3, 1_773_600_200, 1, 130, "m3", 0), (4, 1_773_600_300, 1, 134, "m2", 0)]),
        ("INSERT INTO addr (msg_id, address, type) VALUES (?, ?, ?)", [
            (1, "+447700900002", 137), (1, "+447700900001", 151), (1, "+447700900004", 151),
            (2, "insert-address-token", 137), (2, "07700 900002", 151), (3, "+447700900005", 137)]),
        ("INSERT INTO part (mid, seq, ct, name, cl, _data, text) VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (1, -1, "application/smil", None, "smil.xml", None, "<smil/>"),
            (1, 0, "image/jpeg", "IMG_1.jpg", "IMG_1.jpg", "/data/app_parts/PART_1", None),
            (1, 0, "text/plain", None, "text_0.txt", None, "look"),
            (2, 0, "video/mp4", None, None, "/data/app_parts/PART_2_clip.mp4", None)]),
    ])
    result = parse(android_mmssms, path, owner="tel:+447700900001")
    ev = by_ref(result)
    assert str(ev["sms rowid 1"]["ts_utc"]) == "2026-03-14 14:53:20.123000+00:00"
    assert str(ev["mms rowid 1"]["ts_utc"]) == "2026-03-15 18:40:00+00:00"
    assert [ev[f"sms rowid {i}"]["status"] for i in range(1, 6)] == ["read", "delivered", "draft", "outbox", "queued"]
    mms1 = ev["mms rowid 1"]
    assert (mms1["sender"], mms1["text"], mms1["attachments"]) == (
        "phone:+447700900002", "look", ["IMG_1.jpg [stored: /data/app_parts/PART_1]"])
    # The owner's own number in TO is the owner, listed once; the other recipient stays.
    assert mms1["recipients"] == ["phone:+447700900004", "tel:+447700900001"]
    mms2 = ev["mms rowid 2"]
    assert (mms2["direction"], mms2["sender"], mms2["recipients"], mms2["attachments"]) == (
        "out", "tel:+447700900001", ["phone:07700 900002"], ["PART_2_clip.mp4 [stored: /data/app_parts/PART_2_clip.mp4]"])
    assert (ev["mms rowid 3"]["status"], ev["mms rowid 3"]["sender"]) == ("not downloaded", "phone:+447700900005")
    assert (ev["mms rowid 4"]["kind"], ev["mms rowid 4"]["text"]) == ("note", "MMS delivery report (m_id m2)")


def test_android_call_types_withheld_callers_video_and_app_calls(tmp_path: Path) -> None:
    rows = [(1, "07700900002", 1, 1_773_500_000_000, 60, 1, 0, None),
            (2, "07700900002", 1, 1_773_500_100_000, 0, 2, 0, None),
            (3, "07700900002", 1, 1_773_500_200_000, 0, 3, 0, None),
            (4, "07700900002", 1, 1_773_500_300_000, 0, 4, 0, None),
            (5, "", 2, 1_773_500_400_000, 0, 5, 0, None),
            (6, "-2", 2, 1_773_500_500_000, 0, 6, 0, None),
            (7, "07700900002", 1, 1_773_500_600_000, 30, 7, 0, None),
            (8, "07700900002", 1, 1_773_500_700_000, 45, 2, 1, None),
            (9, "+447700900002", 1, 1_773_500_800_000, 20, 1, 0, "com.whatsapp/com.whatsapp.calling.telecom.SelfManagedConnectionService")]
    path = db(tmp_path, "calllog.db", android_phone.CALLLOG_DDL, [
        ("INSERT INTO calls (_id, number, presentation, date, duration, type, features, subscription_component_name, "
         "countryiso) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'GB')", rows)])
    result = parse(android_calllog, path, owner="tel:+447700900001")
    got = result.events.select("status", "direction", "channel", "sender").rows()
    assert got == [
        ("answered", "in", "voice", "phone:07700900002"), ("missed", "out", "voice", "tel:+447700900001"),
        ("missed", "in", "voice", "phone:07700900002"), ("voicemail", "in", "voice", "phone:07700900002"),
        ("rejected", "in", "voice", "phone:Withheld"), ("blocked", "in", "voice", "phone:Withheld"),
        ("answered", "in", "voice", "phone:07700900002"), ("answered", "out", "video", "tel:+447700900001"),
        ("answered", "in", "whatsapp", "phone:+447700900002"),
    ]
    assert uri("phone:Withheld") == "tel-raw:withheld"
    assert result.events.row(6, named=True)["text"] == "answered on another device"
    assert result.region == "GB"


def test_one_contacts2_database_is_one_source_with_its_cards_and_its_calls(tmp_path: Path) -> None:
    ddl = android_phone.CONTACTS_DDL + android_phone.CALLLOG_DDL.replace("CREATE TABLE android_metadata (locale TEXT);", "")
    mimes = [(i + 1, m) for i, m in enumerate(android_phone.MIMETYPES)]
    path = db(tmp_path, "contacts2.db", ddl, [
        ("INSERT INTO mimetypes (_id, mimetype) VALUES (?, ?)", mimes),
        ("INSERT INTO accounts (_id, account_name, account_type) VALUES (?, ?, ?)", [(1, "a@example.org", "com.google")]),
        ("INSERT INTO contacts (_id, name_raw_contact_id, contact_last_updated_timestamp) VALUES (?, ?, ?)",
         [(1, 1, 1_700_000_000_000), (2, 2, None)]),
        ("INSERT INTO raw_contacts (_id, account_id, contact_id, display_name, deleted) VALUES (?, ?, ?, ?, ?)",
         [(1, 1, 1, "Dan", 0), (2, 1, 2, "Old Number", 1), (3, 1, None, None, 0)]),
        ("INSERT INTO data (mimetype_id, raw_contact_id, data1, data2, data3) VALUES (?, ?, ?, ?, ?)", [
            (1, 1, "Dan", "Dan", None), (2, 1, "07700 900002", "2", None), (3, 1, "dan@example.org", "1", None),
            (4, 1, "447700900002@s.whatsapp.net", "WhatsApp", None), (2, 2, "07700 900099", "0", "Burner")]),
        ("INSERT INTO calls (_id, number, date, duration, type, name, countryiso) VALUES (?, ?, ?, ?, ?, ?, ?)",
         [(1, "07700 900002", 1_773_500_000_000, 12, 1, "Dan", "GB")]),
    ])
    from parsers.base import Probe
    probe = Probe(path)
    assert android_calllog.detect(probe) == 0 and android_contacts.detect(probe) > 0
    assert parsers.detect(path).INFO.name == "android-contacts"
    result = parse(android_contacts, path)
    ev = by_ref(result)
    assert set(ev) == {"raw_contact 1", "raw_contact 2", "call rowid 1"}
    dan = ev["raw_contact 1"]
    assert (dan["kind"], dan["sender"], dan["deleted"]) == ("contact", "name:Dan", False)
    assert dan["recipients"] == ["phone:07700 900002", "email:dan@example.org", "phone:+447700900002"]
    assert str(dan["ts_utc"]) == "2023-11-14 22:13:20+00:00"
    assert dan["text"] == ("address-book entry 'Dan' [account com.google]: mobile 07700 900002; home dan@example.org; "
                           "WhatsApp 447700900002@s.whatsapp.net")
    old = ev["raw_contact 2"]
    assert (old["deleted"], old["text"]) == (True, "address-book entry 'Old Number' [account com.google]: Burner 07700 900099")
    assert result.rejects.select("source_ref", "reason").rows() == [
        ("raw_contact 3", "contact card with no name, number, e-mail or app identity")]
    links = {(r["identifier"], r["related"]) for r in result.evidence.iter_rows(named=True)}  # type: ignore[union-attr]
    # The card's number and its WhatsApp JID are one number: one link, not two.
    assert ("name:Dan", "phone:07700 900002") in links and ("name:Dan", "phone:+447700900002") not in links
    assert ("name:Dan", "email:dan@example.org") in links
    assert ("name:Old Number", "phone:07700 900099") in links
    assert {r["basis"] for r in result.evidence.iter_rows(named=True)} == {"contact-card"}  # type: ignore[union-attr]


# --- iOS ---------------------------------------------------------------------------

def test_typedstream_text_lengths_one_two_and_four_bytes() -> None:
    for text in ("short", "é" * 100, "x" * 70_000):
        assert typedstream_text(typedstream_blob(text)) == text
    assert typedstream_text(b"not an archive") is None
    blob = typedstream_blob("x" * 300)
    assert typedstream_text(blob[: blob.index(b"x" * 300) + 100]) is None  # a cut archive is not half a text


def test_ios_messages_nanosecond_dates_group_chats_unsend_failure_and_recently_deleted(tmp_path: Path) -> None:
    ns = 1_000_000_000
    path = db(tmp_path, "sms.db", ios_phone.SMS_DDL, [
        ("INSERT INTO handle (ROWID, id, country, service) VALUES (?, ?, ?, ?)", [
            (1, "+447700900002", "gb", "iMessage"), (2, "+447700900003", "gb", "iMessage"), (3, "friend@example.org", "gb", "iMessage")]),
        ("INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name) VALUES (?, ?, ?, ?, ?)", [
            (1, "iMessage;-;+447700900002", 45, "+447700900002", "iMessage"), (2, "iMessage;+;chat1", 43, "chat1", "iMessage")]),
        ("INSERT INTO chat_handle_join (chat_id, handle_id) VALUES (?, ?)", [(1, 1), (2, 2), (2, 3)]),
        ("INSERT INTO message (ROWID, guid, text, attributedBody, handle_id, service, account, date, is_from_me, is_sent, "
         "is_delivered, error, date_retracted, item_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (1, "g1", None, typedstream_blob("only in the archive"), 1, "iMessage", "p:+447700900001", 790_000_000 * ns, 0, 0, 0, 0, 0, 0),
            (2, "g2", "to the group", None, 0, "iMessage", "p:+447700900001", 790_000_100 * ns, 1, 1, 1, 0, 0, 0),
            (3, "g3", "from the group", None, 3, "iMessage", "p:+447700900001", 790_000_200, 0, 0, 0, 0, 0, 0),
            (4, "g4", "never sent", None, 1, "SMS", "p:+447700900001", 790_000_300 * ns, 1, 0, 0, 22, 0, 0),
            (5, "g5", "take it back", None, 1, "iMessage", "p:+447700900001", 790_000_400 * ns, 1, 1, 1, 0, 790_000_460 * ns, 0),
            (6, "g6", None, None, 2, "iMessage", "p:+447700900001", 790_000_500 * ns, 0, 0, 0, 0, 0, 1),
            (7, "g7", "regret", None, 1, "iMessage", "p:+447700900001", 790_000_600 * ns, 0, 0, 0, 0, 0, 0)]),
        ("INSERT INTO chat_message_join (chat_id, message_id) VALUES (?, ?)", [(1, 1), (2, 2), (2, 3), (1, 4), (1, 5), (2, 6)]),
        ("INSERT INTO chat_recoverable_message_join (chat_id, message_id, delete_date) VALUES (?, ?, ?)", [(1, 7, 1)]),
    ])
    result = parse(ios_sms, path)
    assert result.owner == "phone:+447700900001"
    ev = by_ref(result)
    m1 = ev["message rowid 1"]
    assert (m1["text"], str(m1["ts_utc"]), m1["recipients"]) == (
        "only in the archive", "2026-01-13 12:26:40+00:00", ["phone:+447700900001"])
    # Seconds and nanoseconds in one database are both read by value.
    assert str(ev["message rowid 3"]["ts_utc"]) == "2026-01-13 12:30:00+00:00"
    assert (ev["message rowid 2"]["sender"], ev["message rowid 2"]["recipients"]) == (
        "phone:+447700900001", ["phone:+447700900003", "email:friend@example.org"])
    assert ev["message rowid 3"]["sender"] == "email:friend@example.org"
    assert ev["message rowid 3"]["recipients"] == ["phone:+447700900001", "phone:+447700900003"]
    assert (ev["message rowid 4"]["status"], ev["message rowid 4"]["channel"]) == ("failed", "sms")
    assert ev["message rowid 5"]["status"] == "deleted-by-sender"
    assert ev["message rowid 6"]["kind"] == "note"
    assert (ev["message rowid 7"]["deleted"], ev["message rowid 7"]["text"]) == (True, "regret")


def test_ios_calls_facetime_app_calls_blob_addresses_withheld_and_group_facetime(tmp_path: Path) -> None:
    ddl = ios_phone.CALLHISTORY_DDL.replace("ZADDRESS VARCHAR", "ZADDRESS BLOB")
    base = 790_000_000.25
    path = db(tmp_path, "CallHistory.storedata", ddl, [
        ("INSERT INTO ZCALLRECORD (Z_PK, ZANSWERED, ZCALLTYPE, ZORIGINATED, ZDATE, ZDURATION, ZADDRESS, ZSERVICE_PROVIDER, "
         "ZNUMBER_AVAILABILITY, ZISO_COUNTRY_CODE, ZNAME) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (1, 1, 1, 1, base, 61.6, b"07700 900002", "com.apple.Telephony", 0, "gb", "Dan"),
            (2, 1, 8, 0, base + 100, 30.0, b"dan@example.org", "com.apple.FaceTime", 0, "gb", None),
            (3, 0, 16, 0, base + 200, 0.0, b"+447700900002", "com.apple.FaceTime", 0, "gb", None),
            (4, 1, 0, 0, base + 300, 12.0, b"+447700900002", "net.whatsapp.WhatsApp", 0, "gb", None),
            (5, 0, 1, 0, base + 400, 0.0, b"", "com.apple.Telephony", 1, "gb", None),
            (6, 1, 8, 0, base + 500, 40.0, None, "com.apple.FaceTime", 0, "gb", None)]),
        ("INSERT INTO ZHANDLE (Z_PK, ZVALUE) VALUES (?, ?)", [(1, "+447700900003"), (2, "sam@example.org")]),
        ("INSERT INTO Z_2REMOTEPARTICIPANTHANDLES (Z_2REMOTEPARTICIPANTCALLS, Z_4REMOTEPARTICIPANTHANDLES) VALUES (?, ?)",
         [(6, 1), (6, 2)]),
    ])
    result = parse(ios_callhistory, path, owner="tel:+447700900001")
    rows = result.events.select("channel", "direction", "sender", "recipients", "status", "duration_s", "text").rows()
    assert rows == [
        ("voice", "out", "tel:+447700900001", ["phone:07700 900002"], "answered", 62, None),
        ("facetime", "in", "email:dan@example.org", ["tel:+447700900001"], "answered", 30, "FaceTime video"),
        ("facetime", "in", "phone:+447700900002", ["tel:+447700900001"], "missed", 0, "FaceTime audio"),
        ("whatsapp", "in", "phone:+447700900002", ["tel:+447700900001"], "answered", 12, "app call via net.whatsapp.WhatsApp"),
        ("voice", "in", "phone:Unavailable", ["tel:+447700900001"], "missed", 0, None),
        ("facetime", "in", "phone:+447700900003", ["tel:+447700900001", "email:sam@example.org"], "answered", 40, "FaceTime video"),
    ]
    assert str(result.events.row(0, named=True)["ts_utc"]) == "2026-01-13 12:26:40.250000+00:00"
    assert any("BLOB" in a for a in result.assumptions) and result.region == "GB"
    assert uri("phone:Unavailable") == "tel-raw:unavailable"
    assert [(r["identifier"], r["related"]) for r in result.evidence.iter_rows(named=True)] == [  # type: ignore[union-attr]
        ("name:Dan", "phone:07700 900002")]


def test_ios_address_book_cards_become_contacts_and_evidence(tmp_path: Path) -> None:
    path = db(tmp_path, "AddressBook.sqlitedb", ios_phone.ADDRESSBOOK_DDL, [
        ("INSERT INTO ABMultiValueLabel (rowid, value) VALUES (?, ?)", [(1, "_$!<Mobile>!$_"), (2, "_$!<Home>!$_")]),
        ("INSERT INTO ABPerson (ROWID, First, Last, Organization, ModificationDate) VALUES (?, ?, ?, ?, ?)",
         [(1, "Dan", None, None, 790_000_000), (2, None, None, "Officeworth Ltd", 0), (3, None, None, None, 0)]),
        ("INSERT INTO ABMultiValue (UID, record_id, property, label, value) VALUES (?, ?, ?, ?, ?)", [
            (1, 1, 3, 1, "07700 900002"), (2, 1, 4, 2, "dan@example.org"), (3, 1, 5, None, "1 Example Road"),
            (4, 2, 3, None, "020 7946 0001")]),
    ])
    result = parse(ios_addressbook, path)
    ev = by_ref(result)
    assert ev["ABPerson 1"]["recipients"] == ["phone:07700 900002", "email:dan@example.org"]
    assert ev["ABPerson 1"]["text"] == "address-book entry 'Dan': mobile 07700 900002; home dan@example.org"
    assert str(ev["ABPerson 1"]["ts_utc"]) == "2026-01-13 12:26:40+00:00"
    assert ev["ABPerson 2"]["sender"] == "name:Officeworth Ltd" and ev["ABPerson 2"]["ts_utc"] is None
    assert result.rejects.get_column("source_ref").to_list() == ["ABPerson 3"]
    assert result.evidence.height == 3  # type: ignore[union-attr]


# --- WhatsApp Android --------------------------------------------------------------------

def _current_msgstore(tmp_path: Path) -> Path:
    return db(tmp_path, "msgstore.db", whatsapp_db.CURRENT_DDL, [
        ("INSERT INTO jid (_id, user, server, raw_string) VALUES (?, ?, ?, ?)", [
            (1, "447700900002", "s.whatsapp.net", "447700900002@s.whatsapp.net"),
            (2, "120363000000000001", "g.us", "120363000000000001@g.us"),
            (3, "447700900003", "s.whatsapp.net", None), (4, "status", "broadcast", "status@broadcast")]),
        ("INSERT INTO chat (_id, jid_row_id, subject) VALUES (?, ?, ?)", [(1, 1, None), (2, 2, "Family"), (3, 4, None)]),
        ("INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, message_type, "
         "text_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (1, 1, 0, "k1", 0, 0, 1_773_500_000_000, 0, "hello"),
            (2, 1, 1, "k2", 0, 13, 1_773_500_010_000, 1, "a caption"),
            (3, 2, 0, "k3", 3, 0, 1_773_500_020_000, 0, "group hello"),
            (4, 2, 1, "k4", 0, 5, 1_773_500_030_000, 0, "to the group"),
            (5, 1, 0, "k5", 0, 0, 1_773_500_040_000, 15, None),
            (6, 1, 0, "k6", 0, 0, 1_773_500_050_000, 5, None),
            (7, 2, 0, "k7", 0, 6, 1_773_500_060_000, 7, None),
            (8, 3, 0, "k8", 1, 0, 1_773_500_070_000, 0, "my status")]),
        ("INSERT INTO message_media (message_row_id, chat_row_id, file_path, media_name, mime_type) VALUES (?, ?, ?, ?, ?)",
         [(2, 1, "Media/WhatsApp Images/Sent/IMG-20260314-WA0002.jpg", None, "image/jpeg")]),
        ("INSERT INTO message_location (message_row_id, chat_row_id, latitude, longitude) VALUES (?, ?, ?, ?)",
         [(6, 1, 51.5074, -0.1278)]),
        ("INSERT INTO message_revoked (message_row_id, revoked_key_id) VALUES (?, ?)", [(5, "k5")]),
        ("INSERT INTO call_log (_id, jid_row_id, from_me, timestamp, video_call, duration, call_result, group_jid_row_id) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (1, 1, 0, 1_773_500_100_000, 0, 0, 2, 0), (2, 1, 1, 1_773_500_200_000, 1, 75, 5, 0),
            (3, 1, 0, 1_773_500_300_000, 0, 0, 4, 0), (4, 3, 0, 1_773_500_400_000, 0, 30, 5, 2)]),
    ])


def test_whatsapp_android_current_layout_groups_deleted_media_locations_and_calls(tmp_path: Path) -> None:
    result = parse(whatsapp_android_db, _current_msgstore(tmp_path), owner="tel:+447700900001")
    ev = by_ref(result)
    assert (ev["message rowid 1"]["sender"], ev["message rowid 1"]["recipients"]) == ("phone:+447700900002", ["tel:+447700900001"])
    photo = ev["message rowid 2"]
    assert (photo["status"], photo["text"], photo["attachments"]) == (
        "read", "a caption", ["IMG-20260314-WA0002.jpg [stored: Media/WhatsApp Images/Sent/IMG-20260314-WA0002.jpg]"])
    group_in = ev["message rowid 3"]
    assert (group_in["sender"], group_in["recipients"]) == (
        "phone:+447700900003", ["whatsapp-group:120363000000000001@g.us", "tel:+447700900001"])
    assert ev["message rowid 4"]["recipients"] == ["whatsapp-group:120363000000000001@g.us"]
    assert (ev["message rowid 5"]["status"], ev["message rowid 5"]["text"]) == ("deleted-by-sender", "This message was deleted")
    assert (ev["message rowid 6"]["lat"], ev["message rowid 6"]["text"]) == (51.5074, "Location: 51.5074, -0.1278")
    assert ev["message rowid 7"]["kind"] == "note" and "Family" in str(ev["message rowid 7"]["text"])
    assert (ev["message rowid 8"]["kind"], ev["message rowid 8"]["text"]) == ("note", "Status update: my status")
    calls = [ev[f"call_log rowid {i}"] for i in range(1, 5)]
    assert [(c["direction"], c["status"], c["duration_s"], c["text"]) for c in calls] == [
        ("in", "missed", 0, "WhatsApp voice call"), ("out", "answered", 75, "WhatsApp video call"),
        ("in", "rejected", 0, "WhatsApp voice call"), ("in", "answered", 30, "WhatsApp voice call (group)")]
    assert calls[3]["recipients"] == ["tel:+447700900001", "whatsapp-group:120363000000000001@g.us"]
    assert str(calls[1]["ts_end_utc"]) == "2026-03-14 14:57:55+00:00"


def test_whatsapp_android_legacy_layout_reads_group_senders_and_text_typed_media(tmp_path: Path) -> None:
    path = db(tmp_path, "msgstore.db", whatsapp_db.LEGACY_DDL, [
        ("INSERT INTO messages (_id, key_remote_jid, key_from_me, key_id, status, data, timestamp, media_wa_type, "
         "remote_resource, media_name, media_caption, latitude, longitude) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (1, "-1", 0, "-1", -1, None, 0, "0", None, None, None, 0, 0),
            (2, "447700900002@s.whatsapp.net", 0, "a", 0, "hi", 1_600_000_000_000, "0", None, None, None, 0, 0),
            (3, "120363000000000001@g.us", 0, "b", 0, None, 1_600_000_100_000, "1", "447700900003@s.whatsapp.net",
             "IMG-1.jpg", "look", 0, 0),
            (4, "120363000000000001@g.us", 0, "c", 6, None, 1_600_000_200_000, "0", None, None, None, 0, 0),
            (6, "447700900002@s.whatsapp.net", 1, "d", 13, "bye", 1_600_000_300_000, "0", None, None, None, 0, 0)]),
        ("INSERT INTO chat_list (key_remote_jid, subject) VALUES (?, ?)", [("120363000000000001@g.us", "Family")]),
    ])
    result = parse(whatsapp_android_db, path)
    ev = by_ref(result)
    assert result.rejects.get_column("source_ref").to_list() == ["messages rowid 1"]
    assert (ev["messages rowid 3"]["sender"], ev["messages rowid 3"]["text"], ev["messages rowid 3"]["attachments"]) == (
        "phone:+447700900003", "look", ["IMG-1.jpg"])
    assert ev["messages rowid 4"]["kind"] == "note"
    assert (ev["messages rowid 6"]["direction"], ev["messages rowid 6"]["status"], ev["messages rowid 6"]["sender"]) == (
        "out", "read", None)
    assert any("messages table: 1 id(s) missing between 1 and 6 (e.g. 5)" in a for a in result.assumptions)


def test_wa_db_links_saved_names_profile_names_and_numbers(tmp_path: Path) -> None:
    """The saved number and the JID are one number in GB: no self-link is kept."""
    path = db(tmp_path, "wa.db", whatsapp_db.WA_DDL, [
        ("INSERT INTO wa_contacts (jid, is_whatsapp_user, number, display_name, wa_name) VALUES (?, ?, ?, ?, ?)", [
            ("447700900002@s.whatsapp.net", 1, "07700 900002", "Dan", "Daniel Sample"),
            ("447700900013@s.whatsapp.net", 1, None, None, "not dan"),
            ("120363000000000001@g.us", 0, None, "Family", None)]),
    ])
    result = parse(whatsapp_android_contacts, path)
    assert result.region == "GB"
    rows = {(r["basis"], r["identifier"], r["related"]) for r in result.evidence.iter_rows(named=True)}  # type: ignore[union-attr]
    assert rows == {
        ("contact-card", "name:Dan", "phone:+447700900002"),
        ("account-profile", "name:Daniel Sample", "phone:+447700900002"),
        ("account-profile", "name:not dan", "phone:+447700900013"),
    }
    assert result.events.get_column("sender").to_list() == ["name:Dan", "name:not dan", "name:Family"]


def test_an_address_book_card_with_a_value_over_the_bound_is_a_reject_naming_card_field_and_size(tmp_path: Path) -> None:
    """Before: a 50 MB number was read, stored twice (text and recipients) and took 1.74 GB; now the card
    is a reject naming it, and every other card is read as before (read = events + rejects)."""
    from parsers._bounds import CONTACT_FIELD_BYTES

    long = "7" * (CONTACT_FIELD_BYTES + 1)
    path = db(tmp_path, "AddressBook.sqlitedb", ios_phone.ADDRESSBOOK_DDL, [
        ("INSERT INTO ABPerson (ROWID, First, Last, Organization, ModificationDate) VALUES (?, ?, ?, ?, ?)",
         [(1, "Dan", None, None, 790_000_000), (2, "Eve", None, None, 0), (3, None, None, None, 0),
          (4, "A" * (CONTACT_FIELD_BYTES + 1), None, None, 0), (5, "Fay", None, None, 0)]),
        ("INSERT INTO ABMultiValue (UID, record_id, property, label, value) VALUES (?, ?, ?, ?, ?)", [
            (1, 1, 3, None, "07700 900002"), (2, 2, 3, None, long), (3, 2, 4, None, "eve@example.org"),
            (4, 5, 3, None, "7" * CONTACT_FIELD_BYTES)]),
    ])
    result = parse(ios_addressbook, path)
    assert result.events.get_column("source_ref").to_list() == ["ABPerson 1", "ABPerson 5"]  # at the bound: read
    assert result.rejects.get_column("source_ref").to_list() == ["ABPerson 2", "ABPerson 3", "ABPerson 4"]
    reasons = dict(zip(result.rejects.get_column("source_ref"), result.rejects.get_column("reason"), strict=True))
    assert f"ABMultiValue phone number of {CONTACT_FIELD_BYTES + 1} bytes" in reasons["ABPerson 2"]
    assert f"ABPerson.first of {CONTACT_FIELD_BYTES + 1} bytes" in reasons["ABPerson 4"]
    assert "kept unchanged in the source database" in reasons["ABPerson 4"]
    assert result.records_read == 5
    assert max(result.rejects.get_column("excerpt").str.len_bytes()) < 200
