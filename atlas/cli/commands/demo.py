"""Generate the synthetic `rejected-ex` case, ingest it, run every analysis and report.

Everything in the demo is fictional: names are invented and numbers come from
Ofcom's ranges reserved for drama.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import print_table

NAME = "demo"
HELP = "run the whole pipeline on a synthetic case"
ORDER = 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, nargs="?", default=Path("demo-case"), metavar="DIR")
    p.add_argument("--scenario", default="rejected-ex",
                   choices=["rejected-ex", "time-limit", "third-parties", "covert", "clean"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)


def run(args: argparse.Namespace) -> int:
    from atlas.demo import run_demo

    result = run_demo(args.case_dir, scenario=args.scenario, seed=args.seed, scale=args.scale)
    print_table(
        f"Demo case {args.scenario} (synthetic) in {result.case_dir}",
        ["source", "parser", "read", "events", "rejects"],
        [[Path(o.path).name, o.parser, o.records_read, o.events, o.rejects] for o in result.outcomes],
    )
    total = sum(o.events for o in result.outcomes)
    print(f"{len(result.outcomes)} sources, {total} events; every record accounted for (read = events + rejects).")
    for line in result.lines:
        print(line)
    if result.outputs:
        print("\nOutputs:")
        for p in result.outputs:
            print(f"  {p}")
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    print(f"\nTimings: {timings}")
    d = result.case_dir
    print("\nNext, as an analyst would:")
    print(f"  atlas people {d}              review the proposed alias links; atlas confirm / reject them")
    print(f"  atlas conduct {d} --with-proposed   see what the proposed links would add")
    print(f"  atlas triage {d}              the s2A clock, the data strategy with request-by dates, the request log")
    print(f"  atlas tui {d}                 the review workbench: decide links, threats and exhibits (keys 1-8)")
    print(f"  atlas report {d} --as-of YYYY-MM-DD   after decisions: the reports again, into {d / 'outputs'}")
    print(f"  open {d / 'outputs' / 'report.html'} and statement.docx (a DRAFT for the officer)")
    print("Synthetic case: fictional people, numbers from Ofcom's drama ranges. Decision support, not legal advice.")
    return 0
