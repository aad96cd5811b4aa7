"""A JSON record with a text value over its bound (parsers/_bounds.py, JSON_VALUE_BYTES) is one reject.

Found by the hostile sweep at its full size: a 50 MB string in one record took an ingest 420-810 MB
and four parsers (Semantic, Meta, Telegram, Snapchat) stored it whole as the event's text; Records.json
stored it whole as a reject's excerpt. Here, with the real bound (no test hook), for every JSON parser:

* a record whose stored text is one byte over the bound is one reject naming the file, the record's
  place, the field and its size; every other record is read exactly as before (same places);
* at the bound it is read as an event;
* whatever field the hostile sweep's ``big-string`` puts the value in, nothing stored (event or reject)
  holds a value over the bound, and as many records are read as the seed has;
* ``parse`` and ``parse_plain`` agree.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from parsers._bounds import JSON_VALUE_BYTES
from parsers.base import ParseContext, ParseResult
from tests import _hostile as H

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"google-records-json": "google_records_json", "google-semantic-json": "google_semantic_json",
           "google-timeline-json": "google_timeline_json", "meta-dyi-json": "meta_dyi_json",
           "telegram-json": "telegram_json", "snapchat": "snapchat", "x-archive": "x_archive"}
TEXT_PARSERS = ("google-semantic-json", "meta-dyi-json", "telegram-json", "snapchat", "x-archive")
"""The parsers that store a record's text (a message's, a place's name)."""


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests._generated import generate_copy as generate

    root = tmp_path_factory.mktemp("json-bound")
    found: dict[str, Path] = {}
    for scenario in sorted({H.SEEDS[k][1] for k in MODULES}):
        generate(scenario, 1, 0.02, root / scenario)
        files = sorted(p for p in (root / scenario / "sources").rglob("*") if p.is_file())
        for key in MODULES:
            _, sc, suffix = H.SEEDS[key]
            if sc == scenario:
                hits = [f for f in files if f.as_posix().endswith("/" + suffix)]
                found[key] = min(hits, key=lambda f: f.stat().st_size)
    return found


def _parse(key: str, path: Path, plain: bool = False) -> ParseResult:
    mod = importlib.import_module(f"parsers.{MODULES[key]}")
    ctx = ParseContext(source_id="s1", path=path)
    return (mod.parse_plain if plain else mod.parse)(path, ctx)


def _strings(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for v in node.values():
            _strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _strings(v, out)
    elif isinstance(node, str):
        out.append(node)


def _replaced(seed: Path, old: str, new: str, out: Path) -> Path:
    """``seed`` with its one string value ``old`` made ``new``."""
    prefix, body = H._split_js(seed.read_text(encoding="utf-8-sig"))
    doc = json.loads(body)

    def walk(node: Any) -> bool:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for k, v in items:
            if v == old:
                node[k] = new
                return True
            if isinstance(v, (dict, list)) and walk(v):
                return True
        return False

    assert walk(doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(prefix + json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return out


def _a_stored_text(key: str, seed: Path) -> tuple[str, str, int]:
    """``(source_ref, value, extra)``: a string value found once in the file that an event's text is,
    or holds (a Semantic visit's address), ``extra`` the bytes of that text around it."""
    events = _parse(key, seed).events
    _, body = H._split_js(seed.read_text(encoding="utf-8-sig"))
    values: list[str] = []
    _strings(json.loads(body), values)
    once = sorted((v for v in values if values.count(v) == 1 and len(v) > 3), key=len, reverse=True)
    rows = events.select(pl.col("source_ref").cast(pl.String), "text").drop_nulls().rows()
    for ref, text in rows:
        if text in once:
            return ref, text, 0
    for v in once:
        holding = [(ref, text) for ref, text in rows if v in text]
        if len(holding) == 1:
            ref, text = holding[0]
            return ref, v, len(text.encode()) - len(v.encode())
    raise AssertionError(f"{key}: no event text found once in the file")


def _longest(frame: pl.DataFrame) -> int:
    sizes = [frame.select(pl.col(n).str.len_bytes().max()).item() or 0 for n, t in frame.schema.items() if t == pl.String]
    sizes += [frame.select(pl.col(n).list.eval(pl.element().str.len_bytes()).list.max().max()).item() or 0
              for n, t in frame.schema.items() if t == pl.List(pl.String)]
    return max(sizes, default=0)


@pytest.mark.parametrize("key", TEXT_PARSERS)
def test_a_text_one_byte_over_the_bound_is_one_reject_naming_the_record_and_the_others_keep_their_places(
        key: str, seeds: dict[str, Path], tmp_path: Path) -> None:
    seed = seeds[key]
    ref, text, extra = _a_stored_text(key, seed)
    before = _parse(key, seed)
    over = _replaced(seed, text, "A" * (JSON_VALUE_BYTES + 1 - extra), tmp_path / "over" / seed.name)
    at = _replaced(seed, text, "A" * (JSON_VALUE_BYTES - extra), tmp_path / "at" / seed.name)
    got = _parse(key, over)
    assert got.records_read == before.records_read == got.events.height + got.rejects.height
    assert got.rejects.height == before.rejects.height + 1
    new = got.rejects.filter(pl.col("reason").str.contains("-byte bound", literal=True))
    assert new.height == 1
    assert new.get_column("source_ref").item() == ref
    reason = new.get_column("reason").item()
    if extra == 0:  # the string is the whole text: cut out of the bytes before the document is read (_json_cut)
        offset = over.read_bytes().index(b'"' + b"A" * (JSON_VALUE_BYTES + 1) + b'"')
        assert reason.startswith(f"{ref} of {seed.name}: its text holds a value of {JSON_VALUE_BYTES + 1:,} bytes "
                                 f"(at byte offset {offset:,}), over the {JSON_VALUE_BYTES:,}-byte bound on one value "
                                 "of "), reason
    else:  # a string under the bound in a text over it (a Semantic place's name and address): the tables' check
        assert reason.startswith(f"{ref} of {seed.name}: its text holds a value of {JSON_VALUE_BYTES + 1:,} bytes, over the "
                                 f"{JSON_VALUE_BYTES:,}-byte bound on one value of "), reason
    assert "kept unchanged in the source file" in reason
    assert new.get_column("excerpt").item() == (before.events.filter(pl.col("source_ref").cast(pl.String) == ref)
                                                .get_column("text").item().replace(text, "A" * 80)[:80])
    assert _longest(got.events) <= JSON_VALUE_BYTES and _longest(got.rejects) <= JSON_VALUE_BYTES
    # every other record as before, in its place
    assert got.events.equals(before.events.filter(pl.col("source_ref").cast(pl.String) != ref))
    # at the bound: read, as an event
    kept = _parse(key, at)
    assert kept.events.height == before.events.height
    assert not kept.rejects.filter(pl.col("reason").str.contains("-byte bound", literal=True)).height
    assert kept.events.filter(pl.col("source_ref").cast(pl.String) == ref).get_column("text").str.len_bytes().item() \
        == JSON_VALUE_BYTES
    # the plain rule says the same
    plain = _parse(key, over, plain=True)
    assert plain.events.equals(got.events)
    assert plain.rejects.sort("source_ref").equals(got.rejects.sort("source_ref"))


@pytest.mark.parametrize("key", list(MODULES))
def test_the_sweeps_big_string_anywhere_leaves_nothing_stored_over_the_bound_and_no_record_lost(
        key: str, seeds: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H, "BIG_STRING", JSON_VALUE_BYTES + 1)
    path = tmp_path / seeds[key].name
    path.write_bytes(H._json_variant(seeds[key], "big-string"))
    seed_read = _parse(key, seeds[key]).records_read
    for plain in (False, True):
        got = _parse(key, path, plain=plain)
        assert got.records_read == seed_read == got.events.height + got.rejects.height
        assert _longest(got.events) <= JSON_VALUE_BYTES, "an event holds the whole value"
        assert _longest(got.rejects) <= JSON_VALUE_BYTES, "a reject's excerpt holds the whole value"
        cut = got.rejects.filter(pl.col("excerpt").str.contains("bytes in all", literal=True)
                                 | pl.col("reason").str.contains("-byte bound", literal=True))
        if not cut.height:  # the value fell where the parser reads no text: its reject says something else
            assert got.rejects.height >= 1


_CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import polars as pl
    from atlas.cli import main
    from atlas.store import Case, init_case
    from atlas.store.manifest import TEMPLATE
    init_case(Path(sys.argv[1]), TEMPLATE)
    t = time.perf_counter()
    code = main(["ingest", sys.argv[1], sys.argv[2], "--format", sys.argv[3], "--json"])
    seconds = time.perf_counter() - t
    # (VmHWM: ru_maxrss would carry the parent's peak across the fork, 1.4 GB in a full test run)
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    case = Case.open(Path(sys.argv[1]))
    rejects = case.rejects().collect()
    events = case.events().collect()
    longest = max(f.select(pl.col(n).str.len_bytes().max()).item() or 0 for f in (events, rejects)
                  for n, t in f.schema.items() if t == pl.String)
    print(json.dumps({"code": code, "seconds": seconds, "hwm_kb": hwm, "longest": longest,
                      "reasons": rejects.get_column("reason").to_list()}), file=sys.stderr)
""")


@pytest.mark.parametrize(("key", "peak_mb"), [("telegram-json", 400), ("meta-dyi-json", 320), ("snapchat", 320),
                                               ("x-archive", 320), ("google-semantic-json", 260)])
def test_a_50_mb_message_is_one_reject_and_the_value_is_not_stored(key: str, peak_mb: int, seeds: dict[str, Path],
                                                                   tmp_path: Path) -> None:
    """The sweep's full size, in a child process (ingest and the store read back): main stored the value
    whole as the message's text. Since session 16 the string is cut out of the file's bytes before the
    document is read (parsers/_json_cut.py): whole-process peaks before it (ingest alone, /usr/bin/time)
    Telegram 747 MB, Snapchat 387, X 396, Meta 385, Semantic 304; after it 245, 194, 241, 194, 152."""
    seed = seeds[key]
    ref, text, _extra = _a_stored_text(key, seed)
    path = _replaced(seed, text, "A" * (50 << 20), tmp_path / "big" / seed.name)
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "case"), str(path), key], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=os.environ | {"RUST_BACKTRACE": "0"})
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr[-2000:]
    [reason] = [r for r in report["reasons"] if "-byte bound" in r]
    assert f"{ref} of {seed.name}: its text holds a value of {50 << 20:,} bytes (at byte offset " in reason
    assert report["longest"] < 1 << 20, report
    assert report["hwm_kb"] < peak_mb << 10, report


def test_identity_evidence_from_a_rejected_record_or_over_the_bound_is_left_out_and_said() -> None:
    """The bound on the parser's whole answer (parsers._bounds.bound_values): an event over it moves to
    the rejects with its evidence; evidence of its own over it is left out, and the assumptions say so."""
    from atlas.model import IDENTITY_EVIDENCE_SCHEMA, REJECT_SCHEMA
    from parsers._bounds import bound_values

    big = "B" * (JSON_VALUE_BYTES + 1)
    events = pl.DataFrame({"source_ref": ["m[0]", "m[1]", "m[2]"], "text": ["a", big, "c"],
                           "recipients": [["x"], ["y"], ["z", big]]})
    evidence = pl.DataFrame({"source_id": ["s1"] * 3, "source_ref": ["m[1]", "participants", "participants[1]"],
                             "basis": ["b"] * 3, "identifier": ["name:y", "name:x", "name:" + big],
                             "related": ["r"] * 3, "detail": ["d"] * 3}, schema=IDENTITY_EVIDENCE_SCHEMA)
    quoted = pl.DataFrame({"source_id": ["s1"], "source_ref": ["m[9]"], "reason": ["bad time"],
                           "excerpt": ["C" * (JSON_VALUE_BYTES + 5)]}, schema=REJECT_SCHEMA)  # a parser quoting it whole
    result = ParseResult(events=events, rejects=quoted, records_read=4, evidence=evidence)
    got = bound_values(result, JSON_VALUE_BYTES, "a test record", "t.json", "s1")
    assert got.events.get_column("source_ref").to_list() == ["m[0]"]
    assert got.rejects.get_column("source_ref").to_list() == ["m[9]", "m[1]", "m[2]"]
    reasons = got.rejects.get_column("reason").to_list()
    assert reasons[1].startswith(f"m[1] of t.json: its text holds a value of {JSON_VALUE_BYTES + 1:,} bytes, over the ")
    assert reasons[2].startswith(f"m[2] of t.json: its recipient holds a value of {JSON_VALUE_BYTES + 1:,} bytes, over the ")
    assert got.rejects.get_column("excerpt").to_list() == [
        "C" * 80 + f" ... (cut: {JSON_VALUE_BYTES + 5} bytes in all; kept unchanged in the source file)", "B" * 80,
        "z B" + "B" * 77]
    assert got.evidence is not None
    assert got.evidence.get_column("source_ref").to_list() == ["participants"]
    assert got.assumptions == [f"1 identity fact(s) holding a value over the {JSON_VALUE_BYTES:,}-byte bound on one "
                               "value of a test record left out (kept unchanged in the source file)"]
