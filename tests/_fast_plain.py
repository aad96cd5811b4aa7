"""What the parsers' fast-equals-plain tests share: loading a test module by name (its own
test functions are re-run with the plain rule patched in) and the comparison of two parse
results, every frame, extra table, assumption and stated fact."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.errors import FormatError
from parsers.base import ParseContext, ParseResult

HERE = Path(__file__).resolve().parent


def spoiled_texts(doc: object) -> dict[str, bytes]:
    """``doc`` as a JSON file arrives spoiled (cut short, empty, a byte that is not UTF-8, a BOM,
    UTF-16, text after the end) or merely compact: inputs every JSON parser's fast path must read
    as its plain rule does, or refuse in the same words."""
    text = json.dumps(doc).encode()
    return {
        "truncated": text[:-20],
        "empty": b"",
        "not utf-8": text[:40] + b"\xff\xfe" + text[40:],
        "bom": b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False).encode(),
        "utf-16": b"\xff\xfe" + json.dumps(doc, ensure_ascii=False).encode("utf-16-le"),
        "trailing text": text + b" x",
        "compact": json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode(),
    }


def load_test_module(name: str) -> Any:
    """The test module ``tests/<name>.py``, imported once (the same object pytest collected)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module




def assert_identical(fast: ParseResult, plain: ParseResult) -> None:
    for what in ("events", "rejects", "evidence"):
        a, b = getattr(fast, what), getattr(plain, what)
        if a is None or b is None:
            assert a is None and b is None, what
            continue
        assert a.schema == b.schema, what
        assert a.equals(b, null_equal=True), what
    for name in set(fast.extra) | set(plain.extra):
        assert fast.extra[name].equals(plain.extra[name], null_equal=True), name
    assert fast.assumptions == plain.assumptions
    assert (fast.records_read, fast.region, fast.owner) == (plain.records_read, plain.region, plain.owner)


def assert_hand_over_is_plain(fast: ParseResult, plain: ParseResult, context: ParseContext,
                              owners: Callable[[ParseResult], list[str]]) -> None:
    """A fast parse that hands its identifiers over as URIs (``identifiers_are_uris``) or states its
    references distinct (``refs_unique``), normalised with those flags, gives what the plain rule's
    result gives normalised without them; and where identifiers were handed over, the ingest's
    choice of region (which it then skips) would have found none."""
    from atlas.ingest import region_from_events
    from atlas.normalise import to_events

    def normalised(result: ParseResult, handed_over: bool) -> tuple[Any, Any]:
        got = to_events(result.events, source_id="s", timezone="Europe/London", region="GB", owner_uris=owners(result),
                        identifiers_are_uris=handed_over and result.identifiers_are_uris,
                        refs_unique=handed_over and result.refs_unique)
        return got.events, got.rejects

    assert not plain.identifiers_are_uris and not plain.refs_unique
    (a, ar), (b, br) = normalised(fast, True), normalised(plain, False)
    assert a.schema == b.schema
    assert a.equals(b, null_equal=True)
    assert ar.equals(br, null_equal=True)
    if fast.identifiers_are_uris:
        assert region_from_events(plain, context) is None


def assert_fast_is_plain(parse: Callable[[Path, ParseContext], ParseResult],
                         parse_plain: Callable[[Path, ParseContext], ParseResult], path: Path, ctx: ParseContext,
                         compare: Callable[[ParseResult, ParseResult], None] = assert_identical) -> None:
    """``parse`` gives what ``parse_plain`` gives on ``path`` (``compare``), or the same
    refusal with the same words where the plain rule refuses the file."""
    try:
        plain = parse_plain(path, ctx)
    except FormatError as exc:
        with pytest.raises(FormatError) as got:
            parse(path, ctx)
        assert str(got.value) == str(exc)
        return
    compare(parse(path, ctx), plain)


def bench_json_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, size_key: str, size: int) -> Path:
    """The JSON-returns bench's file for parser ``name`` at a test's size (``SIZES[size_key]``),
    written by the bench's own writer (``ATLAS_BENCH_RECORDS_MB=1`` spares the 1 GB Records.json)."""
    from bench.bench_json_returns import SIZES, write_files

    monkeypatch.setenv("ATLAS_BENCH_SCALE", "0.001")
    monkeypatch.setenv("ATLAS_BENCH_RECORDS_MB", "1")
    monkeypatch.setitem(SIZES, size_key, size)
    path, _ = write_files(tmp_path / "bench")[name]
    return path


def mutant_is_plain(mutated: Any, parse: Callable[[Path, ParseContext], ParseResult],
                    parse_plain: Callable[[Path, ParseContext], ParseResult], path: Path, ctx: ParseContext,
                    trial: int) -> tuple[ParseResult, ParseResult] | None:
    """One mutant (``mutated`` is tests/test_fast_routes_mutated.py): the fast and plain rules end the
    same way, refused in the same words or stored the same. Both results when read, None when refused."""
    fast, plain = mutated._outcome(parse, path, ctx), mutated._outcome(parse_plain, path, ctx)
    assert fast[0] == plain[0], trial
    if fast[0] == "refused":
        assert fast[1] == plain[1], trial
        return None
    assert mutated._stored(fast[1]) == mutated._stored(plain[1]), trial
    return fast[1], plain[1]


def generated_and_bench_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str, bench_name: str,
                              size_key: str) -> list[Path]:
    """The files matching ``pattern`` in a generated clean case (seed 3), then the bench's file of
    ``bench_name`` at 2,000 records: what the X and Telegram fast paths are held equal to the plain rule on."""
    from fixtures.generate import generate

    generate("clean", 3, 0.1, tmp_path / "case")
    found = sorted((tmp_path / "case").rglob(pattern))
    assert found, pattern
    return [*found, bench_json_file(tmp_path, monkeypatch, bench_name, size_key, 2_000)]
