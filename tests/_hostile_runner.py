"""The child process of :mod:`tests.test_hostile_structure`: runs ``atlas ingest`` (the CLI's
``main``, exactly as the ``atlas`` command does) on a list of jobs, one after another, each in a process of its own forked from the runner.

``python -m tests._hostile_runner JOBS.json N [N ...]`` runs the jobs numbered N. Before each
job it writes ``{"start": N, "pid": P}`` (P: the job's process) to the protocol stream (its standard output as it started),
then sends the job's own standard output and error (the file descriptors, so a C library's
or Rust's message is caught too) to ``N.out`` / ``N.err`` beside JOBS.json, and after it
``{"done": N, ...}``. A job that kills its process leaves a ``start`` with no ``done``, then the
runner writes ``{"died": N, "returncode": R}`` and stops: the parent knows which input did it and
how it died, and starts a new runner for the jobs after it.

A job's process is a fork of the runner taken after the runner imported Atlas, its parsers and its
commands (:data:`PRELOAD`) and before anything ran, so it starts as a new interpreter would after
those imports, with the whole address-space limit to itself, and nothing a job leaves (memory, address
space, state) reaches the next. (Until session 15 each job had a new interpreter: the runner stopped
after any job that left it over 1 GB of address space, which every job did; its ~0.5 s of imports per
job was most of the sweep's time.)

Each job ingests into a fresh copy of an empty case. The result says whether the case
store changed, how many events and rejects the store holds, and whether any text the job
forbids (a local file's contents an XML entity named) is in them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO


def _hwm_kb() -> int:
    """This process's peak resident memory (VmHWM) in KB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reset_hwm() -> None:
    """Start VmHWM again from the memory in use now (Linux: 5 to clear_refs), so each job's peak is its own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _snapshot(case: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(case.rglob("*")):
        if path.is_file():
            out[path.relative_to(case).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _stored_text(case: Path) -> tuple[int, int, str, int]:
    import polars as pl

    from atlas.store import Case

    c = Case.open(case)
    events = c.events().collect()
    rejects = c.rejects().collect()
    text = []
    longest = 0
    for frame in (events, rejects):
        for name, dtype in frame.schema.items():
            if dtype == pl.String:
                text.append(frame.get_column(name).str.join("\n").item() or "")
                longest = max(longest, frame.get_column(name).str.len_bytes().max() or 0)  # type: ignore[operator]
            elif isinstance(dtype, (pl.List, pl.Struct)):
                text.append(str(frame.get_column(name).to_list()))
                if dtype == pl.List(pl.String):
                    longest = max(longest, frame.get_column(name).explode().str.len_bytes().max() or 0)  # type: ignore[operator]
    for table in sorted((case / "store" / "extra").glob("*/*.parquet")):  # (reactions, conversations: bounded too)
        frame = pl.read_parquet(table)
        for name, dtype in frame.schema.items():
            if dtype == pl.String:
                text.append(frame.get_column(name).str.join("\n").item() or "")
                longest = max(longest, frame.get_column(name).str.len_bytes().max() or 0)  # type: ignore[operator]
            elif dtype == pl.List(pl.String):
                longest = max(longest, frame.get_column(name).explode().str.len_bytes().max() or 0)  # type: ignore[operator]
    return events.height, rejects.height, "\n".join(text), longest


def _bound_rejects(case: Path) -> int:
    """Rejects whose reason is a bound's (a record over its format's bound on one record or value)."""
    import polars as pl

    from atlas.store import Case

    rejects = Case.open(case).rejects().collect()
    return rejects.filter(pl.col("reason").str.contains("-byte bound on one", literal=True)).height


PRELOAD = ("atlas.ingest", "atlas.store", "atlas.stream.ingest", "rich.progress")
"""Imported once by the runner before it forks a job's process (plus every parser module and CLI command):
what each job would otherwise import again in a new interpreter. Imports only: no query runs and no thread
pool starts before a fork, so each job's process starts as a new runner would after its imports."""


def _preload() -> None:
    import importlib
    import pkgutil

    import atlas.cli.commands
    import parsers

    for name in PRELOAD:
        importlib.import_module(name)
    for package in (parsers, atlas.cli.commands):
        for mod in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{mod.name}")


def _run_job(jobs: list[dict[str, Any]], work: Path, n: int, proto: TextIO) -> None:
    """One job, in its own process (a fork of the runner): ``start``, the ingest, ``done``."""
    from atlas.cli import main as atlas_main

    job = jobs[n]
    case = work / "cases" / str(n)
    shutil.rmtree(case, ignore_errors=True)
    shutil.copytree(work / "empty-case", case)
    _reset_hwm()
    proto.write(json.dumps({"start": n, "pid": os.getpid()}) + "\n")
    out_f = open(work / f"{n}.out", "w", encoding="utf-8")  # noqa: SIM115
    err_f = open(work / f"{n}.err", "w", encoding="utf-8")  # noqa: SIM115
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(out_f.fileno(), 1)
    os.dup2(err_f.fileno(), 2)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), write_through=True), \
        io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), write_through=True)
    before = _snapshot(case)
    args = ["ingest", str(case), job["path"], "--json"] + (["--format", job["format"]] if job["format"] else [])
    started = time.perf_counter()
    code: object
    try:
        if "python" in job:  # the parent's self-test: a job that crashes, hangs or allocates on purpose
            exec(job["python"], {})
            code = 0
        else:
            code = atlas_main(args)
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        traceback.print_exc()
        code = "uncaught"
    seconds = time.perf_counter() - started
    peak_job_kb = _hwm_kb()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout, sys.stderr = old_out, old_err
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    os.close(saved[0])
    os.close(saved[1])
    out_f.close()
    err_f.close()
    result: dict[str, object] = {"done": n, "code": code, "seconds": round(seconds, 3), "peak_kb": peak_job_kb,
                                 "store_changed": _snapshot(case) != before}
    if code == 0 and "python" not in job:
        try:
            events, rejects, text, longest = _stored_text(case)
            result |= {"stored_events": events, "stored_rejects": rejects,
                       "leaked": [f for f in job["forbid"] if f in text]}
            if longest > job.get("max_value", longest):  # a value the parser bounds, stored whole
                result["over_bound"] = [longest, job["max_value"]]
        except Exception as exc:
            result["store_unreadable"] = f"{type(exc).__name__}: {exc}"
    if job.get("expect_error"):
        result["expect_error"] = job["expect_error"]
    if job.get("expect_bound_reject") and "python" not in job:
        result["expect_bound_reject"] = True
        try:
            result["bound_rejects"] = _bound_rejects(case) if code == 0 else 0
        except Exception as exc:
            result["store_unreadable"] = f"{type(exc).__name__}: {exc}"
    shutil.rmtree(case, ignore_errors=True)
    proto.write(json.dumps(result) + "\n")


SENT = 86
"""A job's process exits with this status only after it sent its ``done`` (any other status, 0 too, is a death)."""


def main(argv: list[str]) -> int:
    """Run each job in a process of its own, forked from this one after :func:`_preload`: every job has
    the whole address-space limit and none inherits another's leftovers, at the cost of a fork, not of a
    new interpreter and its imports. A job's process that dies without its result (a signal, an exit)
    is reported as ``{"died": N, "returncode": R}`` (R as :attr:`subprocess.Popen.returncode` gives it),
    and the runner stops: the parent starts another for the jobs after it."""
    jobs_file = Path(argv[0])
    jobs = json.loads(jobs_file.read_text(encoding="utf-8"))
    work = jobs_file.parent
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    _preload()
    for n in (int(a) for a in argv[1:]):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the job's process: it never returns into this loop
            status = 70
            try:
                _run_job(jobs, work, n, proto)
                proto.flush()
                status = SENT
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(status)
        returncode = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if returncode != SENT:  # it died before it sent its result (even with status 0: a library's exit(0))
            proto.write(json.dumps({"died": n, "returncode": returncode}) + "\n")
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
