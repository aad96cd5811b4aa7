"""Text and tabular inputs as real files present them: every line-ending convention, control
and separator characters as data, a huge line in the detection prefix, JSON lone
surrogates, encodings and BOMs, all through the one shared tabular reader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from fixtures.generate import generate
from parsers._tabular import decode, read_sheets, sniff_delimiter, split_row
from parsers.base import ParseContext, ParseResult, Probe, split_lines

SURROGATE_REASON = "unpaired UTF-16 surrogate"


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("text-inputs")
    out = {}
    for scenario in ("time-limit", "covert", "clean", "third-parties"):
        generate(scenario, 1, 0.2, root / scenario)
        out[scenario] = root / scenario
    return out


def parse(path: Path, **options: str) -> tuple[str, ParseResult]:
    parser = parsers.detect(path)
    return parser.INFO.name, parser.parse(path, ParseContext(source_id="s1", path=path, options=dict(options)))


def comparable(result: ParseResult) -> pl.DataFrame:
    """The events as a person would compare them (the order and every column)."""
    return result.events.sort("source_ref")


TABLES = [
    ("time-limit", "sources/comms-data/07700900002_originating-terminating_cdr.csv", "cdr"),
    ("time-limit", "sources/comms-data/network-a_cell_sites.csv", "cell-sites"),
    ("time-limit", "sources/comms-data/subscriber_return.csv", "subscriber"),
    ("time-limit", "sources/google-return/Location History.csv", "google-returns-csv"),
    ("time-limit", "sources/victim-phone/XRY export/Messages.csv", "tool-export"),
    ("covert", "sources/victim-phone/AXIOM export/Call Log.csv", "tool-export"),
    ("covert", "sources/comms-data/07700900002_a-party-b-party_cdr.csv", "cdr"),
    ("clean", "sources/snapchat-return/conversations.csv", "snapchat"),
    ("clean", "sources/victim-phone/WhatsApp Chat with *.txt", "whatsapp-text"),
    ("clean", "sources/victim-phone/signal/Signal chat with Sam.txt", "signal-text"),
]


def with_endings(data: bytes, convention: str) -> bytes:
    lf = data.replace(b"\r\n", b"\n")
    if convention == "crlf":
        return lf.replace(b"\n", b"\r\n")
    if convention == "cr":
        return lf.replace(b"\n", b"\r")
    # mixed: line by line LF, CRLF, CR in turn (a lone CR before a blank LF line would be a
    # CRLF, so such a line keeps its LF)
    lines = lf.split(b"\n")
    ends = (b"\n", b"\r\n", b"\r")
    out = []
    for i, line in enumerate(lines[:-1]):
        end = ends[i % 3]
        out.append(line + (b"\n" if end == b"\r" and lines[i + 1] == b"" else end))
    return b"".join(out) + lines[-1]


@pytest.mark.parametrize("convention", ["crlf", "cr", "mixed"])
@pytest.mark.parametrize(("scenario", "rel", "parser"), TABLES, ids=[t[1].rsplit("/", 1)[-1] for t in TABLES])
def test_every_line_ending_convention_reads_the_same_records(
        cases: dict[str, Path], tmp_path: Path, scenario: str, rel: str, parser: str, convention: str) -> None:
    original = next(iter(sorted(cases[scenario].glob(rel))))
    lf = tmp_path / f"lf{original.suffix}"
    lf.write_bytes(original.read_bytes().replace(b"\r\n", b"\n"))
    variant = tmp_path / original.name
    variant.write_bytes(with_endings(lf.read_bytes(), convention))
    name_lf, expected = parse(lf)
    name, got = parse(variant)
    assert name == name_lf == parser
    assert got.records_read == expected.records_read >= 1
    assert got.rejects.height == expected.rejects.height
    assert comparable(got).equals(comparable(expected))
    if re.search(rb"\r(?!\n)", variant.read_bytes()):  # a lone CR was read as a line break, and said so
        assert any("CR" in a for a in got.assumptions), got.assumptions


@pytest.mark.parametrize("mark", ["\x0c", "\x1c", "\x1d", "\x1e", "\x0b", "\u2028", "\u2029", "\x85"])
def test_control_and_separator_characters_above_a_csv_header_are_data_not_line_breaks(
        cases: dict[str, Path], tmp_path: Path, mark: str) -> None:
    original = cases["time-limit"] / TABLES[0][1]
    _, expected = parse(original)
    path = tmp_path / "cdr.csv"
    path.write_text(f"Return reference{mark}OP-1{mark}page 1\n" + original.read_text(encoding="utf-8"), encoding="utf-8")
    _, got = parse(path)
    assert got.records_read == expected.records_read
    assert got.events.height == expected.events.height
    # one line more above the header: every row is one row further down, none lost
    shift = {f"row {int(r.split()[1]) + 1}" for r in expected.events.get_column("source_ref")}
    assert set(got.events.get_column("source_ref")) == shift


def test_a_separator_character_inside_a_chat_message_stays_in_the_message(cases: dict[str, Path], tmp_path: Path) -> None:
    original = sorted(cases["clean"].glob("sources/victim-phone/WhatsApp Chat with *.txt"))[0]
    lines = original.read_text(encoding="utf-8").split("\n")
    k = next(i for i, ln in enumerate(lines) if ": " in ln and i > 2)
    lines[k] = lines[k] + "\u2028second part\x0cthird"
    path = tmp_path / original.name
    path.write_text("\n".join(lines), encoding="utf-8")
    _, expected = parse(original)
    _, got = parse(path)
    assert got.records_read == expected.records_read
    assert got.events.filter(pl.col("text").str.contains("\u2028second part\x0cthird", literal=True)).height == 1


def minified_records(n: int) -> str:
    return json.dumps({"locations": [
        {"latitudeE7": 515074000 + i, "longitudeE7": -1278000, "accuracy": 16, "source": "WIFI", "deviceTag": 12345,
         "timestamp": f"2024-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"} for i in range(n)
    ]}, separators=(",", ":"))


def test_a_minified_one_line_records_json_longer_than_the_probe_is_detected_and_read(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    path.write_text(minified_records(3000), encoding="utf-8")
    assert path.stat().st_size > 256 * 1024 and "\n" not in path.read_text(encoding="utf-8")
    name, result = parse(path)
    assert name == "google-records-json"
    assert result.records_read == 3000 and result.events.height == 3000 and result.rejects.height == 0


def test_a_one_line_timeline_json_with_a_field_longer_than_the_csv_limit_is_detected(tmp_path: Path) -> None:
    # one JSON string longer than 131,072 characters inside the probe, on one line
    doc = {"semanticSegments": [{"startTime": "2024-03-01T10:00:00.000+00:00", "endTime": "2024-03-01T11:00:00.000+00:00",
                                 "visit": {"topCandidate": {"placeId": "x" * 140_000, "semanticType": "HOME",
                                                            "placeLocation": {"latLng": "51.5°, -0.12°"}},
                                           "probability": 0.9}}], "rawSignals": []}
    path = tmp_path / "Timeline.json"
    path.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    name, result = parse(path)
    assert name == "google-timeline-json"
    assert result.records_read == 1


def test_a_tool_export_with_a_huge_message_in_its_first_rows_is_detected_and_read(cases: dict[str, Path], tmp_path: Path) -> None:
    original = cases["time-limit"] / "sources/victim-phone/XRY export/Messages.csv"
    _, expected = parse(original)
    lines = original.read_text(encoding="utf-8").split("\n")
    header = next(i for i, ln in enumerate(lines) if ln.count(",") >= 3)
    fields = next(__import__("csv").reader([lines[header + 1]]))
    text_col = max(range(len(fields)), key=lambda i: len(fields[i]))  # the message text
    fields[text_col] = "long " * 40_000
    lines[header + 1] = ",".join(f'"{f}"' for f in fields)
    path = tmp_path / "Messages.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    name, got = parse(path)
    assert name == "tool-export"
    assert got.records_read == expected.records_read
    assert int(got.events.select(pl.col("text").str.len_chars().max()).item()) >= 199_000


# --- lone surrogates ---------------------------------------------------------------------

SURROGATE_FILES = [
    ("clean", "sources/victim-snapchat/json/chat_history.json", "snapchat", r'"(?:Content|Text)": "'),
    ("clean", "sources/victim-x-archive/data/direct-messages.js", "x-archive", r'"text" : "|"text": "'),
    ("clean", "sources/victim-telegram/DataExport_2026-07-01/result.json", "telegram-json", r'"text": "'),
    ("covert", "sources/suspect-google/Takeout/Location History/Semantic Location History", "google-semantic-json",
     r'"activityType": "|"name": "'),
    ("covert", "sources/victim-phone/Timeline.json", "google-timeline-json", r'"semanticType": "'),
    ("third-parties", "sources/mother-facebook", "meta-dyi-json", r'"content": "'),
]


def _one(root: Path, rel: str, suffix: str) -> Path:
    path = root / rel
    if path.is_file():
        return path
    found = sorted(p for p in path.rglob(f"*{suffix}") if p.is_file() and p.stat().st_size > 200)
    assert found, f"no {suffix} under {path}"
    return found[0]


@pytest.mark.parametrize(("scenario", "rel", "parser", "key"), SURROGATE_FILES, ids=[f[2] for f in SURROGATE_FILES])
def test_a_json_lone_surrogate_is_one_reject_for_its_record_not_a_failed_file(
        cases: dict[str, Path], tmp_path: Path, scenario: str, rel: str, parser: str, key: str) -> None:
    original = _one(cases[scenario], rel, ".js" if parser == "x-archive" else ".json")
    name, expected = parse(original)
    assert name == parser
    text = original.read_text(encoding="utf-8")
    m = re.search(key, text)
    assert m, f"{key} not in {original}"
    path = tmp_path / original.name
    path.write_text(text[: m.end()] + "\\ud800" + text[m.end():], encoding="utf-8")
    name, got = parse(path)
    assert name == parser
    assert got.records_read == expected.records_read
    bad = got.rejects.filter(pl.col("reason").str.contains(SURROGATE_REASON))
    assert bad.height >= 1
    assert got.events.height + got.rejects.height == got.records_read
    assert got.events.height == expected.events.height - bad.height
    assert bad.get_column("excerpt").str.contains("\\ud800", literal=True).any()
    # every stored text is a real character string (Parquet needs UTF-8)
    got.events.write_parquet(tmp_path / "events.parquet")


def test_a_surrogate_pair_written_as_escapes_is_one_character_not_a_reject(tmp_path: Path) -> None:
    doc = {"name": "Chat", "type": "personal_chat", "id": 1, "messages": [
        {"id": 1, "type": "message", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200", "from": "Ann",
         "from_id": "user1", "text": "smile \ud83d\ude00"}]}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    assert "\\ud83d\\ude00" in path.read_text(encoding="utf-8")
    name, result = parse(path)
    assert name == "telegram-json"
    assert result.rejects.height == 0
    assert result.events.get_column("text").to_list() == ["smile \U0001f600"]


# --- the shared reader --------------------------------------------------------------------


def test_split_lines_breaks_at_lf_crlf_and_cr_only() -> None:
    assert split_lines("a\nb\r\nc\rd\x0ce\x1cf\u2028g\n") == ["a", "b", "c", "d\x0ce\x1cf\u2028g"]
    assert split_lines("") == [] and split_lines("one") == ["one"] and split_lines("\n") == [""]


def test_split_row_reads_quotes_on_a_line_too_long_for_the_csv_module() -> None:
    long = "x" * 200_000
    line = f'a,"{long}","say ""hi""",b'
    assert split_row(line, ",") == ["a", long, 'say "hi"', "b"]
    assert split_row(line, ";") == [line]  # no ';': one field, as written
    assert sniff_delimiter([line, "a,b,c,d"]) == ","
    assert split_row("a\x00b,c", ",") == ["a\x00b", "c"]  # a NUL never throws


def test_decode_keeps_utf8_when_the_head_cuts_a_character_and_reads_windows_1252_otherwise() -> None:
    text = "Café, 07700 900123\n" * 3
    data = text.encode("utf-8")
    assert decode(data[:-2] + "é".encode()[:1], complete=False)[1] == "utf-8"
    assert decode("Café,£5\n".encode("cp1252")) == ("Café,£5\n", "cp1252")
    assert decode("a,b\n".encode("utf-16")) == ("a,b\n", "utf-16")


def test_a_csv_mixing_utf8_and_windows_1252_keeps_each_row_as_written(tmp_path: Path) -> None:
    """Before session 18 one Windows-1252 byte made the whole file Windows-1252: the UTF-8 rows' text was
    changed ("Zoë loves you ❤" stored as "ZoÃ« loves you â�¤"). Only the bytes that are not UTF-8 are."""
    from parsers import tool_export

    path = tmp_path / "SMS.csv"
    path.write_bytes(b"Item ID,Partner,Partner Name,Type,Message,Date/Time - UTC+00:00 (dd/MM/yyyy),Message Status\n"
                     + "1001,+447700900005,Chloe,Received,Zoë loves you ❤,08/03/2026 18:38:50,Read\n".encode()
                     + "1002,+447700900005,Chloe,Sent,Café £5,08/03/2026 18:53:08,Sent\n".encode("cp1252"))
    assert decode(path.read_bytes()) == (path.read_bytes()[:170].decode() + path.read_bytes()[170:].decode("cp1252"),
                                         "cp1252")
    got = tool_export.parse(path, ParseContext(source_id="s", path=path))
    assert sorted(got.events.get_column("text").to_list()) == ["Café £5", "Zoë loves you ❤"]
    assert any(a.startswith("not UTF-8 throughout: the bytes that are not UTF-8 read as Windows-1252")
               for a in got.assumptions)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_a_csv_in_any_encoding_reads_the_same_records(cases: dict[str, Path], tmp_path: Path, encoding: str) -> None:
    original = cases["time-limit"] / TABLES[0][1]
    _, expected = parse(original)
    path = tmp_path / "cdr.csv"
    # a provider's cover line with a non-ASCII character (the encoding must be decided)
    path.write_text("Réf. OP-1 £0\n" + original.read_text(encoding="utf-8"), encoding=encoding)
    _, got = parse(path)
    expected.events = expected.events.with_columns(
        pl.format("row {}", pl.col("source_ref").str.extract(r"(\d+)").cast(pl.Int64) + 1).alias("source_ref"))
    assert comparable(got).equals(comparable(expected))
    if encoding == "cp1252":
        assert any("Windows-1252" in a for a in got.assumptions)


def test_every_tabular_detector_shares_one_read_of_the_probe(cases: dict[str, Path]) -> None:
    path = cases["time-limit"] / TABLES[0][1]
    probe = Probe(path)
    from parsers._tabular import probe_sheets

    assert probe_sheets(probe) is probe_sheets(probe)
    assert [p.INFO.name for p in parsers.all_parsers() if p.detect(probe) >= 30][:1] == ["cdr"]


def test_an_empty_or_binary_table_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(FormatError, match="empty"):
        read_sheets(empty)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"a,b\x00\x01\x02" * 100)
    with pytest.raises(FormatError, match="binary"):
        read_sheets(binary)
