"""The child process of :mod:`tests.test_hostile_structure`: runs ``atlas ingest`` (the CLI's
``main``, exactly as the ``atlas`` command does) on a list of jobs, one after another.

``python -m tests._hostile_runner JOBS.json N [N ...]`` runs the jobs numbered N. Before each
job it writes ``{"start": N}`` to the protocol stream (its standard output as it started),
then sends the job's own standard output and error (the file descriptors, so a C library's
or Rust's message is caught too) to ``N.out`` / ``N.err`` beside JOBS.json, and after it
``{"done": N, ...}``. A job that kills the process leaves a ``start`` with no ``done``: the
parent knows which input did it, and starts a new runner for the jobs after it.

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
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path

RESTART_AFTER_KB = 1 << 20
"""A runner whose peak resident memory or address space passed 1 GB stops after the job (the parent
starts another): jobs share the limit, so one job's leftovers must not fail the next."""


def _address_space_kb() -> int:
    """The process's virtual memory now (what the parent's address-space limit counts), in KB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1])
    return 0


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
    return events.height, rejects.height, "\n".join(text), longest


def _bound_rejects(case: Path) -> int:
    """Rejects whose reason is a bound's (a record over its format's bound on one record or value)."""
    import polars as pl

    from atlas.store import Case

    rejects = Case.open(case).rejects().collect()
    return rejects.filter(pl.col("reason").str.contains("-byte bound on one", literal=True)).height


def main(argv: list[str]) -> int:
    jobs_file = Path(argv[0])
    jobs = json.loads(jobs_file.read_text(encoding="utf-8"))
    work = jobs_file.parent
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    from atlas.cli import main as atlas_main

    for n in (int(a) for a in argv[1:]):
        job = jobs[n]
        case = work / "cases" / str(n)
        shutil.rmtree(case, ignore_errors=True)
        shutil.copytree(work / "empty-case", case)
        _reset_hwm()
        proto.write(json.dumps({"start": n}) + "\n")
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
        # A job that used much memory, or ended oddly, may leave the process unfit for the next
        # (its address space fragmented near the limit): the parent starts a new runner.
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if peak_kb > RESTART_AFTER_KB or _address_space_kb() > RESTART_AFTER_KB or code not in (0, 2) \
                or "MemoryError" in (work / f"{n}.err").read_text(encoding="utf-8", errors="replace"):
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
