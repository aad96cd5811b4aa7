"""The CSV read without the reader's empty-field option where no quote can make a quoted empty
field (:func:`parsers._tabular._empty_is_null`) gives the plain rule's table (``plain=True``)."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from parsers._bounds import LongLine
from parsers._tabular import CsvLayout, _empty_is_null, read_csv

CASES = {
    "empty fields, no quote": b"h1,h2,h3\n1,,x\n,,\n2,b,\n",
    "quoted empty": b'h1,h2,h3\n1,"",x\n,"",\n2,"b",\n',
    "quoted text with a doubled quote": b'h1,h2\n"a ""b""",\n,"c"\n',
    "ragged rows": b"h1,h2,h3\n1\n1,2,3,4\n,\n",
    "crlf": b"h1,h2\r\n,a\r\nb,\r\n\r\n",
    "blank lines and a cover block": b"Return\nTarget,0770\n\nh1,h2\n,\n\nx,\n",
    "whitespace fields": b"h1,h2\n , \n\t,x\n",
    "invalid utf-8 read lossily": b"h1,h2\n\xff,\nx,\xfe\n",
    "quote only above the table": b'"cover, quoted"\nh1,h2\n,x\n',
}


def _both(tmp_path: Path, data: bytes, skip: int = 0, *, delimiter: str = ",",
          cut: list[LongLine] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    layout = CsvLayout(delimiter, "utf-8", "crlf" if b"\r\n" in data else "lf")
    return (read_csv(path, layout, skip=skip, data=data, cut=cut),
            read_csv(path, layout, skip=skip, data=data, cut=cut, plain=True))


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_read_equals_plain(tmp_path: Path, name: str) -> None:
    data = CASES[name]
    for skip in range(3):
        fast, plain = _both(tmp_path, data, skip)
        assert fast.equals(plain), (name, skip)


def test_quoted_empty_is_missing_either_way(tmp_path: Path) -> None:
    fast, plain = _both(tmp_path, CASES["quoted empty"])
    assert fast.row(1) == plain.row(1) == ("1", None, "x")


def test_option_kept_only_where_a_quote_is_held() -> None:
    options = {"null_values": [""], "has_header": False}
    assert _empty_is_null(b'a,"",b\n', options) is options
    assert _empty_is_null(None, options) is options  # a path: the bytes are not in hand
    assert _empty_is_null(b"a,,b\n", options) == {"has_header": False}


def test_random_tables_equal_plain(tmp_path: Path) -> None:
    rng = random.Random(16)
    cells = ["", "", "a", "07700900001", " ", "x y", "Voice", "MO"]
    for _ in range(40):
        quoted = rng.random() < 0.3
        lines = []
        for _ in range(rng.randint(1, 30)):
            row = [rng.choice(cells) for _ in range(rng.randint(1, 5))]
            if quoted:
                row = [f'"{c}"' if rng.random() < 0.5 else c for c in row]
            lines.append(",".join(row))
        data = ("\n".join(lines) + ("\n" if rng.random() < 0.7 else "")).encode()
        fast, plain = _both(tmp_path, data, rng.randint(0, 2))
        assert fast.equals(plain), data
