"""``parsers._exports.raw_events`` builds its list-of-text columns from one Arrow array
(:func:`parsers._exports._text_lists`): the same frame as the plain construction
(``raw_events_plain``) for every shape a parser hands over, and for every JSON parser's
real samples and the bench's generated files (each parse done both ways and compared)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from parsers import _exports
from parsers.base import ParseContext

SHAPES: list[list[Any]] = [
    [["phone:1"], [], None, ["a", None, "b"], ["é", "\U000f0000x"]],
    [None, None], [[], []], [],
    [["a"], [1]],  # an element that is not text: the plain rule casts it
    [("a",), ["b"]],  # a tuple: the plain rule reads it
]


@pytest.mark.parametrize("values", SHAPES)
def test_list_columns_are_built_as_the_plain_rule_builds_them(values: list[Any]) -> None:
    columns: dict[str, Any] = {"source_ref": [f"r{i}" for i in range(len(values))], "recipients": values,
                               "attachments": values}
    fast, plain = _exports.raw_events(columns), _exports.raw_events_plain(columns)
    assert fast.schema == plain.schema
    assert fast.equals(plain, null_equal=True)


def test_json_parsers_read_the_same_with_the_plain_construction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_json_cycle_collection import _inputs, assert_identical

    compared = 0
    for module_name, path in _inputs(tmp_path):
        module: Any = importlib.import_module(f"parsers.{module_name}")
        if not hasattr(module, "raw_events"):
            continue
        ctx = ParseContext(source_id="s", path=path)
        fast = module.parse(path, ctx)
        with monkeypatch.context() as m:
            m.setattr(module, "raw_events", _exports.raw_events_plain)
            plain = module.parse(path, ctx)
        assert_identical(fast, plain)
        compared += 1
    assert compared >= 3
    assert pl.Series([["x"]]).dtype == pl.List(pl.String)


def test_the_surrogate_prefilter_never_rules_out_a_text_the_pattern_matches() -> None:
    import random

    rng = random.Random(5)
    pieces = ["\\ud800", "\\uD83D", "\\udc00", "\\uDE00", "\\u00e9", "\\\\", "\\u", "d800", "x", '"', "\\uD83D\\uDE00",
              "\\ue000", "\\UD800"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6)))
        if _exports._LONE_SURROGATE_ESCAPE.search(text):
            assert _exports._may_hold_surrogate_escape(text), text
    assert not _exports._may_hold_surrogate_escape('{"a": "\\u00e9 \\UD800"}')


@pytest.mark.parametrize("seed", range(6))
def test_the_surrogate_prefilter_is_the_two_substring_searches(seed: int) -> None:
    """The backslash walk (and the search past its first backslashes) answers exactly as
    ``"\\ud" in text or "\\uD" in text``, on texts with few and with many backslashes, an
    escape at the end, and characters beyond Latin-1 and beyond the BMP (wider strings)."""
    import random

    rng = random.Random(seed)
    pieces = ["\\ud800", "\\uD83D", "\\u00e9", "\\\\", "\\u", "\\", "\\n", "d", "u", "x" * 50, "é", "\u20ac",
              "\U0001f600", "\\UD800", "\\ue000", '"']
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.choice([1, 3, 10, 80, 300])))
        if rng.random() < 0.5:
            text = text.replace("\\ud", "\\ux").replace("\\uD", "\\uX")  # often none at all
        if rng.random() < 0.2:
            text += rng.choice(["\\ud", "\\uD", "\\u", "\\"])
        assert _exports._may_hold_surrogate_escape(text) == ("\\ud" in text or "\\uD" in text), text
    many = "\\n" * (_exports._BACKSLASHES_LOOKED_AT + 5)
    for tail, found in (("", False), ("\\ud800", True), ("\\\\uD800", True), ("\\u00e9", False)):
        assert _exports._may_hold_surrogate_escape(many + tail) is found
        assert _exports._may_hold_surrogate_escape(many[:-2] + tail) is found


@pytest.mark.parametrize(("senders", "everyone"), [
    (["a", "b", "a", None, "c", "", "b"], ["b", "a", "c", "a"]),  # a null sender, an empty one, a repeated member
    (["x"] * 5, ["x"]),  # a note to oneself: nobody else
    ([None, None], []),
    (["é", "\U000f0000x", "é"], ["é", "z", "\U000f0000x"]),
    ([], ["a"]),
])
def test_others_per_distinct_sender_is_the_row_by_row_rule(senders: list[str | None], everyone: list[str]) -> None:
    frame = pl.DataFrame({"sender": senders, "n": list(range(len(senders)))}, schema={"sender": pl.String,
                                                                                      "n": pl.Int64})
    fast, plain = _exports.others(frame, everyone), _exports.others_plain(frame, everyone)
    assert fast.name == plain.name and fast.dtype == plain.dtype
    assert fast.to_list() == plain.to_list()


def test_meta_parsers_read_the_same_with_the_row_by_row_recipients(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    from tests.test_json_cycle_collection import _inputs, assert_identical

    compared = 0
    for module_name, path in _inputs(tmp_path):
        module: Any = importlib.import_module(f"parsers.{module_name}")
        if not hasattr(module, "others"):
            continue
        ctx = ParseContext(source_id="s", path=path)
        fast = module.parse(path, ctx)
        with monkeypatch.context() as m:
            m.setattr(module, "others", _exports.others_plain)
            plain = module.parse(path, ctx)
        assert_identical(fast, plain)
        compared += 1
    assert compared >= 1
