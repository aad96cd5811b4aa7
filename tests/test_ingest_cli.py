"""The command line: formats, one-line errors with exit 2, --debug tracebacks, owners."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from atlas.errors import AtlasError
from atlas.store import Case
from atlas.store.manifest import TEMPLATE
from parsers import whatsapp_text

SAMPLE = "test_ddmmyy_24hrs.txt"


def test_formats_json_lists_whatsapp_text_with_its_version(atlas: Callable[..., object]) -> None:
    run = atlas("formats", "--json")
    assert run.code == 0  # type: ignore[attr-defined]
    formats = {f["name"]: f for f in json.loads(run.out)}  # type: ignore[attr-defined]
    entry = formats["whatsapp-text"]
    assert entry["version"] == whatsapp_text.INFO.version == "1.5.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"])
    assert entry["description"] == "WhatsApp 'Export chat' text file (Android or iOS)"
    assert (entry["category"], entry["channels"]) == ("chat-export", ["whatsapp"])
    assert formats["whatsapp-ios-calls"]["category"] == "handset-download"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "{case}", "/nonexistent/chat.txt"), "/nonexistent/chat.txt: no such file or folder"),
        (("ingest", "{case}", "{sample}", "--format", "whatsap"), "no parser named 'whatsap' (known: "),
        (("ingest", "{case}", "{sample}", "--tz", "Europe/Londn"), "unknown time zone 'Europe/Londn'"),
        (("ingest", "{case}", "{sample}", "--owner", "nobody"), "--owner 'nobody' is neither a party id (victim, suspect)"),
        (("timeline", "{case}", "--from", "yesterday"), "'yesterday' is not a date (YYYY-MM-DD) or ISO date-time"),
        (("timeline", "{case}", "--out", "{tmp}/x.xlsx"), "x.xlsx: unknown output type '.xlsx' (use .csv, .parquet or .jsonl)"),
        (("sources", "{tmp}/no-case"), "no-case: no such case folder (create one with `atlas init"),
    ],
)
def test_errors_are_one_line_with_exit_2(
    args: tuple[str, ...], message: str, case_dir: Path, whatsapp_samples: Path, tmp_path: Path,
    atlas: Callable[..., object],
) -> None:
    filled = [a.format(case=case_dir, sample=whatsapp_samples / SAMPLE, tmp=tmp_path) for a in args]
    run = atlas(*filled)
    assert run.code == 2  # type: ignore[attr-defined]
    assert run.err.startswith("atlas: error: ") and run.err.count("\n") == 1  # type: ignore[attr-defined]
    assert message in run.err  # type: ignore[attr-defined]


def test_an_unexpected_parser_failure_names_the_file_on_one_line(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], monkeypatch: pytest.MonkeyPatch,
    digest: Callable[[Path], dict[str, str]],
) -> None:
    def broken(path: Path, ctx: object) -> None:
        raise ValueError("boom\n\nHint: a library message\n  over several lines")

    monkeypatch.setattr(whatsapp_text, "parse", broken)
    before = digest(case_dir)
    source = whatsapp_samples / SAMPLE
    run = atlas("ingest", case_dir, source)
    assert run.code == 2  # type: ignore[attr-defined]
    assert run.err.startswith(  # type: ignore[attr-defined]
        f"atlas: error: {source}: whatsapp-text {whatsapp_text.INFO.version} parser failed while reading the file: "
        "ValueError: boom Hint: a library message over several lines (at tests/test_ingest_cli.py:")
    assert run.err.endswith("in broken); nothing from this file was stored\n") and run.err.count("\n") == 1  # type: ignore[attr-defined]
    assert digest(case_dir) == before


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_raises_for_a_traceback_wherever_the_flag_is_given(
    where: str, case_dir: Path, atlas: Callable[..., object]
) -> None:
    args = ["--debug", "ingest", case_dir, "/nonexistent"] if where == "before" else ["ingest", case_dir, "/nonexistent", "--debug"]
    with pytest.raises(AtlasError, match="/nonexistent: no such file or folder"):
        atlas(*args)


def test_debug_shows_a_traceback_on_the_real_command_line(case_dir: Path) -> None:
    plain = subprocess.run([sys.executable, "-m", "atlas", "ingest", str(case_dir), "/nonexistent"],
                           capture_output=True, text=True, check=False)
    assert (plain.returncode, plain.stderr) == (2, "atlas: error: /nonexistent: no such file or folder\n")
    debug = subprocess.run([sys.executable, "-m", "atlas", "--debug", "ingest", str(case_dir), "/nonexistent"],
                           capture_output=True, text=True, check=False)
    assert debug.returncode == 1
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.rstrip().endswith("atlas.errors.AtlasError: /nonexistent: no such file or folder")


def test_owner_by_display_name_gives_direction(case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]) -> None:
    manifest = case_dir / "case.toml"
    manifest.write_text(TEMPLATE.replace('# display_names = ["Mum"]', 'display_names = ["John Doe"]'), encoding="utf-8")
    run = atlas("ingest", case_dir, whatsapp_samples / SAMPLE, "--owner", "victim", "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    assert outcome["owner"] == "tel:+447700900001"
    assert "owner victim as instructed (--owner)" in outcome["assumptions"]
    events = Case.open(case_dir).events().sort("source_ref").collect()
    by_line = {r["source_ref"]: r["direction"] for r in events.iter_rows(named=True)}
    assert (by_line["line 1"], by_line["line 3"], by_line["line 7"]) == ("out", "in", "unknown")  # note: no parties


def test_sources_timeline_and_rejects_print_for_people(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]
) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0  # type: ignore[attr-defined]
    sources = json.loads(atlas("sources", case_dir, "--json").out)  # type: ignore[attr-defined]
    assert [(s["name"], s["parser"], s["records_read"], s["timezone"]) for s in sources] == [
        (SAMPLE, "whatsapp-text", 9, "Europe/London"),
    ]
    run = atlas("timeline", case_dir, "--from", "2020-06-10", "--to", "2020-06-10", "--out", case_dir / "day.jsonl")
    assert run.out.startswith("wrote 1 events to ")  # type: ignore[attr-defined]
    [row] = [json.loads(line) for line in (case_dir / "day.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (row["text"], row["ts_basis"]) == ("Lorem ipsum : dolor sit amet.", "local")
    assert datetime.fromisoformat(row["ts_utc"].replace("Z", "+00:00")).isoformat() == "2020-06-10T14:55:00+00:00"
    shown = atlas("timeline", case_dir, "--limit", "2")
    assert "Timeline: 9 events" in shown.out and "7 more" in shown.out  # type: ignore[attr-defined]


def test_the_annex_names_the_owner_as_case_toml_names_them(case_dir: Path, whatsapp_samples: Path,
                                                          atlas: Callable[..., object]) -> None:
    """Seed 31415: the technical annex (served) read "JA/6: owner mother as instructed (--owner)" and "JA/5: owner
    suspect as instructed (--owner)": the party's key in case.toml, not the name it gives. The store keeps the
    line in the ingest's terms and the owner typed beside it (owner_assumption); outputs word it with the name,
    and the key only where case.toml gives no name."""
    from reports import limitations

    manifest = case_dir / "case.toml"
    text = TEMPLATE.replace('# display_names = ["Mum"]', 'display_names = ["John Doe"]')
    manifest.write_text(text.replace('name = "(full name)"', 'name = "Alice Example"', 1), encoding="utf-8")
    run = atlas("ingest", case_dir, whatsapp_samples / SAMPLE, "--owner", "victim")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    case = Case.open(case_dir)
    [row] = case.sources().to_dicts()
    assert row["owner_assumption"] == {"basis": "instructed", "party": "victim", "identifier": "",
                                       "recorded": "owner victim as instructed (--owner)"}
    assert "owner victim as instructed (--owner)" in row["assumptions"]  # the store's record, as the officer typed it
    limits = limitations.build(case, case.sources(), {row["source_id"]: "AE/1"}, {})
    [source] = limits.sources
    assert "owner Alice Example as instructed (--owner)" in source.assumptions
    assert not any("owner victim" in a for a in source.assumptions)
    # a party case.toml gives no name is shown by its key
    manifest.write_text(text.replace('name = "(full name)"', 'name = ""', 1), encoding="utf-8")
    [source] = limitations.build(Case.open(case_dir), case.sources(), {row["source_id"]: "AE/1"}, {}).sources
    assert "owner victim as instructed (--owner)" in source.assumptions
