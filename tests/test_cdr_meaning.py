"""CDRs in layouts no template names: mapped by the meaning of headers and values, printed and
recorded; `atlas map` writes the mapping as a template; ambiguity is a clear error with the
best partial mapping; hexadecimal cell ids and call-forwarding targets are read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import parsers
from atlas.errors import FormatError
from atlas.store import Case
from parsers._cdr_meaning import propose, vocabulary
from parsers.base import ParseContext, Probe
from parsers.cdr import load_templates, parse

TARGET = "07700900002"
UNSEEN_HEADER = ["Target Number", "Other Party", "Call Type", "Direction", "Start Date (UTC)", "Start Time (UTC)",
                 "Duration (hh:mm:ss)", "Start Cell", "End Cell", "IMEI", "IMSI"]
IMEI, IMSI = "356938035643809", "234100000000001"
UNSEEN_ROWS = [
    [TARGET, "07700900001", "Voice", "Outgoing", "01/03/2026", "12:00:00", "00:01:02", "1001-20451", "1001-20452", IMEI, IMSI],
    [TARGET, "07700900001", "SMS", "Incoming", "01/03/2026", "12:05:10", "", "1001-20451", "", IMEI, IMSI],
    [TARGET, "", "Data", "Outgoing", "13/03/2026", "09:00:00", "00:10:00", "1001-20451", "1001-20451", IMEI, IMSI],
    [TARGET, "07700900003", "Voice", "Incoming", "14/03/2026", "23:59:59", "00:00:00", "1001-20453", "", IMEI, IMSI],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def run(path: Path, **options: str) -> Any:
    return parse(path, ParseContext(source_id="s1", path=path, options=dict(options)))


def test_the_unseen_layout_of_the_issue_is_mapped_by_meaning_and_ingested(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "return.csv", [UNSEEN_HEADER, *UNSEEN_ROWS])
    assert parsers.detect(path).INFO.name == "cdr"
    result = run(path)
    assert result.records_read == 4 and result.rejects.height == 0
    ev = result.events.sort("source_ref")
    assert ev.get_column("source_ref").to_list() == ["row 2", "row 3", "row 4", "row 5"]
    assert ev.get_column("kind").to_list() == ["call", "message", "location", "call"]
    assert ev.get_column("direction").to_list() == ["out", "in", "out", "in"]
    assert ev.get_column("sender").to_list() == [f"phone:{TARGET}", "phone:07700900001", f"phone:{TARGET}",
                                                 "phone:07700900003"]
    assert ev.get_column("duration_s").to_list() == [62, None, None, 0]
    assert ev.get_column("status").to_list() == ["answered", None, None, "missed"]
    assert [str(t) for t in ev.get_column("ts_utc")] == [
        "2026-03-01 12:00:00+00:00", "2026-03-01 12:05:10+00:00", "2026-03-13 09:00:00+00:00", "2026-03-14 23:59:59+00:00"]
    assert set(ev.get_column("ts_basis").to_list()) == {"utc"}
    assert ev.get_column("cell_id").to_list() == ["1001-20451", "1001-20451", "1001-20451", "1001-20453"]
    mapped = next(a for a in result.assumptions if "mapped by meaning" in a)
    for header, role in (("Target Number", "subject"), ("Other Party", "other"), ("Start Date (UTC)", "date"),
                         ("Duration (hh:mm:ss)", "duration"), ("End Cell", "last_cell")):
        assert f"{header!r} → {role}" in mapped
    assert "times read as UTC, as the headers state" in mapped
    detail = result.extra["cdr"].sort("source_ref")
    assert detail.get_column("last_cell").to_list() == ["1001-20452", None, "1001-20451", None]
    assert result.evidence is not None and result.evidence.get_column("related").to_list() == [f"imei:{IMEI}"]


def test_ingest_prints_the_inferred_mapping(case_dir: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "return.csv", [UNSEEN_HEADER, *UNSEEN_ROWS])
    out = atlas("ingest", case_dir, path)
    assert out.code == 0, out.err
    assert "mapped by meaning" in out.out and "'Other Party' → other" in out.out
    source = Case.open(case_dir).sources().row(0, named=True)
    assert any("mapped by meaning" in a for a in source["assumptions"])
    assert source["events"] == 4


def test_atlas_map_writes_a_template_that_ingests_the_same_events(tmp_path: Path, atlas: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "return.csv", [UNSEEN_HEADER, *UNSEEN_ROWS])
    out_file = tmp_path / "proposal.toml"
    res = atlas("map", path, "--out", out_file)
    assert res.code == 0, res.err
    assert "'Start Time (UTC)'" in res.out and "-> time" in res.out
    (tpl,) = load_templates(out_file)
    assert tpl.parties == "subject-other" and tpl.timezone == "UTC" and tpl.duration_format == "hms"
    assert tpl.date_format == "%d/%m/%Y" and tpl.time_format == "%H:%M:%S"
    auto, mapped = run(path), run(path, map=str(out_file))
    assert mapped.events.equals(auto.events)
    assert atlas("map", path, "--out", out_file).code == 2  # never overwrites without --force


def test_atlas_map_says_when_a_shipped_template_already_fits(tmp_path: Path, atlas: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "cc.csv", [
        ["Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type"],
        [TARGET, "07700900001", "01/03/2026 12:00:00", "62", "Voice"]])
    res = atlas("map", path, "--out", tmp_path / "x.toml")
    assert res.code == 0 and "calling-called" in res.out and not (tmp_path / "x.toml").exists()


def test_an_ambiguous_layout_is_a_clear_error_with_the_best_partial_mapping(tmp_path: Path, atlas: Callable[..., Any]) -> None:
    header = ["MSISDN", "Other Party", "Service", "Start", "Duration", "Cell ID"]  # no direction anywhere
    rows = [[TARGET, "07700900001", "Voice", "2026-03-01T12:00:00", "62", "1001-20451"],
            [TARGET, "07700900001", "SMS", "2026-03-01T12:05:10", "0", "1001-20451"]]
    path = write_csv(tmp_path / "return.csv", [header, *rows])
    with pytest.raises(FormatError) as err:
        run(path)
    text = str(err.value)
    assert "Mapping them by meaning is not certain" in text and "direction" in text
    assert "Best partial mapping: 'MSISDN' → subject, 'Other Party' → other" in text
    assert "atlas map return.csv" in text
    res = atlas("map", path, "--out", tmp_path / "partial.toml")
    assert res.code == 1 and "TO DO: direction" in res.out
    assert "# TO DO: direction" in (tmp_path / "partial.toml").read_text(encoding="utf-8")


def test_unknown_event_type_words_are_named_not_guessed(tmp_path: Path) -> None:
    rows = [r[:] for r in UNSEEN_ROWS]
    rows[0][2] = "Teleservice 11"
    rows[1][2] = "Teleservice 21"
    path = write_csv(tmp_path / "return.csv", [UNSEEN_HEADER, *rows])
    with pytest.raises(FormatError, match=r"event_type: values not in the vocabulary: 'Teleservice 11', 'Teleservice 21'"):
        run(path)


def test_a_duration_header_that_contradicts_its_values_is_ambiguous() -> None:
    header = ["Calling Number", "Called Number", "Date", "Time", "Duration (s)", "Event Type"]
    rows = [header, [TARGET, "07700900001", "01/03/2026", "12:00:00", "00:01:02", "Voice"]]
    prop = propose(rows)
    assert prop is not None and not prop.ok
    assert any("says seconds but the values are hms" in p for p in prop.problems)


def test_a_start_time_column_is_a_datetime_or_a_time_by_its_values() -> None:
    both = ["Calling Number", "Called Number", "Start Time", "Duration", "Call Type"]
    prop = propose([both, [TARGET, "07700900001", "2026-03-01 12:00:00", "62", "Voice"]])
    assert prop is not None and prop.ok and prop.mapping["start"] == "Start Time"
    assert prop.datetime_format is not None and prop.datetime_format.startswith("%Y-%m-%d %H:%M:%S")
    split = ["Calling Number", "Called Number", "Date", "Start Time", "Duration", "Call Type"]
    prop = propose([split, [TARGET, "07700900001", "2026-03-01", "12:00:00", "62", "Voice"]])
    assert prop is not None and prop.ok and prop.mapping["time"] == "Start Time" and prop.mapping["date"] == "Date"


def test_the_zone_is_read_from_a_cover_line_or_is_the_case_zone_and_said(tmp_path: Path) -> None:
    header = ["Caller", "Callee", "Record Date", "Record Time", "Length", "Event"]  # no template's names
    row = [TARGET, "07700900001", "01/07/2026", "12:00:00", "62", "Voice"]
    path = write_csv(tmp_path / "cover.csv", [["Times are UK local time"], [], header, row])
    result = run(path)
    assert result.events.get_column("ts_basis").to_list() == ["local"]
    assert str(result.events.get_column("ts_utc")[0]) == "2026-07-01 11:00:00+00:00"  # BST
    assert any("as the cover block states" in a for a in result.assumptions)
    path = write_csv(tmp_path / "none.csv", [header, row])
    result = run(path)
    assert any("no time zone stated" in a and "Europe/London" in a for a in result.assumptions)


def test_hexadecimal_lac_and_cell_ids_are_read_as_decimal(tmp_path: Path) -> None:
    header = ["Caller", "Callee", "Date/Time", "Length (s)", "Event", "LAC (hex)", "CI (hex)"]
    path = write_csv(tmp_path / "hex.csv", [header,
                                            [TARGET, "07700900001", "01/03/2026 12:00:00", "62", "Voice", "03E9", "4FE3"],
                                            [TARGET, "07700900001", "01/03/2026 12:10:00", "5", "Voice", "0x3e9", "0x4FE4"]])
    result = run(path)
    assert result.events.sort("source_ref").get_column("cell_id").to_list() == ["1001-20451", "1001-20452"]
    assert any("hexadecimal" in a and "'LAC (hex)'" in a for a in result.assumptions)
    # a shipped-shape template says it with cell_ids = "hex"
    tpl = tmp_path / "hex.toml"
    tpl.write_text("""[[template]]
name = "hex-cells"
parties = "a-b"
datetime_format = "%d/%m/%Y %H:%M:%S"
cell_ids = "hex"
required = ["a_party", "b_party", "start"]
[template.columns]
a_party = "Caller"
b_party = "Callee"
start = "Date/Time"
lac = "LAC (hex)"
first_cell = "CI (hex)"
""", encoding="utf-8")
    mapped = run(path, map=str(tpl))
    assert mapped.events.sort("source_ref").get_column("cell_id").to_list() == ["1001-20451", "1001-20452"]


def test_hex_cells_are_detected_from_their_letters_and_a_cgi_is_cut_after_conversion() -> None:
    header = ["Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type", "First CGI"]
    prop = propose([header, [TARGET, "07700900001", "01/03/2026 12:00:00", "62", "Voice", "234-10-03E9-4FE3"]])
    assert prop is not None and prop.ok and prop.hex_cells
    assert any("hold" in n and "hexadecimal" in n for n in prop.notes)


@pytest.mark.parametrize("names", [
    ("Caller", "Callee", "Date/Time", "Length (s)", "Event", "Diverted To"),  # by meaning
    ("Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type", "Forwarded To"),  # template
])
def test_a_call_forwarding_target_is_read(tmp_path: Path, names: tuple[str, ...]) -> None:
    path = write_csv(tmp_path / "fwd.csv", [list(names),
                                            ["07700900001", TARGET, "01/03/2026 12:00:00", "0", "Call Forward",
                                             "07700900999"],
                                            [TARGET, "07700900001", "01/03/2026 12:10:00", "5", "Voice", ""]])
    result = run(path)
    ev = result.events.sort("source_ref")
    assert ev.get_column("status").to_list() == ["forwarded", "answered"]
    assert ev.get_column("text").to_list() == ["call forwarded to 07700900999", None]
    assert result.extra["cdr"].sort("source_ref").get_column("forwarded_to").to_list() == ["07700900999", None]


def test_detection_is_confident_only_when_the_meaning_maps_without_doubt(tmp_path: Path) -> None:
    ok = write_csv(tmp_path / "ok.csv", [UNSEEN_HEADER, *UNSEEN_ROWS])
    assert parsers.by_name("cdr").detect(Probe(ok)) == 80
    unsure = write_csv(tmp_path / "unsure.csv", [["MSISDN", "Other Party", "Service", "Start", "Duration", "IMEI"],
                                                  [TARGET, "07700900001", "Voice", "2026-03-01T12:00:00", "62", IMEI]])
    assert parsers.by_name("cdr").detect(Probe(unsure)) == 40


def test_the_vocabulary_is_data_and_every_role_is_a_template_column_key() -> None:
    from parsers.cdr import COLUMN_KEYS

    vocab = vocabulary()
    assert set(vocab.roles) <= set(COLUMN_KEYS)
    assert set(vocab.event_types.values()) <= {f"{t}{d}" for t in ("voice", "sms", "mms", "data", "voicemail",
                                                                    "call-forward") for d in ("", ":out", ":in")}
    assert set(vocab.directions.values()) == {"out", "in"}


def test_a_template_still_wins_over_meaning_for_every_shipped_layout(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cc.csv", [
        ["Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type"],
        [TARGET, "07700900001", "01/03/2026 12:00:00", "62", "Voice"]])
    result = run(path)
    assert not any("mapped by meaning" in a for a in result.assumptions)
    assert result.extra["cdr"].get_column("template").to_list() == ["calling-called"]


def test_the_unseen_layout_bench_runs_at_a_tiny_scale_and_both_sides_agree(tmp_path: Path) -> None:
    from bench.bench_cdr_unseen import run as bench_run

    numbers = bench_run(tmp_path, n=2000, repeats=1)
    assert numbers["same_counts"] is True and numbers["events_rejects"] == [(2000, 0)]
