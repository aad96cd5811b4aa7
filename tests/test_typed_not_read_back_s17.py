"""Atlas does not read its own text back (session 17): each output takes the typed data behind a
name, never a cut of a sentence or a key Atlas itself joined. Each test fails on the code before."""

from __future__ import annotations

from reports.exhibits import Exhibit
from reports.statement import source_description


def _exhibit(filename: str = "chat.txt") -> Exhibit:
    return Exhibit(key="source:ab", reference="JA/3", number=3, kind="source", description="", filename=filename)


def test_an_unknown_parsers_format_is_described_whole_not_cut_at_its_first_colon() -> None:
    """A store written by a version with a parser this one lacks: the exhibit list described it by the
    recorded format text up to its first ':', which cut a description holding a time pattern."""
    fmt = "Signal chat exported as plain text ('[YYYY-MM-DD, HH:MM] Name: text')"
    said = source_description(_exhibit(), "signal-text-v0", fmt, "")
    assert said == f"{fmt}: chat.txt"


def test_an_unknown_parser_with_no_recorded_format_is_named_by_its_parser() -> None:
    assert source_description(_exhibit(), "gone-parser", "", "") == "read by parser gone-parser: chat.txt"


def test_a_known_parser_is_described_by_its_kind_as_before() -> None:
    said = source_description(_exhibit("calls.csv"), "cdr", "anything: at all", "tel:+447700900002 (Dan)")
    assert said == "Call data record (communications data): calls.csv, relating to tel:+447700900002 (Dan)"
