"""``atlas batch``: many cases at once, in this process or on Dask distributed.

A digital unit processes hundreds of cases a year. A batch manifest
(:mod:`atlas.batch.manifest`) lists cases and their sources; :func:`run_batch` turns it
into tasks (:mod:`atlas.batch.tasks`) for an executor (:mod:`atlas.batch.executors`):

1. one task per source file: parse and normalise (``atlas ingest`` per file);
2. one per case: commit its sources together, in manifest order, and audit them;
3. one per case: alias discovery and the course-of-conduct analysis;
4. one per case: the reports.

Cases are independent (one folder, one store each), so they spread over the workers; a
case that fails says why and the others go on. Whatever the executor, the tasks and the
order of each case's writes are the same, so a cluster run gives the files an
in-process run gives, byte for byte (``tests/test_batch.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atlas.batch.executors import Executor
from atlas.batch.manifest import BatchManifest, CaseSpec
from atlas.errors import AtlasError

STAGES = ("ingest", "commit", "analysis", "reports")


@dataclass
class CaseResult:
    """How one case of a batch ended."""

    dir: str
    ok: bool = True
    error: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.sources:
            out[s["status"]] = out.get(s["status"], 0) + 1
        return out

    def failed_files(self) -> list[dict[str, Any]]:
        """Sources listed ``failed`` in a case that went on (``keep_going``): evidence handed
        over and not processed, so the batch's exit status is 1 although the case completed."""
        return [s for s in self.sources if s["status"] == "failed"]

    def to_look_at(self) -> list[dict[str, Any]]:
        """Entries not read for a reason a person must look at (a hidden file, an unknown
        format ...): the batch's exit status is 3, as ``atlas ingest`` gives for the same folder."""
        return [s for s in self.sources if s["status"] == "skipped" and s.get("notable", True)]

    def exit_status(self) -> int:
        """1: the case failed or a file of it failed; 3: completed, with an entry to look at; else 0."""
        if not self.ok or self.failed_files():
            return 1
        return 3 if self.to_look_at() else 0


@dataclass
class _Plan:
    case: CaseSpec
    stage: list[Any]
    commit: Any
    analysis: Any
    report: Any
    error: str = ""
    """Why the case could not even be planned (a source the system will not let Atlas look
    at): it fails with this, and the other cases run."""


def _files(case: CaseSpec) -> list[tuple[Path, bool, str, bool, Any]]:
    """Each file a case's sources name or hold (folders walked as ``atlas ingest`` walks
    them): path, named explicitly, why it is not read ("" if it is), notable, options."""
    from atlas.ingest import IngestOptions
    from atlas.source_walk import walk

    out: list[tuple[Path, bool, str, bool, Any]] = []
    for src in case.sources:
        options = dict(src.options)
        if src.map is not None:
            options["map"] = str(src.map)
        opts = IngestOptions(format=src.format, owner=src.owner, timezone=src.tz, region=src.region,
                             dayfirst=src.dayfirst, replace=case.replace, keep_going=case.keep_going, options=options)
        out += [(e.path, e.explicit, e.skip or "", e.notable, opts) for e in walk([src.path])]
    return out


def run_batch(manifest: BatchManifest, executor: Executor,
              on_done: Callable[[str, str], None] | None = None) -> list[CaseResult]:
    """Run every case of ``manifest`` on ``executor``; ``on_done(stage, case_dir)`` as each task ends."""
    from atlas.batch import tasks
    from atlas.ingest import skipped_entry
    from atlas.session import SESSION_OFFICER

    token = uuid.uuid4().hex[:8]  # Dask keys are unique per run
    officer = SESSION_OFFICER.get()  # --officer: passed to each task (a worker does not share this context)
    plans: list[_Plan] = []
    for n, case in enumerate(manifest.cases):
        tag = f"{n}-{case.dir.name}-{token}"
        try:
            files = _files(case)
        except AtlasError as exc:  # e.g. SourceReadError: a named source that cannot be looked at
            plans.append(_Plan(case, [], None, None, None, error=" ".join(str(exc).split())))
            continue
        stage = [executor.submit(f"ingest-{tag}-{i}", tasks.stage_source, case.dir, path, explicit, opts,
                                officer)
                 for i, (path, explicit, skip, _notable, opts) in enumerate(files) if not skip]
        parts: list[Any] = []  # in walk order: a task's result, or an entry not read
        tasks_left = iter(stage)
        for path, _explicit, skip, notable, _opts in files:
            parts.append(skipped_entry(path, skip, notable) if skip else next(tasks_left))
        commit = executor.submit(f"commit-{tag}", tasks.commit_case, case.dir, parts, case.replace, officer)
        analysis = executor.submit(f"analysis-{tag}", tasks.analyse_case, case.dir, commit, case.discover, case.conduct,
                                   case.out_dir, manifest.as_of, officer)
        report = executor.submit(f"reports-{tag}", tasks.report_case, case.dir, analysis, case.out_dir,
                                 manifest.as_of, officer) if case.reports else None
        plans.append(_Plan(case, stage, commit, analysis, report))
    where: dict[str, tuple[str, str]] = {}  # task key -> (stage, case folder)
    for plan in plans:
        if plan.error:
            continue
        for handle in plan.stage:
            where[handle.key] = ("ingest", str(plan.case.dir))
        where[plan.commit.key] = ("commit", str(plan.case.dir))
        where[plan.analysis.key] = ("analysis", str(plan.case.dir))
        if plan.report is not None:
            where[plan.report.key] = ("reports", str(plan.case.dir))
    handles = [h for p in plans for h in (*p.stage, p.commit, p.analysis, p.report) if h is not None]
    for handle in executor.as_completed(handles):
        if on_done is not None:
            on_done(*where[handle.key])
    return [_result(plan, executor) for plan in plans]


def _result(plan: _Plan, executor: Executor) -> CaseResult:
    out = CaseResult(dir=str(plan.case.dir))
    if plan.error:
        out.ok, out.error = False, plan.error
        return out
    for handle in (plan.commit, plan.analysis, plan.report):
        if handle is None:
            continue
        ok, value = executor.outcome(handle)
        if not ok:
            out.ok, out.error = False, " ".join(str(value).split()) or type(value).__name__
            return out
        if handle is plan.commit:
            out.sources = [o.__dict__ for o in value]
        elif handle is plan.analysis:
            out.lines, out.outputs = list(value.lines), list(value.outputs)
        else:
            out.outputs += list(value)
    return out


def stage_totals(manifest: BatchManifest) -> dict[str, int]:
    """How many tasks each stage has (for progress bars)."""
    files = 0
    for c in manifest.cases:
        try:
            files += sum(1 for f in _files(c) if not f[2])
        except AtlasError:
            continue  # the case fails when run, named (:func:`run_batch`)
    return {"ingest": files, "commit": len(manifest.cases), "analysis": len(manifest.cases),
            "reports": sum(1 for c in manifest.cases if c.reports)}
