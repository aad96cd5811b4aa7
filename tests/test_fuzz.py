"""Hostile inputs, per parser family: never an uncaught exception, every record accounted
for, the source never changed.

Seeds are the files the synthetic-case generator writes (``fixtures/``), the smallest
per parser, plus the public iOS WhatsApp sample when present. Each input is one seed
put through one mutation: truncation, byte flips, re-encoding with and without a BOM,
every line-ending convention (and U+2028, form feed, ``\\x1c``), a huge field, an empty
or header-only file, a JSON lone surrogate, control characters; SQLite databases get
a table dropped, values of the wrong type, NULLs, corrupt pages or truncation. Half of
the inputs go through detection, half are forced on the seed's own parser (so damaged
files reach the parser instead of stopping at "format not recognised").

The property is the ingest's contract: :func:`atlas.ingest.ingest_file` either stages
the source with records read = events + rejects, or raises an :class:`AtlasError`
naming the file (what the CLI prints as one line). Anything else fails the test, with
the input that caused it. A failure *inside* a parser that the boundary turned into a
clean error is allowed here and counted ("parser failure caught"): those inputs are
listed in the summary for the parser's owner.

``make test`` runs a bounded number of examples (``ATLAS_FUZZ_EXAMPLES``, default 200 per
family, derandomised so CI is repeatable); ``make fuzz`` runs many more with fresh
randomness. The outcomes are printed at the end of the run; ``ATLAS_FUZZ_LOG=FILE`` also
writes every failure the boundary caught (not only the first few) to ``FILE``.

A second property (:func:`test_what_keeps_every_record_loses_none`) catches a silently smaller
result: changes that keep every record (another line-ending convention, blank lines between
rows, a byte-order mark, UTF-16) must give exactly the seed's records.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas.errors import AtlasError
from atlas.ingest import IngestOptions, ingest_file
from atlas.source_walk import shown
from atlas.store import Case, init_case
from atlas.store.manifest import TEMPLATE
from tests import _fuzz_stats

EXAMPLES = int(os.environ.get("ATLAS_FUZZ_EXAMPLES", "200"))
RANDOM = os.environ.get("ATLAS_FUZZ_RANDOM") == "1"

FAMILIES: dict[str, tuple[str, ...]] = {
    "text": ("whatsapp-text", "signal-text"),
    "tabular": ("cdr", "cell-sites", "subscriber", "tool-export", "google-returns-csv"),
    "json": ("google-records-json", "google-semantic-json", "google-timeline-json", "meta-dyi-json", "telegram-json",
             "snapchat", "x-archive"),
    "markup": ("meta-dyi-html", "cellebrite-xml"),
    "sqlite": ("android-calllog", "android-contacts", "android-mmssms", "ios-addressbook", "ios-callhistory", "ios-sms",
               "whatsapp-android-contacts", "whatsapp-android-db", "whatsapp-ios-db", "whatsapp-ios-contacts",
               "whatsapp-ios-calls"),
}
SCENARIOS = ("clean", "third-parties", "time-limit", "covert")
MAX_SEED_BYTES = 600_000


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, Path]]]:
    """family → [(parser, seed file)]: the smallest generated file for each parser."""
    from tests._generated import generate_copy as generate

    root = tmp_path_factory.mktemp("fuzz-seeds")
    best: dict[str, Path] = {}
    for scenario in SCENARIOS:
        generate(scenario, 1, 0.02, root / scenario)
        truth = json.loads((root / scenario / "truth.json").read_text(encoding="utf-8"))
        for src in truth["sources"]:
            path = root / scenario / src["path"]
            if path.stat().st_size <= MAX_SEED_BYTES and (
                    src["parser"] not in best or path.stat().st_size < best[src["parser"]].stat().st_size):
                best[src["parser"]] = path
    samples = Path(__file__).resolve().parents[2] / "shared" / "samples" / "ileapp-josh-ios15-whatsapp"
    for name, parser in (("ChatStorage.sqlite", "whatsapp-ios-db"), ("ContactsV2.sqlite", "whatsapp-ios-contacts"),
                         ("CallHistory.sqlite", "whatsapp-ios-calls")):
        found = sorted(samples.rglob(name)) if samples.is_dir() else []
        if found and found[0].stat().st_size <= 4 * MAX_SEED_BYTES:
            best[parser] = found[0]
    return {family: [(p, best[p]) for p in parsers if p in best] for family, parsers in FAMILIES.items()}


@pytest.fixture(scope="module")
def fuzz_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = tmp_path_factory.mktemp("fuzz-case") / "case"
    init_case(root, TEMPLATE)
    return Case.open(root)


# --- mutations of bytes -------------------------------------------------------------------

LINE_ENDINGS = (b"\r\n", b"\r", "\u2028".encode(), "\u0085".encode(), b"\x0c\n", b"\x1c\n", b"\n\n")
ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "latin-1", "cp1252", "utf-32")
INSERTS = (b"\x00", b"\x1c", "\u2028".encode(), "\ufeff".encode(), b"\x0c", b"\r", b"\xff\xfe", b'"', b",", b"\t")


def _text_mutation(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    op = draw(st.sampled_from(("truncate", "flip", "encode", "line-endings", "huge-field", "empty", "header-only",
                               "surrogate", "insert", "bom")))
    n = len(data)
    if op == "truncate":
        return op, data[: draw(st.integers(0, max(n - 1, 0)))]
    if op == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            if out:
                i = draw(st.integers(0, len(out) - 1))
                out[i] ^= draw(st.integers(1, 255))
        return op, bytes(out)
    if op == "encode":
        enc = draw(st.sampled_from(ENCODINGS))
        return f"encode {enc}", data.decode("utf-8", "replace").encode(enc, "replace")
    if op == "line-endings":
        eol = draw(st.sampled_from(LINE_ENDINGS))
        return f"line-endings {eol!r}", data.replace(b"\r\n", b"\n").replace(b"\n", eol)
    if op == "huge-field":
        size = draw(st.sampled_from((70_000, 140_000, 300_000)))
        at = draw(st.integers(0, n))
        return f"huge-field {size}", data[:at] + b"A" * size + data[at:]
    if op == "empty":
        return op, b""
    if op == "header-only":
        return op, data.split(b"\n", 1)[0] + b"\n"
    if op == "surrogate":
        quotes = [i for i in range(min(n, 20_000)) if data[i:i + 1] == b'"']
        at = draw(st.sampled_from(quotes)) + 1 if quotes else 0
        return op, data[:at] + b"\\ud800" + data[at:]
    if op == "bom":
        return op, draw(st.sampled_from((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))) + data
    at = draw(st.integers(0, n))
    return "insert", data[:at] + draw(st.sampled_from(INSERTS)) * draw(st.integers(1, 3)) + data[at:]


def _sqlite_mutation(draw: st.DrawFn, path: Path) -> str:
    op = draw(st.sampled_from(("drop-table", "wrong-type", "nulls", "corrupt-page", "truncate", "flip")))
    if op in ("drop-table", "wrong-type", "nulls"):
        with suppress(sqlite3.Error), closing(sqlite3.connect(path)) as con:
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            if not tables:
                return op + " (no tables)"
            table = draw(st.sampled_from(tables))
            if op == "drop-table":
                con.execute(f'DROP TABLE "{table}"')
                con.commit()
                return f"drop-table {table}"
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            col = draw(st.sampled_from(cols))
            value: Any = None if op == "nulls" else draw(st.sampled_from(("x\u2028y", b"\x00\xff", 1e308, -1, "", "NaN")))
            with suppress(sqlite3.Error):
                con.execute(f'UPDATE "{table}" SET "{col}" = ? WHERE rowid % ? = 0', (value, draw(st.integers(1, 3))))
                con.commit()
            return f"{op} {table}.{col}={value!r}"
    data = bytearray(path.read_bytes())
    if op == "corrupt-page":
        page = int.from_bytes(data[16:18], "big") or 4096
        pages = max(len(data) // page, 1)
        at = draw(st.integers(0, pages - 1)) * page + draw(st.integers(0, page - 1))
        for i in range(at, min(at + draw(st.integers(1, 64)), len(data))):
            data[i] = draw(st.integers(0, 255))
    elif op == "truncate":
        data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    else:
        for _ in range(draw(st.integers(1, 8))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    path.write_bytes(bytes(data))
    return op


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _classify(message: str) -> str:
    if "parser failed" in message:
        return "parser failure caught"
    if "detector failed" in message:
        return "detector failure caught"
    if "accounting failed" in message:
        return "accounting failure caught"
    if "format not recognised" in message or "the file is empty" in message or "could be" in message:
        return "not recognised"
    return "refused"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hostile_inputs_never_escape_the_boundary(
    family: str, seeds: dict[str, list[tuple[str, Path]]], fuzz_case: Case, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    family_seeds = seeds[family]
    if not family_seeds:
        pytest.skip(f"no seed files for {family}")
    work = tmp_path_factory.mktemp(f"fuzz-{family}")

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        parser, seed = data.draw(st.sampled_from(family_seeds), label="seed")
        forced = data.draw(st.booleans(), label="forced")
        target = work / f"input{seed.suffix}"
        target.unlink(missing_ok=True)
        if family == "sqlite" and data.draw(st.booleans(), label="sql mutation"):
            shutil.copyfile(seed, target)
            op = _sqlite_mutation(data.draw, target)
        else:
            op, blob = _text_mutation(data.draw, seed.read_bytes())
            target.write_bytes(blob)
        before = _sha(target)
        label = f"{parser} {op}{' (forced)' if forced else ''}"
        try:
            outcome, staged = ingest_file(fuzz_case, target, IngestOptions(format=parser if forced else None))
        except AtlasError as exc:
            message = str(exc)
            assert shown(target) in message, f"{label}: the error does not name the file: {message}"
            kind = _classify(message)
            _fuzz_stats.record(family, kind, f"{label}: {message[len(shown(target)) + 2:][:220]}"
                               if kind.endswith("caught") else "")
        else:
            assert staged is not None or outcome.status == "already"
            if staged is not None:
                assert staged.source["records_read"] == staged.events.height + staged.rejects.height, label
            _fuzz_stats.record(family, "ingested")
        assert _sha(target) == before, f"{label}: the source changed"

    run()


def test_the_fuzz_summary_counts_what_was_tried(seeds: dict[str, list[tuple[str, Path]]]) -> None:
    """The seeds cover every family (a family without seeds would fuzz nothing)."""
    assert {f for f, s in seeds.items() if s} == set(FAMILIES)
    covered: Callable[[str], int] = lambda f: len(seeds[f])  # noqa: E731
    assert covered("sqlite") >= 6 and covered("json") >= 4 and covered("tabular") >= 4


# Changes that keep every record: the same table or chat with another line-ending convention,
# blank lines between rows, a UTF-8 byte-order mark, UTF-16 with its BOM. A parser must read
# exactly as many records from each as from the seed (the fuzz property above only checks
# that what was read is accounted for; this one catches a silently smaller result).
PRESERVING: dict[str, Callable[[bytes], bytes]] = {
    "CRLF": lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
    "CR only": lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
    "blank lines": lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\n\n"),
    "UTF-8 BOM": lambda b: b"\xef\xbb\xbf" + b.removeprefix(b"\xef\xbb\xbf"),
    "UTF-16 LE BOM": lambda b: b"\xff\xfe" + b.removeprefix(b"\xef\xbb\xbf").decode("utf-8").encode("utf-16-le"),
}


def _rezip(data: bytes, *, stored: bool = False, reverse: bool = False) -> bytes:
    """The same workbook's members, re-packed: stored rather than deflated, or in reverse order."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
            out, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as dst:
        infos = src.infolist()
        for info in reversed(infos) if reverse else infos:
            dst.writestr(info.filename, src.read(info))
    return out.getvalue()


def _resaved(data: bytes, *, blank_rows: bool = False) -> bytes:
    """The same cells written by another writer (openpyxl), optionally with a blank row after
    every row: the values and their types unchanged, so every record must still be read."""
    import io

    import openpyxl

    src = openpyxl.load_workbook(io.BytesIO(data))
    dst = openpyxl.Workbook()
    dst.remove(dst.active)
    for ws in src.worksheets:
        out = dst.create_sheet(ws.title)
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if value is not None:
                    out.cell(row=2 * r + 1 if blank_rows else r + 1, column=c + 1, value=value)
    buf = io.BytesIO()
    dst.save(buf)
    return buf.getvalue()


# The workbook counterparts: the same sheets packed or written another way.
PRESERVING_XLSX: dict[str, Callable[[bytes], bytes]] = {
    "members stored, not deflated": lambda b: _rezip(b, stored=True),
    "members in reverse order": lambda b: _rezip(b, reverse=True),
    "saved by openpyxl": _resaved,
    "blank rows between rows": lambda b: _resaved(b, blank_rows=True),
}


@pytest.mark.parametrize("family", ["text", "tabular", "json"])
def test_what_keeps_every_record_loses_none(family: str, seeds: dict[str, list[tuple[str, Path]]], fuzz_case: Case,
                                            tmp_path: Path) -> None:
    tried = 0
    for parser, seed in seeds[family]:
        _, base = ingest_file(fuzz_case, seed, IngestOptions(format=parser))
        assert base is not None
        expected = base.source["records_read"]
        for name, change in (PRESERVING_XLSX if seed.suffix == ".xlsx" else PRESERVING).items():
            if name == "blank lines" and parser in ("whatsapp-text", "signal-text"):
                continue  # a blank line inside a chat is part of a message's text, not a record boundary
            target = tmp_path / f"{name}{seed.suffix}"
            target.write_bytes(change(seed.read_bytes()))
            for forced in (parser, None):
                try:
                    _, staged = ingest_file(fuzz_case, target, IngestOptions(format=forced))
                except AtlasError as exc:
                    pytest.fail(f"{parser} {name} ({'forced' if forced else 'detected'}): {exc}")
                assert staged is not None
                got = (staged.source["parser"], staged.source["records_read"])
                assert got == (parser, expected), f"{parser} {name} ({'forced' if forced else 'detected'})"
                tried += 1
    _fuzz_stats.record(family, "record-preserving changes read in full", count=tried)
