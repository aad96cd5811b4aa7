"""The conduct analysis on small hand-built cases: every rule checked on records chosen
to sit exactly on its edges."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from _conduct_cases import HOME, MOTHER, NEW_NUMBER, SUSPECT, VICTIM, call, cell, make_case, msg, pos

from atlas.conduct import ConductOptions, analyse
from atlas.conduct.geo import INSIDE, INSIDE_STRADDLES
from atlas.identity.ledger import ensure_schema, propose
from atlas.store import Case

ORDER = {"type": "restraining-order", "start": "2026-05-01T09:00:00Z", "reference": "RO-1"}
AS_OF = date(2026, 9, 1)


def north_of_home(metres: float) -> tuple[float, float]:
    return HOME[0] + metres / 111_320.0, HOME[1]


def test_a_draft_is_never_a_contact_an_incident_or_a_breach(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [
        msg("2026-05-06 20:00", SUSPECT, VICTIM, "draft I never sent", status="draft"),
        msg("2026-05-07 20:00", SUSPECT, VICTIM, "sent one", status="sent"),
        msg("2026-05-08 20:00", SUSPECT, VICTIM, "queued", status="queued"),
    ]}, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    assert [i["date"] for i in r["incidents"]] == ["2026-05-07"]
    assert [b["event_ids"] for b in r["breaches"]] == [r["incidents"][0]["event_ids"]]


def test_the_same_sms_in_two_handsets_is_one_contact_with_both_records(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {
        SUSPECT: [msg("2026-05-06 20:00:05", SUSPECT, VICTIM, "Answer me")],
        VICTIM: [msg("2026-05-06 20:00:41", SUSPECT, VICTIM, "Answer me")],
    }, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    assert r["course_of_conduct"]["conduct_contacts"] == 1
    assert len(r["incidents"]) == 1 and len(r["incidents"][0]["event_ids"]) == 2
    assert len(r["breaches"]) == 1 and len(r["breaches"][0]["event_ids"]) == 2 and r["breaches"][0]["sources"] == 2
    assert "same sender and recipients" in " ".join(r["assumptions"])


def test_contact_before_the_order_is_conduct_but_not_a_breach(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [
        msg("2026-05-01 08:59:59", SUSPECT, VICTIM), msg("2026-05-01 09:00:00", SUSPECT, VICTIM),
    ]}, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    assert len(r["incidents"]) == 1 and r["incidents"][0]["contacts"] == 2
    assert [b["ts"] for b in r["breaches"]] == ["2026-05-01T09:00:00+00:00"]
    assert r["breaches"][0]["identifier_status"] == "attributed"
    assert "Sentencing Act 2020 s363" in r["breaches"][0]["breach_rule"]
    assert r["incidents"][0]["breach"] is True


def test_contact_with_her_mother_during_the_order_is_listed_but_not_a_breach(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [msg("2026-05-06 20:00", SUSPECT, MOTHER, "tell her to answer")]},
                     orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    assert r["breaches"] == []
    assert r["orders"][0]["indirect_contacts"] == 1 and r["orders"][0]["indirect_contact_targets"] == ["mother"]
    assert [i["targets"] for i in r["incidents"]] == [["mother"]]   # still an incident of the course of conduct


def test_exclusion_zone_presence_is_honest_about_accuracy(tmp_path: Path) -> None:
    deep = north_of_home(50)       # 50 m from the centre, ±10 m: wholly inside the 200 m radius
    edge = north_of_home(190)      # 190 m, ±30 m: reported inside, circle straddles the boundary
    near = north_of_home(215)      # 215 m, ±30 m: reported outside, circle reaches inside
    far = north_of_home(600)       # outside
    case = make_case(tmp_path / "c", {SUSPECT: [
        pos("2026-05-09 20:00", *deep, 10.0), pos("2026-05-09 20:10", *deep, 10.0),
        pos("2026-05-16 20:00", *edge, 30.0),
        pos("2026-05-23 20:00", *near, 30.0),
        pos("2026-05-30 20:00", *far, 10.0),
        pos("2026-06-06 20:00", *deep, 500.0),   # too imprecise to use
    ]}, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    zone = [b for b in r["breaches"] if b["kind"] == "exclusion-zone"]
    assert [(b["date"], b["points"]) for b in zone] == [("2026-05-09", 2), ("2026-05-16", 1)]
    assert "wholly inside" in zone[0]["certainty"] and "straddle" in zone[1]["certainty"]
    assert [p["ts"][:10] for p in r["possible_breaches"]] == ["2026-05-23"]
    assert "possible presence only" in r["possible_breaches"][0]["certainty"]
    assert [i["date"] for i in r["incidents"]] == ["2026-05-09", "2026-05-16"]   # each breach is a further incident
    assert all(i["breach"] for i in r["incidents"])
    assert any("1 location point with stated accuracy worse than 250 m" in w for w in r["warnings"])
    colocs = r["colocations"]
    assert {c["kind"] for c in colocs} == {"protected-place"} and len(colocs) == 2
    assert colocs[0]["statuses"] == [INSIDE] and colocs[1]["statuses"] == [INSIDE_STRADDLES]


def test_cell_site_evidence_is_a_cell_serving_the_area_never_presence(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [cell("2026-05-09 20:00", *north_of_home(20))]}, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    assert r["breaches"] == [] and r["incidents"] == [] and r["colocations"] == []
    assert len(r["cell_site"]) == 1 and r["cell_site"][0]["place"] == "victim home"
    assert "not that it was at the place" in r["cell_site"][0]["note"]


def test_near_the_victim_at_her_changing_places_is_a_covert_pattern(tmp_path: Path) -> None:
    places = [(51.5230, -0.1010), (51.4950, -0.1450), (51.5300, -0.1200)]
    her, his = [], []
    for k, (lat, lon) in enumerate(places):
        day = f"2026-04-{10 + k:02d}"
        her.append(pos(f"{day} 18:00", lat, lon, 10.0))
        his.append(pos(f"{day} 18:08", lat + 0.0006, lon, 12.0))        # ~67 m away, 8 min later
    his.append(pos("2026-04-20 18:00", 51.60, -0.30, 10.0))             # elsewhere: not near her
    her.append(pos("2026-04-20 18:05", *places[0], 10.0))
    case = make_case(tmp_path / "c", {VICTIM: her, SUSPECT: his})
    r = analyse(case, as_of=AS_OF).to_json()
    near = [c for c in r["colocations"] if c["kind"] == "victim-location"]
    assert [c["date"] for c in near] == ["2026-04-10", "2026-04-11", "2026-04-12"]
    assert all(60 < c["min_distance_m"] < 75 and len(c["victim_event_ids"]) == 1 for c in near)
    assert r["covert_pattern"]["flagged"] is True and r["covert_pattern"]["distinct_locations"] == 3
    assert [i["date"] for i in r["incidents"]] == ["2026-04-10", "2026-04-11", "2026-04-12"]
    following = next(b for b in r["behaviours"] if b["id"] == "following")
    assert following["shown"] and following["count"] == 3 and "s2A(3)(a)" in following["citation"]


def test_a_contact_by_a_proposed_identifier_is_only_in_the_with_proposed_result(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [
        msg("2026-05-06 20:00", SUSPECT, VICTIM, "hi"), msg("2026-05-20 21:00", NEW_NUMBER, VICTIM, "new number, answer me"),
        msg("2026-05-21 21:00", NEW_NUMBER, VICTIM, "answer"),
    ]}, orders=[ORDER])
    with case.db() as con:
        ensure_schema(con)
        propose(case, con, "party:suspect", NEW_NUMBER, "temporal-succession", reason="test", support=[], score=0.8,
                origin="test")
    r = analyse(case, as_of=AS_OF, include_proposed=True).to_json()
    assert [b["ts"][:10] for b in r["breaches"]] == ["2026-05-06"]
    wp = r["with_proposed"]
    assert wp["included"] is True and wp["view"] == "with-proposed"
    assert [(b["ts"][:10], b["identifier_status"]) for b in wp["breaches"]] == [
        ("2026-05-06", "attributed"), ("2026-05-20", "proposed"), ("2026-05-21", "proposed")]
    assert wp["differences"]["extra_incident_dates"] == ["2026-05-20", "2026-05-21"]
    assert wp["differences"]["deadline"] == {"confirmed": "2026-11-06", "with_proposed": "2026-11-21"}
    lead = r["identity_changes"]["unattributed_to_victim"][0]
    assert lead["identifier"] == NEW_NUMBER and lead["like_the_suspect"] is True
    without = analyse(case, as_of=AS_OF).to_json()["with_proposed"]
    assert without["included"] is False and [p["uri"] for p in without["proposed_identifiers"]] == [NEW_NUMBER]


def test_occasions_are_local_days_or_sessions(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [
        msg("2026-07-01 22:50", SUSPECT, VICTIM),   # 23:50 BST on 1 July
        msg("2026-07-01 23:10", SUSPECT, VICTIM),   # 00:10 BST on 2 July
        msg("2026-07-02 10:00", SUSPECT, VICTIM),   # 11:00 BST on 2 July
    ]})
    by_day = analyse(case, as_of=AS_OF).to_json()
    assert [(i["date"], i["contacts"]) for i in by_day["incidents"]] == [("2026-07-01", 1), ("2026-07-02", 2)]
    by_session = analyse(case, as_of=AS_OF, options=ConductOptions(occasion="session", session_gap_hours=3)).to_json()
    assert [(i["date"], i["contacts"]) for i in by_session["incidents"]] == [("2026-07-01", 2), ("2026-07-02", 1)]
    assert by_session["s2a"]["last_incident"] == "2026-07-02"
    assert "quiet spell longer than 3 h" in by_session["course_of_conduct"]["occasion_rule"]


def test_long_gaps_are_listed_with_their_length(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [
        msg("2026-01-10 12:00", SUSPECT, VICTIM), msg("2026-02-07 12:00", SUSPECT, VICTIM),   # 28 days: not listed
        msg("2026-03-08 12:00", SUSPECT, VICTIM),                                             # 29 days: listed
    ]})
    r = analyse(case, as_of=AS_OF).to_json()
    assert [(g["from"], g["to"], g["days"]) for g in r["gaps"]] == [("2026-02-07", "2026-03-08", 29)]
    # 29 days from one incident day to the next: 28 days (08/02 to 07/03) with none (the note said "29 days without")
    assert r["gaps"][0]["note"].startswith("29 days from one incident to the next, with no incident on the 28 days between")
    gap = analyse(case, as_of=AS_OF).gaps[0]
    assert gap.quiet == (date(2026, 2, 8), date(2026, 3, 7), 28)
    r14 = analyse(case, as_of=AS_OF, options=ConductOptions(gap_days=14)).to_json()
    assert [g["days"] for g in r14["gaps"]] == [28, 29]


def test_night_bursts_unanswered_calls_and_threat_occasions(tmp_path: Path) -> None:
    events = [call(f"2026-02-07 23:{m:02d}", SUSPECT, VICTIM) for m in (0, 10, 20, 30, 40)]          # 23:00-23:40 GMT
    events += [call("2026-02-08 12:00", SUSPECT, VICTIM, status="answered", duration_s=30)]
    events += [msg("2026-02-09 12:00", SUSPECT, VICTIM, "I'm going to kill you"),
               msg("2026-02-09 13:00", SUSPECT, VICTIM, "I know where you live"),
               msg("2026-02-10 12:00", SUSPECT, VICTIM, "This traffic is killing me")]
    case = make_case(tmp_path / "c", {VICTIM: events})
    r = analyse(case, as_of=AS_OF).to_json()
    prof = r["contact_profile"]
    assert prof["night"]["contacts"] == 5
    assert (prof["calls"]["total"], prof["calls"]["unanswered"], prof["calls"]["answered"]) == (6, 5, 1)
    assert len(r["bursts"]) == 1 and r["bursts"][0]["contacts"] == 5 and r["bursts"][0]["night"] is True
    assert [(t["date"], sorted(t["matched"])) for t in r["threat_occasions"]] == [
        ("2026-02-09", ["I know where you live", "I'm going to kill you"])]   # two threats, one occasion
    assert r["s4a"]["threat_occasions"] == 1 and r["s4a"]["threat_indicator_met"] is False
    assert r["threat_occasions"][0]["status"] == "candidate" and r["s4a"]["confirmed_threat_occasions"] == 0
    assert all("not proof" in r["s4a"]["label"] for _ in [0])


def test_two_way_weeks_are_not_counted_but_threats_always_are(tmp_path: Path) -> None:
    events = []
    for d in range(2, 7):   # a mutual week (2-6 March 2026)
        events += [msg(f"2026-03-0{d} 12:00", SUSPECT, VICTIM, "see you later?"), msg(f"2026-03-0{d} 12:05", VICTIM, SUSPECT, "yes!")]
    events += [msg("2026-03-04 20:00", SUSPECT, VICTIM, "I'll hurt you")]
    events += [msg("2026-03-10 12:00", VICTIM, SUSPECT, "Please stop contacting me. It's over.")]
    events += [msg(f"2026-03-{d} 12:00", SUSPECT, VICTIM, "Answer me") for d in (11, 12, 13)]
    case = make_case(tmp_path / "c", {VICTIM: events})
    r = analyse(case, as_of=AS_OF).to_json()
    assert [i["date"] for i in r["incidents"]] == ["2026-03-04", "2026-03-11", "2026-03-12", "2026-03-13"]
    assert r["mutual_periods"]["weeks"][0]["week_start"] == "2026-03-02"
    # 6 contacts from him in the week, the threat among them: 5 are not counted, and every count of them says 5
    # (mutual_periods said 6, and the warning "6 contacts from the suspect in them are not counted")
    assert r["mutual_periods"]["weeks"][0]["from_suspect"] == 6
    assert r["mutual_periods"]["contacts_not_counted"] == 5 and r["course_of_conduct"]["mutual_contacts_not_counted"] == 5
    assert any(w.startswith("1 two-way week: 5 contacts from the suspect in it are not counted as incidents")
               for w in r["warnings"]), r["warnings"]
    # a person reads this warning in the HTML and the reviewer's note: it says where the weeks are listed,
    # not a bare JSON key ("see mutual_periods")
    assert any(w.endswith("`atlas conduct --json` lists each week (mutual_periods)") for w in r["warnings"]), r["warnings"]
    assert [s["date"] for s in r["requests_to_stop"]] == ["2026-03-10"]
    counted = analyse(case, as_of=AS_OF, options=ConductOptions(count_mutual=True)).to_json()
    assert len(counted["incidents"]) == 8


def test_as_of_left_out_means_today_and_says_so(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-03-10 12:00", SUSPECT, VICTIM)]})
    r = analyse(case, as_of=None).to_json()
    assert "today's date on this computer" in r["as_of_basis"]
    assert any("today's date" in a for a in r["assumptions"])
    fixed = analyse(case, as_of=date(2026, 9, 1)).to_json()
    assert fixed["s2a"]["days_left"] == 9 and fixed["as_of"] == "2026-09-01"


def test_the_result_is_deterministic(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-03-10 12:00", SUSPECT, VICTIM), call("2026-03-11 12:00", SUSPECT, VICTIM)]})
    assert analyse(case, as_of=AS_OF).to_json() == analyse(Case.open(case.root), as_of=AS_OF).to_json()


def test_several_suspects_need_a_choice(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-03-10 12:00", SUSPECT, VICTIM)]})
    with pytest.raises(Exception, match="no party 'nobody'"):
        analyse(case, as_of=AS_OF, options=ConductOptions(suspect="nobody"))
