"""The analysis's machine-readable files in the outputs folder, written from the report's own results.

``atlas demo`` wrote conduct.json, triage.json, contacts.json, online.json and the contact graph
(GraphML and JSON) into the case's outputs folder; ``atlas report`` rewrote the documents there but not
these, so after an officer's decisions the folder held the documents' new figures beside the old ones.
Every report now writes them, from the very results its documents are made from (the analysis, triage
and contact graph of :class:`~reports.inputs.ReportInputs`), so that the folder is one state; the demo
writes them only through its report.

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


def write(case: Case, out_dir: Path, inputs: ReportInputs, *, bounded: bool = False) -> tuple[dict[str, Path], list[str]]:
    """Write (or refresh) every analysis file into ``out_dir``: (file name → path, notes)."""
    from atlas.cli.output import dumps
    from atlas.exhibits import beside_ids
    from atlas.graph import ContactGraph
    from atlas.graph.export import write as write_graph

    paths: dict[str, Path] = {}
    notes: list[str] = []

    def put(name: str, text: Callable[[], str]) -> None:
        path = out_dir / name
        path.write_text(text() + "\n", encoding="utf-8")
        paths[name] = path

    def drop(name: str) -> None:
        (out_dir / name).unlink(missing_ok=True)

    if inputs.conduct is not None:
        conduct = inputs.conduct
        put("conduct.json", lambda: dumps(beside_ids(inputs.exhibit_refs, conduct.to_json())))  # exhibits beside ids
    else:
        drop("conduct.json")  # no suspect and victim in case.toml: no analysis, so no file that claims one
    if inputs.triage is not None:
        triage = inputs.triage
        put("triage.json", lambda: dumps(triage.to_json()))
    else:
        drop("triage.json")
    if not bounded:
        from atlas.cell_site import unknown_cells
        from atlas.contacts import case_contacts, match_rule

        offsets: dict[str, tuple[float, int]] = {}
        contacts = case_contacts(case, clock_offsets=offsets)
        put("contacts.json", lambda: dumps({
            "rule": match_rule(), "clock_offsets_s": {k: v[0] for k, v in offsets.items()},
            "contacts": contacts.to_dicts(), "cdr_cells_not_in_any_list": unknown_cells(case).to_dicts()}))
    else:
        drop("contacts.json")
        notes.append("contacts.json was not written: a case bigger than memory does not hold every contact at once")
    if isinstance(inputs.graph, ContactGraph):
        for name in ("contact-graph.graphml", "contact-graph.json"):
            paths[name] = write_graph(inputs.graph, out_dir / name)
    else:
        for name in ("contact-graph.graphml", "contact-graph.json"):
            drop(name)
        notes.append("contact-graph.graphml and contact-graph.json were not written: a case bigger than memory has "
                     "the contact graph's pair counts only (atlas graph exports it)")
    from atlas.online import online_summary

    online = online_summary(case)
    put("online.json", lambda: dumps(online))
    return paths, notes
