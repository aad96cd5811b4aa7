"""Recomputation after a decision: the parts a decision cannot change are kept
(:mod:`atlas.conduct.memo`) and the result is the plain analysis's, decision after decision;
the per-contact identifiers are grouped only where a contact has several records
(:func:`atlas.conduct.selection.identifiers_by_contact`), equal to the plain rule."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from atlas.conduct import ConductOptions, analyse
from atlas.conduct.memo import Memo, data_key
from atlas.conduct.parties import build_cast
from atlas.conduct.selection import identifiers_by_contact, identifiers_by_contact_plain
from atlas.contacts import dedupe_contacts, network_sources
from atlas.decisions.candidates import candidates_from, decide_candidate
from atlas.decisions.notes import add_note
from atlas.identity import decide, read_links
from atlas.review import Review
from atlas.store import Case

AS_OF = date(2026, 12, 1)
ALIAS = ("tel:+447700900002", "tel:+447700900013")  # the suspect's second number, same handset


@pytest.fixture(scope="module")
def generated(rejected_ex_case: Path) -> Path:
    return rejected_ex_case


@pytest.fixture
def case_dir(generated: Path, tmp_path: Path) -> Path:
    out = tmp_path / "case"
    shutil.copytree(generated, out)
    return out


def _plain(case_dir: Path) -> str:
    """The analysis as the CLI makes it: a fresh case, no memo."""
    return json.dumps(analyse(Case.open(case_dir), as_of=AS_OF, include_proposed=True).to_json(), sort_keys=True)


def test_kept_parts_give_the_plain_result_decision_after_decision(case_dir: Path) -> None:
    case = Case.open(case_dir)
    memo = Memo()

    def kept() -> str:
        return json.dumps(analyse(case, as_of=AS_OF, include_proposed=True, memo=memo).to_json(), sort_keys=True)

    assert kept() == _plain(case_dir) and memo.misses > 0  # (the two views share the case's calls and messages as read)
    # a note and a threat decision: the contacts are kept, the result is still the plain one
    add_note(case, "case", "a note changes no finding")
    misses = memo.misses
    assert kept() == _plain(case_dir) and memo.misses == misses and memo.hits > 0
    threat = next(c for c in candidates_from(analyse(case, as_of=AS_OF), case) if c.kind == "threat")
    decide_candidate(case, threat, "confirmed", note="read in context")
    assert kept() == _plain(case_dir) and memo.misses == misses
    # a link decision changes the identity view: its parts are computed again
    lid = next(lk.link_id for lk in read_links(case) if {lk.a, lk.b} == set(ALIAS))
    decide(case, lid, "confirmed", note="same handset")
    assert kept() == _plain(case_dir) and memo.misses > misses
    decide(case, lid, "rejected", note="changed my mind")
    assert kept() == _plain(case_dir)


def test_new_data_is_never_answered_from_the_memo(case_dir: Path) -> None:
    case = Case.open(case_dir)
    before = data_key(case)
    add_note(case, "case", "decisions do not change the data's key")
    assert data_key(case) == before
    sources = case.sources()
    sources.write_parquet(case.store / "sources.parquet")  # the file a commit replaces
    assert data_key(case) != before


def test_the_review_reuses_an_impact_preview_for_the_decision_it_previewed(case_dir: Path) -> None:
    case = Case.open(case_dir)
    review = Review(case, as_of=AS_OF)
    review.headline()
    lid = next(lk.link_id for lk in read_links(case) if {lk.a, lk.b} == set(ALIAS))
    impact = review.impact(lid)
    misses = review.memo().misses
    decide(case, lid, "confirmed", note="same handset")
    assert review.headline() == impact.after
    assert review.memo().misses == misses  # the identity view the preview computed is the one decided
    plain = analyse(Case.open(case_dir), as_of=AS_OF)
    assert json.dumps(review.conduct().to_json(), sort_keys=True) == json.dumps(plain.to_json(), sort_keys=True)


@pytest.mark.parametrize("include_proposed", [False, True])
def test_identifiers_by_contact_equal_the_plain_rule(case_dir: Path, include_proposed: bool) -> None:
    case = Case.open(case_dir)
    options = ConductOptions()
    cast = build_cast(case, suspect=None, targets=(), authority_identifiers=tuple(options.authority_identifiers),
                      include_proposed=include_proposed)
    events = case.events().collect()
    contacts = dedupe_contacts(events, tolerance_s=options.dedupe_tolerance_s, same_person=cast.owner_map,
                               source_owners=cast.source_owner_uri, reference_sources=network_sources(case))
    # contacts of one record and of several, a record missing from the events, a sender unknown
    assert (contacts.get_column("event_ids").list.len() > 1).any() and (contacts.get_column("event_ids").list.len() == 1).any()
    odd = pl.DataFrame({"contact_id": ["contact/x", "contact/y"], "event_ids": [["missing/1"], ["missing/2", "missing/3"]]})
    contacts = pl.concat([contacts.select("contact_id", "event_ids"), odd])
    events = events.with_columns(pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("sender"))
                                 .alias("sender"))
    fast = identifiers_by_contact(contacts, events, cast).sort("contact_id")
    plain = identifiers_by_contact_plain(contacts, events, cast).sort("contact_id")
    assert fast.schema == plain.schema
    assert fast.equals(plain)
