"""Start-up stays light (issue 18): which modules ``atlas --help`` and ``atlas formats``
import, not how long they take (timings are ``make bench``'s job, beside ``import polars``).

Every command module is imported to list the commands, so a command that imports Polars,
the analysis stack, a parser, bokeh, textual, docx or matplotlib at its top fails here:
import those inside ``run()`` (see :mod:`atlas.cli`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import parsers
from atlas.cli import _commands, build_parser, chosen_command
from parsers import _catalogue

REPO = Path(__file__).resolve().parents[1]

HEAVY = ("polars", "numpy", "pyarrow", "networkx", "bokeh", "textual", "textual_fastdatatable", "matplotlib", "docx",
         "lxml", "phonenumbers", "rapidfuzz", "dateutil", "ijson", "pyproj", "fastexcel", "xlsxwriter", "reports",
         "atlas.conduct", "atlas.graph", "atlas.identity", "atlas.normalise", "atlas.store", "atlas.contacts",
         "atlas.ingest", "atlas.model", "atlas.tui", "atlas.timeline", "atlas.demo", "atlas.cell_site", "atlas.rules")
"""Modules (and their sub-modules) no listing of commands or formats needs."""

PROBE = """
import json, sys
from atlas.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def imported_by(*argv: str) -> list[str]:
    """The modules a fresh interpreter holds after ``atlas ARGV...``."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=REPO, check=True,
                          timeout=60)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules
            if any(m == h or m.startswith(h + ".") for h in HEAVY)
            or (m.startswith("parsers.") and m != "parsers._catalogue")]


@pytest.mark.parametrize("argv", [["--help"], [], ["formats"], ["formats", "--json"]])
def test_listing_commands_and_formats_imports_no_heavy_module(argv: list[str]) -> None:
    modules = imported_by(*argv)
    assert "atlas.cli.commands.formats" in modules  # the probe did list the commands
    assert heavy(modules) == [], (
        f"`atlas {' '.join(argv)}` imported heavy modules; import them inside run() of the command module that needs them")


def test_a_command_imports_its_heavy_modules_when_it_runs() -> None:
    # the probe is not blind: a command that does need the analysis stack gets it
    modules = imported_by("rules", "--json")
    assert "atlas.rules" in modules


def test_forcing_a_format_imports_that_parser_only() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import json, sys, parsers; parsers.by_name('cdr'); print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, cwd=REPO, check=True, timeout=60)
    parser_modules = {f"parsers.{e.module}" for e in parsers.catalogue()}
    loaded = [m for m in json.loads(proc.stdout) if m in parser_modules]
    assert loaded == ["parsers.cdr"]  # its own helpers (parsers._tabular ...) may come with it, no other parser


def test_the_catalogue_matches_every_parsers_info() -> None:
    on_disk = _catalogue.CATALOGUE.read_text(encoding="utf-8")
    assert on_disk == _catalogue.render(_catalogue.build()), "parsers/catalogue.json is out of date: run `make catalogue`"
    listed = [(e.module, e.name, e.version, e.description, e.detects, e.category, e.channels, e.samples)
              for e in parsers.catalogue()]
    imported = [(p.__name__.split(".")[-1], p.INFO.name, p.INFO.version, p.INFO.description, p.INFO.detects,
                 str(p.INFO.category), sorted(str(c) for c in p.INFO.channels), [s.sample for s in p.INFO.sample_counts])
                for p in parsers.all_parsers()]
    assert listed == imported


def test_a_stale_catalogue_is_read_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a parser the file does not list (added since), a module it lists that is gone, a changed entry
    data = json.loads(_catalogue.CATALOGUE.read_text(encoding="utf-8"))
    data["modules"].pop("cdr")
    data["modules"]["gone_parser"] = {"name": "gone", "version": "1", "description": "", "detects": ""}
    data["modules"]["whatsapp_text"] = {"name": "whatsapp-text"}  # fields missing: written by another version
    stale = tmp_path / "catalogue.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(_catalogue, "CATALOGUE", stale)
    names = [e.name for e in _catalogue.load()]
    assert names == sorted(p.INFO.name for p in parsers.all_parsers())
    assert "cdr" in names and "gone" not in names and "whatsapp-text" in names


def test_each_command_builds_its_own_arguments_when_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    from atlas.cli import main

    build_parser()  # every add_arguments at once still works (the full parser)
    names = [m.NAME for m in _commands()]
    assert len(names) == len(set(names))
    for name in names:
        with pytest.raises(SystemExit) as stop:
            main([name, "--help"])
        assert stop.value.code == 0
        assert f"usage: atlas {name}" in capsys.readouterr().out
    lean = build_parser(only="rules")
    assert lean.parse_args(["rules", "--json"]).json is True
    with pytest.raises(SystemExit):  # an argument of a command not chosen was not added
        lean.parse_args(["timeline", "case", "--limit", "3"])


@pytest.mark.parametrize(("argv", "chosen"), [
    (["--help"], None), ([], None), (["formats"], "formats"), (["--debug", "ingest", "case", "f.txt"], "ingest"),
    (["--version"], None), (["timeline", "--party", "suspect", "case"], "timeline"), (["--", "formats"], None),
])
def test_the_chosen_command_is_the_first_word_that_is_not_an_option(argv: list[str], chosen: str | None) -> None:
    assert chosen_command(argv) == chosen


def test_help_and_formats_still_say_what_they_did(capsys: pytest.CaptureFixture[str]) -> None:
    from atlas.cli import main

    assert main([]) == 2
    out = capsys.readouterr().out
    assert "formats" in out and "ingest" in out
    assert main(["formats", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == {p.INFO.name for p in parsers.all_parsers()}
