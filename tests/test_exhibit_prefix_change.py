"""``atlas exhibit prefix CASE_DIR NEW --reason ...``: the exhibit prefix changed on purpose.

Before session 18 the only way was to edit case.toml, and every command then warned that new
outputs read JA/n where served ones read AO/n, for ever. Now the change is recorded: an
``exhibit-prefix`` audit row (who, when, why, from, to, the references before and after, what
the officer states was served) written with case.toml; the warning stops; every later output
reads the new prefix with the same numbers. Once exhibits are numbered the officer must say
whether documents were served (``--served`` or ``--nothing-served``), or it is refused.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.exhibits import source_refs
from atlas.store import Case, manifest
from atlas.store.prefix_record import recorded_prefix

SAMPLE = "test_ddmmyy_24hrs.txt"


def _prefix_line(case_dir: Path) -> str:
    return next(line for line in (case_dir / "case.toml").read_text(encoding="utf-8").splitlines()
                if line.startswith("exhibit_prefix"))


def _set_prefix(case_dir: Path, prefix: str) -> None:
    path = case_dir / "case.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(_prefix_line(case_dir), f'exhibit_prefix = "{prefix}"'),
                    encoding="utf-8")


def _rows(case_dir: Path) -> list[dict[str, Any]]:
    return [r for r in Case.open(case_dir).audit_log() if r["action"] == "exhibit-prefix"]


def test_with_nothing_numbered_the_change_is_recorded_and_case_toml_changed(
        case_dir: Path, atlas: Callable[..., Any]) -> None:
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "the officer's initials", "--officer", "DC 77 J. Adams")
    assert run.code == 0, run.err
    assert "from AO to JA, recorded in the audit log" in run.out and "no reference already given changes" in run.out
    # the value changes; the template's comment follows it
    assert _prefix_line(case_dir) == 'exhibit_prefix = "JA"                # officer\'s initials: exhibits become JA/1, JA/2 ...'
    [row] = _rows(case_dir)
    assert row["actor"] == "DC 77 J. Adams" and row["at"]
    assert row["detail"] == {"from": "AO", "to": "JA", "reason": "the officer's initials", "exhibits": 0,
                             "references_before": "", "references_after": "", "served": "", "nothing_served": False,
                             "exports_recorded": 0}
    assert Case.open(case_dir).manifest.exhibit_prefix == "JA"


def test_once_exhibits_are_numbered_it_is_refused_unless_the_officer_says_what_was_served(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0  # AO/1
    before = (case_dir / "case.toml").read_bytes()
    refused = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "handed to DC Adams")
    assert refused.code == 2
    assert refused.err.startswith("atlas: error: this case's 1 exhibit(s) were numbered AO/1 (the audit log), and "
                                  "documents carrying those references may already have been served; Atlas cannot "
                                  "know. Say which: --served")
    assert (case_dir / "case.toml").read_bytes() == before and _rows(case_dir) == []
    with pytest.raises(SystemExit) as both:  # argparse: the two statements exclude each other
        atlas("exhibit", "prefix", case_dir, "JA", "--reason", "x", "--served", "MG11", "--nothing-served")
    assert both.value.code == 2 and (case_dir / "case.toml").read_bytes() == before
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "handed to DC Adams",
                "--served", "MG11 and exhibit schedule served 01/12/2026")
    assert run.code == 0, run.err
    assert "AO/1 are now JA/1 in every output made from now on" in run.out
    [row] = _rows(case_dir)
    assert row["detail"]["served"] == "MG11 and exhibit schedule served 01/12/2026"
    assert (row["detail"]["references_before"], row["detail"]["references_after"]) == ("AO/1", "JA/1")
    # no warning after a recorded change; every output takes the new prefix, same number
    after = atlas("sources", case_dir, "--json")
    assert after.code == 0 and after.err == ""
    assert [s["exhibit"] for s in json.loads(after.out)] == ["JA/1"]
    from atlas.cli.commands.audit import summary  # `atlas audit`'s detail column

    assert summary("exhibit-prefix", row["detail"]) == (
        "AO → JA (AO/1 are now JA/1); why: handed to DC Adams; served: MG11 and exhibit schedule served 01/12/2026")


def test_nothing_served_is_recorded_as_the_officers_statement(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "typo at init", "--nothing-served", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["nothing_served"] is True
    assert _rows(case_dir)[0]["detail"]["nothing_served"] is True


def test_a_hand_edit_warns_until_it_is_recorded_and_a_later_ingest_does_not_hide_it(
        case_dir: Path, whatsapp_samples: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0  # AO/1
    _set_prefix(case_dir, "JA")
    other = tmp_path / "other.txt"
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", other)
    assert atlas("ingest", case_dir, other).code == 0  # numbered JA/2 under the edited prefix
    warned = atlas("sources", case_dir, "--json")
    # before session 18 the latest numbering (JA) counted as the recorded prefix: the warning vanished here
    assert "'JA', but this case's 2 exhibit(s) were numbered under 'AO' (AO/1 to AO/2" in warned.err
    assert "atlas exhibit prefix" in warned.err
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "edited by hand on 05/12", "--nothing-served")
    assert run.code == 0, run.err
    assert _rows(case_dir)[0]["detail"]["from"] == "AO"
    assert atlas("sources", case_dir, "--json").err == ""
    assert sorted(source_refs(Case.open(case_dir)).values()) == ["JA/1", "JA/2"]


def test_an_older_cases_prefix_that_breaks_the_rule_can_be_changed_and_the_warning_stops(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _set_prefix(case_dir, "A.O")
    with monkeypatch.context() as m:  # an older version, without the rule, numbered A.O/1
        m.setattr(manifest, "exhibit_prefix_problem", lambda _p: None)
        assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    kept = atlas("verify", case_dir).err
    assert "breaks the rule" in kept
    assert f'record it: atlas exhibit prefix {case_dir} NEW --reason "..." (with --served "..." or --nothing-served)' in kept
    run = atlas("exhibit", "prefix", case_dir, "AO", "--reason", "the rule", "--served", "MG11 served 01/12/2026")
    assert run.code == 0, run.err
    assert "A.O/1 are now AO/1" in run.out
    verify = atlas("verify", case_dir)
    assert verify.code == 0 and verify.err == ""
    assert recorded_prefix(case_dir) is not None and recorded_prefix(case_dir).prefix == "AO"  # type: ignore[union-attr]


def test_a_case_refused_for_its_prefix_with_nothing_numbered_can_be_mended_by_the_command(
        case_dir: Path, atlas: Callable[..., Any]) -> None:
    _set_prefix(case_dir, "J A")
    assert atlas("verify", case_dir).code == 2
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "space typed by mistake")
    assert run.code == 0, run.err
    assert atlas("verify", case_dir).code == 0
    assert _rows(case_dir)[0]["detail"]["from"] == "J A"


@pytest.mark.parametrize(("new", "words"), [("J/A", "is not an exhibit prefix"), ("AO", "already 'AO'")])
def test_a_bad_or_unchanged_prefix_is_refused_and_nothing_written(
        case_dir: Path, atlas: Callable[..., Any], new: str, words: str) -> None:
    before = (case_dir / "case.toml").read_bytes()
    run = atlas("exhibit", "prefix", case_dir, new, "--reason", "x")
    assert run.code == 2 and words in run.err, run.err
    assert (case_dir / "case.toml").read_bytes() == before
    assert not (case_dir / "store" / "atlas.sqlite").exists() or _rows(case_dir) == []


def test_an_empty_reason_is_refused(case_dir: Path, atlas: Callable[..., Any]) -> None:
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "  ")
    assert run.code == 2 and "say why the prefix changes" in run.err


def test_a_failed_audit_write_puts_case_toml_back(
        case_dir: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from atlas.errors import StoreError
    from atlas.store.case import Case as CaseClass

    before = (case_dir / "case.toml").read_bytes()

    def fail(self: CaseClass, action: str, detail: dict[str, object], con: object = None) -> None:
        raise StoreError("disk full (simulated)")

    monkeypatch.setattr(CaseClass, "audit", fail)
    run = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "x")
    assert run.code == 2 and "disk full" in run.err
    assert (case_dir / "case.toml").read_bytes() == before


def test_verify_names_a_number_as_its_audit_row_gave_it_after_a_change(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    """The exhibit-number row says AO/1; after a recorded change to JA, a deleted number is
    reported as the row recorded it (AO/1), not re-labelled JA/1 as if the row had said so."""
    import sqlite3

    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    assert atlas("exhibit", "prefix", case_dir, "JA", "--reason", "x", "--nothing-served").code == 0
    with sqlite3.connect(case_dir / "store" / "atlas.sqlite") as con:
        con.execute("DELETE FROM report_exhibits")
    run = atlas("verify", case_dir)
    assert run.code != 0
    assert "although audit row 2 recorded AO/1 for it: the number was deleted" in " ".join((run.out + run.err).split())


def test_every_later_output_reads_the_new_prefix_and_the_statement_says_the_old_references(
        case_dir: Path, whatsapp_samples: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    """After the change the report's outputs read JA/1 (exhibit schedule, statement); the MG11
    says, as a fact, which references documents made before the change carry, with no reason
    and no officer's name (those stay in the audit log)."""
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    assert atlas("exhibit", "prefix", case_dir, "JA", "--reason", "handed over to DC Adams", "--officer",
                 "DC 77 J. Adams", "--served", "MG11 served 01/12/2026").code == 0
    out = tmp_path / "served"
    run = atlas("report", case_dir, "--out", out, "--as-of", "2026-12-08", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["facts"]["exhibit_prefix_changes"] == 1
    schedule = (out / "exhibits.csv").read_text(encoding="utf-8")
    assert "JA/1" in schedule and "AO/" not in schedule
    text = html.unescape(" ".join((out / "statement.html").read_text(encoding="utf-8").split()))
    day = Case.open(case_dir).audit_log()[-1]["at"]
    from reports.style import uk_date

    assert (f"On {uk_date(str(day))} the exhibit prefix changed from AO to JA, so documents made before then refer to "
            "AO/1. They are the same exhibits with the same numbers; in this statement every exhibit is referred to "
            "with the prefix JA (each change is recorded in the case's audit log).") in text
    assert "DC Adams" not in text and "Adams" not in text


def test_the_statement_says_nothing_of_a_change_made_before_any_exhibit_was_numbered() -> None:
    from zoneinfo import ZoneInfo

    from reports.statement import prefix_changes_said

    rows = [{"action": "exhibit-prefix", "at": "2026-12-08T00:10:00+00:00",
             "detail": {"from": "AO", "to": "JA", "exhibits": 0, "references_before": ""}}]
    assert prefix_changes_said(rows, "JA", ZoneInfo("Europe/London")) == ""
    rows += [{"action": "exhibit-prefix", "at": "2026-12-09T23:30:00+00:00",
              "detail": {"from": "JA", "to": "KB", "exhibits": 3, "references_before": "JA/1 to JA/3"}}]
    assert prefix_changes_said(rows, "KB", ZoneInfo("Europe/London")).startswith(
        "On 09/12/2026 the exhibit prefix changed from JA to KB, so documents made before then refer to JA/1 to JA/3.")


def test_the_refusal_names_the_exports_the_audit_log_records(
        case_dir: Path, whatsapp_samples: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    """An ``atlas export`` is the one record Atlas keeps of output leaving it: the refusal says so,
    and the change's row keeps the count beside the officer's statement."""
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    export = atlas("export", case_dir, tmp_path / "x.jsonl", "--to", "timesketch")
    assert export.code == 0, export.err
    refused = atlas("exhibit", "prefix", case_dir, "JA", "--reason", "x")
    assert refused.code == 2
    assert "(the audit log records 1 export(s) made with `atlas export`, which carry them)" in refused.err
    assert atlas("exhibit", "prefix", case_dir, "JA", "--reason", "x", "--nothing-served").code == 0
    assert _rows(case_dir)[0]["detail"]["exports_recorded"] == 1
