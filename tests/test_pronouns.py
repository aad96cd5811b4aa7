"""Pronouns come from case.toml, never from an assumption about who stalks whom.

A suspect may be a woman and a victim a man. Before this, every statement called the suspect
"him" and the victim "her" whatever the case said: a served MG11 that gets it wrong has to be
corrected in the witness box. These tests generate the usual case (victim "she", suspect
"he"), swap the pronouns in case.toml or remove them, and read what the statement and the
reviewer's note then say.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document

from atlas.errors import ManifestError
from atlas.store.manifest import load_manifest
from atlas.wording import PRONOUNS, UNSTATED, pronouns_named

AS_OF = "2026-11-22"


def _text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _with_pronouns(case: Path, victim: str | None, suspect: str | None) -> None:
    """Rewrite the victim's and the suspect's ``pronouns`` line (None: no line at all)."""
    toml = case / "case.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.count('pronouns = "she"') == 1 and text.count('pronouns = "he"') == 1, "the generator's pronouns"
    text = text.replace('pronouns = "she"\n', "@VICTIM@").replace('pronouns = "he"\n', "@SUSPECT@")
    text = text.replace("@VICTIM@", f'pronouns = "{victim}"\n' if victim else "")
    text = text.replace("@SUSPECT@", f'pronouns = "{suspect}"\n' if suspect else "")
    toml.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def reports(rejected_ex_case: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """(statement text, reviewer's note text) for the case as generated, swapped and unstated."""
    from atlas.cli import main

    out: dict[str, tuple[str, str]] = {}
    for name, victim, suspect in (("generated", "she", "he"), ("swapped", "he/him", "She"), ("unstated", None, None)):
        case = tmp_path_factory.mktemp(f"pronouns-{name}") / "case"
        shutil.copytree(rejected_ex_case, case)
        _with_pronouns(case, victim, suspect)
        assert main(["report", str(case), "--as-of", AS_OF]) == 0
        report = case / "outputs" / "report"
        folder = report if (report / "statement.docx").exists() else case / "outputs"
        out[name] = (_text(folder / "statement.docx"), _text(folder / "reviewer-note.docx"))
    return out


def test_the_statement_uses_the_pronouns_the_case_states(reports: dict[str, tuple[str, str]]) -> None:
    statement, _ = reports["generated"]
    assert "and the people close to her." in statement
    assert "Why it is taken to be used by him" in statement
    assert re.search(r"on which his device was recorded inside an area he was not to enter", statement)

    swapped, _ = reports["swapped"]
    assert "and the people close to him." in swapped
    assert "Why it is taken to be used by her" in swapped
    assert "attributed to her in the case by the officer in the case" in swapped
    assert re.search(r"on which her device was recorded inside an area she was not to enter", swapped)
    assert "close to her" not in swapped and "used by him" not in swapped and "his device" not in swapped


def test_with_no_pronouns_stated_nothing_is_guessed(reports: dict[str, tuple[str, str]]) -> None:
    statement, note = reports["unstated"]
    assert "and the people close to them." in statement
    assert "Why it is taken to be used by them" in statement
    assert re.search(r"on which their device was recorded inside an area they were not to enter", statement)
    for gendered in (" him ", " his ", " he ", " she ", " her "):
        # quoted messages and exhibits' own words may hold any pronoun: look only at Atlas's own sentences
        own = [line for line in statement.splitlines() if "\u201c" not in line and "\u201d" not in line]
        assert not any(gendered in f" {line} " for line in own), (gendered, [ln for ln in own if gendered in f" {ln} "][:3])
    assert "What they describe" in note or "No impact entry is recorded" in note


def test_only_the_pronouns_change(reports: dict[str, tuple[str, str]]) -> None:
    """Swapping pronouns changes those words and nothing else in the statement."""
    a, b = reports["generated"][0], reports["swapped"][0]
    words = {"he": "she", "she": "he", "him": "her", "his": "her", "her": "him"}
    a_words, b_words = re.findall(r"\w+|\W", a), re.findall(r"\w+|\W", b)
    assert len(a_words) == len(b_words)
    changed = {(x, y) for x, y in zip(a_words, b_words, strict=True) if x != y}
    assert changed and changed <= {(k, v) for k, v in words.items()} | {("her", "his")}, sorted(changed)[:10]


def test_pronouns_in_case_toml_are_checked(tmp_path: Path, atlas: Callable[..., object]) -> None:
    assert pronouns_named("he/him") is PRONOUNS["he"]
    assert pronouns_named(" She/Her ") is PRONOUNS["she"]
    assert pronouns_named("") is UNSTATED and UNSTATED.verb("was", "were") == "were"
    assert pronouns_named("xe/xem") is None
    toml = tmp_path / "case.toml"
    toml.write_text('[case]\nreference = "OP-1"\nofficer = "DC 1 A. B"\nexhibit_prefix = "AB"\n'
                    'timezone = "Europe/London"\n\n[[party]]\nid = "victim"\nrole = "victim"\n'
                    'identifiers = ["tel:+447700900001"]\npronouns = "xe"\n', encoding="utf-8")
    with pytest.raises(ManifestError) as err:
        load_manifest(toml)
    message = str(err.value)
    assert "case.toml" in message and "pronouns" in message and "he, she, they" in message
