"""An identity link's reason names its records as data (``reason_parts`` in the links ledger), so
``atlas people`` and the workbench show each by its exhibit without searching the words for id
shapes; a ledger an older Atlas wrote (reasons as text only) still loads and shows the same words."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from identity_helpers import make_case, msg

from atlas.exhibits import readable_text, source_refs
from atlas.identity.candidates import discover, same_message_proposals
from atlas.identity.ledger import ensure_schema, link_id_for, propose, read_links
from atlas.identity.people import people_view
from atlas.messages import Named
from atlas.store import Case

SRC = "src0000000000001"
"""A source id of another shape than 16 hex digits (as a test store, or a future id scheme, makes it)."""


def test_a_discovered_reason_names_its_source_by_exhibit_whatever_the_id_s_shape(tmp_path: Path) -> None:
    """The regex knew a source only as 16 hex digits: the reason read "in source src0000000000001"."""
    case = make_case(tmp_path / "c", [msg("tel:+447700900099", "tel:+447700900001", i, direction="out")
                                      for i in range(3)], owner="tel:+447700900002")
    discover(case)
    (link,) = [lk for lk in read_links(case) if lk.basis == "device-owner"]
    assert link.reason == (f"tel:+447700900099 sent 3 outgoing record(s) in source {SRC}, a download whose owner is "
                           "tel:+447700900002")  # the stored sentence (ids) as before: audit and machines
    (shown,) = [p["reason_shown"] for p in people_view(case)["proposals"] if p["link_id"] == link.link_id]
    assert shown == "tel:+447700900099 sent 3 outgoing record(s) in source DT/1, a download whose owner is tel:+447700900002"
    assert link.reason_message is not None and Named("source", SRC) in link.reason_message.names


def test_words_in_a_reason_are_never_searched_for_ids() -> None:
    """A display name holding a comma and something shaped like a source id is shown as written;
    only the records the rule named are put as exhibits."""
    name_src, other = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
    name = f"name:{name_src}:Kim, {other}"
    texts = ("I miss you so much", "I saw you today in the blue coat", "We need to talk", "Pick up the phone")
    rows = [{"source_id": s, "event_id": f"{s}/m[{i}]", "kind": "message", "channel": "instagram", "sender": who,
             "text": t, "ts_utc": datetime(2026, 6, 24 + i, 10, tzinfo=UTC)}
            for s, who in ((name_src, name), (other, "instagram:kim.2026")) for i, t in enumerate(texts)]
    frame = pl.LazyFrame(rows)
    (p,) = same_message_proposals(frame)
    refs = {name_src: "JA/4", other: "JA/5"}
    assert p.message.shown(refs) == (
        f"4 of the 4 messages sent as 'Kim, {other}' in JA/4 (4 different texts) have the same words as messages "
        "sent by instagram:kim.2026 in JA/5, each within 10 minutes (at the same second)")
    assert readable_text(refs, p.reason) != p.message.shown(refs)  # the regex rewrote the name's words too


def _old_ledger(case: Case, reason: str) -> None:
    """The links table as Atlas wrote it before reasons were stored with their records."""
    with closing(sqlite3.connect(case.store / "atlas.sqlite")) as con, con:
        con.execute("""CREATE TABLE identity_links (
            link_id TEXT PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL, basis TEXT NOT NULL,
            strength TEXT NOT NULL CHECK (strength IN ('proven', 'inferred')),
            status TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected')), score REAL,
            reason TEXT NOT NULL, support TEXT NOT NULL, origin TEXT NOT NULL, created_at TEXT NOT NULL,
            created_by TEXT NOT NULL, decided_at TEXT, decided_by TEXT, note TEXT NOT NULL DEFAULT '',
            UNIQUE (a, b, basis))""")
        con.execute("INSERT INTO identity_links VALUES (?, ?, 'tel:+447700900002', 'same-imei', 'proven', "
                    "'proposed', 1.0, ?, ?, 'discovery:evidence', '2026-12-01T10:00:00+00:00', 'DC 1 Test', NULL, NULL, '')",
                    (link_id_for(f"name:{HEX}:Dan", "tel:+447700900002", "same-imei"), f"name:{HEX}:Dan", reason,
                     json.dumps([f"{HEX}/row 1"])))


HEX = "586ad4d5d21525fa"


def test_a_ledger_written_before_typed_reasons_loads_and_shows_the_same_words(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", [msg("tel:+447700900002", "tel:+447700900001", 0)], source_id=HEX)
    old = f"same handset (IMEI): 2 record(s), e.g. {HEX}/row 1 (name:{HEX}:Dan in {HEX})"
    _old_ledger(case, old)
    (link,) = read_links(case)
    assert link.reason == old and link.reason_message is None
    refs = source_refs(case)
    shown = "same handset (IMEI): 2 record(s), e.g. DT/1, row 1 ('Dan in DT/1' in DT/1)"
    assert link.reason_shown(refs) == readable_text(refs, old) == shown  # as the old code showed it (its regex's way)
    (row,) = people_view(case)["proposals"]
    assert row["reason_shown"] == shown
    with case.db() as con:  # the table gained the column; the old row keeps its words, with no records as data
        ensure_schema(con)
        assert con.execute("SELECT reason, reason_parts FROM identity_links").fetchall() == [(old, None)]
        assert propose(case, con, link.a, link.b, "same-imei", reason=old, support=list(link.support), score=1.0,
                       origin="discovery:evidence") == (link.link_id, "unchanged")
