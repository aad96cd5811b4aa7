"""Google Timeline.json: a hostile file nested deep never crashes the process (session 10 found a
60 KB file nested 30,000 deep kill it with a segmentation fault in the Arrow route's layout
inference). Each file is read in a child process, so a crash fails the test instead of ending
pytest: every reader the fast path may try (Arrow's, Polars' with the layout given and inferred)
reads it or refuses it, and the parse (through the ingest's error boundary, and by ``atlas
ingest``) gives a result or one clean error naming the file, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from parsers import google_timeline_json as tl
from parsers.base import ParseContext
from tests._fast_plain import assert_fast_is_plain

T0 = "2026-06-02T19:05:00.000+01:00"
_PARTS = {
    "SEG": '{"startTime": "$T0", "endTime": "$T0", "visit": {"topCandidate": {"placeId": "p", "semanticType": "HOME", '
           '"probability": 0.5, "placeLocation": {"latLng": "51.5°, -0.12°"}}}}',
    "POINT": '{"point": "51.5°, -0.12°", "time": "$T0"}',
    "POS": '{"position": {"LatLng": "51.5°, -0.12°", "accuracyMeters": 12, "timestamp": "$T0"}}',
}
_PLACES: dict[str, str] = {
    # where the deep value is put (``@``): keys no reader reads, and the fields the parser reads
    "top level, first": '{"x": @, "semanticSegments": [SEG], "rawSignals": [POS]}',
    "top level, last": '{"semanticSegments": [SEG], "rawSignals": [POS], "x": @}',
    "in a segment": '{"semanticSegments": [{"startTime": "$T0", "x": @}, SEG]}',
    "in a path point": '{"semanticSegments": [{"startTime": "$T0", "timelinePath": [POINT, {"point": "1°, 2°", "x": @}]}]}',
    "a path point": '{"semanticSegments": [{"startTime": "$T0", "timelinePath": [POINT, @]}]}',
    "timelinePath": '{"semanticSegments": [{"startTime": "$T0", "timelinePath": @}, SEG]}',
    "an activity's start": '{"semanticSegments": [{"startTime": "$T0", "activity": {"start": @, "end": "1°, 2°"}}]}',
    "a visit's place": '{"semanticSegments": [{"startTime": "$T0", "visit": {"topCandidate": {"placeLocation": @}}}]}',
    "a position's LatLng": '{"rawSignals": [POS, {"position": {"LatLng": @}}]}',
    "in the raw signals": '{"semanticSegments": [SEG], "rawSignals": [POS, {"wifiScan": @}]}',
}


def _filled(text: str) -> str:
    for name, part in _PARTS.items():
        text = text.replace(name, part)
    return text.replace("$T0", T0)


PLACES: dict[str, str] = {k: _filled(v) for k, v in _PLACES.items()}


def _deep(kind: str, depth: int) -> str:
    return "[" * depth + "]" * depth if kind == "arrays" else '{"a": ' * depth + "1" + "}" * depth


def _nesting(value: object) -> int:
    """How deep lists and objects nest in a JSON value (a loop, not a recursion)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, list | dict):
            deepest = max(deepest, depth + 1)
            todo += [(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)]
    return deepest


_CHILD = r"""
import contextlib, io, json, sys
from pathlib import Path
import polars as pl
from atlas.errors import AtlasError
from parsers import google_timeline_json as tl
from parsers.base import ParseContext
from parsers.conformance import guarded_parse

for name in sys.argv[1:]:
    path = Path(name)
    data = path.read_bytes()
    # every reader the fast path may try: each reads the text or refuses it (an exception), never a crash
    for reader in (tl._arrow_doc, tl._declared, lambda d: pl.read_json(io.BytesIO(d), infer_schema_length=None)):
        with contextlib.suppress(Exception):  # a refusal is an answer; only a crash (the child's exit) fails
            reader(data)
    fast = tl._fast_records(path)
    try:
        result = guarded_parse(tl, path, ParseContext(source_id="s", path=path))
        out = {"read": result.records_read, "events": result.events.height, "rejects": result.rejects.height}
    except AtlasError as exc:
        out = {"error": str(exc)}
    print(json.dumps({"file": name, "fast": fast is not None, **out}), flush=True)
"""


@pytest.mark.parametrize("depth", [3_000, 30_000, 200_000])
def test_deep_nesting_anywhere_is_read_or_refused_by_name_never_a_crash(tmp_path: Path, depth: int) -> None:
    files = []
    for kind in ("arrays", "objects"):
        for place, text in PLACES.items():
            path = tmp_path / f"{place.replace(' ', '-').replace(',', '').replace(chr(39), '')}-{kind}.json"
            path.write_text(text.replace("@", _deep(kind, depth)), encoding="utf-8")
            files.append(path)
    run = subprocess.run([sys.executable, "-c", _CHILD, *map(str, files)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr
    outcomes = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["file"] for o in outcomes] == list(map(str, files))
    for o in outcomes:
        assert not o["fast"]  # past Python's limit: only the plain rule reads it (and json.loads cannot)
        # one clean error naming the file (json.loads stops past Python's recursion limit), never stored in part
        assert o.get("error", "").startswith(o["file"] + ": "), o
        assert "nothing from this file was stored" in o["error"]


def test_atlas_ingest_refuses_a_file_nested_200000_deep_by_name(tmp_path: Path) -> None:
    case = tmp_path / "case"
    path = tmp_path / "Timeline.json"
    path.write_text(PLACES["in a segment"].replace("@", _deep("arrays", 200_000)), encoding="utf-8")
    init = subprocess.run([sys.executable, "-m", "atlas", "init", str(case)], capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    run = subprocess.run([sys.executable, "-m", "atlas", "ingest", str(case), str(path), "--format", "google-timeline-json"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode not in (0, -11, 139), run.stderr  # refused, not read and not a crash
    assert "Traceback" not in run.stderr + run.stdout
    assert "Timeline.json" in run.stderr + run.stdout
    assert "nothing from this file was stored" in run.stderr + run.stdout


@pytest.mark.parametrize("depth", [8, tl._MAX_DEPTH - 2, tl._MAX_DEPTH - 1, tl._MAX_DEPTH, 500])
@pytest.mark.parametrize("place", ["top level, last", "in a segment", "in a path point", "in the raw signals"])
@pytest.mark.parametrize("kind", ["arrays", "objects"])
def test_nesting_below_python_s_limit_reads_as_the_plain_rule_reads(tmp_path: Path, depth: int, place: str,
                                                                     kind: str) -> None:
    """Below Python's limit the plain rule reads a deep value it does not read; the fast path reads it
    the same up to :data:`tl._MAX_DEPTH` deep (the whole text's nesting, its outer object too), and
    leaves it to the plain rule from there."""
    path = tmp_path / "deep.json"
    path.write_text(PLACES[place].replace("@", _deep(kind, depth)), encoding="utf-8")
    whole = _nesting(json.loads(path.read_text(encoding="utf-8")))
    assert whole > depth
    assert tl._deepest(path.read_bytes()) == whole
    assert (tl._fast_records(path) is not None) == (whole < tl._MAX_DEPTH)
    assert_fast_is_plain(tl.parse, tl.parse_plain, path, ParseContext(source_id="s", path=path))


@pytest.mark.parametrize(("text", "depth"), [
    (b"{}", 1), (b"[]", 1), (b"1", 0), (b'"[[["', 0), (b'{"a": "[[[", "b": [[]]}', 3), (b'{"a": "]]]", "b": [[]]}', 3),
    (b'{"[": "]", "b": [{"c": ["x", "y]"]}]}', 4), (b'["", "", "[", "", "{{", ""]', 1), (b'{"a": ["]", {"b": ["["]}]}', 4),
    (b'[[[' + b'"' + b"[" * 100 + b'"' + b"]]]", 3), (b'["\xc2\xb0[", "{\xe2\x80\x83"]', 1),
])
def test_the_depth_scan_counts_brackets_outside_strings_only(text: bytes, depth: int) -> None:
    assert tl._deepest(text) == depth


def _outside_reference(text: bytes) -> bytes:
    """:func:`tl._outside_strings` by a plain walk: the brackets, ``N`` (as ``I``) and ``I`` outside strings."""
    out, inside = bytearray(), False
    for byte in text:
        if byte == ord('"'):
            inside = not inside
        elif not inside and byte in b"[]{}IN":
            out.append(ord("I") if byte == ord("N") else byte)
    return bytes(out)


def test_the_scan_outside_strings_is_the_plain_walk_s_on_random_texts() -> None:
    """20,000 seeded random texts of quotes, brackets, the capitals looked for and other bytes (strings
    holding brackets, capitals, both, none; unbalanced quotes too): the same bytes as a plain walk."""
    import random

    rng = random.Random("timeline outside strings")
    alphabet = [b'"', b'"', b'"', b"[", b"]", b"{", b"}", b"I", b"N", b"a", b" ", b":", b",", b"\xc2\xb0"]
    for _ in range(20_000):
        text = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert tl._outside_strings(text) == _outside_reference(text), text


@pytest.mark.parametrize(("text", "refused"), [
    (b'{"placeId": "ChIJ", "semanticType": "IN_PASSENGER_VEHICLE", "x": [1, 2]}', False),
    (b'{"placeId": "ChIJ[", "x": "Inf", "y": "NaN"}', False),
    (b'{"placeId": "ChIJ", "x": Inf}', True), (b'{"placeId": "I]N", "x": [-Inf]}', True),
    (b'{"a": "INF", "x": -NaN}', True), (b'{"a": "x", "x": NaN, "y": Infinity}', False),
])
def test_numbers_python_does_not_read_are_found_beside_texts_holding_capitals(text: bytes, refused: bool) -> None:
    if refused:
        with pytest.raises(tl._NotFast):
            tl._python_reads(text)
    else:
        tl._python_reads(text)
