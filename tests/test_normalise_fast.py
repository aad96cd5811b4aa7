"""The shared normaliser: :func:`atlas.normalise.to_events` (one lazy query, its decisions read
from the parser's frame) gives exactly what :func:`atlas.normalise.to_events_plain` (each step
its own query) gives: the same events and rejects, column order and dtypes, or the same error
in the same words. Checked on what every parser gives the ingest for the public samples and a
generated case (each frame also with the most frequent sender taken for the owner), on odd
frames (no rows, all-null times, UTC and wall-clock times mixed, self-addressed messages,
duplicate refs, rejects, wrong dtypes, unknown columns) and on seeded random frames."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import atlas.ingest
import atlas.normalise as normalise
import parsers
from atlas.ingest import IngestOptions, ingest_file
from atlas.model import DIRECTIONS, KINDS, RAW_EVENT_SCHEMA, TS_BASES
from atlas.normalise.identifiers import identifier_uri
from atlas.store import Case
from tests.test_parser_contracts import declared

Call = tuple[pl.DataFrame, dict[str, Any]]


def assert_fast_is_plain(raw: pl.DataFrame, **kw: Any) -> None:
    """Same events and rejects (schema with column order and dtypes, values), or the same error."""
    try:
        plain = normalise.to_events_plain(raw, **kw)
    except Exception as exc:
        with pytest.raises(type(exc)) as got:
            normalise.to_events(raw, **kw)
        assert str(got.value) == str(exc)
        return
    fast = normalise.to_events(raw, **kw)
    # and the one query gave it, not the plain rule run again after a failure of the fast path
    defaults: dict[str, Any] = {"owner_uris": (), "identifiers_are_uris": False, "refs_unique": False}
    direct = normalise._to_events_fast(raw, **(defaults | kw))
    assert direct is not None
    for what in ("events", "rejects"):
        a, b = getattr(fast, what), getattr(plain, what)
        assert a.schema == b.schema, what
        assert a.equals(b, null_equal=True), what


def _recorded(monkeypatch: pytest.MonkeyPatch, files: list[tuple[Path, IngestOptions]], case_dir: Path) -> list[Call]:
    """What the ingest hands the normaliser for each file: (raw frame, keyword arguments)."""
    calls: list[Call] = []

    def record(raw: pl.DataFrame, **kw: Any) -> normalise.Normalised:
        calls.append((raw, kw))
        return normalise.to_events_plain(raw, **kw)

    monkeypatch.setattr(atlas.ingest, "to_events", record)
    case = Case.open(case_dir)
    for path, opts in files:
        ingest_file(case, path, opts)
    return calls


def _with_owner(raw: pl.DataFrame, kw: dict[str, Any]) -> list[dict[str, Any]]:
    """``kw`` as given, and with the most frequent sender (as a URI) for the owner if there is one."""
    out = [kw]
    if "sender" in raw.columns and raw.get_column("sender").drop_nulls().len():
        sender = raw.get_column("sender").drop_nulls().mode().sort()[0]
        uri = sender if kw.get("identifiers_are_uris") else identifier_uri(
            sender, source_id=kw["source_id"], region=kw["region"])
        out.append({**kw, "owner_uris": [uri, *kw.get("owner_uris", [])]})
    return out


def test_every_sample_normalises_the_same(samples: Path, case_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [(samples / s.sample, IngestOptions(region=s.region)) for _, s in declared()]
    calls = _recorded(monkeypatch, files, case_dir)
    assert len(calls) == len(files)
    for raw, kw in calls:
        for each in _with_owner(raw, kw):
            assert_fast_is_plain(raw, **each)


@pytest.mark.parametrize("scenario", ["rejected-ex", "clean", "covert", "time-limit"])
def test_a_generated_case_normalises_the_same(scenario: str, tmp_path: Path, case_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """With the public samples, these scenarios hold a source of every parser (Snapchat, Telegram,
    X, Signal and the iOS databases in ``clean``; two location histories in ``covert``; a Google
    returns CSV in ``time-limit``)."""
    import json

    from fixtures.generate import generate

    generate(scenario, 5, 0.1, tmp_path / "gen")
    truth = json.loads((tmp_path / "gen" / "truth.json").read_text(encoding="utf-8"))
    files = [(tmp_path / "gen" / s["path"], IngestOptions(options=dict(s.get("options") or {})))
             for s in truth["sources"]]
    calls = _recorded(monkeypatch, files, case_dir)
    assert len({parsers.detect(p).INFO.name for p, _ in files}) >= 10
    assert len(calls) == len(files) >= 10
    for raw, kw in calls:
        for each in _with_owner(raw, kw):
            assert_fast_is_plain(raw, **each)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


KW: dict[str, Any] = {"source_id": "s1", "timezone": "Europe/London", "region": "GB"}
ME = "tel:+447700900123"


def _msgs(n: int, **cols: Any) -> pl.DataFrame:
    base: dict[str, Any] = {"source_ref": [f"r{i}" for i in range(n)], "kind": ["message"] * n}
    base.update({k: (v(n) if callable(v) else v) for k, v in cols.items()})
    return pl.DataFrame(base)


ODD: dict[str, tuple[Callable[[], pl.DataFrame], dict[str, Any]]] = {
    "no rows, two columns": (lambda: pl.DataFrame({"source_ref": [], "kind": []}, schema={"source_ref": pl.String, "kind": pl.String}), {}),
    "no rows, owner": (lambda: pl.DataFrame({"source_ref": []}, schema={"source_ref": pl.String}), {"owner_uris": [ME]}),
    "no rows, full schema": (lambda: pl.DataFrame(schema=RAW_EVENT_SCHEMA), {"owner_uris": [ME]}),
    "all-null times, timed kind": (lambda: _msgs(3, ts_raw=["??", None, None], text=[None, "x" * 100, None]), {}),
    "all-null times, untimed kind": (lambda: _msgs(3, kind=["contact"] * 3), {}),
    "some times missing": (lambda: _msgs(4, ts_utc=[utc(2026, 1, 1), None, utc(2026, 1, 2), None], kind=["message", "message", "call", "cell"]), {}),
    "UTC and wall clock mixed": (lambda: _msgs(
        5, ts_local=[datetime(2026, 10, 25, 1, 30), datetime(2026, 3, 29, 1, 30), None, datetime(2026, 6, 1, 9), None],
        ts_utc=[None, None, utc(2026, 6, 1, 8), utc(2026, 6, 1, 9), None],
        ts_basis=[None, None, "offset", None, None],
        ts_end_local=[datetime(2026, 10, 25, 1, 40), None, None, None, datetime(2026, 1, 1)],
        ts_end_utc=[None, utc(2026, 3, 29, 2), None, None, None]), {}),
    "wall clock only": (lambda: _msgs(3, ts_local=[datetime(2026, 10, 25, 1, 30), datetime(2026, 3, 29, 1, 30), datetime(2026, 6, 1)]), {}),
    "wall clock end only": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, ts_end_local=[datetime(2026, 1, 1, 1), None]), {}),
    "basis given, some null": (lambda: _msgs(3, ts_utc=[utc(2026, 1, 1)] * 3, ts_basis=["offset", None, "utc"]), {}),
    "every time given with basis": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, ts_basis=["utc", "offset"]), {}),
    "self-addressed by the owner": (lambda: _msgs(
        4, ts_utc=[utc(2026, 1, 1)] * 4, sender=["phone:07700 900123", "phone:07700 900124", "phone:07700 900123", None],
        recipients=[["phone:07700900123", "name:Dan"], ["phone:07700 900123"], None, ["name:Dan"]]), {"owner_uris": [ME]}),
    "many self-addressed": (lambda: _msgs(
        6000, ts_utc=[utc(2026, 1, 1)] * 6000, sender=["phone:07700 900123"] * 6000,
        recipients=[["phone:07700900123", f"name:p{i % 7}"] for i in range(6000)]), {"owner_uris": [ME, "name:s1:Me"]}),
    "directions given": (lambda: _msgs(4, ts_utc=[utc(2026, 1, 1)] * 4, direction=["in", "out", "in", "out"], sender=["phone:07700 900123"] * 4),
                         {"owner_uris": [ME]}),
    "directions partly unknown": (lambda: _msgs(4, ts_utc=[utc(2026, 1, 1)] * 4, direction=["in", "unknown", None, "out"],
                                                sender=["phone:07700 900123", "phone:07700 900123", "name:x", None],
                                                recipients=[[], [], ["phone:07700 900123"], None]), {"owner_uris": [ME]}),
    "directions, no owner": (lambda: _msgs(3, ts_utc=[utc(2026, 1, 1)] * 3, direction=["in", None, "unknown"]), {}),
    "duplicate refs": (lambda: _msgs(3, source_ref=["a", "b", "a"], ts_utc=[utc(2026, 1, 1)] * 3), {}),
    "duplicate refs, refs said unique": (lambda: _msgs(3, source_ref=["a", "b", "a"], ts_utc=[utc(2026, 1, 1)] * 3), {"refs_unique": True}),
    "unknown column": (lambda: _msgs(1, colour=["red"]), {}),
    "a kind not known": (lambda: _msgs(2, kind=["message", "telepathy"]), {}),
    "a text where a number belongs": (lambda: _msgs(2, lat=["51.5", "north"]), {}),
    "dtypes to cast": (lambda: _msgs(2, ts_utc=pl.Series([utc(2026, 1, 1), None], dtype=pl.Datetime("ns", "UTC")),
                                     duration_s=pl.Series([1, None], dtype=pl.Int32), kind=pl.Series(["call", "note"], dtype=pl.Enum(KINDS)),
                                     deleted=[True, None], attachments=[None, ["a.jpg"]]), {}),
    "enum columns given": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, ts_basis=pl.Series(["utc", None], dtype=pl.Enum(TS_BASES)),
                                         direction=pl.Series(["in", "unknown"], dtype=pl.Enum(DIRECTIONS))), {"owner_uris": [ME]}),
    "many UK numbers": (lambda: _msgs(300, ts_utc=[utc(2026, 1, 1)] * 300, sender=[f"phone:07700 900{i % 150:03d}" for i in range(300)],
                                      recipients=[[f"phone:+447700900{i % 90:03d}", "email:A@B.org"] for i in range(300)]), {"owner_uris": [ME]}),
    "identifiers already URIs": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, sender=[ME, "name:s1:Dan"], recipients=[["name:s1:Dan"], [ME]]),
                                 {"owner_uris": [ME], "identifiers_are_uris": True, "refs_unique": True}),
    "only recipients": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, recipients=[["phone:07700 900123"], []]), {"owner_uris": [ME]}),
    "recipients all empty": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, recipients=[[], []]), {}),
    "identifiers already their URIs": (lambda: _msgs(3, ts_utc=[utc(2026, 1, 1)] * 3, sender=["snapchat:alice.ex", "snapchat:sam", None],
                                                     recipients=[["snapchat:sam"], ["snapchat:alice.ex"], []]), {"owner_uris": ["snapchat:alice.ex"]}),
    "one identifier not yet its URI": (lambda: _msgs(2, ts_utc=[utc(2026, 1, 1)] * 2, sender=["snapchat:alice.ex", "snapchat:Sam"],
                                                     recipients=[["snapchat:Sam"], ["snapchat:alice.ex"]]), {}),
    "names beyond ASCII": (lambda: _msgs(4, ts_utc=[utc(2026, 1, 1)] * 4, sender=["name:Zoë", "name:Émile", "name:a", "name:\U0001f600x"],
                                         recipients=[["name:ß"], ["name:Zoë"], ["name:Z"], ["name:ÿ", "name:\uffff"]]), {}),
    "exactly as many identifiers as the Python map takes": (lambda: _msgs(
        64, ts_utc=[utc(2026, 1, 1)] * 64, sender=[f"phone:07700 9001{i:02d}" for i in range(64)]), {}),
    "a zone far away": (lambda: _msgs(2, ts_local=[datetime(2026, 4, 5, 2, 30), datetime(2026, 10, 4, 2, 15)]), {"timezone": "Australia/Lord_Howe"}),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_frames_normalise_the_same(name: str) -> None:
    make, extra = ODD[name]
    assert_fast_is_plain(make(), **(KW | extra))


def _random_frame(rng: random.Random) -> tuple[pl.DataFrame, dict[str, Any]]:
    n = rng.choice([0, 1, 2, 7, 40, 300])
    t0 = datetime(2026, 3, 29)

    def maybe(values: Callable[[int], Any], null_share: float) -> Any:
        return [None if rng.random() < null_share else values(i) for i in range(n)]

    def share() -> float:
        return rng.choice([0.0, 0.0, 0.3, 1.0])

    people = ["phone:07700 900123", "phone:07700 900124", "name:Dan", "email:X@Y.org", "instagram:@Dan.X", "phone:+1 202 555 0101"]
    cols: dict[str, Any] = {"source_ref": [f"r{i}" if rng.random() > 0.02 else "r0" for i in range(n)]}
    makers: dict[str, Callable[[], Any]] = {
        "kind": lambda: maybe(lambda i: rng.choice(["message", "call", "contact", "location"]), 0.0),
        "ts_utc": lambda: pl.Series(maybe(lambda i: (t0 + timedelta(minutes=37 * i)).replace(tzinfo=UTC), share()), dtype=pl.Datetime("us", "UTC")),
        "ts_local": lambda: pl.Series(maybe(lambda i: t0 + timedelta(minutes=29 * i), share()), dtype=pl.Datetime("us")),
        "ts_end_local": lambda: pl.Series(maybe(lambda i: t0 + timedelta(minutes=31 * i), share()), dtype=pl.Datetime("us")),
        "ts_end_utc": lambda: pl.Series(maybe(lambda i: (t0 + timedelta(hours=i)).replace(tzinfo=UTC), share()), dtype=pl.Datetime("us", "UTC")),
        "ts_basis": lambda: pl.Series(maybe(lambda i: rng.choice(["utc", "offset"]), share()), dtype=pl.String),
        "ts_raw": lambda: pl.Series(maybe(lambda i: f"raw {i}", share()), dtype=pl.String),
        "text": lambda: pl.Series(maybe(lambda i: "word " * (i % 30), share()), dtype=pl.String),
        "sender": lambda: pl.Series(maybe(lambda i: rng.choice(people), share()), dtype=pl.String),
        "recipients": lambda: pl.Series(maybe(lambda i: rng.sample(people, rng.randint(0, 3)), share()), dtype=pl.List(pl.String)),
        "direction": lambda: pl.Series(maybe(lambda i: rng.choice(DIRECTIONS), share()), dtype=pl.String),
        "deleted": lambda: pl.Series(maybe(lambda i: rng.random() < 0.5, share()), dtype=pl.Boolean),
        "lat": lambda: pl.Series(maybe(lambda i: 51.5 + i / 1000, share()), dtype=pl.Float64),
    }
    for name, make in makers.items():
        if rng.random() < 0.6:
            cols[name] = make()
    kw = dict(KW)
    if rng.random() < 0.5:
        kw["owner_uris"] = rng.sample(["tel:+447700900123", "name:s1:Dan", "email:x@y.org"], rng.randint(1, 2))
    kw["refs_unique"] = rng.random() < 0.2 and len(set(cols["source_ref"])) == n
    kw["timezone"] = rng.choice(["Europe/London", "UTC", "America/New_York"])
    return pl.DataFrame(cols), kw


@pytest.mark.parametrize("seed", range(120))
def test_random_frames_normalise_the_same(seed: int) -> None:
    raw, kw = _random_frame(random.Random(seed))
    assert_fast_is_plain(raw, **kw)


@pytest.mark.parametrize("seed", range(0, 120, 3))
def test_random_frames_normalise_the_same_with_refs_hashed(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``_EXACT_REFS_MAX`` rows the refs are counted by their hashes: forced here on small frames."""
    monkeypatch.setattr(normalise, "_EXACT_REFS_MAX", 0)
    raw, kw = _random_frame(random.Random(seed))
    assert_fast_is_plain(raw, **kw)


@pytest.mark.parametrize("seed", range(1, 120, 3))
def test_random_frames_normalise_the_same_with_the_big_sources_query(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``_SMALL_ROWS`` rows the one query runs with Polars' plan optimisations (below, without):
    forced here on small frames, the same events and rejects."""
    monkeypatch.setattr(normalise, "_SMALL_ROWS", 0)
    raw, kw = _random_frame(random.Random(seed))
    assert_fast_is_plain(raw, **kw)


def test_a_small_sources_query_runs_without_the_plan_optimisations(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken where it should be: a small frame's query is collected without them."""
    seen: list[Any] = []
    collect = pl.LazyFrame.collect

    def recorded(self: pl.LazyFrame, *args: Any, **kw: Any) -> pl.DataFrame:
        seen.append(kw.get("optimizations"))
        return collect(self, *args, **kw)

    monkeypatch.setattr(pl.LazyFrame, "collect", recorded)
    raw = _msgs(3)
    normalise.to_events(raw, source_id="s", timezone="Europe/London", region="GB", refs_unique=True,
                        identifiers_are_uris=True)
    assert seen and seen[-1] is not None and not seen[-1].predicate_pushdown


@pytest.mark.parametrize("seed", range(2, 120, 3))
def test_random_frames_normalise_the_same_with_the_parallel_one_select(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``_SEQUENTIAL_ROWS`` rows the one select runs on Polars' worker threads (below, on the calling
    thread): forced here on small frames, the same events and rejects."""
    monkeypatch.setattr(normalise, "_SEQUENTIAL_ROWS", -1)
    raw, kw = _random_frame(random.Random(seed))
    assert_fast_is_plain(raw, **kw)


def test_a_small_sources_one_select_runs_on_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small source's one select is ``select_seq`` (waking Polars' worker threads for a few thousand rows
    cost more CPU than the work), a bigger one's the parallel ``select``."""
    seen: list[str] = []
    select, select_seq = pl.LazyFrame.select, pl.LazyFrame.select_seq

    def parallel(self: pl.LazyFrame, *args: Any, **kw: Any) -> pl.LazyFrame:
        seen.append("select")
        return select(self, *args, **kw)

    def sequential(self: pl.LazyFrame, *args: Any, **kw: Any) -> pl.LazyFrame:
        seen.append("select_seq")
        return select_seq(self, *args, **kw)

    monkeypatch.setattr(pl.LazyFrame, "select", parallel)
    monkeypatch.setattr(pl.LazyFrame, "select_seq", sequential)
    raw = _msgs(3, ts_utc=[utc(2026, 1, 1)] * 3)  # (every row timed: no untimed rows' own select)
    kw: dict[str, Any] = {"source_id": "s", "timezone": "Europe/London", "region": "GB", "refs_unique": True,
                          "identifiers_are_uris": True}
    normalise.to_events(raw, **kw)
    assert seen and "select" not in seen  # (the one select is the last; the fast path's other queries are sequential too)
    seen.clear()
    monkeypatch.setattr(normalise, "_SEQUENTIAL_ROWS", 2)
    normalise.to_events(raw, **kw)
    assert seen[-1] == "select"


def test_the_python_map_gives_what_identifier_map_gives() -> None:
    from atlas.normalise.identifiers import identifier_map

    values = ["name:Zoë", "name:Émile", None, "phone:07700 900123", "phone:+44 7700 900123", "email:A@B.org", "name:a",
              "instagram:@X", "x:y", "plain", "name:\U0001f600", "name:\uffff", "name:Zoë"]
    raw = pl.Series("raw", values, dtype=pl.String)
    exprs = normalise._identifier_exprs_fast(raw, source_id="s1", region="GB")
    mapping = identifier_map(raw, source_id="s1", region="GB")
    frame = pl.DataFrame({"sender": raw, "recipients": [[v] for v in values]})
    assert frame.select(exprs).equals(frame.select(normalise._identifier_exprs(raw, source_id="s1", region="GB")), null_equal=True)
    assert mapping.get_column("raw").to_list() == sorted(v for v in set(values) if v is not None)


@pytest.mark.parametrize("seed", range(0, 120, 2))
def test_random_frames_normalise_the_same_handed_over(seed: int) -> None:
    """Identifiers handed over as URIs and refs stated distinct: no first pass, so the small sources'
    one select runs on the parser's own frame (its columns conformed inside the select)."""
    raw, kw = _random_frame(random.Random(seed))
    refs = raw.get_column("source_ref")
    if refs.n_unique() != refs.len():
        raw = raw.with_columns(pl.Series("source_ref", [f"u{i}" for i in range(raw.height)], dtype=pl.String))
    assert_fast_is_plain(raw, **(kw | {"identifiers_are_uris": True, "refs_unique": True}))


@pytest.mark.parametrize(("extra", "conformed_first"), [
    ({"identifiers_are_uris": True, "refs_unique": True}, False),
    ({"identifiers_are_uris": True, "refs_unique": False}, True),
    ({"identifiers_are_uris": False, "refs_unique": True}, True),
])
def test_a_small_source_whose_identifiers_stay_is_one_select(extra: dict[str, Any], conformed_first: bool,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The one select is taken where it should be (on the parser's frame, or on the conformed frame a
    first pass made), and not where an identifier is mapped; what it gives is the plain rule's."""
    seen: list[int] = []
    one_select = normalise._one_select

    def recorded(frame: pl.DataFrame, *args: Any, **kw: Any) -> pl.DataFrame:
        seen.append(frame.width)
        return one_select(frame, *args, **kw)

    monkeypatch.setattr(normalise, "_one_select", recorded)
    raw = _msgs(3, ts_utc=[utc(2026, 1, 1)] * 3, sender=[ME, "name:s1:Dan", None], recipients=[["name:s1:Dan"], [ME], None])
    assert_fast_is_plain(raw, **(KW | extra | {"owner_uris": [ME]}))
    assert seen == [len(RAW_EVENT_SCHEMA) if conformed_first else raw.width] * 2  # (to_events, then _to_events_fast)
    seen.clear()
    assert_fast_is_plain(_msgs(3, ts_utc=[utc(2026, 1, 1)] * 3, sender=["phone:07700 900123"] * 3), **(KW | {"owner_uris": [ME]}))
    assert seen == []  # (a number to map: the chain)


@pytest.mark.parametrize("seed", range(0, 120, 2))
def test_the_kept_expressions_are_the_ones_made_afresh(seed: int) -> None:
    """:func:`atlas.normalise._one_select_exprs_cached` (the expressions after the ids kept per layout and
    per answer read from the frame) gives the expressions :func:`atlas.normalise._one_select_exprs` makes,
    for each frame twice (made, then kept) and for another source id."""
    raw, kw = _random_frame(random.Random(seed))
    facts = normalise._Raw(raw)
    if not set(raw.columns) <= set(RAW_EVENT_SCHEMA.names()):
        return
    fills = tuple(c for c in ("recipients", "attachments", "deleted") if facts.nulls(c))
    layout = tuple(facts.schema.items())
    by_name = normalise._conformed_columns(layout, fills)
    for source_id in ("s1", "s1", "another source"):
        for key, col, columns in ((("raw", layout, fills), by_name.__getitem__, by_name),
                                  (("conformed",), pl.col, normalise._plain_columns())):
            args = dict(source_id=source_id, timezone=kw["timezone"], owner_uris=kw.get("owner_uris", ()))
            kept = normalise._one_select_exprs_cached(key, col, columns, facts, **args)
            made = normalise._one_select_exprs(col, columns, facts, **args)
            assert len(kept) == len(made)
            assert all(a.meta.eq(b) for a, b in zip(kept, made, strict=True))


def test_kept_expressions_differ_where_the_frame_differs() -> None:
    """The key holds what the expressions depend on: a frame whose times all have a basis and one where
    some lack it (same layout) are given different expressions, each the one made afresh."""
    t = [utc(2026, 1, 1)] * 3
    full = _msgs(3, ts_utc=t, ts_basis=["utc"] * 3)
    part = _msgs(3, ts_utc=t, ts_basis=["utc", None, "utc"])
    assert full.schema == part.schema
    got = []
    for frame in (full, part, full, part):
        facts = normalise._Raw(frame)
        layout = tuple(facts.schema.items())
        by_name = normalise._conformed_columns(layout, ())
        args: dict[str, Any] = {"source_id": "s", "timezone": "Europe/London", "owner_uris": ()}
        kept = normalise._one_select_exprs_cached(("raw", layout, ()), by_name.__getitem__, by_name, facts, **args)
        made = normalise._one_select_exprs(by_name.__getitem__, by_name, facts, **args)
        assert all(a.meta.eq(b) for a, b in zip(kept, made, strict=True))
        got.append(kept)
    basis = list(normalise.EVENT_SCHEMA.names()).index("ts_basis")
    assert not got[0][basis].meta.eq(got[1][basis])


def test_a_rejects_excerpt_of_a_raw_time_that_is_no_time_is_cut() -> None:
    """Before: a Timeline.json whose start time was a 50 MB string stored all of it as the reject's excerpt
    (and reading the store back ran out of memory under 3 GB)."""
    from atlas.normalise import _split_untimed

    frame = pl.DataFrame({"source_ref": ["a", "b"], "kind": ["location", "location"], "ts_utc": [None, None],
                          "ts_raw": ["9" * 100_000, "not a time"], "text": [None, None]},
                         schema_overrides={"ts_utc": pl.Datetime("us", "UTC"), "text": pl.String})
    events, rejects = _split_untimed(frame, "s")
    assert events.height == 0
    assert rejects.get_column("excerpt").to_list() == ["9" * 160, "not a time"]


@pytest.mark.parametrize("seed", range(0, 120, 4))
def test_the_fast_paths_null_counts_are_the_plain_ones(seed: int) -> None:
    """:class:`atlas.normalise._RawCounted` (every null count at once, names and dtypes as a dict) reads
    the frame as :class:`atlas.normalise._Raw` does: the same names and dtypes in order, the same null
    count of every column of :data:`RAW_EVENT_SCHEMA` (a column the frame lacks: its height)."""
    raw, _ = _random_frame(random.Random(seed))
    for frame in (raw, raw.with_columns(pl.lit("utc").alias("ts_basis"), pl.lit(None, pl.String).alias("ts_raw"))):
        plain, fast = normalise._Raw(frame), normalise._RawCounted(frame)
        assert list(fast.schema.items()) == list(plain.schema.items())
        assert fast.height == plain.height
        assert {n: fast.nulls(n) for n in RAW_EVENT_SCHEMA.names()} == {n: plain.nulls(n) for n in RAW_EVENT_SCHEMA.names()}


@pytest.mark.parametrize("owners", [(), (ME,)])
@pytest.mark.parametrize("n", [0, 1, 5])
def test_constant_columns_as_a_parser_makes_them_normalise_the_same(n: int, owners: tuple[str, ...]) -> None:
    """A parser's frame whose constant columns are held as one value (``pl.lit`` in its select: the
    Semantic quick route's ``kind``, ``channel``, ``ts_basis``), with no direction, recipients,
    attachments or deleted column (each made a constant by the fast path, not a null filled), gives
    what the plain rule gives, with and without owners."""
    base = pl.DataFrame({"source_ref": [f"r{i}" for i in range(n)],
                         "ts_utc": pl.Series([utc(2026, 1, 1, i % 24) for i in range(n)], dtype=pl.Datetime("us", "UTC")),
                         "text": [f"t{i}" for i in range(n)]})
    raw = base.select("source_ref", pl.lit("location").alias("kind"), pl.lit("google-location").alias("channel"), "ts_utc",
                      pl.lit("utc").alias("ts_basis"), "text")
    assert_fast_is_plain(raw, **(KW | {"owner_uris": list(owners), "refs_unique": True}))
    assert_fast_is_plain(raw, **(KW | {"owner_uris": list(owners)}))
