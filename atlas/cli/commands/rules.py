"""Print the legal rules Atlas applies, each with its citation (decision support, not legal advice).

The rules come from a versioned data file (atlas/rules/legal_rules.toml, or the file
named by --rules or $ATLAS_RULES); the file is validated before anything is shown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import console, print_json, print_table

NAME = "rules"
HELP = "show the legal rules applied, with citations"
ORDER = 60


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--rules", type=Path, help="another rules file (default: the packaged one, or $ATLAS_RULES)")


def run(args: argparse.Namespace) -> int:
    from atlas.rules import load_rules

    rules = load_rules(args.rules)
    if args.json:
        print_json(rules.to_dict())
        return 0
    from rich.markup import escape

    out = console()  # a rules file is data (another can be given with --rules): its words are escaped
    out.print(f"[bold]{escape(rules.meta.name)}[/bold], version {escape(str(rules.version))} (reviewed "
              f"{rules.meta.reviewed:%d/%m/%Y}), {escape(rules.meta.jurisdiction)}")
    out.print(f"file {rules.path} sha256 {rules.sha256[:16]}…", markup=False)
    out.print(f"[bold]{escape(rules.notice)}[/bold]\n")
    limits = {t.id: t for t in rules.time_limits}
    print_table("Offences", ["offence", "mode of trial", "time limit", "maximum", "citation"], [
        [f"{o.title} ({o.section})", rules.mode(o.mode_of_trial).plain, limits[o.time_limit].plain, o.max_penalty,
         o.citation]
        for o in rules.offences
    ])
    print_table("Time limits", ["rule", "what Atlas does", "citation"], [
        [t.title, t.description, t.full_citation] for t in rules.time_limits
    ])
    coc = rules.course_of_conduct
    print_table("Course of conduct", ["rule", "citation"], [
        [f"at least {coc.min_occasions} occasions", coc.citation],
        ["conduct towards several people", coc.several_persons_citation],
        ["conduct includes speech", coc.conduct_includes_speech_citation],
        [f"occasion = {coc.occasion_default} (Atlas's default grouping)", coc.occasion_note],
        ["long gaps", coc.gap_note],
    ])
    s4a = rules.offence("pha-s4a")
    print_table("s4A indicators", ["rule", "citation"], [
        [f"threats of violence on at least {s4a.threat_occasions} occasions", s4a.threat_occasions_citation],
        ["serious alarm or distress", s4a.distress_citation],
    ])
    print_table("Acts associated with stalking (examples, not a closed list)", ["behaviour", "citation"], [
        [b.title, b.citation] for b in rules.behaviours
    ])
    print_table("Orders and breaches", ["order", "made by", "breach", "maximum on breach", "order citation"], [
        [f"{o.title} ({o.type})", o.made_by, o.breach_summary, o.breach_max_penalty, o.citation]
        for o in rules.order_types
    ])
    print_table("The law in force, from when, and what has not changed",
                ["provision", "status", "in force from", "where / commencement", "what it means", "citation"], [
        [p.title, p.status, f"{p.in_force_from:%d/%m/%Y}" if p.in_force_from else "-",
         "; ".join(x for x in (p.areas, p.commencement) if x) or "-", p.note,
         p.citation + (f" (Royal Assent {p.royal_assent:%d/%m/%Y})" if p.royal_assent and "Royal Assent" not in p.citation
                       else "")]
        for p in rules.provisions
    ])
    return 0
