"""JSON returns against a bare read of the same file, same run (issue 18: "JSON returns
against a bare streaming read", target 1.5x).

**The reference ("bare read")** is each parser's own reader, run over every record of the
same file with nothing built from them:

* Google ``Records.json`` is streamed (it can be several gigabytes; ``json.load`` of it
  needs about 4 bytes of memory a byte of file): the reference is the same streaming
  tokeniser the parser uses, ``ijson.items(file, "locations.item", use_float=True,
  buf_size=1 MiB)`` (the yajl2 C backend), with each record taken and dropped. Anything
  above it is the parser's own per-record work (batching, the frame, the columns).
* Every other JSON parser reads its file whole with the standard library's C decoder
  (``parsers._exports.load_json``: decode, ``json.loads``; an X archive's
  ``window.YTD.… =`` prefix cut first): the reference is ``json.loads`` of the file's text,
  which builds only the decoder's own objects. It is also the stricter floor: a streaming
  tokeniser (ijson) over the same file takes longer than ``json.loads``, so measuring these
  parsers against it would flatter them. (Since session 12 the parsers read a file of up to
  16 MiB into a buffer kept from one file to the next, ``parsers._exports.read_bytes_text``; the
  reference still reads it with ``Path.read_text``, a new block for the bytes and one for the
  text each time. On this machine those two blocks are given back to the system when freed and
  faulted in again on the next read: about 270 page faults and 0.3-0.4 ms of a 0.6 MB Semantic
  month's 2 ms read, which the parsers no longer pay. The reference is unchanged; the parsers'
  ratios include that saving.)

**A second, stricter reference: the same read with Python's cyclic garbage collector paused**
(``bare_read_paused``), as every JSON parser runs (``parsers._exports.without_cycle_collection``).
``json.loads`` of a large document with the collector running spends much of its time in full
collections walking the objects it has made (session 8, best of 5-15: X's 100,000 DMs 277-309 ms
against 162-197 ms paused, Telegram's 300,000 messages 1,137-1,210 against 580-641 ms, Timeline.json
797-831 against 480-528 ms; Snapchat, Meta and a Semantic month barely move). The parsers never pay
that, so against the collector-running read their ratios were flattered by up to a half; and the
claim below that a streaming tokeniser is slower than ``json.loads`` does not hold for Telegram with
the collector running (``ijson.items`` over its messages 549 ms). Both ratios are reported; the
stage against the paused read is the one that judges issue 18's target. (Until session 8 only the
collector-running read was measured: its earlier figures are kept as they were taken.)

Measured: each parser's parse plus the shared normalisation (``to_events``, as the ingest
runs them; hashing and the store write are the same for every format and left out), and
the parse alone, beside the reference (``ATLAS_BENCH_JSON_ONLY=telegram_json,…`` measures some), **interleaved** (read, parse, read, parse …) so both
see the same load, best of ``REPEATS`` (more for a file read in milliseconds: :func:`runs_for`), wall and
CPU seconds (the measuring process, all threads). Each file is measured in its own fresh process
(``ATLAS_BENCH_JSON_SAME_PROCESS=1``: all in the bench's process, as before): ``json.loads`` of a small
file runs up to a quarter faster in a process whose heap earlier, bigger files have grown (Snapchat's
read 48 against 62 ms), which the Polars readers do not gain, so a file's ratio depended on which
files were measured before it.

Sizes are a heavy user's export (scaled by ``--scale``): Records.json 1 GB (as
``bench_google_records``; ``ATLAS_BENCH_RECORDS_MB`` overrides); a Timeline.json (the phone's own export) of 400,000 points; one
month of Semantic Location History with 3,000 thin objects (as the generator writes them), the
first 360 of them again in the shape Google writes (:func:`real_shape_month`: about 3 MB, a heavy
user's month) and the real August 2021 month in ``../shared/samples`` when it is there; a Meta message file of 10,000
messages (Meta cuts a thread into ``message_N.json`` files of at most 10,000); a Telegram
``result.json`` of 300,000 messages; a Snapchat ``chat_history.json`` of 50,000; an X
``direct-messages.js`` of 100,000. Each file is written by the fixture writer of its format
(:mod:`fixtures.writers`) from a generated world whose messages or positions are repeated
at later times to reach the size (Records.json by ``bench_google_records.write_records``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Stage, repeats, scale, scaled

REPEATS = 3
SMALL_FILE_BUDGET_S = 2.0
SMALL_FILE_MAX_RUNS = 40
"""A file read in milliseconds is timed more often (about ``SMALL_FILE_BUDGET_S`` of bare reads,
at most ``SMALL_FILE_MAX_RUNS`` runs each side): the best of 3 runs of a 7 ms read moves by a
quarter from one run of the bench to the next (Meta's ratio 1.56 to 1.91 on the same code)."""
RECORDS_MB = 1024
SIZES = {"timeline": 400_000, "semantic": 1_500, "semantic_real_shape": 360, "meta": 10_000, "telegram": 300_000, "snapchat": 50_000,
         "x": 100_000}


def _repeat_contacts(msgs: list[Any], n: int) -> list[Any]:
    """``n`` messages: ``msgs`` again and again, each copy a day later (new ids)."""
    span = max(c.ts for c in msgs) - min(c.ts for c in msgs) + timedelta(days=1)
    return [replace(msgs[i % len(msgs)], ts=msgs[i % len(msgs)].ts + span * (i // len(msgs)),
                    cid=f"{msgs[i % len(msgs)].cid}-{i}") for i in range(n)]


def _road_segments(rng: random.Random, n: int) -> list[dict[str, str]]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return [{"placeId": "ChIJ" + "".join(rng.choice(alphabet) for _ in range(23)), "duration": f"{rng.randint(2, 40)}s"}
            for _ in range(n)]


def _raw_path(rng: random.Random, start: str, lat: int, lng: int, n: int) -> dict[str, Any]:
    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return {"points": [{"latE7": lat + rng.randint(-900, 900), "lngE7": lng + rng.randint(-900, 900),
                        "accuracyMeters": rng.randint(5, 60),
                        "timestamp": (t0 + timedelta(seconds=30 * i)).isoformat().replace("+00:00", "Z")}
                       for i in range(n)]}


def _share(i: int, k: int, n: int) -> bool:
    """Whether the ``i``-th object (from 1) is one of ``k`` in every ``n``: spread evenly, so a
    small month has its share too."""
    return (i * k) % n < k


def real_shape_month(thin: Path, out: Path, n_objects: int) -> Path:
    """The generator's Semantic month, its first ``n_objects`` objects given what Google writes beside
    the fields Atlas reads, in the proportions of the real August 2021 month in ``../shared/samples``
    (125 objects, 1.1 MB): 15 activity probabilities a segment, a waypoint path with about 100 road
    segments in 53 of 61, a parking event in 55 of 61, a raw path of about 5 timed points in 22 of 61;
    a visit with 4 other candidate places, a raw path in 3 of 64, a child visit in 7 of 64; device tags.

    Why: the generator writes only what the parser needs (about 400 bytes an object; Google's are
    about 9,000), and a file that thin makes the bare ``json.loads`` reference unrealistically
    cheap beside the per-object work, so its ratio says little about a real month. Deterministic
    (seeded); the thin month is still measured beside it."""
    rng = random.Random(20211)
    doc = json.loads(thin.read_text(encoding="utf-8"))
    kinds = ["IN_PASSENGER_VEHICLE", "STILL", "WALKING", "MOTORCYCLING", "IN_FERRY", "IN_BUS", "CYCLING", "FLYING",
             "RUNNING", "SKIING", "IN_TRAIN", "SAILING", "IN_TRAM", "IN_SUBWAY", "IN_VEHICLE"]
    tag = {"deviceTag": 566860671}
    objects = doc["timelineObjects"][:n_objects]
    segments = visits = 0
    for obj in objects:
        if "activitySegment" in obj:
            segments += 1
            seg = obj["activitySegment"]
            seg["startLocation"]["sourceInfo"] = dict(tag)
            seg["endLocation"]["sourceInfo"] = dict(tag)
            weights = sorted((rng.random() ** 3 for _ in kinds), reverse=True)
            seg["activities"] = [{"activityType": k, "probability": 100 * w / sum(weights)} for k, w in zip(kinds, weights, strict=True)]
            end = seg["endLocation"]
            if _share(segments, 53, 61):
                seg["waypointPath"] = {"waypoints": [{"latE7": end["latitudeE7"] + rng.randint(-9000, 9000),
                                                      "lngE7": end["longitudeE7"] + rng.randint(-9000, 9000)}
                                                     for _ in range(rng.randint(2, 8))],
                                       "source": "INFERRED", "roadSegment": _road_segments(rng, rng.randint(60, 140)),
                                       "distanceMeters": rng.uniform(500, 70000), "travelMode": "DRIVE",
                                       "confidence": rng.random()}
            if _share(segments, 55, 61):
                seg["parkingEvent"] = {"location": {"latitudeE7": end["latitudeE7"], "longitudeE7": end["longitudeE7"],
                                                    "accuracyMetres": rng.randint(5, 80)},
                                       "method": "END_OF_ACTIVITY_SEGMENT", "locationSource": "UNKNOWN",
                                       "timestamp": seg["duration"]["endTimestamp"]}
            if _share(segments, 22, 61):
                seg["simplifiedRawPath"] = _raw_path(rng, seg["duration"]["startTimestamp"], end["latitudeE7"],
                                                     end["longitudeE7"], rng.randint(3, 8))
        elif "placeVisit" in obj:
            visits += 1
            visit = obj["placeVisit"]
            loc = visit["location"]
            loc.update({"semanticType": "TYPE_SEARCHED_ADDRESS", "sourceInfo": dict(tag),
                        "calibratedProbability": rng.uniform(40, 99)})
            visit["otherCandidateLocations"] = [
                {"latitudeE7": loc["latitudeE7"] + rng.randint(-3000, 3000), "longitudeE7": loc["longitudeE7"] + rng.randint(-3000, 3000),
                 "placeId": _road_segments(rng, 1)[0]["placeId"], "address": "Example Street, London",
                 "name": f"Candidate place {i}", "locationConfidence": rng.random(), "calibratedProbability": rng.random()}
                for i in range(4)]
            visit["locationConfidence"] = rng.randint(20, 99)
            if _share(visits, 3, 64):
                visit["simplifiedRawPath"] = _raw_path(rng, visit["duration"]["startTimestamp"], loc["latitudeE7"],
                                                       loc["longitudeE7"], rng.randint(3, 8))
            if _share(visits, 7, 64):
                child = json.loads(json.dumps(visit))
                child.pop("childVisits", None)
                visit["childVisits"] = [child]
    out.write_text(json.dumps({"timelineObjects": objects}, indent=2), encoding="utf-8")
    return out


def _repeat_positions(positions: list[Any], n: int) -> list[Any]:
    span = max(p.ts for p in positions) - min(p.ts for p in positions) + timedelta(days=1)
    span = timedelta(days=span.days)  # whole days: each copy's points fall on the same clock times
    return [replace(positions[i % len(positions)], ts=positions[i % len(positions)].ts + span * (i // len(positions)),
                    pos_id=f"{positions[i % len(positions)].pos_id}-{i}") for i in range(n)]


def write_files(work: Path) -> dict[str, tuple[Path, str]]:
    """Each format's file at this run's scale: name → (path, parser module name)."""
    from bench.bench_google_records import write_records
    from fixtures.scenarios import COVERT_PLACES, build
    from fixtures.writers import google_location, messaging_misc, meta_dyi

    out: dict[str, tuple[Path, str]] = {}
    work.mkdir(parents=True, exist_ok=True)
    records = work / "Records.json"
    write_records(records, max(1, int(float(os.environ.get("ATLAS_BENCH_RECORDS_MB", RECORDS_MB * scale())))))
    out["google_records_json"] = (records, "google_records_json")

    covert = build("covert", 3, 0.2)
    mine = [p for p in covert.positions if p.pid == "victim"]
    covert.positions = _repeat_positions(mine, scaled(SIZES["timeline"], 200))
    places = [(name, centre) for name, centre, _, _ in COVERT_PLACES]
    w = google_location._timeline(covert, "victim", work / "timeline", "Timeline.json", places)
    out["google_timeline_json"] = (work / "timeline" / w.path, "google_timeline_json")

    ex = build("rejected-ex", 3, 0.2)
    visits = [v for v in ex.visits if v.pid == "suspect"]
    n_visits = scaled(SIZES["semantic"], 20)
    # one month made dense: every visit again, a few minutes later each time (a month of a heavy user)
    copies = [replace(visits[i % len(visits)], vid=f"{visits[i % len(visits)].vid}-{i}",
                      start=visits[i % len(visits)].start + timedelta(minutes=3 * (i // len(visits))),
                      end=visits[i % len(visits)].end + timedelta(minutes=3 * (i // len(visits))))
              for i in range(n_visits)]
    by_vid = {v.vid: v for v in visits}
    points = [p for p in ex.positions if p.visit in by_vid]
    ex.visits = copies
    ex.positions = [replace(p, visit=c.vid, pos_id=f"{p.pos_id}-{c.vid}",
                            ts=p.ts + (c.start - by_vid[p.visit].start))
                    for c in copies for p in points if p.visit == c.vid.rsplit("-", 1)[0]]
    months = google_location._semantic(ex, "suspect", work / "semantic", "Location History")
    biggest = max(months, key=lambda m: (work / "semantic" / m.path).stat().st_size)
    out["google_semantic_json"] = (work / "semantic" / biggest.path, "google_semantic_json")
    out["google_semantic_json_real_shape"] = (real_shape_month(work / "semantic" / biggest.path, work / "semantic-real-shape.json",
                                                               scaled(SIZES["semantic_real_shape"], 10)), "google_semantic_json")
    real = Path(__file__).resolve().parents[2] / "shared" / "samples" / "kgeo-google-location" / "semantic-2021-august.json"
    if real.is_file():  # the real month Google wrote (../shared/samples), read in place, never copied
        out["google_semantic_json_real_sample"] = (real, "google_semantic_json")

    ex = build("rejected-ex", 3, 0.2)
    threads = meta_dyi._threads(ex, "victim", "instagram")
    other, msgs = max(threads.items(), key=lambda kv: len(kv[1]))
    thread = meta_dyi._json_thread(ex, "victim", other, _repeat_contacts(msgs, scaled(SIZES["meta"], 50)),
                                   work / "meta", "your_instagram_activity", "instagram")
    assert thread is not None
    out["meta_dyi_json"] = (work / "meta" / thread.path, "meta_dyi_json")

    clean = build("clean", 3, 0.2)
    made = messaging_misc._exchanges(clean)
    w = messaging_misc._telegram(clean, _repeat_contacts(made["telegram"], scaled(SIZES["telegram"], 50)),
                                 work / "telegram")
    out["telegram_json"] = (work / "telegram" / w.path, "telegram_json")
    snap = messaging_misc._snapchat(clean, _repeat_contacts(made["snapchat"], scaled(SIZES["snapchat"], 50)),
                                    work / "snapchat")
    out["snapchat"] = (work / "snapchat" / snap[0].path, "snapchat")
    xs = messaging_misc._x(clean, _repeat_contacts(made["x"], scaled(SIZES["x"], 50)), work / "x")
    out["x_archive"] = (work / "x" / xs[0].path, "x_archive")
    return out


def bare_read(name: str, path: Path) -> int:
    """The reference: the parser's own reader over every record, nothing built (see the module notes)."""
    if name == "google_records_json":
        import ijson

        n = 0
        with path.open("rb") as fh:
            for _ in ijson.items(fh, "locations.item", use_float=True, buf_size=1 << 20):
                n += 1
        return n
    text = path.read_text(encoding="utf-8")
    if name == "x_archive":
        text = text[text.index("=") + 1:]
    doc = json.loads(text)
    return len(doc)


def bare_read_paused(name: str, path: Path) -> int:
    """:func:`bare_read` with the cyclic garbage collector paused while it runs, as the parsers run
    (the stricter reference: see the module notes)."""
    from parsers._exports import cycle_collection_paused

    with cycle_collection_paused():
        return bare_read(name, path)


def parse_normalise(module: Any, path: Path, *, normalise: bool = True) -> tuple[int, int]:
    """The parse and the normalisation the ingest runs: (events, rejects)."""
    from atlas.model import REJECT_SCHEMA, conform
    from atlas.normalise import to_events
    from atlas.normalise.identifiers import identifier_uri
    from parsers.base import ParseContext

    # as the ingest asks (atlas.ingest): the ingest normalises straight away, so a parser may give
    # its identifiers as URIs where it can make them more cheaply than the shared normaliser
    ctx = ParseContext(source_id="bench", path=path, convert_identifiers=True)
    result = module.parse(path, ctx)
    if not normalise:
        return result.events.height, result.rejects.height
    owners = [identifier_uri(result.owner, source_id="bench", region="GB")] if result.owner else []
    normalised = to_events(result.events, source_id="bench", timezone="Europe/London", region="GB",
                           owner_uris=owners, identifiers_are_uris=result.identifiers_are_uris,
                           refs_unique=result.refs_unique)
    conform(result.rejects, REJECT_SCHEMA)
    return normalised.events.height, result.rejects.height + normalised.rejects.height


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    t, c = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - t, time.process_time() - c, value


class _Plain:
    """A parser module's plain rule (``parse_plain``) in the place of its ``parse``."""

    def __init__(self, module: Any) -> None:
        self.parse = module.parse_plain


def measure(name: str, path: Path, module: Any, runs: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    sides: dict[str, list[tuple[float, float]]] = {"read": [], "read_paused": [], "parse": [], "full": []}
    # ATLAS_BENCH_JSON_PLAIN=1: the plain rule (the per-record walk a fast path is tested equal to)
    # measured too, interleaved: the before/after of a fast path in one run.
    plain = _Plain(module) if os.environ.get("ATLAS_BENCH_JSON_PLAIN") and hasattr(module, "parse_plain") else None
    if plain is not None:
        sides["plain"] = []
        parse_normalise(plain, path)
    events = rejects = 0
    for _ in range(runs):  # interleaved: read, parse, parse + normalise, read, ...
        wall, cpu, _n = _timed(lambda: bare_read(name, path))
        sides["read"].append((wall, cpu))
        wall, cpu, _n = _timed(lambda: bare_read_paused(name, path))
        sides["read_paused"].append((wall, cpu))
        wall, cpu, _n = _timed(lambda: parse_normalise(module, path, normalise=False))
        sides["parse"].append((wall, cpu))
        wall, cpu, (events, rejects) = _timed(lambda: parse_normalise(module, path))
        sides["full"].append((wall, cpu))
        if plain is not None:
            wall, cpu, _n = _timed(lambda: parse_normalise(plain, path))
            sides["plain"].append((wall, cpu))
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in sides.items()}
    read_s, read_cpu = best["read"]
    paused_s, paused_cpu = best["read_paused"]
    numbers: dict[str, object] = {
        "file_mb": round(path.stat().st_size / 1e6, 1), "events": events, "rejects": rejects,
        "bare_read_s": round(read_s, 3), "bare_read_cpu_s": round(read_cpu, 3),
        "parse_s": round(best["parse"][0], 3), "parse_cpu_s": round(best["parse"][1], 3),
        "parse_normalise_s": round(best["full"][0], 3), "parse_normalise_cpu_s": round(best["full"][1], 3),
        "ratio": round(best["full"][0] / read_s, 2) if read_s > 0 else None,
        "cpu_ratio": round(best["full"][1] / read_cpu, 2) if read_cpu > 0 else None,
        "parse_only_ratio": round(best["parse"][0] / read_s, 2) if read_s > 0 else None,
        "bare_read_paused_s": round(paused_s, 3), "bare_read_paused_cpu_s": round(paused_cpu, 3),
        "ratio_paused": round(best["full"][0] / paused_s, 2) if paused_s > 0 else None,
        "cpu_ratio_paused": round(best["full"][1] / paused_cpu, 2) if paused_cpu > 0 else None,
        "load_average_1m": round(os.getloadavg()[0], 2), "what": f"best of {runs} interleaved runs each side",
    }
    if "plain" in best:
        numbers.update({"plain_parse_normalise_s": round(best["plain"][0], 3),
                        "plain_parse_normalise_cpu_s": round(best["plain"][1], 3),
                        "plain_ratio": round(best["plain"][0] / read_s, 2) if read_s > 0 else None,
                        "plain_cpu_ratio": round(best["plain"][1] / read_cpu, 2) if read_cpu > 0 else None})
    reference = ("the same ijson stream over every record, nothing built (same file)" if name == "google_records_json"
                 else "json.loads of the same file's text (the parser's own reader, nothing built)")
    stage = Stage(f"{name} parse + normalise", best["full"][0], reference, read_s, records=events, target_ratio=None,
                  note=f"CPU {best['full'][1]:.3f} s against {read_cpu:.3f} s; best of {runs} interleaved; the "
                       "collector running in the reference, paused in the parser: see the next row").as_dict()
    strict = Stage(f"{name} parse + normalise (collector paused in both)", best["full"][0],
                   reference + ", with the cyclic garbage collector paused as in the parser", paused_s, records=events,
                   target_ratio=1.5,
                   note=f"CPU {best['full'][1]:.3f} s against {paused_cpu:.3f} s; best of {runs} interleaved").as_dict()
    return numbers, [stage, strict]


def runs_for(name: str, path: Path, runs: int) -> int:
    """How many interleaved runs a file gets: ``runs``, or more for a file read in milliseconds
    (see :data:`SMALL_FILE_BUDGET_S`); only ``runs`` at a check-only scale. Both sides get the same
    count. It is set by the least CPU time of three reads: until session 17 by one read's wall time,
    which on a busy machine counts the time the read waited for a core (at load 15, 75-180 ms for a
    4-10 ms read), so the real Semantic months were given 11-27 runs a side, not 40."""
    if runs < REPEATS:
        return runs
    read_cpu = min(_timed(lambda: bare_read(name, path))[1] for _ in range(3))
    return max(runs, min(SMALL_FILE_MAX_RUNS, int(SMALL_FILE_BUDGET_S / max(read_cpu, 1e-4))))


def measure_file(name: str, path: str, module_name: str, runs: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    """:func:`measure` of one file, its parser imported and run once first (the first parse of a
    process also imports what it uses)."""
    import importlib

    module = importlib.import_module(f"parsers.{module_name}")
    parse_normalise(module, Path(path))
    return measure(name, Path(path), module, runs_for(name, Path(path), runs))


def run(work: Path) -> dict[str, object]:
    runs = repeats(REPEATS)
    out: dict[str, object] = {}
    stages: list[dict[str, object]] = []
    t = time.perf_counter()
    files = write_files(work)
    out["build_s"] = round(time.perf_counter() - t, 1)
    only = {n.strip() for n in os.environ.get("ATLAS_BENCH_JSON_ONLY", "").split(",") if n.strip()}
    same_process = bool(os.environ.get("ATLAS_BENCH_JSON_SAME_PROCESS"))
    for name, (path, module_name) in files.items():
        if only and name not in only:
            continue
        if same_process:
            numbers, measured = measure_file(name, str(path), module_name, runs)
        else:
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as fresh:
                numbers, measured = fresh.submit(measure_file, name, str(path), module_name, runs).result()
        numbers["process"] = "this process (after the others)" if same_process else "its own fresh process"
        out[name] = numbers
        stages += measured
    out["stages"] = stages
    return out


if __name__ == "__main__":  # python -m bench.bench_json_returns (ATLAS_BENCH_SCALE=0.1 for a quick run)
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="atlas-bench-json-") as d:
        print(json.dumps(run(Path(d)), indent=1))
        sys.exit(0)
