"""Structural hostile inputs for every parser, ingested out of process (see :mod:`tests._hostile`).

Every variant in :data:`tests._hostile.SPECS` is built from a real-format seed and read by
``atlas ingest`` in a child process under a timeout and a 3 GB address-space limit, so a
segmentation fault, a hang or a runaway allocation is reported against the input that
caused it instead of taking the test run down. The contract each must meet:

* exit 0, or 2 with Atlas's own one-line error naming the file (not the catch-all
  boundary's "parser failed", not "internal error"); no traceback, no MemoryError;
* a failure leaves the case store as it was; a success stores read = events + rejects
  and, where the variant keeps every record of the seed, reads as many as the seed;
* nothing from a local file or URL an entity names is stored, and no URL is fetched.

Found and fixed on s11-timeline-deep (merged before this module): the Timeline.json Arrow
route's segfault at 30,000 and 200,000 levels (a key at the top, an object or array in a
segment) and its 19 s / 1.9 GB (abort under 3 GB) read of a segment with 200,000 keys; both
were strict xfails here until the merge, and pass now.

Found here and fixed on s11-records-deep: Records.json nested deep (3,000 levels in a field read: minutes
in Polars' ``from_dicts``; 30,000: a segfault; 200,000 anywhere: ijson past 3 GB) is refused before the
streamer descends (tests/test_hostile_findings.py holds each in process); these were strict xfails.

``ATLAS_HOSTILE_FULL=1`` (``make hostile``) uses the brief's full sizes (a 50 MB string,
1,000,000 keys, a 100 MB line, a 1 GB zip bomb); the default sizes prove the same point
in well under a minute.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from atlas.store import init_case
from atlas.store.manifest import TEMPLATE
from parsers._bounds import JSON_VALUE_BYTES
from tests._hostile import FULL, JSON_PARSERS, ONLY, SECRET, SPECS, Spec, build, make_seeds, quote_variant_line

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 3 << 30
JOB_TIMEOUT = 20.0
"""A job's timeout at the default sizes (every variant ends in seconds there)."""
FULL_TIMEOUT_BASE = 30.0
FULL_TIMEOUT_PER_MB = 0.5
FULL_TIMEOUT_MAX = 600.0


def full_timeout(path: Path) -> float:
    """A job's timeout at the full sizes: 30 s plus 0.5 s a MB of the variant's file (at most 600 s).

    Atlas reads a line-based or JSON file at 10-100 MB/s and refuses a hostile one sooner, so a
    job past this has hung, not worked slowly: a 100 MB variant gets 80 s (it ingests in 1-5 s),
    where every job used to wait 600 s and two hung jobs took 20 minutes of the sweep. A zip
    bomb's file is small, so it has the 30 s base."""
    size_mb = path.stat().st_size / (1 << 20) if path.is_file() else 0.0
    return min(FULL_TIMEOUT_MAX, FULL_TIMEOUT_BASE + FULL_TIMEOUT_PER_MB * size_mb)
CLEAN_ERROR = 2
BIG_JSON_PEAK_MB = 300
"""A job's peak for a JSON file holding one 50 MB string (``big-*``, full sizes): the string is cut out of the
bytes before the document is read (parsers/_json_cut.py). Session 16, load ~10: 135-212 MB after; 273-1,279 MB
before (Meta's big-text 1,279, Telegram 637-694, Timeline 397, Semantic 357). Records.json (streamed) is held to
it too since session 17 (its strings cut as the file is streamed: 739 MB before, a whole ``atlas ingest``)."""

KNOWN: dict[str, pytest.MarkDecorator] = {}
"""Variants found failing and not yet fixed (strict xfails), by ``Spec.id``."""


@dataclass
class Outcome:
    """What one job did: ``status`` is done, crashed (no result: a signal or an exit) or timeout."""

    status: str
    code: object = None
    returncode: int | None = None
    seconds: float = 0.0
    out: str = ""
    err: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    peak_kb: int = 0
    """The job's peak resident memory (VmHWM, reset as the job starts): the runner's own figure for
    a job that ended, else the parent's last look (once a second) at a job that crashed or hung."""


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _hwm_kb(pid: int) -> int:
    """A process's peak resident memory (VmHWM) in KB, 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def run_jobs(work: Path, jobs: list[dict[str, Any]], timeout: float = JOB_TIMEOUT, *, isolate: bool = True,
             alone: bool = False) -> list[Outcome]:
    """Run every job in runner processes, a new one after any job that killed its runner or timed out
    (``alone``: a new one for every job), then (``isolate``) each job that crashed once more on its own."""
    if alone:
        work = work / "alone"
        work.mkdir(exist_ok=True)
        if not (work / "empty-case").exists():
            shutil.copytree(work.parent / "empty-case", work / "empty-case")
        return [run_jobs(work, [job], timeout, isolate=False)[0] for job in jobs]
    (work / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    outcomes: dict[int, Outcome] = {}
    todo = list(range(len(jobs)))
    while todo:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests._hostile_runner", str(work / "jobs.json"), *map(str, todo)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, preexec_fn=_limit, start_new_session=True,
            env=os.environ | {"PYTHONFAULTHANDLER": "1"},
        )
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        current: int | None = None
        job_pid = proc.pid  # the current job's process (the runner forks one for each job)
        died: int | None = None  # how the current job's process ended, if it died without a result
        deadline = time.monotonic() + 120.0  # start-up
        buffer = b""
        peak = 0
        while True:
            left = deadline - time.monotonic()
            ready = left > 0 and sel.select(timeout=min(left, 1.0))
            if current is not None:
                peak = max(peak, _hwm_kb(job_pid))
            if left > 0 and not ready and time.monotonic() < deadline:
                continue
            if not ready:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                if current is not None:
                    outcomes[current] = Outcome("timeout", seconds=jobs[current].get("timeout", timeout),
                                                err=_read(work / f"{current}.err"), peak_kb=peak)
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                proc.wait()
                if current is not None:
                    outcomes[current] = Outcome("crashed", returncode=proc.returncode if died is None else died,
                                                out=_read(work / f"{current}.out"), err=_read(work / f"{current}.err"),
                                                peak_kb=peak)
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                msg = json.loads(line)
                if "start" in msg:
                    current, peak, job_pid = msg["start"], 0, msg.get("pid", proc.pid)
                    deadline = time.monotonic() + jobs[current].get("timeout", timeout)
                elif "died" in msg:
                    died = msg["returncode"]
                else:
                    n = msg["done"]
                    outcomes[n] = Outcome("done", code=msg["code"], seconds=msg["seconds"], out=_read(work / f"{n}.out"),
                                          err=_read(work / f"{n}.err"), result=msg, peak_kb=msg.get("peak_kb", peak))
                    current = None
        sel.close()
        proc.stdout.close()
        if proc.returncode is None:
            proc.wait()
        left = [n for n in todo if n not in outcomes]
        if len(left) == len(todo):
            raise RuntimeError(f"the hostile-input runner did no job (exit {proc.returncode})")
        todo = left  # the runner stopped after a job (a crash, a hang, or it asked for a fresh process)
    if isolate:  # a job that killed a runner of many is run again alone: its own verdict, not its neighbours'
        again = [n for n, o in outcomes.items() if o.status == "crashed"]
        for n, o in zip(again, run_jobs(work, [jobs[n] for n in again], timeout, isolate=False, alone=True),
                        strict=True):
            outcomes[n] = o
    return [outcomes[n] for n in range(len(jobs))]


def run_split(work: Path, jobs: list[dict[str, Any]], parts: int = 2) -> list[Outcome]:
    """:func:`run_jobs` over ``parts`` interleaved shares of the jobs at once, each in its own folder and
    runner process (the test process itself only waits, so two runners use both cores of CI's machine)."""
    from concurrent.futures import ThreadPoolExecutor

    shares = [list(range(k, len(jobs), parts)) for k in range(parts)]
    folders = [work / f"share-{k}" for k in range(parts)]
    for folder in folders:
        folder.mkdir()
        shutil.copytree(work / "empty-case", folder / "empty-case")
    with ThreadPoolExecutor(parts) as pool:
        done = list(pool.map(lambda k: run_jobs(folders[k], [jobs[n] for n in shares[k]]), range(parts)))
    outcomes: dict[int, Outcome] = {}
    for share, got in zip(shares, done, strict=True):
        outcomes.update(zip(share, got, strict=True))
    return [outcomes[n] for n in range(len(jobs))]


def problems(spec_keeps_records: bool, path: Path, o: Outcome, seed_read: int | None) -> list[str]:
    """Every way ``o`` breaks the contract (empty: it kept it)."""
    if o.status == "timeout":
        return [f"no answer within {o.seconds:.0f} s"]
    if o.status == "crashed":
        rc = o.returncode or 0
        how = f"killed by signal {-rc} ({signal.Signals(-rc).name})" if rc < 0 else f"the process exited {rc}"
        return [f"{how} with no result; stderr: {o.err[-600:]}"]
    found: list[str] = []
    if o.code not in (0, CLEAN_ERROR):
        found.append(f"exit status {o.code}")
    if "Traceback" in o.err:
        found.append("a traceback")
    if "MemoryError" in o.err or "memory allocation" in o.err:
        found.append("ran out of memory")
    if o.result.get("expect_error") and (o.code != CLEAN_ERROR or o.result["expect_error"] not in o.err):
        found.append(f"not refused with an error naming {o.result['expect_error']}")
    if o.code == CLEAN_ERROR:
        if o.result.get("expect_bound_reject"):
            found.append("refused the whole file where the record over its bound should be one reject")
        if path.name not in o.err:
            found.append("the error does not name the file")
        if "parser failed" in o.err or "detector failed" in o.err:
            found.append("the catch-all boundary caught it (the parser met something it did not expect)")
        if o.result.get("store_changed"):
            found.append("it failed but the case store changed")
    if o.code == 0:
        try:
            [row] = json.loads(o.out)
        except ValueError:
            return [*found, f"no JSON outcome: {o.out[:300]!r}"]
        read, events, rejects = row["records_read"], row["events"], row["rejects"]
        if row["status"] != "ingested":
            found.append(f"status {row['status']}: {row.get('message')}")
        if read != events + rejects:
            found.append(f"read {read} != events {events} + rejects {rejects}")
        if (o.result.get("stored_events"), o.result.get("stored_rejects")) != (events, rejects):
            found.append(f"the store holds {o.result.get('stored_events')} events / {o.result.get('stored_rejects')} "
                         f"rejects, the outcome says {events} / {rejects}")
        if spec_keeps_records and seed_read is not None and read != seed_read:
            found.append(f"read {read} records where the seed has {seed_read} (a silently different result)")
        if o.result.get("leaked"):
            found.append(f"stored text from outside the file: {o.result['leaked']}")
        if o.result.get("expect_bound_reject") and not o.result.get("bound_rejects"):
            found.append("the record over its bound is not one reject naming it (refused whole, or read whole)")
        if o.result.get("over_bound"):
            found.append("a stored value of {:,} bytes, over the {:,}-byte bound on one value".format(*o.result["over_bound"]))
        if o.result.get("store_unreadable"):
            found.append(f"the store cannot be read back: {o.result['store_unreadable']}")
    return found


HITS: list[str] = []
"""Every request the local server got (an entity or DTD fetched from it)."""


class _Hits(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        HITS.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY leak "HOSTILE-URL-CONTENT">')

    def log_message(self, *args: object) -> None:
        """Nothing on stderr: what was fetched is read from :data:`HITS`."""


@dataclass
class Sweep:
    outcomes: dict[str, tuple[Path, Outcome]]
    seed_read: dict[str, int]
    seed_problems: dict[str, list[str]]
    url_hits: list[str]
    missing: set[str]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    work = tmp_path_factory.mktemp("hostile")
    seeds = make_seeds(work / "seeds")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    secret = work / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    runs = work / "runs"
    init_case(runs / "empty-case", TEMPLATE)
    jobs: list[dict[str, Any]] = []
    keys: list[tuple[str, Path]] = []
    for key, path in sorted(seeds.items()):
        jobs.append({"path": str(path), "format": None, "forbid": []})
        keys.append((f"seed:{key}", path))
    for spec in SPECS:
        if spec.seed not in seeds:
            continue
        built = build(spec, seeds, work / "variants", url, secret)
        jobs.append({"path": str(built.path), "format": None if spec.detect else spec.parser, "forbid": built.forbid}
                    | ({"max_value": JSON_VALUE_BYTES} if spec.seed in JSON_PARSERS else {})
                    | ({"expect_bound_reject": True} if spec.bound_reject else {})
                    | ({"expect_error": f"{built.path.name}: line {quote_variant_line(seeds[spec.seed], spec.variant)}:"}
                       if spec.names_line else {})
                    | ({"expect_error": f"{built.path.name}{spec.refused_with}"} if spec.refused_with else {}))
        keys.append((spec.id, built.path))
    if FULL:  # a hang is a failure within a time in proportion to the file, not after 600 s
        for job in jobs:
            job["timeout"] = full_timeout(Path(job["path"]))
    done = run_split(runs, jobs)
    outcomes = {key: (path, o) for (key, path), o in zip(keys, done, strict=True)}
    seed_read: dict[str, int] = {}
    seed_problems: dict[str, list[str]] = {}
    for key in seeds:
        path, o = outcomes.pop(f"seed:{key}")
        seed_problems[key] = problems(False, path, o, None)
        if o.code == 0:
            seed_read[key] = json.loads(o.out)[0]["records_read"]
    server.shutdown()
    _summary(outcomes)
    (work / "outcomes.json").write_text(json.dumps({k: [o.status, o.code, o.seconds, o.peak_kb]
                                                    for k, (_, o) in outcomes.items()}),
                                        encoding="utf-8")
    yield Sweep(outcomes, seed_read, seed_problems, list(HITS), {s.seed for s in SPECS} - set(seeds))


def _summary(outcomes: dict[str, tuple[Path, Outcome]]) -> None:
    slowest = sorted(outcomes.items(), key=lambda kv: -kv[1][1].seconds)[:5]
    print("\nhostile structure: " + ", ".join(f"{k} {o.seconds:.1f}s" for k, (_, o) in slowest), file=sys.stderr)


def _param(spec: Spec) -> Any:
    marks = [KNOWN[spec.id]] if spec.id in KNOWN else []
    return pytest.param(spec, id=spec.id, marks=marks)


def test_every_seed_reads_cleanly(sweep: Sweep) -> None:
    assert {k: p for k, p in sweep.seed_problems.items() if p} == {}
    assert sweep.missing <= {"whatsapp-ios-db", "whatsapp-ios-contacts", "whatsapp-ios-calls"}


@pytest.mark.parametrize("spec", [_param(s) for s in SPECS])
def test_hostile_structure_is_refused_cleanly_or_read_in_full(spec: Spec, sweep: Sweep) -> None:
    if spec.id not in sweep.outcomes:
        pytest.skip(f"no seed for {spec.seed} (the public sample is not on this machine)")
    path, o = sweep.outcomes[spec.id]
    found = problems(spec.keeps_records, path, o, sweep.seed_read.get(spec.seed))
    if FULL and spec.variant.startswith("big-") and spec.seed in JSON_PARSERS and o.peak_kb > BIG_JSON_PEAK_MB << 10:
        found.append(f"peak {o.peak_kb >> 10} MB, over {BIG_JSON_PEAK_MB} MB for one 50 MB string")
    assert not found, (f"{spec.id} ({o.seconds:.1f} s, exit {o.code}, peak {o.peak_kb / 1024:.0f} MB): "
                       f"{'; '.join(found)}\nstderr: {o.err[-800:]}")


def test_no_entity_or_dtd_fetched_a_url(sweep: Sweep) -> None:
    if ONLY and not any("xxe" in k for k in sweep.outcomes):
        pytest.skip("ATLAS_HOSTILE_ONLY leaves out every xxe variant")
    assert any("xxe" in k for k in sweep.outcomes)
    assert sweep.url_hits == []


# --- the runner itself: it must see what it is there to see ------------------------------------

@pytest.mark.parametrize(("code", "expect"), [
    ("import ctypes; ctypes.string_at(0)", "killed by signal 11 (SIGSEGV)"),
    ("import time; time.sleep(60)", "no answer within"),
    ("b = bytearray(4 << 30)", "ran out of memory"),
    ("import os; os._exit(0)", "the process exited 0 with no result"),  # a library that ends the process itself
])
def test_the_runner_reports_a_crash_a_hang_and_a_runaway_allocation(tmp_path: Path, code: str, expect: str) -> None:
    init_case(tmp_path / "empty-case", TEMPLATE)
    job = {"path": "-", "format": None, "forbid": [], "python": code, "timeout": 3}
    seed = {"path": "-", "format": None, "forbid": [], "python": "pass"}
    first, after = run_jobs(tmp_path, [job, seed])
    found = "; ".join(problems(False, tmp_path / "x", first, None))
    assert expect in found, found
    assert after.status == "done" and after.code == 0  # the next job ran, in a new runner
