"""A file found in a folder is *skipped* only when no parser takes it (not recognised, empty,
special, unreadable before any parser saw it); a file a parser took and could not read *failed*.

The distinction is typed where the error is raised (:class:`atlas.errors.NotASourceError`), never
read from the error's words. Before session 16 it was read from the words: a CDR whose quote never
closes ("... cannot be read: it never closes ...") found in a folder was reported *skipped*, as if
it were not evidence Atlas reads, and the rest of the folder was committed without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from atlas import ingest as ingest_module
from atlas.errors import FormatError, NotASourceError
from atlas.ingest import IngestOptions, ingest, stage_one
from atlas.store import Case
from tests._hostile import _lines_variant


def _folder(seeds: dict[str, Path], root: Path, seed: str) -> Path:
    folder = root / "evidence"
    folder.mkdir()
    (folder / "good.csv").write_bytes(seeds["cell-sites"].read_bytes())
    (folder / "calls.csv").write_bytes(_lines_variant(seeds[seed], "quote-open-row", tabular=True))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.bin").write_bytes(b"\x00\x01 nothing any parser reads\n")
    return folder


@pytest.mark.parametrize("seed", ["cdr", "tool-export"])
def test_a_table_whose_quote_never_closes_in_a_folder_failed_not_skipped(
        seeds: dict[str, Path], case: Case, tmp_path: Path, seed: str) -> None:
    folder = _folder(seeds, tmp_path, seed)
    outcomes = {Path(o.path).name: o for o in ingest(case, [folder], IngestOptions(keep_going=True))}
    bad = outcomes["calls.csv"]
    assert bad.status == "failed", (bad.status, bad.message)
    assert "calls.csv" in bad.message and "never closes" in bad.message, bad.message
    assert outcomes["good.csv"].status == "ingested"
    # what no parser takes is still skipped, with the short reason it always had
    assert (outcomes["empty.txt"].status, outcomes["empty.txt"].message) == ("skipped", "empty file")
    assert (outcomes["notes.bin"].status, outcomes["notes.bin"].message) == ("skipped", "format not recognised")


def test_without_keep_going_the_folder_is_refused_naming_the_file_and_nothing_is_committed(
        seeds: dict[str, Path], case: Case, tmp_path: Path) -> None:
    folder = _folder(seeds, tmp_path, "cdr")
    with pytest.raises(FormatError, match=r"calls\.csv: line \d+: a quote opened") as exc:
        ingest(case, [folder], IngestOptions())
    assert not isinstance(exc.value, NotASourceError)
    assert Case.open(case.root).sources().height == 0


@pytest.mark.parametrize("words", ["cannot be read (locked)", "the file is empty", "format not recognised",
                                   "not a regular file"])
def test_the_words_of_a_parser_failure_never_make_it_a_skip(
        case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, words: str) -> None:
    """A parser's own failure that happens to use the words of a skip is still a failure."""
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")

    def fails(_case: Case, p: Path, *_a: object, **_k: object) -> None:
        raise FormatError(f"{p}: {words}")

    monkeypatch.setattr(ingest_module, "ingest_file", fails)
    outcome, staged = stage_one(case, path, explicit=False, opts=IngestOptions(keep_going=True))
    assert (outcome.status, staged) == ("failed", None)
    with pytest.raises(FormatError):
        stage_one(case, path, explicit=False, opts=IngestOptions())


def test_a_file_no_parser_takes_is_skipped_with_the_reason_it_was_raised_with(
        case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")

    def not_a_source(_case: Case, p: Path, *_a: object, **_k: object) -> None:
        raise NotASourceError(f"{p}: a long sentence", reason="the short reason")

    monkeypatch.setattr(ingest_module, "ingest_file", not_a_source)
    outcome, staged = stage_one(case, path, explicit=False, opts=IngestOptions())
    assert (outcome.status, outcome.message, staged) == ("skipped", "the short reason", None)
    with pytest.raises(NotASourceError, match="a long sentence"):  # named on the command line: an error
        stage_one(case, path, explicit=True, opts=IngestOptions())


def test_the_type_and_its_reason_survive_pickling() -> None:
    """A batch worker's error crosses a process boundary whole."""
    import pickle

    back = pickle.loads(pickle.dumps(NotASourceError("x.bin: format not recognised (...)", reason="format not recognised")))
    assert isinstance(back, NotASourceError) and back.reason == "format not recognised"
    assert str(back) == "x.bin: format not recognised (...)"


def test_a_table_whose_head_is_blank_is_empty_only_when_the_head_is_the_whole_file(tmp_path: Path) -> None:
    """The table reader looks at the head only: blank space there is an empty file (skipped in a folder)
    only if nothing follows; a file with a table after its blank head failed, never a skip."""
    from parsers._tabular import read_sheets
    from parsers.base import PROBE_BYTES

    empty, hidden = tmp_path / "empty.csv", tmp_path / "hidden.csv"
    empty.write_bytes(b" \r\n\n")
    hidden.write_bytes(b" " * PROBE_BYTES + b"\na,b\n1,2\n")
    for path in (empty, hidden):
        for data in (None, path.read_bytes()):
            with pytest.raises(FormatError) as exc:
                read_sheets(path, data=data)
            assert isinstance(exc.value, NotASourceError) == (path is empty), str(exc.value)
