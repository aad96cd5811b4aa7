"""The planning rule (request-by dates, arrival, in time or flagged), the planning figures file,
providers from the number range, and the s4A route wording: pure functions, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from atlas.rules import DEFAULT_RULES, load_rules, parse_rules
from atlas.triage.assess import s4a_route, timing_of
from atlas.triage.kinds import CASE_OVERRIDE, DEFAULT_KINDS, KindsError, load_kinds
from atlas.triage.planning import Plan, Progress, RequestState, Timing, plan, ready_by, request_by
from atlas.triage.providers import range_holder

# 14 days' turnaround; 5,000 records at 550,000/s read and 35,000/s analysed (0.15 s); 5 days'
# review and 7 days' charging: 12.000002 days after receipt, rounded up to 13; lead time 27 days.
CDR = Timing(turnaround_days=14, records_expected=5_000, ingest_rate=550_000, analysis_rate=35_000,
             review_days=5, charge_days=7)
LAST = date(2027, 2, 26)  # the time-limit scenario: deadline Sunday 28/02/2027, last working day Friday 26/02


def test_the_timing_adds_turnaround_processing_review_and_charging() -> None:
    assert CDR.processing_seconds == pytest.approx(5_000 / 550_000 + 5_000 / 35_000)
    assert (CDR.after_receipt_days, CDR.lead_days) == (13, 27)
    assert replace(CDR, records_expected=0).after_receipt_days == 12  # no records: the allowances alone
    # a day's worth of Atlas processing (3,024,000,000 records at 35,000/s) is a day more
    big = replace(CDR, records_expected=35_000 * 86_400, ingest_rate=float("inf"))
    assert big.after_receipt_days == 13 and replace(big, records_expected=35_000 * 86_400 + 35_000).after_receipt_days == 14
    assert request_by(LAST, CDR) == date(2027, 1, 30) and ready_by(date(2027, 2, 13), CDR) == LAST


@pytest.mark.parametrize(("as_of", "state", "expected"), [
    # not requested: assumed requested on the as-of date
    (date(2027, 1, 10), RequestState(),
     Plan(Progress.NOT_REQUESTED, date(2027, 1, 30), date(2027, 1, 24), "if requested on the as-of date",
          date(2027, 2, 6), True, 20)),
    (date(2027, 1, 30), RequestState(),  # on the request-by date: just in time
     Plan(Progress.NOT_REQUESTED, date(2027, 1, 30), date(2027, 2, 13), "if requested on the as-of date", LAST, True, 0)),
    (date(2027, 1, 31), RequestState(),  # a day late: flagged
     Plan(Progress.NOT_REQUESTED, date(2027, 1, 30), date(2027, 2, 14), "if requested on the as-of date",
          date(2027, 2, 27), False, -1)),
    (None, RequestState(),  # no as-of date: the request-by date only
     Plan(Progress.NOT_REQUESTED, date(2027, 1, 30), None, "not requested (no as-of date)", None, None, None)),
    # requested: the expected date if logged, else requested + turnaround
    (date(2027, 1, 10), RequestState(requested=date(2027, 1, 5), expected=date(2027, 1, 12)),
     Plan(Progress.REQUESTED, date(2027, 1, 30), date(2027, 1, 12), "expected date in the request log",
          date(2027, 1, 25), True, 32)),
    (date(2027, 1, 10), RequestState(requested=date(2027, 1, 5)),
     Plan(Progress.REQUESTED, date(2027, 1, 30), date(2027, 1, 19), "requested date + turnaround",
          date(2027, 2, 1), True, 25)),
    (date(2027, 1, 10), RequestState(requested=date(2027, 1, 5), expected=date(2027, 2, 20)),  # expected too late
     Plan(Progress.REQUESTED, date(2027, 1, 30), date(2027, 2, 20), "expected date in the request log",
          date(2027, 3, 5), False, -7)),
    # overdue: the expected date has passed, so it arrives no earlier than the as-of date
    (date(2027, 2, 1), RequestState(requested=date(2027, 1, 5), expected=date(2027, 1, 20)),
     Plan(Progress.OVERDUE, date(2027, 1, 30), date(2027, 2, 1),
          "overdue by 12 days: assumed to arrive no earlier than the as-of date", date(2027, 2, 14), True, 12, 12)),
    (date(2027, 2, 20), RequestState(requested=date(2027, 1, 5), expected=date(2027, 1, 20)),
     Plan(Progress.OVERDUE, date(2027, 1, 30), date(2027, 2, 20),
          "overdue by 31 days: assumed to arrive no earlier than the as-of date", date(2027, 3, 5), False, -7, 31)),
    # received: measured from the day it came
    (date(2027, 2, 20), RequestState(requested=date(2026, 9, 10), received=date(2026, 9, 20)),
     Plan(Progress.RECEIVED, date(2027, 1, 30), date(2026, 9, 20), "received", date(2026, 10, 3), True, 146)),
    (date(2027, 2, 20), RequestState(received=date(2027, 2, 20)),  # received, but too late to analyse and charge
     Plan(Progress.RECEIVED, date(2027, 1, 30), date(2027, 2, 20), "received", date(2027, 3, 5), False, -7)),
])
def test_the_plan_of_one_item(as_of: date | None, state: RequestState, expected: Plan) -> None:
    got = plan(LAST, as_of, CDR, state)
    assert got == expected
    assert got.flagged is (expected.in_time is False)


def test_no_deadline_means_no_request_by_date_and_no_flag() -> None:
    got = plan(None, date(2027, 1, 10), CDR)
    assert (got.request_by, got.in_time, got.flagged, got.ready_by) == (None, None, False, date(2027, 2, 6))


@pytest.mark.parametrize("as_of", [date(2026, 12, 1) + timedelta(days=n) for n in range(0, 120, 7)])
def test_requesting_on_the_request_by_date_is_exactly_in_time(as_of: date) -> None:
    """The two forms agree: a request made on its request-by date is ready on the last day."""
    for timing in (CDR, replace(CDR, turnaround_days=90, records_expected=250_000, ingest_rate=50_000)):
        last = as_of + timedelta(days=timing.lead_days)
        assert request_by(last, timing) == as_of
        assert plan(last, as_of, timing).spare_days == 0
        assert plan(last, as_of + timedelta(days=1), timing).flagged


def test_the_packaged_figures_have_a_source_each_and_a_case_can_override_them(tmp_path: Path) -> None:
    kinds = load_kinds()
    assert kinds.path == DEFAULT_KINDS and kinds.override is None
    for k in kinds.kinds:
        for figure in (k.turnaround, k.records_expected, k.records_per_second):
            assert figure.source.strip(), k.id
    assert kinds.review.source and kinds.charge.source and "make bench" in kinds.analysis_rate.source
    (tmp_path / CASE_OVERRIDE).write_text(
        '[allowances]\ncharge_days = 10\ncharge_source = "CPS area agreement"\n\n'
        '[[kind]]\nid = "handset-suspect"\nturnaround_days = 120\nturnaround_source = "DFU backlog, 01/12/2026"\n',
        encoding="utf-8")
    mine = load_kinds(tmp_path)
    assert mine.override == tmp_path / CASE_OVERRIDE and mine.charge.value == 10
    assert mine.kind("handset-suspect").turnaround.value == 120
    assert mine.kind("handset-suspect").turnaround.source == "DFU backlog, 01/12/2026"
    assert mine.kind("cdr") == kinds.kind("cdr")  # untouched kinds as packaged
    assert set(mine.overridden) == {"allowances.charge_days", "allowances.charge_source",
                                    "handset-suspect.turnaround_days", "handset-suspect.turnaround_source"}
    assert timing_of(mine.kind("handset-suspect"), mine).lead_days == 120 + 5 + 10 + 1


@pytest.mark.parametrize(("text", "message"), [
    ('[[kind]]\nid = "cdr"\nturnaround_days = 20\nturnaround_source = ""\n', "cdr.*turnaround_days: a figure needs its source"),
    ('[[kind]]\nid = "cdr"\nturnarround_days = 20\n', "turnarround_days: unknown key"),
    ('[[kind]]\nid = "cdr"\nturnaround_days = -3\n', "turnaround_days: must not be negative"),
    ('[allowances]\nreview_days = "five"\n', "review_days: expected"),
    ('[limits]\nx = 1\n', "limits: unknown table"),
    ('[[kind]]\nid = "new"\ntitle = "A new kind"\nprovider = "p"\nschemes = ["tel"]\nparsers = []\n', "needs why_suspect or why_victim"),
])
def test_a_bad_override_is_an_error_naming_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / CASE_OVERRIDE).write_text(text, encoding="utf-8")
    with pytest.raises(KindsError, match=message) as err:
        load_kinds(tmp_path)
    assert str(tmp_path / CASE_OVERRIDE) in str(err.value)


@pytest.mark.parametrize(("kind", "role", "uri", "applies"), [
    ("cdr", "suspect", "tel:+447700900002", True),
    ("cdr", "suspect", "instagram:dan", False),
    ("meta-return", "suspect", "instagram:dan", True),
    ("meta-return", "victim", "instagram:alice", False),  # her own account: the download with her agreement instead
    ("account-download-victim", "victim", "instagram:alice", True),
    ("google-return", "suspect", "email:dan@gmail.com", True),
    ("google-return", "suspect", "email:dan@example.org", False),  # not a Google domain
    ("handset-suspect", "victim", "tel:+447700900001", False),
    ("handset-victim", "victim", "tel:+447700900001", True),
])
def test_which_kinds_apply_to_which_identifiers(kind: str, role: str, uri: str, applies: bool) -> None:
    assert load_kinds().kind(kind).applies_to(role, uri) is applies


@pytest.mark.parametrize(("uri", "name", "basis"), [
    ("tel:+447958123456", "EE", "original range holder of +447958123456 (phonenumbers' offline carrier data); the "
                                "number may have been ported since: a subscriber check confirms the provider"),
    ("tel:+447912345678", "O2", "original range holder"),
    ("tel:+447700900002", "", "not allocated to any network (such as Ofcom's drama numbers): a subscriber check"),
    ("tel:+442079460001", "", "no mobile network recorded (a landline or a non-geographic number)"),
    ("tel:07700900002", "", "not an international number"),
])
def test_the_provider_of_a_number_from_its_range(uri: str, name: str, basis: str) -> None:
    got = range_holder(uri)
    assert got.name == name and basis in got.basis


def test_the_s4a_route_is_worded_from_the_rules_file() -> None:
    rules = load_rules()
    route = s4a_route(rules)
    s4a = rules.offence("pha-s4a")
    assert route.startswith(f"{s4a.section} ({s4a.title.lower()}) is {rules.mode(s4a.mode_of_trial).plain} and has "
                            f"{rules.time_limit(s4a.time_limit).plain}")
    edited = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        'plain = "no time limit for laying an information"', 'plain = "NO LIMIT AT ALL"')
    assert "has NO LIMIT AT ALL" in s4a_route(parse_rules(edited, DEFAULT_RULES))


def test_every_parser_named_in_the_kinds_exists_and_every_handset_or_location_parser_is_named() -> None:
    """A source is linked to a request by its parser: a misspelt or missing parser would leave a
    received download or return looking outstanding."""
    import parsers

    by_category: dict[str, set[str]] = {}
    for p in parsers.all_parsers():
        by_category.setdefault(p.INFO.category.value, set()).add(p.INFO.name)
    known = set().union(*by_category.values())
    kinds = load_kinds()
    for k in kinds.kinds:
        assert set(k.parsers) <= known, (k.id, set(k.parsers) - known)
    handset = by_category.get("handset-download", set()) | by_category.get("chat-export", set()) | by_category.get(
        "tool-export", set())
    for kind in ("handset-victim", "handset-suspect"):
        assert handset <= set(kinds.kind(kind).parsers), (kind, handset - set(kinds.kind(kind).parsers))
    assert by_category["location-history"] <= set(kinds.kind("location-history").parsers)
    assert {"cdr"} == set(kinds.kind("cdr").parsers) and {"subscriber"} == set(kinds.kind("subscriber").parsers)


def test_the_link_rule_matches_a_source_by_its_parser_and_what_it_is_about() -> None:
    """A request is answered by a source its kind's parsers read that is about its identifier:
    the owner, or for a source with no owner (a subscriber return) its evidence's identifiers."""
    import polars as pl

    from atlas.triage.requests import SourceIndex

    sources = pl.DataFrame({
        "source_id": ["s-cdr", "s-cdr-other", "s-sub", "s-phone", "s-phone2"],
        "parser": ["cdr", "cdr", "subscriber", "cellebrite-xml", "android-mmssms"],
        "name": ["a.csv", "b.csv", "sub.csv", "x.ufdr", "mmssms.db"],
        "owner": ["tel:+447700900002", "tel:+447700900009", None, "tel:+447700900002", "tel:+447700900001"],
    })
    evidence = pl.DataFrame({"source_id": ["s-sub", "s-sub", "s-phone"],
                             "identifier": ["tel:+447700900002", "tel:+447700900002", "tel:+447700900077"]})
    index = SourceIndex.of(sources, evidence, {"s-cdr": "JA/10", "s-sub": "JA/2", "s-phone": "JA/7", "s-phone2": "JA/9"},
                           {"s-cdr": date(2026, 9, 20), "s-sub": date(2026, 9, 12)})
    kinds = load_kinds()
    found = {(k, u): [s.exhibit for s in index.answering(kinds.kind(k), u)] for k, u in [
        ("cdr", "tel:+447700900002"), ("subscriber", "tel:+447700900002"), ("handset-suspect", "tel:+447700900002"),
        ("cdr", "tel:+447700900001"), ("handset-victim", "tel:+447700900001"),
        ("handset-suspect", "tel:+447700900077"), ("subscriber", "tel:+447700900009")]}
    assert found == {
        ("cdr", "tel:+447700900002"): ["JA/10"],  # the other number's CDR is not his
        ("subscriber", "tel:+447700900002"): ["JA/2"],  # no owner: the number its records are about
        ("handset-suspect", "tel:+447700900002"): ["JA/7"],
        ("cdr", "tel:+447700900001"): [],  # her handset is not a CDR
        ("handset-victim", "tel:+447700900001"): ["JA/9"],
        ("handset-suspect", "tel:+447700900077"): [],  # an owned source is about its owner only
        ("subscriber", "tel:+447700900009"): [],
    }
    assert index.answering(kinds.kind("cdr"), "tel:+447700900002")[0].ingested == date(2026, 9, 20)
