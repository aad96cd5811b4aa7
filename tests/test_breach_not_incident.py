"""A breach that is not an incident: an order type whose breach the rules file does not count as an
incident of the course of conduct (``breach_is_incident = false``). Every order type in the packaged
rules file counts its breaches as incidents, so this path is run on a variant of the file (bail
conditions, whose breach is not itself an offence, set not to count).

The case: bail conditions from 01/03 with the victim's home as an exclusion zone; one message on
01/04 (a contact breach, and an incident as a contact); his positions with no stated accuracy inside
the zone on 10/04 and 20/04, two possible breaches. Confirmed, each is a breach of the order, listed
and counted as one, and never an incident: the incidents, the last incident and the s2A deadline do
not move, and the conduct results, the MG11 and the reviewer's note say so.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from _conduct_cases import HOME, SUSPECT, VICTIM, make_case, msg, pos
from docx import Document

from atlas.conduct import analyse
from atlas.conduct.possible_breaches import KIND
from atlas.decisions.breaches import decide_breach
from atlas.rules import DEFAULT_RULES, RULES_ENV, load_rules
from atlas.store import Case

AS_OF = date(2026, 9, 1)
INSIDE = (HOME[0] + 0.0010, HOME[1])  # about 111 m from the centre of the 200 m zone
BAIL = {"type": "bail", "start": "2026-03-01T00:00:00Z", "reference": "BAIL-1"}
NOT_AN_INCIDENT = "a breach of the order; not an incident (the order type's breach is not one)"


def _variant(path: Path) -> Path:
    """The packaged rules file with bail conditions' breach not counted as an incident."""
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    start = text.index('type = "bail"')
    end = text.index("[[order_type]]", start)
    block = text[start:end]
    assert block.count("breach_is_incident = true") == 1
    path.write_text(text[:start] + block.replace("breach_is_incident = true", "breach_is_incident = false")
                    + text[end:], encoding="utf-8")
    return path


@pytest.fixture
def variant_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _variant(tmp_path / "rules.toml")
    monkeypatch.setenv(RULES_ENV, str(path))
    assert not load_rules().order_type("bail").breach_is_incident
    return path


def _case(root: Path) -> Case:
    return make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi")],
        SUSPECT: [pos("2026-04-10 18:00", *INSIDE, None), pos("2026-04-20 18:00", *INSIDE, None)],
    }, orders=[BAIL])


def _cli(*args: str) -> tuple[int, str]:
    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(args))
    return rc, buf.getvalue()


def test_the_packaged_rules_count_a_bail_breach_as_an_incident(tmp_path: Path) -> None:
    """The control: with the packaged file the same decisions add two incident days."""
    case = _case(tmp_path / "c")
    for b in analyse(case, as_of=AS_OF).breach_reviews:
        decide_breach(case, b, "confirmed", note="CCTV at her gate")
    after = analyse(case, as_of=AS_OF)
    assert [i.date.isoformat() for i in after.incidents] == ["2026-04-01", "2026-04-10", "2026-04-20"]
    assert after.s2a.deadline == date(2026, 10, 20)


def test_a_confirmed_breach_that_is_not_an_incident_is_a_breach_only(variant_rules: Path, tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    before = analyse(case, as_of=AS_OF)
    assert [i.date.isoformat() for i in before.incidents] == ["2026-04-01"]
    assert [b.kind for b in before.breaches] == ["contact"] and before.breach_count == 1
    assert [b.effect for b in before.breach_reviews] == [NOT_AN_INCIDENT] * 2
    assert all(not b.is_incident for b in before.breach_reviews)
    effect = before.breach_effect
    assert effect is not None and (effect.open, effect.incidents_now, effect.incidents_if_confirmed) == (2, 1, 1)
    assert effect.deadline_if_confirmed == effect.deadline_now == date(2026, 10, 1) and effect.added_dates == ()
    [order] = before.to_json()["orders"]
    assert order["breach_counts_as_incident"] is False

    # confirmed through the CLI, as an officer would: a breach more, the same incidents
    first, second = (b.id for b in before.breach_reviews)
    rc, raw = _cli("breaches", str(case.root), "--confirm", first, "--note", "CCTV at her gate", "--json",
                   "--as-of", AS_OF.isoformat())
    assert rc == 0
    done = json.loads(raw)
    assert done["breaches"] == {"before": 1, "after": 2} and done["incidents"] == {"before": 1, "after": 1}
    assert done["deadline"]["before"] == done["deadline"]["after"] == "01/10/2026"
    rc, human = _cli("breaches", str(case.root), "--confirm", second, "--note", "CCTV again", "--as-of",
                     AS_OF.isoformat())
    assert rc == 0 and "incidents 1 → 1" in human, human

    after = analyse(case, as_of=AS_OF)
    assert [b.kind for b in after.breaches] == ["contact", KIND, KIND] and after.breach_count == 3
    assert [i.date.isoformat() for i in after.incidents] == ["2026-04-01"]  # listed and counted as breaches only
    assert not any("confirmed-breach" in i.kinds for i in after.incidents)
    assert after.s2a.last_incident is not None and after.s2a.last_incident.day == date(2026, 4, 1)
    assert after.s2a.deadline == date(2026, 10, 1)
    assert not any("possible breach of order" in w for w in after.s2a.warnings)  # no clock rests on them
    data = after.to_json()
    assert data["course_of_conduct"]["confirmed_possible_breaches"] == 0  # none counted in the course of conduct
    assert [(b["order"], b["kind"]) for b in data["breaches"]] == [("BAIL-1", "contact"), ("BAIL-1", KIND),
                                                                   ("BAIL-1", KIND)]  # counted as breaches of it
    assert len(data["incidents"]) == 1


def test_the_mg11_and_the_reviewers_note_say_it_is_a_breach_not_an_incident(variant_rules: Path,
                                                                             tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    for b in analyse(case, as_of=AS_OF).breach_reviews:
        decide_breach(case, b, "confirmed", note="CCTV at her gate")
    out = tmp_path / "out"
    assert _cli("report", str(case.root), "--out", str(out), "--as-of", AS_OF.isoformat(), "--unverified")[0] == 0

    def text(name: str) -> str:
        doc = Document(str(out / name))
        return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])

    with (out / "exhibits.csv").open(encoding="utf-8") as fh:
        refs = {r["filename"]: r["reference"] for r in csv.DictReader(fh)}
    mg11 = text("statement.docx")
    assert "there are 1 such day" in mg11 or "there is 1 such day" in mg11, mg11
    assert "rests only on a possible presence" not in mg11  # no day rests on them
    assert ("On 2 further occasions while order BAIL-1 was in force, a reported position of their device was in or at "
            "the edge of an area") in mg11
    assert ("Each is counted in this statement as an occasion while the order was in force, not among the days of "
            f"contact or presence listed in exhibit {refs['incidents.csv']}, and only because it was checked against "
            "other material and confirmed by an officer") in mg11
    note = text("reviewer-note.docx")
    assert ("Under the rules file a breach of BAIL-1 (its order type) is not itself an incident of the course of "
            "conduct: confirming a possible breach of it counts a breach of the order, never an incident day") in note
    assert "2 possible breaches of an exclusion zone rest on a position" in note
    with (out / "breaches.csv").open(encoding="utf-8") as fh:
        breaches = list(csv.DictReader(fh))
    with (out / "incidents.csv").open(encoding="utf-8") as fh:
        incidents = list(csv.DictReader(fh))
    assert [r["kind"] for r in breaches] == ["contact", KIND, KIND]
    assert [r["date"] for r in incidents] == ["2026-04-01"]
