"""A CSV whose bytes are not all in the encoding its head showed: read without a silent change to a
record's text, and what was read otherwise stated in the source's assumptions (how many bytes, and
where the first is).

Before session 18 the shared reader (:mod:`parsers._tabular`) judged the encoding from the file's first
256 KB alone: a byte that is not UTF-8 after a UTF-8 head was read as U+FFFD with no note (the hostile
sweep's "a CSV whose first 256 KB is valid UTF-8 but has a bad byte later"), and the same on the
CR-only/mixed-endings branch; a UTF-16 file's surrogate half without its pair and its odd last byte were
replaced or dropped without a word; a byte Windows-1252 has no character for was read as U+FFFD.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import parsers
from parsers._tabular import Recoded, decode, read_notes, read_sheets
from parsers.base import PROBE_BYTES, ParseContext
from tests._hostile import CSV_PARSERS, SEEDS

ROW = b"abc,def\n"
PAD = ROW * (PROBE_BYTES // len(ROW) + 10)
"""Valid UTF-8 lines past the head, so the byte that is not UTF-8 lies beyond where the encoding is judged."""
PAD_LINES = PAD.count(b"\n")


def _table(tmp_path: Path, data: bytes) -> tuple[list[tuple[str | None, ...]], list[str]]:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    for given in (None, data):  # from the file, and from its bytes in memory (an ingest's whole read)
        [sheet] = read_sheets(path, given)
        rows = sheet.frame(0).rows()
        if given is None:
            from_file = (rows, sheet.notes())
    assert (rows, sheet.notes()) == from_file
    return from_file


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r", b"mixed"])
def test_a_byte_that_is_not_utf8_after_a_utf8_head_is_read_as_windows_1252_and_stated(tmp_path: Path,
                                                                                      eol: bytes) -> None:
    first_eol, pad, eol = (b"\r", PAD, b"\r\n") if eol == b"mixed" else (eol, PAD.replace(b"\n", eol), eol)
    head = b"h1,h2" + first_eol + pad
    rows, notes = _table(tmp_path, head + b"Caf\xe9 \xa35,Zo\xc3\xab \xe2\x9d\xa4" + eol + b"last,row" + eol)
    assert rows[-2:] == [("Café £5", "Zoë ❤"), ("last", "row")]
    assert not any("\ufffd" in (c or "") for r in rows for c in r)
    said = [n for n in notes if n.startswith("UTF-8 in the first")]
    assert said == [f"UTF-8 in the first {PROBE_BYTES:,} bytes, where the encoding was judged; from byte offset "
                    f"{len(head) + 3:,} (counted from 0; line {2 + PAD_LINES:,}), bytes that are not UTF-8 (2 "
                    "bytes in 2 places) read as Windows-1252, the rest as UTF-8"]


def test_the_place_named_is_the_files_when_a_long_record_before_it_was_cut(tmp_path: Path) -> None:
    from parsers._bounds import TABLE_LINE_BYTES

    big = b'x,"' + b"a\n" * (TABLE_LINE_BYTES // 2 + 10) + b'"\n'  # one record of many lines over the bound
    head = b"h1,h2\n" + PAD
    rows, notes = _table(tmp_path, head + big + b"Caf\xe9,1\n")
    assert rows[-1] == ("Café", "1")
    [said] = [n for n in notes if n.startswith("UTF-8 in the first")]
    line = 2 + PAD_LINES + big.count(b"\n")
    assert f"from byte offset {len(head) + len(big) + 3:,} (counted from 0; line {line:,})" in said


def test_a_valid_file_says_nothing_more_and_a_utf8_head_with_a_bom_keeps_it_out_of_the_header(tmp_path: Path) -> None:
    rows, notes = _table(tmp_path, b"h1,h2\n" + PAD + "Zoë,❤\n".encode())
    assert notes == [] and rows[-1] == ("Zoë", "❤")
    rows, notes = _table(tmp_path, b"\xef\xbb\xbfh1,h2\n" + PAD + b"Caf\xe9,1\n")
    assert rows[0] == ("h1", "h2") and rows[-1] == ("Café", "1") and len(notes) == 1


def test_utf16_that_is_not_utf16_and_an_odd_last_byte_are_stated(tmp_path: Path) -> None:
    body = "h1,h2\nZoë,a\n".encode("utf-16-le") + b"\x00\xd8" + "b,c\n".encode("utf-16-le")
    rows, notes = _table(tmp_path, b"\xff\xfe" + body + b"x")
    assert rows == [("h1", "h2"), ("Zoë", "a"), ("\ufffdb", "c")]
    first = 2 + len("h1,h2\nZoë,a\n".encode("utf-16-le"))
    assert notes == [
        f"UTF-16 (byte-order mark): 2 bytes in 1 place that are not UTF-16 (half a surrogate pair without the other) "
        f"read as U+FFFD, the replacement character, the first at byte offset {first:,} (counted from 0; line 3); the "
        "rest as UTF-16; the bytes are kept unchanged in the source file",
        f"UTF-16 (byte-order mark): the file's last byte, at byte offset {len(body) + 2:,}, is half a character (the "
        "file has an odd number of bytes): not read; it is kept unchanged in the source file"]
    # a U+FFFD the file itself holds is no loss
    rows, notes = _table(tmp_path, b"\xff\xfe" + "h1,h2\nx\ufffdy,1\n".encode("utf-16-le"))
    assert rows[-1] == ("x\ufffdy", "1") and notes == []


def test_a_byte_windows_1252_has_no_character_for_is_kept_and_stated(tmp_path: Path) -> None:
    assert decode(b"Caf\xe9 \x81\x9d") == ("Café \x81\x9d", "cp1252")
    rows, notes = _table(tmp_path, b"h1,h2\nCaf\xe9,x\x81y\n")
    assert rows[-1] == ("Café", "x\x81y")
    assert notes[1:] == ["1 byte that is neither UTF-8 nor Windows-1252 (0x81, 0x8D, 0x8F, 0x90 or 0x9D: Windows-1252 "
                         "has no character for them) kept as the control character of the same number (U+0081 ...), "
                         "the first at byte offset 12 (counted from 0; line 2)"]
    rows, notes = _table(tmp_path, b"h1,h2\n" + PAD + b"Caf\xe9,x\x8dy\n")
    assert rows[-1] == ("Café", "x\x8dy") and len(notes) == 2 and notes[1].startswith("1 byte that is neither")


def test_read_notes_are_typed_and_empty_before_the_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"h1,h2\n" + PAD + b"Caf\xe9,1\n")
    [sheet] = read_sheets(path)
    assert read_notes([sheet]) == [] and sheet.notes() == []
    sheet.frame(0)
    [got] = sheet.recoded
    assert got == Recoded("utf-8", PROBE_BYTES, 6 + len(PAD) + 3, 2 + PAD_LINES, 1, 1, "cp1252")
    assert read_notes([sheet]) == sheet.notes() == [got.note()]


# --- every parser that reads a CSV through the shared reader --------------------------------------------------


def _with_late_byte(seed: Path, encoded: bytes) -> bytes:
    """The seed with its last line repeated past the head, and one more copy of it in which a letter is
    ``encoded`` (É as UTF-8, or as Windows-1252)."""
    data = seed.read_bytes()
    last = data.rstrip(b"\r\n").splitlines(keepends=True)[-1].rstrip(b"\r\n") + b"\n"
    body = data if data.endswith(b"\n") else data + b"\n"
    copies = last * (PROBE_BYTES // len(last) + 2)
    i = max(last.rfind(c) for c in (b"a", b"e", b"o", b"E", b"O"))
    return body + copies + last[:i] + encoded + last[i + 1:]


@pytest.mark.parametrize("seed", CSV_PARSERS)
def test_every_csv_parser_states_a_late_byte_that_is_not_utf8_and_reads_the_row_as_written(
        seeds: dict[str, Path], tmp_path: Path, seed: str) -> None:
    parser = parsers.by_name(SEEDS[seed][0])
    got = {}
    for name, encoded in (("utf8", "É".encode()), ("cp1252", "É".encode("cp1252"))):
        path = tmp_path / name / seeds[seed].name
        path.parent.mkdir()
        path.write_bytes(_with_late_byte(seeds[seed], encoded))
        got[name] = parser.parse(path, ParseContext(source_id="s", path=path))
    plain, late = got["utf8"], got["cp1252"]
    assert late.records_read == plain.records_read
    assert late.events.drop("source_id", strict=False).equals(plain.events.drop("source_id", strict=False))
    assert late.rejects.height == plain.rejects.height
    said = [a for a in late.assumptions if a.startswith("UTF-8 in the first")]
    assert len(said) == 1 and "1 byte in 1 place" in said[0], late.assumptions
    assert [a for a in late.assumptions if a not in said] == plain.assumptions  # the rest as before, in order
    assert not any("\ufffd" in v for c in late.events.select(pl.col(pl.String)).iter_columns() for v in c if v)


def test_the_piecewise_recode_is_the_whole_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`parsers._tabular._utf8_recoded` decodes a file a piece at a time (each ending at a line break,
    so the file is never held whole as text): the same UTF-8, and the same tally (offsets the file's)."""
    import random

    from parsers import _tabular

    monkeypatch.setattr(_tabular, "_RECODE_PIECE", 7)
    rng = random.Random(18)
    for _ in range(300):
        data = bytes(rng.choice(b"ab\n,\xe9\x81\xc3\xa9\xe2\x9d\xa4") for _ in range(rng.randint(0, 60)))
        whole, tally = _tabular._recorded(data, "utf-8", _tabular.CP1252_FOR_INVALID)
        pieces, by_piece = _tabular._utf8_recoded(data)
        assert pieces == whole.encode("utf-8"), data
        assert ((tally.first, tally.places, tally.count, tally.undefined, tally.undefined_first)
                == (by_piece.first, by_piece.places, by_piece.count, by_piece.undefined, by_piece.undefined_first)), data


@pytest.mark.parametrize("seed", ["whatsapp-text", "signal-text"])
def test_a_utf16_chat_says_what_was_not_utf16(seeds: dict[str, Path], tmp_path: Path, seed: str) -> None:
    """The chat parsers (WhatsApp text through :mod:`parsers._text_columns`, Signal text) convert a UTF-16 file
    as the tabular reader does: a surrogate half alone (U+FFFD) and an odd last byte (dropped) were not said;
    now they are."""
    parser = parsers.by_name(SEEDS[seed][0])
    text = seeds[seed].read_bytes().decode("utf-8-sig")
    good = b"\xff\xfe" + text.encode("utf-16-le")
    at = good.rfind("\n".encode("utf-16-le"), 0, len(good) - 4)  # inside the last message's line
    bad = good[:at] + b"\x00\xd8" + good[at:] + b"x"
    got = {}
    for name, data in (("good", good), ("bad", bad)):
        path = tmp_path / name / seeds[seed].name
        path.parent.mkdir()
        path.write_bytes(data)
        got[name] = parser.parse(path, ParseContext(source_id="s", path=path))
    said = [a for a in got["bad"].assumptions if a not in got["good"].assumptions]
    line = good[2:at].decode("utf-16-le").count("\n") + 1
    assert said == [
        f"UTF-16 (byte-order mark): 2 bytes in 1 place that are not UTF-16 (half a surrogate pair without the other) "
        f"read as U+FFFD, the replacement character, the first at byte offset {at:,} (counted from 0; line "
        f"{line:,}); the rest as UTF-16; the "
        "bytes are kept unchanged in the source file",
        f"UTF-16 (byte-order mark): the file's last byte, at byte offset {len(bad) - 1:,}, is half a character (the "
        "file has an odd number of bytes): not read; it is kept unchanged in the source file"], got["bad"].assumptions
    assert got["bad"].records_read == got["good"].records_read


@pytest.mark.parametrize("seed", ["cdr", "tool-export"])
def test_an_ingest_stores_the_note_with_the_source(seeds: dict[str, Path], tmp_path: Path, seed: str) -> None:
    """Through the ingest (a CDR is handed over as the file's bytes, read once and hashed): the note is in
    the source's stored assumptions, and the row's text is as written."""
    from atlas.ingest import IngestOptions, ingest_file
    from atlas.store import Case, init_case
    from atlas.store.manifest import TEMPLATE

    init_case(tmp_path / "case", TEMPLATE)
    path = tmp_path / seeds[seed].name
    path.write_bytes(_with_late_byte(seeds[seed], "É".encode("cp1252")))
    _, staged = ingest_file(Case.open(tmp_path / "case"), path, IngestOptions(format=SEEDS[seed][0]))
    assert staged is not None
    assert sum(a.startswith("UTF-8 in the first") for a in staged.source["assumptions"]) == 1
    assert not any("\ufffd" in v for c in staged.events.select(pl.col(pl.String)).iter_columns() for v in c if v)
