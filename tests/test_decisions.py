"""The decisions ledger: officer attribution, append-only rows, derived state, notes
required, candidates, exhibits, notes, bookmarks, and the CLI that records them."""

from __future__ import annotations

import getpass
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from atlas.decisions.candidates import candidates_from, decide_candidate, find_candidate
from atlas.decisions.exhibits import tag, tagged, untag
from atlas.decisions.ledger import read_decisions
from atlas.decisions.notes import add_note, bookmarks, notes, set_bookmark, withdraw_note
from atlas.errors import AtlasError
from atlas.identity import decide, read_links
from atlas.review import Review
from atlas.store import Case
from atlas.store.officer import parse_officer

ALIAS_LINKS = ("tel:+447700900002", "tel:+447700900013")  # the suspect's second number, same handset


@pytest.fixture(scope="module")
def generated(rejected_ex_case: Path) -> Path:
    return rejected_ex_case


@pytest.fixture
def case_dir(generated: Path, tmp_path: Path) -> Path:
    out = tmp_path / "case"
    shutil.copytree(generated, out)
    return out


def _link(case: Case, a: str, b: str) -> str:
    return next(lk.link_id for lk in read_links(case) if {lk.a, lk.b} == {a, b})


# --- the officer ----------------------------------------------------------------------

def test_the_officer_string_gives_rank_collar_number_and_name() -> None:
    o = parse_officer("DC 1234 A. Officer")
    assert (o.rank, o.collar_number, o.name, o.label) == ("DC", "1234", "A. Officer", "DC 1234 A. Officer")
    assert parse_officer("Jo Analyst", collar_number="77").collar_number == "77"
    assert parse_officer("Jo Analyst").collar_number is None


def test_decisions_and_the_audit_name_the_officer_never_the_login(case_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLAS_USER", "root")
    case = Case.open(case_dir)
    lid = _link(case, *ALIAS_LINKS)
    decide(case, lid, "confirmed", note="same handset in the CDR")
    d = read_decisions(case)[-1]
    assert (d.officer, d.officer_name, d.collar_number) == ("DC 0000 Jo Analyst", "Jo Analyst", "0000")
    actors = {e["actor"] for e in case.audit_log() if e["action"] == "identity.confirm"}
    assert actors == {"DC 0000 Jo Analyst"}
    other = Case.open(case_dir, officer="DS 5678 B. Reviewer")
    decide(other, lid, "rejected", note="second look: shared handset")
    last = read_decisions(case)[-1]
    assert (last.officer, last.collar_number) == ("DS 5678 B. Reviewer", "5678")
    assert case.audit_log()[-1]["actor"] == "DS 5678 B. Reviewer"
    decided = [e["actor"] for e in case.audit_log() if e["action"].startswith("identity.")]
    assert set(decided) <= {"DC 0000 Jo Analyst", "DS 5678 B. Reviewer"}  # never the login, never ATLAS_USER
    assert getpass.getuser() not in decided and "root" not in decided


def test_an_officer_without_a_collar_number_cannot_decide(case_dir: Path) -> None:
    case = Case.open(case_dir, officer="Jo Analyst")
    with pytest.raises(AtlasError, match="collar number"):
        decide(case, _link(case, *ALIAS_LINKS), "confirmed", note="x")


# --- the ledger -----------------------------------------------------------------------

def test_the_ledger_is_append_only_and_state_is_the_latest_decision(case_dir: Path) -> None:
    case = Case.open(case_dir)
    lid = _link(case, *ALIAS_LINKS)
    with pytest.raises(AtlasError, match="note is required"):
        decide(case, lid, "confirmed")
    with pytest.raises(AtlasError, match="note is required"):
        decide(case, lid, "rejected", note="   ")
    decide(case, lid, "confirmed", note="one")
    decide(case, lid, "rejected", note="two")
    decide(case, lid, "proposed")  # re-opening needs no note
    assert next(lk for lk in read_links(case) if lk.link_id == lid).status == "proposed"
    rows = [(d.key, d.state, d.note) for d in read_decisions(case, subjects=["link"])]
    assert rows == [(lid, "confirmed", "one"), (lid, "rejected", "two"), (lid, "proposed", "")]
    con = sqlite3.connect(case.store / "atlas.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE decisions SET state = 'confirmed'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM decisions")
    con.close()
    assert [e["action"] for e in case.audit_log()][-3:] == ["identity.confirm", "identity.reject", "identity.reopen"]


def test_confirming_a_link_changes_the_conduct_and_rejecting_it_restores_it(case_dir: Path) -> None:
    case = Case.open(case_dir)
    review = Review(case)
    before = review.headline()
    lid = _link(case, *ALIAS_LINKS)
    impact = review.impact(lid)
    assert impact.before == before and impact.after.incidents > before.incidents and impact.changed
    decide(case, lid, "confirmed", note="same handset")
    assert review.headline() == impact.after  # the review saw the new generation and recomputed
    decide(case, lid, "rejected", note="changed my mind")
    assert review.headline() == before


def test_reopening_what_no_decision_closed_records_nothing(case_dir: Path) -> None:
    """Re-opening an open link, candidate or possible breach changed nothing but wrote a ledger row (and an
    audit entry) that read as if it had been decided and undone (session 14's note). It is refused, says so,
    and the ledger and audit log are as they were; re-opening a decided one still records its row."""
    from atlas.decisions.breaches import decide_breach
    from atlas.decisions.ledger import NothingToRecord

    case = Case.open(case_dir)
    review = Review(case)
    lid = _link(case, *ALIAS_LINKS)
    cand = candidates_from(review.conduct(), case)[0]
    breach = review.conduct().breach_reviews[0]
    assert cand.state == "open" and breach.state == "open"
    before, audit = read_decisions(case), len(case.audit_log())
    with pytest.raises(NothingToRecord, match=f"link {lid} is already proposed .*nothing recorded"):
        decide(case, lid, "proposed")
    with pytest.raises(NothingToRecord, match=f"candidate {cand.id} is already open"):
        decide_candidate(case, cand, "open", note="")
    with pytest.raises(NothingToRecord, match=f"possible breach {breach.id} is already open"):
        decide_breach(case, breach, "open", note="")
    assert read_decisions(case) == before and len(case.audit_log()) == audit
    decide(case, lid, "confirmed", note="same handset")
    decide(case, lid, "proposed")  # undoing a decision is a decision: recorded
    assert [d.state for d in read_decisions(case, subjects=["link"])] == ["confirmed", "proposed"]


# --- candidates -----------------------------------------------------------------------

def test_a_confirmed_threat_counts_and_a_dismissed_one_never_does(case_dir: Path) -> None:
    case = Case.open(case_dir)
    review = Review(case)
    cands = [c for c in candidates_from(review.conduct(), review.case) if c.kind == "threat"]
    weak = next(c for c in cands if c.tier == "review")
    strong = next(c for c in cands if c.tier == "occasion")
    dates = {t.date.isoformat() for t in review.conduct().threat_occasions}
    assert strong.date in dates and weak.date not in dates
    with pytest.raises(AtlasError, match="note is required"):
        decide_candidate(case, weak, "confirmed", note="")
    decide_candidate(case, weak, "confirmed", note="read in context: a threat to come to her home")
    decide_candidate(case, strong, "dismissed", note="quoting a film, per victim's statement")
    result = review.conduct()
    occ = {t.date.isoformat(): t for t in result.threat_occasions}
    assert occ[weak.date].status == "confirmed"
    assert strong.date not in occ or strong.event_id not in occ[strong.date].event_ids
    assert result.s4a["confirmed_threat_occasions"] >= 1
    again = {c.key: c for c in candidates_from(result, case)}
    assert again[weak.key].state == "confirmed" and again[strong.key].state == "dismissed"
    assert again[weak.key].decided_by == "DC 0000 Jo Analyst"
    decide_candidate(case, again[strong.key], "open", note="")
    assert strong.date in {t.date.isoformat() for t in review.conduct().threat_occasions}
    assert find_candidate(list(again.values()), weak.id[:6]).key == weak.key
    assert find_candidate(list(again.values()), f"threat@{weak.event_ids[-1]}").key == weak.key


# --- exhibits, notes, bookmarks ----------------------------------------------------------

def test_a_tagged_event_is_numbered_with_the_prefix_and_keeps_its_number(case_dir: Path) -> None:
    case = Case.open(case_dir)
    event = case.events().head(1).collect().get_column("event_id")[0]
    ex = tag(case, event, note="the first message", description="SMS from the suspect")
    assert ex.reference.startswith("JA/") and ex.target == f"event:{event}"
    finding = tag(case, "finding:breach:2026-06-18", note="breach of the order")
    assert finding.number == ex.number + 1
    untag(case, event, note="not needed")
    assert [t.reference for t in tagged(case)] == [finding.reference]
    again = tag(case, event, note="needed after all")
    assert again.reference == ex.reference  # never renumbered, never reused
    with pytest.raises(AtlasError, match="no event"):
        tag(case, "nosuchsource/row 1", note="x")
    audit = [e["action"] for e in case.audit_log()]
    assert audit.count("exhibit.tag") == 3 and audit.count("exhibit.untag") == 1


def test_notes_and_bookmarks_are_kept_and_withdrawn_by_further_decisions(case_dir: Path) -> None:
    case = Case.open(case_dir)
    event = case.events().head(1).collect().get_column("event_id")[0]
    n1 = add_note(case, "case", "victim to be re-interviewed about the June calls")
    add_note(case, f"event:{event}", "first contact after the order")
    withdraw_note(case, n1.seq, reason="done")
    assert [n.about for n in notes(case)] == [f"event:{event}"]
    set_bookmark(case, event)
    assert bookmarks(case) == [event]
    set_bookmark(case, event, on=False)
    assert bookmarks(case) == []
    with pytest.raises(AtlasError):
        add_note(case, "case", "  ")


# --- the command line -------------------------------------------------------------------

def test_party_follows_confirmed_links_and_accepts_any_identifier(case_dir: Path, atlas: Callable[..., object]) -> None:
    def count(*args: object) -> int:
        r = atlas("timeline", case_dir, "--from", "2026-06-01", "--to", "2026-06-30", "--out", case_dir / "t.jsonl", *args)
        assert r.code == 0, r.err  # type: ignore[attr-defined]
        return len((case_dir / "t.jsonl").read_text().splitlines())

    before = count("--party", "suspect")
    alias = count("--party", "tel:+447700900013")
    assert alias > 0
    case = Case.open(case_dir)
    decide(case, _link(case, *ALIAS_LINKS), "confirmed", note="same handset")
    after = count("--party", "suspect")
    assert after >= before + alias
    assert count("--party", "Daniel Sample") == after  # the party's name
    assert count("--party", "07700 900013") == after  # an identifier of the party: the whole person
    r = atlas("conduct", case_dir, "--party", "tel:+447700900013", "--as-of", "2026-11-22", "--json")
    assert r.code == 0 and json.loads(r.out)["suspect"]["party"] == "suspect"  # type: ignore[attr-defined]
    r = atlas("graph", case_dir, "--party", "07700900013", "--json")
    pairs = json.loads(r.out)["pairs"]  # type: ignore[attr-defined]
    assert pairs and all("party:suspect" in (p["src"], p["dst"]) for p in pairs)
    r = atlas("contacts", case_dir, "--party", "nobody-at-all")
    assert r.code == 2 and "--party 'nobody-at-all'" in r.err  # type: ignore[attr-defined]


def test_the_threat_exhibit_and_note_commands_record_decisions(case_dir: Path, atlas: Callable[..., object]) -> None:
    r = atlas("threats", case_dir, "--json", "--kind", "threat")
    listed = json.loads(r.out)["candidates"]  # type: ignore[attr-defined]
    first = listed[0]
    assert first["record"] and first["event_id"].split("/")[0] not in first["record"]  # named by file/exhibit, not hex
    r = atlas("threats", case_dir, "--confirm", first["id"])
    assert r.code == 2 and "note is required" in r.err  # type: ignore[attr-defined]
    r = atlas("threats", case_dir, "--confirm", first["id"], "--note", "threat in context", "--officer", "DS 9 Rev")
    assert r.code == 0, r.err  # type: ignore[attr-defined]
    state = {c["id"]: c for c in json.loads(atlas("threats", case_dir, "--json").out)["candidates"]}  # type: ignore[attr-defined]
    assert (state[first["id"]]["state"], state[first["id"]]["decided_by"]) == ("confirmed", "DS 9 Rev")
    event = Case.open(case_dir).events().head(1).collect().get_column("event_id")[0]
    r = atlas("exhibit", "tag", case_dir, event, "--note", "first message", "--json")
    ref = json.loads(r.out)["reference"]  # type: ignore[attr-defined]
    listed_ex = json.loads(atlas("exhibit", "list", case_dir, "--json").out)["exhibits"]  # type: ignore[attr-defined]
    assert [e["reference"] for e in listed_ex] == [ref]
    assert atlas("exhibit", "untag", case_dir, event, "--note", "x").code == 0  # type: ignore[attr-defined]
    assert json.loads(atlas("exhibit", "list", case_dir, "--json").out)["exhibits"] == []  # type: ignore[attr-defined]
    assert atlas("note", case_dir, "call the victim", "--about", "case").code == 0  # type: ignore[attr-defined]
    assert [n["text"] for n in json.loads(atlas("note", case_dir, "--json").out)["notes"]] == ["call the victim"]  # type: ignore[attr-defined]
