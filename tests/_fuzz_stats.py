"""Outcomes of the fuzz tests, printed at the end of the run (see ``conftest.pytest_terminal_summary``)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict

OUTCOMES: defaultdict[str, Counter[str]] = defaultdict(Counter)
"""family → outcome → count (ingested, refused, parser failure caught, …)."""

CAUGHT: defaultdict[str, list[str]] = defaultdict(list)
"""family → the first few failures inside a parser that the boundary turned into clean errors."""


def record(family: str, outcome: str, detail: str = "", count: int = 1) -> None:
    OUTCOMES[family][outcome] += count
    log = os.environ.get("ATLAS_FUZZ_LOG")  # `make fuzz` keeps every caught failure, not only the first few
    if detail and log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{family}\t{outcome}\t{detail}\n")
    if detail and len(CAUGHT[family]) < 6 and detail not in CAUGHT[family]:
        CAUGHT[family].append(detail)


def summary() -> list[str]:
    lines = []
    for family in sorted(OUTCOMES):
        counts = OUTCOMES[family]
        parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        lines.append(f"fuzz {family}: {sum(counts.values())} inputs tried: {parts}")
        lines.extend(f"    caught: {d}" for d in CAUGHT[family])
    return lines
