"""A CSV with a quote that never closes (in its header row, or in a row): one clear error naming the
file and the line, the same for every CSV parser (the shared reader, :mod:`parsers._tabular`).

Before session 15 the same fault gave six different answers: a CDR or a tool export "fit no template"
(naming a data row as the headers seen), a Google return had "no header in the first 50 lines", and
the others passed on the table reader's own message, which quotes the field it failed on: the rest of
the file (10.7 MB of error for a 7 MB CDR). A header whose quote closed on a later line at a field's
end was read with the lines between run into the header: silently wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from atlas.errors import AtlasError
from atlas.ingest import IngestOptions, ingest_file
from atlas.store import Case
from parsers._tabular import read_sheets, split_row
from tests._hostile import CSV_PARSERS, SEEDS, _lines_variant, _table_header_index, quote_variant_line


def _refusal(case: Case, path: Path, fmt: str) -> str:
    with pytest.raises(AtlasError) as exc:
        ingest_file(case, path, IngestOptions(format=fmt))
    return str(exc.value)


@pytest.mark.parametrize("variant", ["quote-open-header", "quote-open-header-last", "quote-open-row"])
@pytest.mark.parametrize("seed", CSV_PARSERS)
def test_a_quote_that_never_closes_is_one_error_naming_the_file_and_the_line(
        seeds: dict[str, Path], case: Case, tmp_path: Path, seed: str, variant: str) -> None:
    path = tmp_path / seeds[seed].name
    path.write_bytes(_lines_variant(seeds[seed], variant, tabular=True))
    said = _refusal(case, path, SEEDS[seed][0])
    line = quote_variant_line(seeds[seed], variant)
    assert said.startswith(f"{path}: line {line}: "), said
    assert ("header row" in said) == (variant != "quote-open-row"), said
    assert "quote" in said and "nothing was read" in said and len(said) < 1000, said


@pytest.mark.parametrize("seed", CSV_PARSERS)
def test_the_head_shows_a_header_row_with_an_open_quote_as_written(seeds: dict[str, Path], tmp_path: Path,
                                                                   seed: str) -> None:
    """Every header finder sees the header a person sees (the stray quote left out), so each parser
    reaches the one refusal instead of its own 'no header' answer."""
    lines = seeds[seed].read_bytes().splitlines()
    i = _table_header_index(lines)
    path = tmp_path / seeds[seed].name
    path.write_bytes(_lines_variant(seeds[seed], "quote-open-header", tabular=True))
    [sheet] = read_sheets(path)
    assert sheet.rows[i] == split_row(lines[i].decode("utf-8-sig"), ",")


def test_a_header_whose_quote_closes_on_a_later_line_is_refused_not_run_into_the_header(case: Case, tmp_path: Path) -> None:
    """The table reader would make lines 1-3 the header (its last field holding a row and a half): two
    subscribers silently gone. The error names the line and where the quote closes."""
    path = tmp_path / "subscriber_return.csv"
    path.write_text('MSISDN,Subscriber Name,Address,IMSI,IMEI,Start Date,"End Date\n'
                    "447700900123,Jane Smith,1 High St,234150000000001,356789012345678,2025-01-01,\n"
                    '447700900124,unregistered,x",234150000000002,356789012345679,2025-02-01,\n'
                    "447700900125,Jo Bloggs,2 High St,234150000000003,356789012345670,2025-03-01,\n", encoding="utf-8")
    said = _refusal(case, path, "subscriber")
    assert re.match(re.escape(f"{path}: line 1: the header row has a quote") + r".*it closes on line 3", said), said


def test_a_quoted_line_break_in_a_row_is_read_as_before(case: Case, tmp_path: Path) -> None:
    """A quoted field that closes on a later line (an address, a message body) is data: the head splits
    its line as it always did and every record is read."""
    path = tmp_path / "subscriber_return.csv"
    text = ("MSISDN,Subscriber Name,Address,IMSI,IMEI,Start Date,End Date\n"
            '447700900123,Jane Smith,"1 High St,\nLondon",234150000000001,356789012345678,2025-01-01,\n'
            "447700900124,unregistered,,234150000000002,356789012345679,2025-02-01,\n")
    path.write_text(text, encoding="utf-8")
    [sheet] = read_sheets(path)
    assert sheet.rows == [split_row(line, ",") for line in text.splitlines()]
    _, staged = ingest_file(case, path, IngestOptions(format="subscriber"))
    assert staged is not None and staged.source["records_read"] == 2 and staged.rejects.height == 0


def test_the_error_never_quotes_the_rest_of_the_file(seeds: dict[str, Path], case: Case, tmp_path: Path) -> None:
    """The table reader's message quotes the field it failed on, which is everything after the quote."""
    lines = seeds["cdr"].read_bytes().splitlines(keepends=True)
    i = _table_header_index(lines)
    body = lines[i + 1:] * 100  # over 1 MiB, under the 4 MiB bound on one record (over it: one reject, lines N-M)
    body[0] = b'"' + body[0]
    path = tmp_path / seeds["cdr"].name
    path.write_bytes(b"".join(lines[:i + 1] + body))
    assert 1 << 20 < path.stat().st_size < 4 << 20
    said = _refusal(case, path, "cdr")
    assert said.startswith(f"{path}: line {i + 2}: a quote opened in column 1 ") and len(said) < 1000, said[:2000]
