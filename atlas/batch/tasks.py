"""The tasks of a batch: plain functions of paths and options, so that any executor (this
process, a Dask worker on another machine) can run them, and each is the function an
``atlas`` command runs for the same step. Polars runs inside each; the results are
small dataclasses and frames, which Dask moves between workers.

Each case's store is written by one task at a time (commit, then analysis, then
reports): a case's sources are parsed in parallel, but committed together, in the order
the manifest lists them, exactly as one ``atlas ingest`` of them would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from atlas.ingest import IngestOptions, SourceOutcome, commit_staged, stage_one
from atlas.store import Case, StagedSource


def stage_source(case_dir: Path, path: Path, explicit: bool, opts: IngestOptions,
                 officer: str | None = None) -> tuple[SourceOutcome, StagedSource | None]:
    """Parse and normalise one source file of a case (nothing is written).

    ``officer`` (each task's): the ``--officer`` of the run. A task may run in another
    thread or process, where the run's context variable is not set, so it is passed
    explicitly and every audit row names the officer who ran the batch."""
    return stage_one(Case.open(case_dir, officer=officer), path, explicit, opts)


def commit_case(case_dir: Path, staged: list[tuple[SourceOutcome, StagedSource | None]],
                replace: bool, officer: str | None = None) -> list[SourceOutcome]:
    """Commit a case's staged sources together, in the order given, and audit each."""
    return commit_staged(Case.open(case_dir, officer=officer), staged, replace=replace)


@dataclass
class CaseAnalysis:
    lines: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def analyse_case(case_dir: Path, committed: list[SourceOutcome], discover: bool, conduct: bool, out_dir: Path,
                 as_of: date | None, officer: str | None = None) -> CaseAnalysis:
    """Alias discovery (proposals only) and the course-of-conduct analysis (``conduct.json``)."""
    del committed  # an input only so that this runs after the commit
    case = Case.open(case_dir, officer=officer)
    result = CaseAnalysis()
    if discover:
        from atlas.identity.candidates import discover as propose

        report = propose(case)
        result.lines.append(f"{len(report.new)} alias link(s) proposed for review")
    if conduct:
        from atlas.cli.output import dumps
        from atlas.conduct import analyse

        data = analyse(case, as_of=as_of, include_proposed=True).to_json()
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "conduct.json"
        tmp = path.with_name(f".{path.name}.tmp")
        from atlas.exhibits import beside_ids, source_refs

        tmp.write_text(dumps(beside_ids(source_refs(case), data)) + "\n", encoding="utf-8")  # exhibits beside ids
        tmp.replace(path)
        result.outputs.append(str(path))
        s2a = data["s2a"]
        result.lines.append(f"{len(data['incidents'])} incidents, {len(data['breaches'])} breaches; s2A deadline "
                            f"{s2a['deadline']} (in time: {s2a['in_time']})")
    return result


def report_case(case_dir: Path, analysed: CaseAnalysis, out_dir: Path, as_of: date | None,
                officer: str | None = None) -> list[str]:
    """The reports (``atlas report``): HTML report, statement draft, exhibit schedule; as
    ``atlas report`` does, nothing is written unless the case verifies."""
    del analysed  # an input only so that this runs after the analysis
    from atlas.cli.commands.report import integrity_notice
    from reports.build import build_reports

    case = Case.open(case_dir, officer=officer)
    result = build_reports(case, out_dir, as_of=as_of, integrity_notice=integrity_notice(case, write_anyway=False))
    return [str(p) for _, p in sorted(result.paths.items())]
