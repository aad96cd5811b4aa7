"""WhatsApp Android msgstore.db as real handsets leave it: mid-migration, dropped columns, LIDs.

Every database here is written by the generator (``fixtures.writers.whatsapp_db.
write_msgstore``) from one small world, so each layout can be compared with the plain
legacy/current reading of the same messages.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from atlas.identity.candidates import discover
from atlas.identity.ledger import read_links
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from fixtures.generate import generate
from fixtures.scenarios import build
from fixtures.world import World
from fixtures.writers._phone_common import ANDROID_OWNER, mine
from fixtures.writers.whatsapp_db import write_msgstore
from parsers import whatsapp_android_db
from parsers.base import ParseContext, ParseResult


@pytest.fixture(scope="module")
def world() -> World:
    return build("rejected-ex", 3, 0.2)


def parse(path: Path) -> ParseResult:
    result = whatsapp_android_db.parse(path, ParseContext(source_id="src", path=path))
    assert result.records_read == result.events.height + result.rejects.height
    return result


def written(world: World, tmp_path: Path, layout: str, **kw: object) -> tuple[Path, dict[str, list[str]]]:
    path = tmp_path / layout / "msgstore.db"
    refs = write_msgstore(world, path, layout, random.Random("msgstore"), **kw)  # type: ignore[arg-type]
    return path, refs


def messages(result: ParseResult) -> pl.DataFrame:
    return result.events.filter(pl.col("kind") != "call").select("ts_utc", "direction", "text").sort("ts_utc", "text")


def test_a_mid_migration_database_whose_new_table_holds_only_a_placeholder_reads_every_legacy_message(
        world: World, tmp_path: Path) -> None:
    legacy, _ = written(world, tmp_path, "legacy")
    mid, refs = written(world, tmp_path, "mid-migration")
    n_msgs = len(mine(world, ANDROID_OWNER, ["whatsapp"], "message"))
    assert n_msgs >= 10
    with sqlite3.connect(mid) as con:  # the layout of the file: both tables, the new one a placeholder
        assert con.execute("SELECT _id, key_id, chat_row_id FROM message").fetchall() == [(1, "-1", -1)]
        assert con.execute("SELECT count(*) FROM messages").fetchone() == (n_msgs + 1,)
    result = parse(mid)
    assert messages(result).equals(messages(parse(legacy)))
    assert result.events.filter(pl.col("kind") != "call").height == n_msgs
    refs_read = set(result.events.get_column("source_ref"))
    assert {r for rs in refs.values() for r in rs} <= refs_read
    assert sorted(result.rejects.get_column("source_ref")) == ["message rowid 1", "messages rowid 1"]
    notes = "\n".join(result.assumptions)
    assert "mid-migration: the new 'message' table holds no message" in notes
    assert f"so the {n_msgs} message(s) were read from the legacy 'messages' table" in notes
    assert "pre-migration copy" not in notes


def test_a_partly_migrated_database_counts_each_message_once_whichever_table_holds_it(world: World, tmp_path: Path) -> None:
    legacy, _ = written(world, tmp_path, "legacy")
    mid, refs = written(world, tmp_path, "mid-migration", migrated=4)
    result = parse(mid)
    assert messages(result).equals(messages(parse(legacy)))
    refs_read = result.events.get_column("source_ref")
    assert refs_read.filter(refs_read.str.starts_with("message rowid")).sort().to_list() == [
        f"message rowid {i}" for i in range(2, 6)]
    assert {r for rs in refs.values() for r in rs} <= set(refs_read)
    notes = "\n".join(result.assumptions)
    assert "4 message(s) read from the new 'message' table" in notes
    assert "4 legacy row(s) are migrated copies of rows in 'message'" in notes


def test_columns_a_newer_version_dropped_are_read_as_empty_and_named(world: World, tmp_path: Path) -> None:
    path, _ = written(world, tmp_path, "current")
    copy = tmp_path / "msgstore-2025.db"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as con:
        con.execute("ALTER TABLE message_media DROP COLUMN media_caption")
        con.execute("ALTER TABLE chat DROP COLUMN subject")
        con.execute("ALTER TABLE message DROP COLUMN received_timestamp")  # gone in 2.24.25
        con.execute("ALTER TABLE message DROP COLUMN receipt_server_timestamp")
    before, after = parse(path), parse(copy)
    assert after.events.height == before.events.height
    assert "columns this WhatsApp version does not have, read as empty: message_media.media_caption, chat.subject" in after.assumptions


def test_lid_accounts_mapped_by_jid_map_are_linked_to_their_numbers_as_proven(world: World, tmp_path: Path) -> None:
    root = tmp_path / "case"
    generate("rejected-ex", 3, 0.2, root)
    db = root / "lid" / "msgstore.db"
    write_msgstore(world, db, "lid-mapped", random.Random("lid"))
    with sqlite3.connect(db) as con:
        [(lid, phone)] = con.execute("SELECT l.raw_string, p.raw_string FROM jid_map m JOIN jid l ON l._id = m.lid_row_id "
                                     "JOIN jid p ON p._id = m.jid_row_id").fetchall()
    suspect_tel = "tel:+" + phone.split("@")[0]
    lid_uri = "whatsapp-lid:" + lid.split("@")[0]
    case = Case.open(root)
    [outcome] = ingest(case, [db], IngestOptions(owner="victim"))
    assert outcome.status == "ingested" and outcome.rejects == 0
    events = case.events().collect()
    from_suspect = events.filter(pl.col("sender") == lid_uri)
    assert from_suspect.height > 0 and events.filter(pl.col("sender") == suspect_tel).height == 0
    evidence = case.evidence().collect()
    assert evidence.select("basis", "identifier", "related").rows() == [("account-profile", lid_uri, suspect_tel)]
    assert any("1 hidden-number (LID) account(s) mapped to phone numbers by jid_map" in a for a in outcome.assumptions)
    discover(case)
    [link] = [lk for lk in read_links(case) if {lk.a, lk.b} == {lid_uri, suspect_tel}]
    assert (link.basis, link.strength, link.status) == ("account-profile", "proven", "proposed")


def test_lid_accounts_without_jid_map_stay_their_own_identifiers(world: World, tmp_path: Path) -> None:
    db, _ = written(world, tmp_path, "lid-unmapped")
    with sqlite3.connect(db) as con:
        assert "jid_map" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        [(lid,)] = con.execute("SELECT user FROM jid WHERE server = 'lid'").fetchall()
    result = parse(db)
    assert result.evidence is None or result.evidence.height == 0
    assert result.events.filter(pl.col("sender") == f"whatsapp-lid:{lid}").height > 0
    assert any(f"1 hidden-number (LID) account(s) with no mapping in the database (whatsapp-lid:{lid})" in a
               for a in result.assumptions)


def test_ios_contacts_pair_each_lid_with_its_number_as_account_profile_evidence(samples: Path, tmp_path: Path) -> None:
    from parsers import whatsapp_ios_contacts

    path = tmp_path / "ContactsV2.sqlite"
    shutil.copyfile(samples / "ileapp-josh-ios15-whatsapp" / "ContactsV2.sqlite", path)
    with sqlite3.connect(path) as con:  # the column newer versions have, as they fill it
        con.execute("ALTER TABLE ZWAADDRESSBOOKCONTACT ADD COLUMN ZLID VARCHAR")
        con.execute("UPDATE ZWAADDRESSBOOKCONTACT SET ZLID = '118735712342099@lid' WHERE ZWHATSAPPID = '19198027080@s.whatsapp.net'")
    result = whatsapp_ios_contacts.parse(path, ParseContext(source_id="src", path=path))
    assert result.evidence is not None
    rows = result.evidence.filter(pl.col("basis") == "account-profile").select("identifier", "related").rows()
    assert rows == [("whatsapp-lid:118735712342099", "phone:+19198027080")]
    assert "1 contact(s) carry their hidden-number (LID) account beside their WhatsApp number (ZLID): recorded as " \
           "identity evidence (account-profile)" in result.assumptions
