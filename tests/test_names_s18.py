"""Session 18: what people see names a party by its name and role, never by its key (``party:suspect``);
a link's sides read the same in the CLI, the workbench and decision messages (one rule:
:func:`atlas.exhibits.side_label`)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from atlas.cli import main
from atlas.exhibits import PartyInfo, side_label
from atlas.store import Case

OTHER = "snapchat:id:7f3e1c2a-0002"


def _run(*argv: str) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(list(argv)) == 0
    return buf.getvalue()


@pytest.fixture()
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Case, str]:
    """A case whose officer linked an identifier to the suspect party (the ledger's side ``party:suspect``)."""
    monkeypatch.setenv("COLUMNS", "400")
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi")]})
    out = _run("link", str(case.root), OTHER, "suspect", "--basis", "account-profile", "--note", "return names him",
               "--officer", "DS 5678 B. Reviewer")
    return case, out


def test_side_label_names_a_party_by_name_and_role() -> None:
    parties = {"suspect": PartyInfo("suspect", "suspect", "Simon Suspect")}
    assert side_label({}, parties, "party:suspect") == "Simon Suspect (suspect)"
    assert side_label({"s1": "JA/3"}, parties, "name:s1:Dan") == "Dan (name in JA/3)"
    assert side_label({}, parties, "tel:+447700900102") == "tel:+447700900102"


def test_the_link_line_names_the_party_side(linked: tuple[Case, str]) -> None:
    _, out = linked
    assert "Simon Suspect (suspect)" in out and "party:suspect" not in out, out


def test_a_note_on_a_link_names_the_party_side(linked: tuple[Case, str]) -> None:
    case, _ = linked
    link_id = json.loads(_run("people", str(case.root), "--json"))["links"][0]["link_id"]
    out = _run("note", str(case.root), "checked the return", "--about", f"link:{link_id}", "--officer", "DS 1 A. B")
    assert "Simon Suspect (suspect)" in out and "party:suspect" not in out, out


def test_the_workbench_link_rows_name_the_party_side(linked: tuple[Case, str]) -> None:
    from atlas.exhibits import case_parties, source_refs
    from atlas.identity.people import people_view
    from atlas.tui.screens.people import link_rows

    case, _ = linked
    rows = link_rows(people_view(case), source_refs(case), case_parties(case))
    sides = set(rows["a"].to_list()) | set(rows["b"].to_list())
    assert "Simon Suspect (suspect)" in sides and not any("party" in s for s in sides), sides
    assert set(rows["_a"].to_list()) | set(rows["_b"].to_list()) == {"party:suspect", OTHER}


def test_the_finding_index_names_every_finding_as_the_plain_rule(rejected_ex_case: Path) -> None:
    """finding_name looks a tagged finding up in one index built per analysis; it names every finding (and a
    key the analysis no longer holds, and a warning) exactly as the plain linear search does."""
    from atlas.decisions.naming import finding_name, finding_name_plain
    from atlas.review import Review

    review = Review(Case.open(rejected_ex_case))
    keys = sorted(review.finding_names())
    kinds = {k.partition(":")[0] for k in keys}
    assert {"candidate", "incident", "breach"} <= kinds, kinds
    keys += ["candidate:Tffffffff", "colocation:2020-01-01T00:00:00+00:00", "warning:3", "gap:x", "nonsense", ""]
    assert [finding_name(review, k) for k in keys] == [finding_name_plain(review, k) for k in keys]
    assert review.finding_names() is review.finding_names()  # built once per ledger generation
