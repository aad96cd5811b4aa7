"""The contact graph: people (parties, or identifiers no one is linked to yet) as nodes,
contacts as directed edges per channel, each edge keeping the event ids that support it.

Prints who contacts whom (contacts each way, the share left unanswered, first and last
contact), contact with the victim's network (third parties) and communities, and writes
GraphML (Gephi), JSON, or a CSV edge list (i2 Analyst's Notebook import). By default only
case.toml and confirmed alias links are followed; `--with-proposed` follows proposed
links too and says so in the output and the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import add_stream_options, console, print_json, print_table

if TYPE_CHECKING:
    import polars as pl

    from atlas.store import Case

NAME = "graph"
HELP = "build the contact graph; export GraphML/JSON (i2, Gephi); who contacts whom"
ORDER = 35


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--out", type=Path, action="append", default=[], metavar="FILE",
                   help="write the graph: .graphml (default), .json, or .csv (edge list for i2 import); repeatable")
    p.add_argument("--with-proposed", action="store_true",
                   help="also follow alias links awaiting a decision (shown as such; never a finding on its own)")
    p.add_argument("--no-dedupe", action="store_true", help="count source records instead of de-duplicated contacts")
    p.add_argument("--top", type=int, default=15, help="pairs to print (default 15)")
    p.add_argument("--party", metavar="WHO", help="only pairs involving this person: a party id or name from case.toml, "
                   "or any identifier (its party via case.toml and confirmed links)")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    add_stream_options(p, "for a case bigger than memory: build the edges from the contacts one source and one "
                          "bucket of pairs at a time (Polars streaming); the same summary, in bounded memory "
                          "(atlas.stream); --out is not written this way. Chosen by itself above 5,000,000 events")


def _who(node: str, labels: dict[str, str]) -> str:
    from atlas.normalise.identifiers import display

    return labels.get(node) or display(node)


def _rows(frame: pl.DataFrame, labels: dict[str, str]) -> list[list[object]]:
    from atlas.normalise.times import uk_display
    from atlas.wording import channels_said

    return [[_who(r["src"], labels), _who(r["dst"], labels), r["contacts"], r["contacts_back"],
             f"{r['unanswered_rate']:.0%}", uk_display(r["first"]), uk_display(r["last"]), channels_said(r["channels"]),
             r["events"]] for r in frame.iter_rows(named=True)]


def _refuse_out(case: Case, outs: list[Path]) -> None:
    """``--out`` on the streaming engine: a file of every edge with every event id behind it is
    not written (what to do instead is said)."""
    import polars as pl

    from atlas.errors import AtlasError

    events = int(case.events().select(pl.len()).collect(engine="streaming").item())
    raise AtlasError(
        f"--out {outs[0]}: the store holds {events:,} events, read with the streaming engine, which prints the graph's "
        "summary but does not write a GraphML, JSON or CSV file of every edge with the ids of every record behind it "
        "(on a case of millions of events, hundreds of thousands of edges and millions of record ids, which Gephi and i2 do not "
        "open usefully). Run without --out for the summary (add --party WHO for one person's pairs), write one "
        "person's records with `atlas timeline CASE --party WHO --out FILE.csv`, or write the whole graph in memory "
        "with --no-stream (about 1 GB of memory per million events)")


def run(args: argparse.Namespace) -> int:
    import sys

    from atlas.graph import build_graph, communities, pairs, third_party_contacts
    from atlas.graph.export import graph_words, write
    from atlas.normalise.identifiers import display
    from atlas.store import Case
    from atlas.stream import bounded, engine_for

    case = Case.open(args.case_dir)
    engine, chosen = engine_for(case, args.stream)
    if chosen:
        print(f"atlas: {chosen}", file=sys.stderr)
    with engine:
        if bounded():
            from atlas.stream.graph import build_bounded_graph

            if args.out:
                _refuse_out(case, args.out)
            cg = build_bounded_graph(case, include_proposed=args.with_proposed, dedupe=not args.no_dedupe)
        else:
            cg = build_graph(case, include_proposed=args.with_proposed, dedupe=not args.no_dedupe)
    if args.out:
        from atlas.exhibits import source_refs

        refs = source_refs(case)
        words = graph_words(cg, refs)  # once for every file written
        written = [str(write(cg, out, refs, words)) for out in args.out]
    else:
        written = []
    labels = {n: str(d.get("label") or display(n)) for n, d in cg.graph.nodes(data=True)}
    top = pairs(cg)
    third = third_party_contacts(cg)
    selection = None
    if args.party:
        import polars as pl

        from atlas.identity.select import select_party

        selection = select_party(case, args.party, include_proposed=args.with_proposed)
        # a person node is party:<id>, or for an unknown person its group's smallest identifier
        nodes = sorted({"party:" + selection.party} if selection.party else set(selection.identifiers))
        mine = pl.col("src").is_in(nodes) | pl.col("dst").is_in(nodes)
        top, third = top.filter(mine), third.filter(mine)
    comms = communities(cg)
    if args.json:
        print_json({
            "case": case.manifest.reference, "identity": cg.graph.graph["identity"], "counting": cg.counting,
            "nodes": cg.graph.number_of_nodes(), "edges": cg.edges.height, "written": written,
            "party": None if selection is None else {"asked": selection.asked, "party": selection.party,
                                                      "basis": selection.basis},
            "pairs": top.head(args.top).to_dicts(), "third_parties": third.to_dicts(),
            "communities": comms, "victim_network": sorted(cg.network),
        })
        return 0
    out = console(markup=False)  # a party asked for, its basis, a path: the case's words
    out.print(f"{cg.graph.number_of_nodes()} people/identifiers, {cg.edges.height} edges (pair × channel). "
              f"Identity: {cg.graph.graph['identity']}. Counting: {cg.counting}")
    columns = ["from", "to", "contacts", "back", "unanswered", "first", "last", "channels", "records"]
    print_table(f"Who contacts whom (top {args.top})", columns, _rows(top.head(args.top), labels))
    if third.height:
        print_table("Suspect's contact with the victim's network (third parties)", columns, _rows(third, labels))
    print_table("Communities (Louvain, fixed seed, sorted input)", ["#", "members"],
                [[i, ", ".join(_who(n, labels) for n in c)] for i, c in enumerate(comms) if len(c) > 1])
    if selection is not None:
        out.print(f"--party {args.party}: {selection.basis}")
    for path in written:
        out.print(f"wrote {path}")
    if not args.with_proposed:
        out.print("Proposed alias links were not followed (add --with-proposed to see them, labelled as proposed).")
    return 0
