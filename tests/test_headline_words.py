"""The workbench says what each number counts, in the reports' words, and names people as they do.

The headline read "contacts 0" on a two-way case beside 705 contacts on every other screen: the number
was the contacts the incidents count, not every contact. The incidents table's "to" showed the
analysis's keys ("victim", "authority:tel-short:101") where the reports show names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import MOTHER, SUSPECT, VICTIM, call, make_case, msg

from atlas.conduct.parties import authority_name, target_names
from atlas.review import Headline, Review
from atlas.tui.base import headline_text
from atlas.tui.views import incidents_frame


def _headline(**kw: object) -> Headline:
    base: dict[str, object] = dict(incidents=0, contacts=0, threat_occasions=0, confirmed_threat_occasions=0, breaches=0,
                                   last_incident=None, deadline=None, in_time=None, verdict="no incident")
    return Headline(**(base | kw))  # type: ignore[arg-type]


def test_the_headline_says_what_each_number_counts() -> None:
    text = headline_text(_headline())
    assert "incidents (occasions) 0 · contacts counted in incidents 0 · " in text, text
    assert "breaches of orders 0" in text and "· contacts 0 ·" not in text
    police = headline_text(_headline(incidents=3, contacts=91, police_calls=2))
    assert "contacts counted in incidents 91 (and 2 to police)" in police, police
    assert dict(_headline(contacts=5).rows())["contacts counted in incidents"] == "5"


def test_the_headline_never_counts_candidates_as_threat_occasions() -> None:
    """Seed 26535 (third-parties): the workbench headline read "threat occasions 2 (0 confirmed)" beside
    the report's "0 confirmed by an officer; 2 more awaiting a decision": two messages awaiting a
    decision read as two threat occasions, what s4A needs, found."""
    open_only = _headline(threat_occasions=2, confirmed_threat_occasions=0)
    text = headline_text(open_only)
    assert "threat occasions 0 confirmed by an officer, 2 more awaiting a decision · " in text, text
    assert "threat occasions 2" not in text
    assert dict(open_only.rows())["threat occasions"] == "0 confirmed by an officer, 2 more awaiting a decision"
    assert _headline(threat_occasions=3, confirmed_threat_occasions=3).threats == "3 confirmed by an officer"
    assert _headline().threats == "0 confirmed by an officer"


def test_targets_are_named_as_the_reports_name_them() -> None:
    names = {"victim": "Vera Victim", "mother": "Mary Victim"}
    assert target_names(["victim", "authority:tel-short:101", "mother", "nobody"], names) == (
        "Vera Victim", "police non-emergency 101", "Mary Victim", "nobody")
    assert authority_name("authority:tel-short:999") == "emergency 999"
    assert authority_name("authority:tel:+441234567890") == "police number +441234567890"


def test_the_workbench_incidents_table_names_each_target(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM), msg("2026-02-03 12:00", SUSPECT, VICTIM)],
                                      MOTHER: [msg("2026-02-01 13:00", SUSPECT, MOTHER)],
                                      SUSPECT: [call("2026-02-05 12:00", SUSPECT, "tel-short:101", status="answered",
                                                     duration_s=60)]})
    frame = incidents_frame(Review(case, as_of=date(2026, 12, 1)))
    assert frame.get_column("to").to_list() == ["Mary Victim, Vera Victim", "Vera Victim", "police non-emergency 101"]



def test_the_verdict_row_says_its_label_once() -> None:
    """Seed 61616 (s15-workbench): the decision prompt's impact listing read "in time on the planned date (in
    time on the planned date 10/12/2026, 32 days before the deadline ...)": the label, then the whole
    headline, which says the label itself. The row is the headline, the label said once."""
    from atlas.conduct.time_limit import LastIncident, s2a_verdict
    from atlas.review import verdict_label
    from atlas.rules import load_rules

    last = LastIncident(date(2026, 8, 31))
    cases = [  # (charge date, as-of): in time, in time on the planned date, planned date passed, after the
        (None, date(2026, 12, 1)), (date(2027, 1, 10), date(2026, 12, 1)),  # deadline, expired, not assessed
        (date(2026, 11, 1), date(2026, 12, 1)), (date(2027, 6, 1), date(2026, 12, 1)), (None, date(2027, 6, 1)),
        (None, None)]
    states = set()
    for charge, as_of in cases:
        v = s2a_verdict(load_rules(), last_incident=last, charge_date=charge, as_of=as_of, as_of_basis="test")
        states.add(v.state)
        bad = v.severity == "bad"
        row = dict(_headline(verdict=verdict_label(v), verdict_basis=v.headline, verdict_bad=bad).rows())["s2A verdict"]
        assert row.lower() == v.headline.lower() and f"({v.label}" not in row.lower(), row
        assert (row != v.headline) == bad, row  # a bad verdict's first clause in capitals: "EXPIRED ON 04/09/2027: the"
        if v.label == "in time on the planned date":
            assert row.count("in time on the planned date") == 1, row
    none = s2a_verdict(load_rules(), last_incident=None, charge_date=None, as_of=date(2026, 12, 1), as_of_basis="t")
    assert dict(_headline(verdict=none.label, verdict_basis=none.headline).rows())["s2A verdict"] == none.headline
    assert len(states) == 6, states


def test_the_incidents_tables_name_channels_as_people_do(tmp_path: Path, atlas, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """rejected-ex 63511: the workbench's incidents view and `atlas conduct`'s table read "sms, voice" and
    "mms/sms" (the store's keys), where the reports say "SMS, Phone call" (atlas.wording.channel_name)."""
    monkeypatch.setenv("COLUMNS", "250")
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM),
                                               msg("2026-02-01 12:30", SUSPECT, VICTIM, channel="whatsapp"),
                                               call("2026-02-01 13:00", SUSPECT, VICTIM),
                                               msg("2026-02-03 12:00", SUSPECT, VICTIM)]})
    frame = incidents_frame(Review(case, as_of=date(2026, 12, 1)))
    assert frame.get_column("channels").to_list() == ["SMS, Phone call, WhatsApp", "SMS"]
    run = atlas("conduct", case.root, "--as-of", "2026-12-01")
    assert run.code == 0, run.err
    flat = " ".join(run.out.split())
    assert "│ SMS, Phone call, WhatsApp │" in flat, flat
    assert "Phone call suspect → targets: 1" in flat and "SMS message suspect → targets: 2" in flat
    assert not [k for k in ("sms", "voice", "whatsapp") if f"│ {k}" in flat or f"; {k} " in flat or f"{k}," in flat], flat


def test_the_conversations_name_channels_as_people_do(tmp_path: Path) -> None:
    """rejected-ex 63511: the workbench's conversations read "sms, voice, whatsapp", the store's keys. The
    timeline's one-contact column names the channel too (session 18; the table cuts it at views.CHANNEL_WIDTH);
    the filter takes the keys."""
    from atlas.tui.views import channel_options, contacts_view, conversations, filter_contacts, party_names

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM),
                                               msg("2026-02-01 12:30", SUSPECT, VICTIM, channel="whatsapp"),
                                               call("2026-02-01 13:00", SUSPECT, VICTIM)]})
    review = Review(case, as_of=date(2026, 12, 1))
    view = contacts_view(review)
    assert filter_contacts(view, channel="voice").get_column("kind").to_list() == ["call"]
    assert view.get_column("channel").to_list() == ["SMS", "WhatsApp", "Phone call"]
    assert channel_options(view) == [("SMS", "sms"), ("Phone call", "voice"), ("WhatsApp", "whatsapp")]
    assert conversations(view, party_names(review)).get_column("channels").to_list() == ["SMS, Phone call, WhatsApp"]
