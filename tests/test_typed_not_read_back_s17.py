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


def test_report_html_rows_keep_their_records_as_a_list_even_when_an_id_holds_a_bar() -> None:
    """report.html joined each row's record ids with '|' and split them again to find their places among
    the embedded records: a record whose place holds a '|' (an Excel sheet may be named 'Calls|2026')
    was lost from its row's look-up. The ids now travel as a list, and the page gets positions."""
    from reports.html_report import embed_budget, key_records

    bar = "0123456789abcdef/sheet 'Calls|2026' row 4"
    plain = "0123456789abcdef/sheet 'SMS' row 2"
    rows = [{"when": "a", "_all": [bar, plain]}, {"when": "b", "_all": [plain]}]
    embedded, _ = embed_budget([rows])
    assert embedded == {bar, plain}
    order = sorted(embedded)
    key_records([rows], order)
    assert rows[0]["_ids"] == [order.index(bar), order.index(plain)]
    assert rows[1]["_ids"] == [order.index(plain)]


def test_a_conversation_names_its_two_sides_from_data_not_by_splitting_the_pair_text() -> None:
    """The workbench joined a pair's two sides with ' ↔ ' and split the text again to name them: a
    display name holding ' ↔ suspect' was cut in three and its last word named as the suspect."""
    import polars as pl

    from atlas.tui.views import conversations

    a, b = "name:0123456789abcdef:Eve ↔ suspect", "tel:+447700900001"
    view = pl.DataFrame({"_pair": [f"{a} ↔ {b}"] * 2, "_side_a": [a] * 2, "_side_b": [b] * 2,
                         "when (UK)": ["01/03/2026 10:00:00 GMT", "02/03/2026 10:00:00 GMT"],
                         "_channels": [["sms"], ["whatsapp"]]})
    pairs = conversations(view, {"suspect": "Daniel Sample (suspect)"})
    assert pairs.get_column("between").to_list() == ["Eve ↔ suspect ↔ tel:+447700900001"]
    assert pairs.get_column("contacts").to_list() == [2]


class _ThreeExhibits:
    """A stub review's three sources, whose references' text does not end in their numbers (JA/10 (bag A)):
    a sort that reads the number back out of the text gets them wrong; one by the numbers as data does not."""

    @staticmethod
    def source_refs() -> dict[str, str]:
        return {"s1": "JA/10 (bag A)", "s2": "JA/9 (bag B)", "s3": "JA/2 (bag C)"}

    @staticmethod
    def source_numbers() -> dict[str, int]:
        return {"s1": 10, "s2": 9, "s3": 2}


def test_the_overview_orders_sources_by_their_exhibit_numbers_as_data() -> None:
    """The Overview sorted its sources by int(reference.split('/')[-1]), reading the number back out of
    the text it shows. It now sorts by Review.source_numbers(); a reference whose text does not end in
    its number (here a stub's: the rule is what is tested, not a prefix a case could hold) crashed it."""
    import polars as pl

    from atlas.tui.screens.overview import OverviewScreen

    class _Manifest:
        @staticmethod
        def party_names() -> dict[str, str]:
            return {}

    class _Review(_ThreeExhibits):
        case = type("C", (), {"manifest": _Manifest()})()

        @staticmethod
        def identity_map() -> dict[str, str]:
            return {}

    sources = pl.DataFrame({"source_id": ["s1", "s2", "s3"], "name": ["a", "b", "c"], "parser": ["cdr"] * 3,
                            "owner": [None, None, None], "records_read": [1, 1, 1], "events": [1, 1, 1],
                            "rejects": [0, 0, 0], "sha256": ["0" * 64] * 3}, schema_overrides={"owner": pl.String})
    stub = type("S", (), {"review": _Review(), "case_sources": lambda self: sources})()
    frame = OverviewScreen._sources(stub)  # type: ignore[arg-type]
    assert frame.get_column("exhibit").to_list() == ["JA/2 (bag C)", "JA/9 (bag B)", "JA/10 (bag A)"]


def test_the_sources_screen_orders_sources_and_rejects_by_exhibit_numbers_as_data() -> None:
    """The Sources screen sorted by exhibit_sort_keys, a regex reading the number back out of 'JA/7'; a
    reference whose text does not end in its number (a stub's, as above) fell back to 0 and kept the store's
    order. It now sorts by Review.source_numbers()."""
    import polars as pl
    from textual.widgets import Static

    from atlas.tui.screens.sources import SourcesScreen
    from atlas.tui.widgets import FrameTable

    sources = pl.DataFrame({"source_id": ["s1", "s2", "s3"], "name": ["a", "b", "c"], "parser": ["cdr"] * 3,
                            "parser_version": ["1"] * 3, "owner": ["", "", ""], "timezone": ["UTC"] * 3,
                            "records_read": [1, 1, 1], "events": [1, 1, 1], "rejects": [0, 0, 0],
                            "assumptions": [["x"], ["y"], ["z"]], "sha256": ["0" * 64] * 3})
    rejects = pl.DataFrame({"source_id": ["s1", "s3", "s2", "s3"], "source_ref": ["row 1", "row 9", "row 2", "row 1"],
                            "reason": ["r"] * 4})

    class _Case:
        @staticmethod
        def sources() -> pl.DataFrame:
            return sources

        @staticmethod
        def rejects() -> pl.LazyFrame:
            return rejects.lazy()

    class _Review(_ThreeExhibits):
        case = _Case()

    stub = type("S", (), {"review": _Review(), "headline_widget": lambda self: Static()})()
    tables = [w for w in SourcesScreen.compose(stub) if isinstance(w, FrameTable)]  # type: ignore[arg-type]
    assert tables[0].frame.get_column("exhibit").to_list() == ["JA/2 (bag C)", "JA/9 (bag B)", "JA/10 (bag A)"]
    assert tables[1].frame.select("exhibit", "source_ref").rows() == [
        ("JA/2 (bag C)", "row 1"), ("JA/2 (bag C)", "row 9"), ("JA/9 (bag B)", "row 2"), ("JA/10 (bag A)", "row 1")]
