"""Google Records.json: the fast route (blocks of whole records read by Polars, the reading proved
by a count) gives exactly what the plain rule (every record decoded by ijson, :func:`parse_plain`)
gives: events, rejects, records read, assumptions, dtypes, row order; the same error where the
plain rule names one. On the real sample, the generator's and the bench's files, seeded random
files cut into tiny blocks, and odd shapes, each checked for the route it must take: the whole
file by the plain rule, one block by the plain rule, or Polars throughout."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.errors import FormatError
from fixtures.scenarios import build
from fixtures.writers import google_location
from parsers import google_records_json as gr
from parsers.base import ParseContext
from tests._fast_plain import assert_identical, spoiled_texts


def _rec(i: int = 0, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"latitudeE7": 515074000 + i, "longitudeE7": -1278000 - i, "accuracy": 16, "source": "WIFI",
                           "deviceTag": 1234567890, "platformType": "ANDROID", "timestamp": f"2026-03-01T10:{i % 60:02d}:00.123Z"}
    rec.update(extra)
    return {k: v for k, v in rec.items() if v != "-"}


class Routes:
    """Which route each part took: ``whole`` (the file by the plain rule), ``blocks`` read by
    Polars, ``plain_blocks`` read by ijson."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.whole = self.blocks = self.plain_blocks = 0
        fast_records, block, block_plain = gr._fast_records, gr._block, gr._block_plain

        def spy_fast(path: Path, *args: Any) -> Any:
            out = fast_records(path, *args)
            self.whole += out is None
            return out

        def spy_block(*args: Any) -> Any:
            out = block(*args)
            self.blocks += 1
            return out

        def spy_plain(*args: Any) -> Any:
            self.plain_blocks += 1
            return block_plain(*args)

        monkeypatch.setattr(gr, "_fast_records", spy_fast)
        monkeypatch.setattr(gr, "_block", spy_block)
        monkeypatch.setattr(gr, "_block_plain", spy_plain)

    @property
    def route(self) -> str:
        if self.whole:
            return "whole"
        return "some plain" if self.plain_blocks else "fast"


def _same(path: Path) -> None:
    """The same result, or the same error in the same words (a FormatError naming the record, or
    what the plain rule has always raised, e.g. Polars refusing an object where a number is read)."""
    ctx = ParseContext(source_id="src", path=path)
    try:
        plain = gr.parse_plain(path, ctx)
    except Exception as exc:
        with pytest.raises(type(exc)) as got:
            gr.parse(path, ctx)
        assert str(got.value) == str(exc)
        return
    assert_identical(gr.parse(path, ctx), plain)


def _write(tmp_path: Path, doc: Any, name: str = "Records.json", indent: int | None = 2) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path


def _raw(tmp_path: Path, text: str | bytes, name: str = "Records.json") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# --- real and generated files ------------------------------------------------------------------


def test_real_sample_fast_equals_plain(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = samples / "kgeo-google-location" / "records.json"  # read in place (conftest's samples)
    routes = Routes(monkeypatch)
    _same(sample)
    assert routes.route == "fast"
    monkeypatch.setattr(gr, "BLOCK", 300)  # a record straddling every cut
    routes = Routes(monkeypatch)
    _same(sample)
    assert routes.route == "fast" and routes.blocks > 5


@pytest.mark.parametrize("scenario", ["rejected-ex", "third-parties"])
def test_generated_records_fast_equals_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str) -> None:
    world = build(scenario, 2, 0.1)
    written = google_location.write(world, tmp_path, random.Random(f"{scenario}:2:{google_location.NAME}"))
    records = [w for w in written if w.parser == "google-records-json"]
    assert records
    for block in (gr.BLOCK, 2000):
        monkeypatch.setattr(gr, "BLOCK", block)
        routes = Routes(monkeypatch)
        _same(tmp_path / records[0].path)
        assert routes.route == "fast"


def test_bench_file_fast_equals_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.bench_google_records import write_records

    path = tmp_path / "Records.json"
    write_records(path, 1)
    monkeypatch.setattr(gr, "BLOCK", 100_000)
    routes = Routes(monkeypatch)
    _same(path)
    assert routes.route == "fast" and routes.blocks >= 10


@pytest.mark.parametrize("seed", range(6))
def test_random_files_cut_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    recs: list[Any] = []
    for i in range(rng.randrange(1, 120)):
        rec = _rec(i)
        if rng.random() < 0.3:
            rec["activity"] = [{"activity": [{"type": "STILL", "confidence": 90}], "timestamp": "2026-03-01T10:00:01Z"}]
        if rng.random() < 0.2:
            rec.pop("timestamp")
            rec["timestampMs"] = str(1772359200000 + i)
        if rng.random() < 0.1:
            rec["longitudeE7"] = 4293689296  # 32-bit overflow
        if rng.random() < 0.1:
            rec["placeId"] = "ChIJ}, {]\"x" if rng.random() < 0.5 else "ChIJ}, {\n  {"  # braces in a text
        if rng.random() < 0.05:
            rec.pop("latitudeE7")
        recs.append(rec)
    doc: Any = {"locations": recs} if seed % 3 else recs
    path = _write(tmp_path, doc, indent=rng.choice([None, 1, 2, 4]))
    monkeypatch.setattr(gr, "BLOCK", rng.randrange(50, 3000))
    _same(path)


# --- odd shapes: each must go by the plain rule (the file or the block) or read the same ----------

ODD: dict[str, tuple[Any, str]] = {
    "device tag as text": ({"locations": [_rec(), _rec(1, deviceTag="abc")]}, "fast"),
    "floats and exponents": ({"locations": [_rec(), _rec(1, accuracy=16.5, latitudeE7=5.15e8, deviceTag=1.5)]}, "fast"),
    "booleans": ({"locations": [_rec(), _rec(1, accuracy=True, source=False)]}, "fast"),
    "coordinate as text": ({"locations": [_rec(), _rec(1, latitudeE7="515074000")]}, "some plain"),
    "nested object for a scalar": ({"locations": [_rec(), _rec(1, source={"a": 1})]}, "some plain"),
    "text for a number": ({"locations": [_rec(), _rec(1, latitudeE7="abc"), _rec(2, accuracy=[1])]}, "some plain"),
    "null values": ({"locations": [_rec(), _rec(1, source=None, accuracy=None)]}, "some plain"),
    "not an object": ({"locations": [_rec(), "junk", 5, None, [1], _rec(1)]}, "some plain"),
    "first not an object": ({"locations": ["junk", _rec(1)]}, "whole"),
    "non-ASCII": ({"locations": [_rec(), _rec(1, source="Wi‑Fi ✓ é")]}, "fast"),
    "escapes": ({"locations": [_rec(), _rec(1, source='a"b\\c\n')]}, "some plain"),
    "huge integer": ({"locations": [_rec(), _rec(1, deviceTag=2**64)]}, "whole"),
    "huge integer nested": ({"locations": [_rec(), _rec(1, other={"x": [2**63]})]}, "whole"),
    "long digits in a text": ({"locations": [_rec(), _rec(1, placeId="1234567890123456789012")]}, "some plain"),
    "E7 overflow": ({"locations": [_rec(), _rec(1, latitudeE7=4294967296 - 515074000)]}, "fast"),
    "bare list": ([_rec(), _rec(1, timestamp="-", timestampMs="1772359200000")], "fast"),
    "timestampMs as number": ({"locations": [_rec(), _rec(1, timestamp="-", timestampMs=1772359200000)]}, "fast"),
    "field name as a value": ({"locations": [_rec(), _rec(1, placeId="timestamp")]}, "some plain"),
    "field name nested elsewhere": ({"locations": [_rec(), _rec(1, other=[{"timestamp": "x"}])]}, "some plain"),
    "nested activity": ({"locations": [_rec(activity=[{"timestamp": "2026-01-01T00:00:00Z", "activity": []}])]}, "fast"),
    "inferred location": ({"locations": [_rec(inferredLocation=[{"latitudeE7": 1, "longitudeE7": 2, "accuracy": 3}])]},
                          "fast"),
    "activity not a list": ({"locations": [_rec(), _rec(1, activity={"timestamp": "x"})]}, "some plain"),
    "empty": ({"locations": []}, "whole"),
    "other keys first": ({"other": 1, "locations": [_rec()]}, "whole"),
    "other keys after": ({"locations": [_rec()], "other": [1]}, "whole"),
    "no records key": ({"records": [_rec()]}, "whole"),
    "record field i": ({"locations": [_rec(i=99), _rec(1)]}, "fast"),
    "bad timestamps": ({"locations": [_rec(), _rec(1, timestamp="yesterday"), _rec(2, timestamp="2026-06-01T11:00:00+01:00")]},
                       "fast"),
}


@pytest.mark.parametrize("name", list(ODD))
def test_odd_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    doc, route = ODD[name]
    monkeypatch.setattr(gr, "BLOCK", 150)
    for indent in (None, 2):
        routes = Routes(monkeypatch)
        _same(_write(tmp_path, doc, indent=indent))
        assert routes.route == route, (name, indent)


@pytest.mark.parametrize("text, route", [
    ('{"locations": [{"latitudeE7": 1, "latitudeE7": 2, "longitudeE7": 3, "timestamp": "2026-03-01T10:00:00Z"}]}', "some plain"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3, "timestamp": "2026-03-01T10:00:00Z", "timestamp": null}]}',
     "some plain"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3, "source": "A", "source": "B", "timestamp": "2026-03-01T10:00:00Z"}]}',
     "some plain"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3, "source": "\\ud800"}, {"latitudeE7": 2, "longitudeE7": 4}]}',
     "some plain"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3, "source": "\\ud83d\\ude00 \\u00e9"}]}', "some plain"),
    ('{"locations": [{"latitude\\u0045\\u0037": 1, "longitudeE7": 3, "timestamp": "2026-03-01T10:00:00Z"}]}', "some plain"),
    ('{"locations": [{"latitudeE7": 1e400, "longitudeE7": 3}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3,}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3}, ]}', "whole"),
    ('{"locations": [{"latitudeE7": NaN, "longitudeE7": 3}]}', "whole"),
    ('{"locations": [{"latitudeE7": 01, "longitudeE7": 3}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1,\x0c"longitudeE7": 3, "timestamp": "2026-03-01T10:00:00Z"}]}', "some plain"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3, "timestamp": "a\tb"}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3}]} x', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3}]}\n\n', "fast"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3}] , "locations": [{"latitudeE7": 2}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3}]}{"locations": []}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3} {"latitudeE7": 1}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "longitudeE7": 3}, {"latitudeE7": 1, "longitudeE7": [1, 2}]}', "whole"),
    ('{"locations": [{"latitudeE7": 1, "x": "\xff"}]}'.encode("latin-1"), "whole"),
    ("[]", "whole"),
    ("", "whole"),
    ("hello", "whole"),
])
def test_odd_texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes, route: str) -> None:
    routes = Routes(monkeypatch)
    _same(_raw(tmp_path, text))
    assert routes.route == route


@pytest.mark.parametrize("kind", ["truncated", "empty", "not utf-8", "bom", "utf-16", "trailing text", "compact"])
def test_spoiled_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    doc = {"locations": [_rec(i, activity=[{"timestamp": "2026-03-01T10:00:01Z"}] if i % 3 else "-") for i in range(40)]}
    monkeypatch.setattr(gr, "BLOCK", 700)
    _same(_raw(tmp_path, spoiled_texts(doc)[kind]))


@pytest.mark.parametrize("cut", [1, 37, 200, 1001, 2500, -2, -1])
def test_truncated_anywhere_names_the_same_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    text = json.dumps({"locations": [_rec(i) for i in range(30)]}, indent=2).encode()
    monkeypatch.setattr(gr, "BLOCK", 400)
    _same(_raw(tmp_path, text[:cut]))


def test_corrupt_record_in_a_later_block_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps({"locations": [_rec(i) for i in range(30)]}, indent=2)
    at = text.index('"latitudeE7"', len(text) * 2 // 3)
    monkeypatch.setattr(gr, "BLOCK", 400)
    routes = Routes(monkeypatch)
    path = _raw(tmp_path, text[:at] + '"latitudeE7": 5150 74000, ' + text[at:])
    _same(path)
    assert routes.route == "whole"
    with pytest.raises(Exception, match=r"JSON error after 2\d location record\(s\) \(the next would be locations\[2\d\]\)"):
        gr.parse(path, ParseContext(source_id="src", path=path))


def test_big_file_uses_blocks_and_bounded_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks are cut near BLOCK bytes: none much bigger (memory stays bounded)."""
    path = _write(tmp_path, {"locations": [_rec(i, activity=[{"timestamp": "2026-03-01T10:00:01Z"}]) for i in range(400)]})
    monkeypatch.setattr(gr, "BLOCK", 5000)
    sizes: list[int] = []
    block = gr._block

    def spy(data: bytes, *args: Any) -> Any:
        sizes.append(len(data))
        return block(data, *args)

    monkeypatch.setattr(gr, "_block", spy)
    _same(path)
    assert len(sizes) > 10 and max(sizes) < 5000 + 1000


@pytest.mark.parametrize("count", [1, 2, 8, 9, 15, 22])
@pytest.mark.parametrize("last", ["plain record", "escaped record", "junk after"])
def test_a_lone_last_batch_divides_as_the_plain_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int,
                                                       last: str) -> None:
    """Polars divides one value by 1e7 but multiplies two or more by 1/1e7 (a last bit apart for
    437790042): the plain rule's last batch of one record has its own degrees; the fast route
    gives them to that record wherever its blocks were cut."""
    monkeypatch.setattr(gr, "CHUNK", 7)
    recs: list[Any] = [_rec(i, latitudeE7=437790042, longitudeE7=-794176419) for i in range(count)]
    if last == "escaped record":
        recs[-1]["source"] = 'a"b'
    elif last == "junk after":
        recs.insert(max(0, count - 2), "junk")
        recs.append(None)
    path = _write(tmp_path, {"locations": recs})
    for block in (100, 400, gr.BLOCK):
        monkeypatch.setattr(gr, "BLOCK", block)
        _same(path)


@pytest.mark.parametrize("indent", [None, 2])
def test_records_in_another_key_order_than_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       indent: int | None) -> None:
    """The cut looks for the separator the first records show (with the next record's first key);
    records starting with another key are cut elsewhere, or the rest is read as one block, or a
    cut between nested objects is refused by the reader: the result is the plain rule's."""
    recs: list[Any] = []
    for i in range(60):
        rec = _rec(i, activity=[{"timestamp": "2026-03-01T10:00:01Z", "activity": [{"type": "STILL"}, {"type": "ON_FOOT"}]}])
        recs.append(rec if i % 3 else dict(reversed(list(rec.items()))))
    path = _write(tmp_path, {"locations": recs}, indent=indent)
    for block in (200, 1000):
        monkeypatch.setattr(gr, "BLOCK", block)
        _same(path)


def test_a_file_that_cannot_be_mapped_goes_by_the_plain_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mmap

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no mapping here")

    monkeypatch.setattr(mmap, "mmap", refuse)
    routes = Routes(monkeypatch)
    _same(_write(tmp_path, {"locations": [_rec(i) for i in range(5)]}))
    assert routes.route == "whole"


def test_a_value_that_cannot_be_read_is_a_reject_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text that is not a number, or an object or list where a number or text is read, refused the
    whole file (Polars' error from the plain rule's frame); now that record is a reject naming the
    field and the value, every other record is read as before (the same degrees, batches unchanged)
    and records read = events + rejects, by both routes, wherever the bad records fall."""
    monkeypatch.setattr(gr, "CHUNK", 7)
    recs: list[Any] = [_rec(i, latitudeE7=437790042, longitudeE7=-794176419) for i in range(30)]
    recs[3]["latitudeE7"] = "abc"
    recs[11]["source"] = {"a": 1}
    recs[12]["accuracy"] = [1, 2]
    recs[29]["longitudeE7"] = "far"
    clean = [dict(r) for r in recs]
    for k in (3, 11, 12, 29):
        clean[k] = _rec(k, latitudeE7=437790042, longitudeE7=-794176419)
    path = _write(tmp_path, {"locations": recs})
    good = gr.parse_plain(_write(tmp_path, {"locations": clean}, name="clean.json"), ParseContext(source_id="src", path=path))
    for block in (100, 400, gr.BLOCK):
        monkeypatch.setattr(gr, "BLOCK", block)
        _same(path)
    result = gr.parse(path, ParseContext(source_id="src", path=path))
    assert result.records_read == 30 == result.events.height + result.rejects.height
    reasons = dict(zip(result.rejects.get_column("source_ref"), result.rejects.get_column("reason"), strict=True))
    assert reasons == {
        "locations[3]": 'latitudeE7 not readable as a number: "abc"',
        "locations[11]": 'source not readable as a text: {"a": 1}',
        "locations[12]": "accuracy not readable as a number: [1, 2]",
        "locations[29]": 'longitudeE7 not readable as a number: "far"',
    }
    kept = good.events.filter(~good.events.get_column("source_ref").is_in(list(reasons)))
    assert result.events.equals(kept)


@pytest.mark.parametrize("count", [1, 8, 29])
def test_a_lone_last_record_with_a_value_of_the_wrong_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           count: int) -> None:
    """The record the plain rule holds in a last batch of its own (its degrees divided, see
    test_a_lone_last_batch_divides_as_the_plain_rule) keeps its reject reason on the fast route
    too: found by a fuzz of mutated files, where the fast route gave 'no timestamp' instead."""
    monkeypatch.setattr(gr, "CHUNK", 7)
    recs: list[Any] = [_rec(i, latitudeE7=437790042) for i in range(count)]
    recs[-1]["accuracy"] = "x"
    path = _write(tmp_path, {"locations": recs})
    for block in (64, 400, gr.BLOCK):
        monkeypatch.setattr(gr, "BLOCK", block)
        _same(path)
        result = gr.parse(path, ParseContext(source_id="src", path=path))
        assert result.rejects.get_column("reason").to_list() == ['accuracy not readable as a number: "x"']


_NO_FLOAT = {"1e400": "Infinity", "-1e400": "-Infinity", "1" + "0" * 400: "10000000000000000000… (401 digits)",
             "-" + "9" * 330: "-99999999999999999999… (330 digits)"}
"""Numbers ijson's C streamer refuses as floats (``numeric (floating point) overflow``, ``integer
overflow``) and no float holds (JSON text → the value in the reject's reason)."""


@pytest.mark.parametrize("layout", ["object", "bare list"])
@pytest.mark.parametrize("field", ["latitudeE7", "longitudeE7", "accuracy"])
@pytest.mark.parametrize("number", sorted(_NO_FLOAT))
def test_a_number_no_float_holds_is_one_reject_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           number: str, field: str, layout: str) -> None:
    """``"accuracy": 1e400`` or an integer of 400 digits stopped the whole file ("JSON error after N
    location records … may be truncated or corrupt"): now that record is one reject naming the field
    and the value, every other record is read as from the file without it (the batch keeps its
    records, so each other's degrees are as they were), and the fast route gives the same (it hands
    the file to the plain rule)."""
    records = [_rec(i) for i in range(6003)]
    records[5001][field] = "__N__"  # (in the second batch of the plain rule's 5,000)
    doc: Any = {"locations": records} if layout == "object" else records
    path = _write(tmp_path, doc)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"__N__"', number), encoding="utf-8")
    routes = Routes(monkeypatch)
    _same(path)
    assert routes.route == "whole"
    ctx = ParseContext(source_id="src", path=path)
    result = gr.parse(path, ctx)
    ref = ("locations" if layout == "object" else "") + "[5001]"
    reason = f"the {field} is not a finite number (beyond the range of a float, or NaN/Infinity): {_NO_FLOAT[number]}"
    assert result.rejects.select("source_ref", "reason").rows() == [(ref, reason)]
    assert result.records_read == 6003 == result.events.height + 1
    path.write_text(text.replace('"__N__"', "7"), encoding="utf-8")
    clean = gr.parse_plain(path, ctx)
    assert result.events.equals(clean.events.filter(pl.col("source_ref") != ref))


def test_an_integer_beyond_64_bits_that_a_float_holds_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``"accuracy": 100000000000000000000`` (the streamer's ``integer overflow``, so the file was
    refused) is read as the float Python makes of it; the other numbers as the streamer reads them."""
    path = _write(tmp_path, {"locations": [_rec(0), _rec(1, accuracy="__N__"), _rec(2, accuracy=12.25)]})
    path.write_text(path.read_text(encoding="utf-8").replace('"__N__"', "1" + "0" * 20), encoding="utf-8")
    _same(path)
    result = gr.parse(path, ParseContext(source_id="src", path=path))
    assert result.rejects.height == 0
    assert result.events.get_column("accuracy_m").to_list() == [16.0, 1e20, 12.25]


def test_a_json_error_that_is_not_a_number_still_names_the_record(tmp_path: Path) -> None:
    """Only the streamer's overflow sends the file to the second reading: other faults are refused as before."""
    path = _raw(tmp_path, json.dumps({"locations": [_rec(0), _rec(1)]})[:-30])
    with pytest.raises(FormatError, match=r"JSON error after 1 location record\(s\) \(the next would be locations\[1\]\)"):
        gr.parse_plain(path, ParseContext(source_id="src", path=path))
