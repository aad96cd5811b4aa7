"""Every command that prints a case's words prints them as written: the case reference, an order's
reference, a party's or a place's name, an officer's note. Rich markup and emoji codes in them are
not interpreted ("[deleted]" vanished, "[/]" stopped the command, ":id:" became an emoji), whether
they reach a plain line, a styled heading or a table's title."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, call, make_case, msg, pos

from atlas.cli import main
from atlas.store import Case

REFERENCE = "OP-[deleted]-9 [/] snapchat:id:7f"
ORDER_REF = "RO-[bold]42[/bold] [/]"
VICTIM_NAME = "Vera [redacted] Victim"
PLACE = "victim [home] :id:"


def _hostile(root: Path) -> Case:
    events = [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM, f"text {d}") for d in range(1, 10)]
    events += [call("2026-05-11 21:00", SUSPECT, VICTIM), pos("2026-05-12 21:00", 51.5074, -0.1278)]
    his = [pos("2026-05-12 21:00", 51.5074, -0.1278), pos("2026-05-20 21:00", 51.5075, -0.1279, None)]
    events += [pos("2026-05-20 21:00", 51.5075, -0.1279)]
    make_case(root, {VICTIM: events, SUSPECT: his},
               orders=[{"type": "restraining-order", "start": "2026-05-05T10:00:00Z", "reference": "ORDER"}])
    toml = root / "case.toml"
    text = toml.read_text(encoding="utf-8")
    text = (text.replace('reference = "OP-CONDUCT-TEST"', f'reference = "{REFERENCE}"')
            .replace('reference = "ORDER"', f'reference = "{ORDER_REF}"')
            .replace('name = "Vera Victim"', f'name = "{VICTIM_NAME}"')
            .replace('"victim home"', f'"{PLACE}"'))
    toml.write_text(text, encoding="utf-8")
    return Case.open(root)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = _hostile(tmp_path_factory.mktemp("hostile") / "c")
    assert case.manifest.reference == REFERENCE and case.manifest.orders[0].reference == ORDER_REF
    return case.root


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> str:
    monkeypatch.setenv("COLUMNS", "400")  # one line a row: no word folded across lines
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(list(argv)) == 0
    return buf.getvalue()


def _flat(out: str) -> str:
    """What was printed, with a table's borders and runs of blanks made one space (a title may wrap)."""
    return re.sub(r"\s+", " ", re.sub(r"[│┃┏┓┗┛┡┩└┘━─╇┳┻╋┯┷]", " ", out))


@pytest.mark.parametrize("command", ["conduct", "breaches", "triage", "exhibit", "colocations", "request"])
def test_the_case_reference_and_the_order_are_printed_as_written(hostile: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 command: str) -> None:
    argv = {"conduct": ["conduct", str(hostile), "--as-of", "2026-12-01"],
            "breaches": ["breaches", str(hostile), "--as-of", "2026-12-01"],
            "triage": ["triage", str(hostile), "--as-of", "2026-12-01"],
            "exhibit": ["exhibit", "continuity", str(hostile)],
            "colocations": ["colocations", str(hostile), "--as-of", "2026-12-01"],
            "request": ["request", "list", str(hostile)]}[command]
    out = _flat(_run(monkeypatch, *argv))
    assert "\N{SQUARED ID}" not in out
    said = {"conduct": [REFERENCE, ORDER_REF, VICTIM_NAME], "breaches": [ORDER_REF], "triage": [REFERENCE, ORDER_REF],
            "exhibit": [REFERENCE], "colocations": [], "request": [REFERENCE]}[command]
    for words in said:
        assert words in out, (command, words, out)


def test_a_table_title_and_caption_are_shown_as_written(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from atlas.cli.output import print_table

    monkeypatch.setenv("COLUMNS", "400")
    print_table(f"Exhibits ({REFERENCE})", ["a"], [["b" * 60]], caption="rows [deleted] :id:")  # a title wraps at the width
    out = _flat(capsys.readouterr().out)
    assert f"Exhibits ({REFERENCE})" in out and "rows [deleted] :id:" in out, out


@pytest.mark.parametrize("command", ["breaches", "colocations"])
def test_one_possible_item_shown_whole_prints_the_case_words(hostile: Path, monkeypatch: pytest.MonkeyPatch,
                                                             command: str) -> None:
    """``--show ID``: the order's reference and the zone's name (breaches), the place (co-locations)."""
    import json

    listed = json.loads(_run(monkeypatch, command, str(hostile), "--as-of", "2026-12-01", "--json"))
    items = listed["possible_breaches" if command == "breaches" else "possible_colocations"]
    assert items, listed
    out = _run(monkeypatch, command, str(hostile), "--as-of", "2026-12-01", "--show", items[0]["id"])
    for words in ([ORDER_REF, PLACE] if command == "breaches" else [PLACE]):
        assert words in out, (words, out)
    assert "\N{SQUARED ID}" not in out
