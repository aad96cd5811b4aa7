"""Exhibit references (`JA/7, sms rowid 477`): one rule, its column form tested equal to it,
and numbers kept in the case so that the CLI, the TUI and the reports name a record alike."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from _conduct_cases import MANIFEST, MOTHER, SUSPECT, VICTIM, make_case, msg
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas.exhibits import exhibit_ref, record_ref, record_ref_expr, source_refs, with_exhibit
from atlas.store import Case

REFS = {"aaaaaaaaaaaaaaaa": "JA/7", "bbbbbbbbbbbbbbbb": "JA/12"}


def test_a_record_is_named_by_its_exhibit_and_its_place() -> None:
    assert record_ref("JA/7", "sms rowid 477") == "JA/7, sms rowid 477"
    assert record_ref("JA/7", "") == "JA/7" and record_ref("JA/7", None) == "JA/7"
    assert record_ref("JA/7", "  line 3 ") == "JA/7, line 3"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*REFS, "cccccccccccccccc"]),
                          st.one_of(st.none(), st.text(max_size=12))), max_size=30))
def test_the_column_form_equals_the_plain_rule_on_every_row(rows: list[tuple[str, str | None]]) -> None:
    frame = pl.DataFrame(rows, schema={"source_id": pl.String, "source_ref": pl.String}, orient="row")
    got = frame.select(record_ref_expr(REFS).alias("x")).get_column("x").to_list()
    want = [record_ref(REFS[s], r) if s in REFS else None for s, r in rows]
    assert got == want


def test_sources_are_numbered_when_ingested_in_the_order_received_and_never_renumbered(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-03-01 10:00", SUSPECT, VICTIM)],
                                      MOTHER: [msg("2026-03-02 10:00", SUSPECT, MOTHER)]})
    refs = source_refs(case)  # a store made without numbers: numbered now, all of them
    prefix = case.manifest.exhibit_prefix
    assert sorted(refs.values()) == [f"{prefix}/1", f"{prefix}/2"]
    assert source_refs(Case.open(case.root)) == refs
    events = case.events().select("event_id", "source_id", "source_ref").collect()
    shown = with_exhibit(events, refs)
    assert shown.columns == ["event_id", "source_id", "exhibit", "source_ref"]
    for r in shown.iter_rows(named=True):
        assert r["exhibit"] == exhibit_ref(case, r["source_id"], r["source_ref"]) == f"{refs[r['source_id']]}, {r['source_ref']}"
    audit = [e for e in case.audit_log() if e["action"] == "exhibit-number"]
    assert len(audit) == 2


def test_atlas_ingest_numbers_each_new_source_as_it_commits_it(tmp_path: Path) -> None:
    from atlas.ingest import IngestOptions, ingest
    from atlas.store import init_case

    root = tmp_path / "case"
    init_case(root, MANIFEST.format(charge_date="2026-12-01", orders=""))
    case = Case.open(root)
    src = tmp_path / "chat.txt"
    src.write_text("01/03/2026, 10:00 - Simon: hello\n01/03/2026, 10:05 - Vera: go away\n", encoding="utf-8")
    ingest(case, [src], IngestOptions(owner="victim"))
    with case.db() as con:
        rows = con.execute("SELECT key, number, kind FROM report_exhibits").fetchall()
    sha = case.sources().get_column("sha256").item()
    assert rows == [(f"source:{sha}", 1, "source")]


def test_one_plural_rule_for_every_output() -> None:
    from atlas.wording import plural

    assert [plural(1, "day"), plural(2, "day"), plural(0, "contact")] == ["1 day", "2 days", "0 contacts"]
    assert [plural(73, "match"), plural(1, "match"), plural(5, "breach"), plural(2, "possible breach")] == [
        "73 matches", "1 match", "5 breaches", "2 possible breaches"]
    assert plural(3, "person", "people") == "3 people"
