"""Defects a person saw in the outputs of unseen cases (session 15's fresh-eyes check), each held here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg


def _docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(str(path)).tables]


def test_the_annex_names_the_threat_rules_file_that_flags_messages(tmp_path: Path) -> None:
    """Seed 26535 (third-parties): the annex's "Data files the analysis read" listed threat_lexicon.toml
    (2026.11.1) as the "Threat word list", while its own assumptions said the messages were screened with
    threat rules 2026.12.3; the file that flags threats (threat_rules.toml) and its SHA-256 were nowhere, and
    the lexicon is read only for requests to stop. A defence expert could not name the file to re-run."""
    from atlas.conduct.threats import load_lexicon
    from atlas.conduct.token_rules import load_rules
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM),
                                               msg("2026-02-03 12:00", SUSPECT, VICTIM)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    [files] = [t for t in _docx_tables(case.root / "out" / "technical-annex.docx") if t[0][:2] == ["File", "Name"]]
    by_name = {row[1]: row for row in files[1:]}
    rules, lexicon = load_rules(None), load_lexicon(None)
    assert by_name["threat_rules.toml"][2:] == [rules.version, rules.sha256]
    assert by_name["threat_rules.toml"][0].startswith("Threat and behaviour rules")
    assert by_name["threat_lexicon.toml"][2:] == [lexicon.version, lexicon.sha256]
    assert "request to stop" in by_name["threat_lexicon.toml"][0] and "Threat" not in by_name["threat_lexicon.toml"][0]
