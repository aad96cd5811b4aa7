"""``parsers._json_tally`` with a key holding U+0000 (``"\\u0000content"``, as the fuzz test writes):
Arrow can name no field so, and Polars panicked (a ``PanicException``, which escaped the ingest's
boundary) where the tally handed a column so named to Arrow. The bytes are counted all the same,
and a document so keyed is left to the plain rule."""

from __future__ import annotations

import json

import polars as pl
import pytest

from parsers._json_tally import NotFast, check_document, text_bytes


def test_a_column_named_with_u0000_gives_its_bytes() -> None:
    assert bytes(text_bytes(pl.Series("\x00content", ["ab", None, "c"]))) == b"abc"


def test_a_document_keyed_with_u0000_is_left_to_the_plain_rule() -> None:
    data = json.dumps([{"\x00content": "x", "b": 1}]).encode()
    with pytest.raises(NotFast):
        check_document(data, pl.read_json(data))
