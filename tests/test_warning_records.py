"""Warnings carry the records they name as data (atlas.messages), and every output renders them
by one function: a person reads exhibit references, never a store id, and nothing is found by
searching our own sentences for id shapes."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from atlas.exhibits import RecordRef, readable_warnings
from atlas.messages import Message, Named, joined, message

REFS = {"586ad4d5d21525fa": "JA/13", "legacy-source-7": "JA/3", "72d4e00237139920": "JA/16"}


def test_a_display_name_with_a_comma_or_a_bracket_is_named_whole_by_its_exhibit() -> None:
    """The regex took a display name to end at the first comma or bracket: ``name:<id>:Smith, J (work)``
    read "'Smith' in JA/16, J (work)", and a list of identifiers joined with ', ' could not be told apart."""
    m = message("2 identifiers contacted the victim (",
                *joined([Named("identifier", "name:72d4e00237139920:Smith, J (work)"),
                         Named("identifier", "tel:+447700900018")]), "): possible new identities")
    assert m.text == ("2 identifiers contacted the victim (name:72d4e00237139920:Smith, J (work), tel:+447700900018): "
                      "possible new identities")  # the stored sentence keeps the ids, for machines and the audit
    assert readable_warnings(REFS, [m]) == [
        "2 identifiers contacted the victim ('Smith, J (work)' in JA/16, tel:+447700900018): possible new identities"]


def test_a_record_is_put_by_its_exhibit_whatever_the_shape_of_its_source_id() -> None:
    """The regex knew a source id only as 16 lower-case hex characters: a record of a source with any
    other id was shown as its store id."""
    m = message("the record ", Named("event", "legacy-source-7/sms rowid 4"), " and the exhibit ",
                Named("source", "586ad4d5d21525fa"), " disagree")
    assert readable_warnings(REFS, [m]) == ["the record JA/3, sms rowid 4 and the exhibit JA/13 disagree"]
    assert [n.to_json(REFS)["exhibit"] for n in m.names] == ["JA/3, sms rowid 4", "JA/13"]


def test_a_record_of_no_numbered_exhibit_is_never_shown_by_its_id() -> None:
    m = message("in ", Named("source", "feedfacecafebeef"), ": ", Named("event", "feedfacecafebeef/row 2"))
    assert readable_warnings(REFS, [m]) == ["in an exhibit: an exhibit"]


def test_words_are_never_searched_for_ids() -> None:
    """Words that name no record as data (an officer's note quoted in the s2A verdict, a rules-file
    sentence) are shown as written, even where they hold something shaped like an id."""
    said = "officer's note: see name:586ad4d5d21525fa:Kim, and 72d4e00237139920/row 1 as written"
    assert readable_warnings(REFS, [said]) == [said]


def test_the_verdict_s_warnings_already_said_are_not_said_twice() -> None:
    plain = "the last day, Sunday 14/02/2027, is a Sunday"
    named = message("x ", Named("source", "586ad4d5d21525fa"))
    assert readable_warnings(REFS, [Message((plain,)), named], [plain, "more"], ["extra"]) == [
        plain, "x JA/13", "more", "extra"]


def test_a_record_reference_keeps_its_exhibit_apart_from_its_place() -> None:
    """The chronology's "also" exhibits were cut from ``JA/9, sms rowid 4`` at the first comma."""
    from reports.chronology import exhibit_numbers

    refs = [RecordRef("JA/9", "sms rowid 4"), RecordRef("JA/9", "sms rowid 5"), RecordRef("JA/10", None)]
    assert [str(r) for r in refs] == ["JA/9, sms rowid 4", "JA/9, sms rowid 5", "JA/10"]
    assert exhibit_numbers(refs) == ("JA/9", "JA/10")


def test_the_analysis_names_an_unattributed_display_name_by_its_exhibit_in_every_output(tmp_path: Path) -> None:
    """A display name with a comma that contacted the victim one-way after the conduct began: the
    analysis's warning names it as data; conduct.json keeps the stored sentence in ``warnings`` and
    adds ``warning_records`` (the sentence as a person reads it, and each named record with its
    exhibit); atlas conduct and the reports print the readable sentence."""
    from atlas.conduct import analyse

    root = tmp_path / "c"
    events = [msg("2026-05-01 20:00", SUSPECT, VICTIM), msg("2026-05-02 20:00", SUSPECT, VICTIM)]
    sid = hashlib.sha256(f"{VICTIM}:4:{root}".encode()).hexdigest()[:16]  # make_case's source id
    stranger = f"name:{sid}:Smith, J (work)"
    events += [msg("2026-05-10 21:00", stranger, VICTIM), msg("2026-05-11 21:00", stranger, VICTIM)]
    case = make_case(root, {VICTIM: events})
    result = analyse(case, as_of=date(2026, 6, 1))
    [warning] = [w for w in result.warnings if w.names]
    assert warning.names == (Named("identifier", stranger),)
    data = result.to_json()
    assert warning.text in data["warnings"]  # the key machines read is unchanged
    [record] = [r for r in data["warning_records"] if r["names"]]
    exhibit = result.source_exhibits[sid]
    assert record["names"] == [{"kind": "identifier", "id": stranger, "exhibit": exhibit,
                                "shown": f"'Smith, J (work)' in {exhibit}"}]
    assert f"attributed to nobody contacted the victim one-way after the conduct began ('Smith, J (work)' in {exhibit})" \
        in record["text"] and sid not in record["text"]
    shown = readable_warnings(result.source_exhibits, result.warnings, result.s2a.warnings)
    assert record["text"] in shown and not any(sid in w for w in shown)


def test_the_verdict_says_whether_a_warning_quotes_the_last_day_note() -> None:
    """The reviewer's note gave the rules file's last-day note on its own unless a warning quoted it,
    found by searching the warnings for the note's words: the verdict now says so as a field."""
    from atlas.conduct.time_limit import LastIncident, S2AVerdict, s2a_verdict
    from atlas.rules import load_rules

    def verdict(as_of: date) -> S2AVerdict:
        return s2a_verdict(load_rules(), last_incident=LastIncident(date(2026, 8, 31)), charge_date=None,
                           as_of=as_of, as_of_basis="test")

    sunday = verdict(date(2027, 1, 20))  # the last day, 28/02/2027, is a Sunday
    out_of_time = verdict(date(2027, 3, 1))  # the out-of-time warning says nothing of the weekend
    note = load_rules().time_limit_for("pha-s2a").last_day_note
    assert sunday.deadline_not_a_working_day and sunday.last_day_note_warned
    assert any(note in w for w in sunday.warnings)
    assert out_of_time.deadline_not_a_working_day and not out_of_time.last_day_note_warned
    assert not any(note in w for w in out_of_time.warnings)
    weekday = s2a_verdict(load_rules(), last_incident=LastIncident(date(2026, 8, 3)), charge_date=None,
                          as_of=date(2026, 9, 1), as_of_basis="test")
    assert weekday.deadline_not_a_working_day is None and not weekday.last_day_note_warned


def test_the_contact_graph_says_whether_it_counted_de_duplicated_contacts(tmp_path: Path) -> None:
    """The report reused the graph's clock offsets when its counting sentence began "de-duplicated":
    the graph now says so as a field, set where the counting is chosen."""
    from atlas.graph import build_graph

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-05-01 20:00", SUSPECT, VICTIM)],
                                      SUSPECT: [msg("2026-05-01 20:00", SUSPECT, VICTIM)]})
    deduped, events = build_graph(case), build_graph(case, dedupe=False)
    assert deduped.deduplicated and deduped.counting.startswith("de-duplicated contacts: ")
    assert not events.deduplicated and events.counting.startswith("events (")
    assert int(deduped.edges.get_column("contacts").sum()) == 1 < int(events.edges.get_column("contacts").sum())
