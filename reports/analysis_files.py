"""The analysis's machine-readable files in the outputs folder, written from the report's own results.

``atlas demo`` wrote conduct.json, triage.json, contacts.json, online.json and the contact graph
(GraphML and JSON) into the case's outputs folder; ``atlas report`` rewrote the documents there but not
these, so after an officer's decisions the folder held the documents' new figures beside the old ones.
Every report now refreshes those the folder holds, from the very results its documents are made from (the
analysis, triage and contact graph of :class:`~reports.inputs.ReportInputs`), so that the folder is one
state; the demo asks its report for all of them (``every=True``). A report into a folder that holds none
writes none: contacts.json de-duplicates the whole case again (about 14 % of a report at 240 k events) and
the graph's GraphML is large, a cost an ordinary report did not pay and need not.

In a case bigger than memory (:func:`atlas.stream.bounded`) the whole-case contact list and the contact
graph are not held: contacts.json and the graph files are then not written, any left from an earlier run
are removed (a stale copy beside fresh documents is what this module exists to prevent), and the report's
notes say so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from atlas.store import Case

from .inputs import ReportInputs

FILES: Final = ("conduct.json", "triage.json", "contacts.json", "online.json", "contact-graph.graphml",
                "contact-graph.json")
"""Every analysis file the outputs folder holds (the keys of :func:`write`'s answer)."""


def write(case: Case, out_dir: Path, inputs: ReportInputs, *, every: bool = False,
          bounded: bool = False) -> tuple[dict[str, Path], list[str]]:
    """Refresh the analysis files ``out_dir`` holds (``every``: write them all): (file name → path, notes).
    A file the report has no result for (no analysis without a suspect and a victim in case.toml; no
    whole-case contacts or graph in a case bigger than memory) is removed, never left stale."""
    from atlas.cli.output import dumps
    from atlas.exhibits import beside_ids
    from atlas.graph import ContactGraph

    paths: dict[str, Path] = {}
    notes: list[str] = []
    wanted = [name for name in FILES if every or (out_dir / name).exists()]
    graph = inputs.graph if isinstance(inputs.graph, ContactGraph) else None

    def contacts() -> str:
        from atlas.cell_site import unknown_cells
        from atlas.contacts import case_contacts, match_rule

        offsets: dict[str, tuple[float, int]] = {}
        found = case_contacts(case, clock_offsets=offsets)
        return dumps({"rule": match_rule(), "clock_offsets_s": {k: v[0] for k, v in offsets.items()},
                      "contacts": found.to_dicts(), "cdr_cells_not_in_any_list": unknown_cells(case).to_dicts()})

    def online() -> str:
        from atlas.online import online_summary

        return dumps(online_summary(case))

    conduct, triage = inputs.conduct, inputs.triage
    text: dict[str, Callable[[], str] | None] = {
        "conduct.json": (lambda: dumps(beside_ids(inputs.exhibit_refs, conduct.to_json()))) if conduct else None,
        "triage.json": (lambda: dumps(triage.to_json())) if triage else None,
        "contacts.json": None if bounded else contacts,
        "online.json": online,
    }
    words = None  # people's words for the graph's files, worked out once for all of them
    for name in wanted:
        path = out_dir / name
        if name.startswith("contact-graph."):
            if graph is not None:
                from atlas.graph.export import graph_words
                from atlas.graph.export import write as write_graph

                words = words if words is not None else graph_words(graph, inputs.exhibit_refs)
                paths[name] = write_graph(graph, path, inputs.exhibit_refs, words)
                continue
        elif (make := text[name]) is not None:
            path.write_text(make() + "\n", encoding="utf-8")
            paths[name] = path
            continue
        path.unlink(missing_ok=True)
        if bounded and name != "conduct.json" and name != "triage.json":
            notes.append(f"{name} was not written: a case bigger than memory does not hold every contact, or the "
                         "contact graph, at once")
    return paths, notes
