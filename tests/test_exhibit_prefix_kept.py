"""case.toml's ``exhibit_prefix`` and the references already served.

Session 16 made the prefix follow a rule (A-Z, digits, '-', a letter first, at most 16
characters) and refused any case whose prefix broke it, with no guidance: a case made by an
older version, whose exhibits were numbered and served as ``A.O/1`` ..., could no longer be
verified or reported. Now:

* numbered under a prefix the rule refuses: kept, every command works and says why the
  form is discouraged (references already served must not change);
* a prefix the rule refuses with nothing numbered under it: refused, naming case.toml, the
  line, the rule and what to do;
* a prefix changed after exhibits were numbered: used, with a warning naming the references
  that change (never silently).

An older version is simulated by lifting the rule while the first ingest numbers the exhibits.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.exhibits import source_refs
from atlas.store import Case, manifest

SAMPLE = "test_ddmmyy_24hrs.txt"


def _set_prefix(case_dir: Path, prefix: str) -> int:
    """Write ``prefix`` into case.toml; the line it is on."""
    path = case_dir / "case.toml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("exhibit_prefix"))
    lines[at] = f'exhibit_prefix = "{prefix}"\n'
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def _older_case(case_dir: Path, prefix: str, chat: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> int:
    """A case an older version (no prefix rule) made and numbered under ``prefix``."""
    line = _set_prefix(case_dir, prefix)
    with monkeypatch.context() as m:
        m.setattr(manifest, "exhibit_prefix_problem", lambda _p: None)
        run = atlas("ingest", case_dir, chat)
        assert run.code == 0, run.err
    return line


def test_an_older_cases_prefix_is_kept_with_a_warning_and_its_references_do_not_change(
        case_dir: Path, whatsapp_samples: Path, tmp_path: Path, atlas: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    line = _older_case(case_dir, "A.O", whatsapp_samples / SAMPLE, atlas, monkeypatch)
    verify = atlas("verify", case_dir)
    assert verify.code == 0, (verify.out, verify.err)
    warning = verify.err
    assert warning.startswith(f"atlas: warning: {case_dir / 'case.toml'}:{line}: [case] exhibit_prefix: 'A.O' breaks "
                              "the rule this version of Atlas applies to exhibit prefixes (letters A-Z and digits, ")
    assert "a character other than A-Z, 0-9 and '-'" in warning
    assert "It is kept, because this case's 1 exhibit(s) were already numbered under it (A.O/1, in the audit log)" in warning
    assert warning.count("atlas: warning:") == 1
    # every command works with it; a new exhibit continues the same series
    other = tmp_path / "other.txt"
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", other)
    assert atlas("ingest", case_dir, other).code == 0
    assert sorted(source_refs(Case.open(case_dir)).values()) == ["A.O/1", "A.O/2"]
    assert atlas("sources", case_dir, "--json").code == 0


def test_a_prefix_breaking_the_rule_with_nothing_numbered_is_refused_saying_what_to_do(
        case_dir: Path, atlas: Callable[..., Any]) -> None:
    line = _set_prefix(case_dir, "J A")
    run = atlas("verify", case_dir)
    assert run.code == 2
    assert run.err.startswith(f"atlas: error: {case_dir / 'case.toml'}:{line}: [case] exhibit_prefix: 'J A' is not an "
                              "exhibit prefix: use the officer's initials, letters A-Z and digits, starting with a letter")
    assert (f"Edit line {line} of {case_dir / 'case.toml'} (e.g. exhibit_prefix = \"JA\"); no exhibit of this case has "
            "been numbered yet, so no reference already given changes") in run.err


def test_a_prefix_breaking_the_rule_where_another_was_numbered_says_to_put_that_one_back(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0  # numbered AO/1
    line = _set_prefix(case_dir, "A,O")
    run = atlas("report", case_dir)
    assert run.code == 2
    assert (f"This case's 1 exhibit(s) were numbered AO/1 (the audit log), so put back exhibit_prefix = \"AO\" on line "
            f"{line} of {case_dir / 'case.toml'}: references already served then stay as they are") in run.err


def test_a_prefix_changed_after_exhibits_were_numbered_is_never_silent(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    line = _set_prefix(case_dir, "JA")
    run = atlas("sources", case_dir, "--json")
    assert run.code == 0 and json.loads(run.out)
    assert run.err == (
        f"atlas: warning: {case_dir / 'case.toml'}:{line}: [case] exhibit_prefix: 'JA', but this case's 1 exhibit(s) "
        "were numbered under 'AO' (AO/1, in the audit log). New outputs will read JA/<number> where documents already "
        f"served read AO/<number> (the numbers stay). To keep the references served, put back exhibit_prefix = \"AO\" on "
        f"line {line}; to make the change on purpose, record it (then this warning stops): atlas exhibit prefix "
        f"{case_dir} JA --reason \"...\" (with --served \"...\" or --nothing-served)\n")
    _set_prefix(case_dir, "AO")
    assert atlas("sources", case_dir, "--json").err == ""


def test_looking_at_a_case_never_creates_its_database(case_dir: Path) -> None:
    from atlas.store.prefix_record import DB_PATH, recorded_prefix

    (case_dir / DB_PATH).unlink(missing_ok=True)
    assert recorded_prefix(case_dir) is None
    assert not (case_dir / DB_PATH).exists()


@pytest.mark.parametrize(("prefix", "risk"), [
    ("AB, CD", "a ',' or ';'"), ("OP/JA", "a '/' inside it"), ("J A", "a space or quote"), ("1JA", "no letter first"),
    ("JÄ", "a character other than A-Z"), ("JA-", "a '-' at an end"), ("A" * 17, "more than 16 characters"),
])
def test_the_warning_says_what_in_the_kept_prefix_the_rule_guards_against(prefix: str, risk: str) -> None:
    from atlas.store.manifest import parse_manifest
    from atlas.store.prefix_record import RecordedPrefix

    text = f'[case]\nreference = "r"\nofficer = "o"\nexhibit_prefix = {json.dumps(prefix)}\n'
    kept = parse_manifest(text, Path("case.toml"), RecordedPrefix(prefix, 3, 3))
    assert kept.exhibit_prefix == prefix
    assert f"; it has {risk}" in kept.prefix_warning, kept.prefix_warning
    assert f"numbered under it ({prefix}/1 to {prefix}/3, in the audit log)" in kept.prefix_warning
