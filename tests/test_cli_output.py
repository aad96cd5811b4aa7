"""What the CLI's tables and lines print is the case's data as written: Rich markup and emoji codes
in the data are not interpreted (a message's "[deleted]" vanished, "[/]" stopped the command, and
snapchat:id:… was shown with an emoji in place of ":id:")."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from atlas.cli import main
from atlas.cli.output import print_table

DATA = ["msg: [deleted] ok", "[image omitted]", "x [/] y", "snapchat:id:7f3e1c2a-0001", "[bold]as typed[/bold]"]


def _printed(capsys: pytest.CaptureFixture[str], rows: list[list[object]], **kw: bool) -> str:
    print_table("t", ["a"], rows, **kw)
    return capsys.readouterr().out


def test_table_cells_are_shown_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    out = _printed(capsys, [[d] for d in DATA])
    for d in DATA:
        assert d in out, (d, out)
    assert "\N{SQUARED ID}" not in out


def test_a_caller_that_styles_its_cells_still_can(capsys: pytest.CaptureFixture[str]) -> None:
    out = _printed(capsys, [["[green]yes[/green]"], ["snapchat:id:1"]], markup=True)
    assert "yes" in out and "[green]" not in out and "snapchat:id:1" in out


def test_the_timeline_shows_a_message_with_brackets_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line a row: the text is not folded across lines
    texts = ["I saw you [deleted] at 8", "see [/] you", "[image omitted]"]
    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-02-0{i + 1} 12:00", SUSPECT, VICTIM, t)
                                                for i, t in enumerate(texts)]})
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["timeline", str(case.root), "--limit", "10"]) == 0
    out = buf.getvalue()
    for t in texts:
        assert t in out, (t, out)


def test_a_link_line_names_the_identifier_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi")]})
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["link", str(case.root), "snapchat:id:7f3e1c2a-0002", "suspect", "--basis", "account-profile",
                     "--note", "return names him", "--officer", "DS 5678 B. Reviewer"]) == 0
    out = buf.getvalue()
    assert "snapchat:id:7f3e1c2a-0002" in out and "\N{SQUARED ID}" not in out


def test_lines_carrying_an_officers_words_print_them_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A note's subject, an impact entry's source, an officer's name: "[redacted]" vanished and
    "[/]" stopped the command when these went through Rich markup."""
    monkeypatch.setenv("COLUMNS", "400")
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi")]})
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["note", str(case.root), "checked", "--about", "case [redacted] [/]",
                     "--officer", "DS 5678 B. [Reviewer]"]) == 0
        assert main(["impact", "add", str(case.root), "--date", "2026-02-03", "--what", "moved [address withheld]",
                     "--category", "moved-home", "--source", "statement [redacted] [/] 03/02/2026",
                     "--recorded-by", "PC 1 [A] Officer"]) == 0
        assert main(["impact", str(case.root)]) == 0
    out = buf.getvalue()
    for said in ("case [redacted] [/]", "DS 5678 B. [Reviewer]", "moved [address withheld]",
                 "statement [redacted] [/] 03/02/2026", "PC 1 [A] Officer"):
        assert said in out, (said, out)
