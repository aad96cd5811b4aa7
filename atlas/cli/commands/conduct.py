"""Course of conduct, the s2A time limit, s4A indicators, breaches of orders and co-location.

Findings are computed with confirmed identities (case.toml attributions and confirmed
links); --with-proposed adds a separate analysis that also follows links still awaiting
a decision. Every rule applied is printed with its citation. Decision support, not
legal advice.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atlas.cli.output import as_of_date, console, dumps, print_json, print_table
from atlas.errors import AtlasError
from atlas.wording import channel_name, plural

if TYPE_CHECKING:  # imported where used: start-up stays light (atlas.cli)
    from atlas.conduct import ConductOptions, ConductResult
    from atlas.conduct.time_limit import S2AVerdict
    from atlas.rules import Rules
    from atlas.store import Case

NAME = "conduct"
HELP = "course of conduct, s2A time limit, s4A indicators, order breaches, co-location"
ORDER = 40


def _hours(value: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in value.split("-", 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an hour range such as 23-6") from exc
    return a, b


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--json", action="store_true", help="machine-readable output (the full result)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day to count the s2A clock from (default: today, stated in the output)")
    p.add_argument("--with-proposed", action="store_true",
                   help="also analyse with identity links still only proposed (shown separately, never merged)")
    p.add_argument("--suspect", "--party", dest="suspect", metavar="WHO",
                   help="whose conduct: a party id or name from case.toml, or any identifier of theirs (via case.toml "
                        "and confirmed links); default the only party with role 'suspect'")
    p.add_argument("--target", action="append", default=[], metavar="WHO",
                   help="a party the conduct is aimed at, beyond the victim (party id, name or identifier; repeatable; "
                        "default: the victim and every 'witness')")
    p.add_argument("--occasion", choices=("calendar-day", "session"), default="calendar-day",
                   help="how contacts are grouped into occasions (default: one UK local calendar day)")
    p.add_argument("--session-hours", type=float, default=3.0, help="quiet spell that ends a session (with --occasion session)")
    p.add_argument("--night", type=_hours, default=(23, 6), metavar="START-END",
                   help="night-time hours, local (default 23-6)")
    p.add_argument("--gap-days", type=int, default=28, help="list quiet spells longer than this (default 28)")
    p.add_argument("--warn-days", type=int, default=28, help="warn when the s2A deadline is this close (default 28)")
    p.add_argument("--near-m", type=float, default=100.0, help="distance that counts as 'near' the victim (default 100 m)")
    p.add_argument("--rules", type=Path, help="another legal rules file (default: the packaged one)")
    p.add_argument("--lexicon", type=Path, help="another lexicon for requests to stop (default: atlas/conduct/threat_lexicon.toml)")
    p.add_argument("--threat-rules", type=Path,
                   help="another threat and behaviour rules file (default: atlas/conduct/threat_rules.toml)")
    p.add_argument("--out", type=Path, help="also write the full JSON result to this file")
    p.add_argument("--limit", type=int, default=40, help="rows per table when printing (default 40)")


def options_from(args: argparse.Namespace) -> ConductOptions:
    from atlas.conduct import ConductOptions

    return ConductOptions(
        occasion=args.occasion, session_gap_hours=args.session_hours, night_start_hour=args.night[0],
        night_end_hour=args.night[1], gap_days=args.gap_days, warn_days=args.warn_days, near_m=args.near_m,
        targets=tuple(args.target), suspect=args.suspect, rules=str(args.rules) if args.rules else None,
        lexicon=str(args.lexicon) if args.lexicon else None,
        threat_rules=str(args.threat_rules) if args.threat_rules else None,
    )


def _uk(iso: str | None) -> str:
    from atlas.normalise.times import uk_display

    return uk_display(datetime.fromisoformat(iso)) if iso else ""


def _d(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "-"


COLOURS = {"ok": "green", "warn": "yellow", "bad": "red"}


def s2a_rows(v: S2AVerdict) -> list[list[object]]:
    """The s2A verdict as the table's rows (the same verdict the reports and the TUI show)."""
    from rich.markup import escape
    from rich.text import Text

    from atlas.conduct.time_limit import uk_day
    from atlas.normalise.times import uk_display

    colour = COLOURS.get(v.severity)
    verdict = f"[{colour}]{escape(v.headline)}[/{colour}]" if colour else escape(v.headline)
    li = v.last_incident
    charge = "not in case.toml"
    if v.charge_date is not None and v.days_left_at_charge_date is not None:
        n = v.days_left_at_charge_date
        charge = f"{v.charge_date:%d/%m/%Y} ({plural(n, 'day')} before the deadline)" if n >= 0 else \
            f"{v.charge_date:%d/%m/%Y} ({plural(-n, 'day')} AFTER the deadline)"
    elif v.charge_date is not None:
        charge = f"{v.charge_date:%d/%m/%Y}"
    deadline = uk_day(v.deadline) if v.deadline else "-"
    if v.deadline_not_a_working_day and v.last_working_day:
        deadline += f" ({v.deadline_not_a_working_day}; last working day {uk_day(v.last_working_day)})"
    rows: list[list[object]] = [
        ["verdict", Text.from_markup(f"[bold]{verdict}[/bold]", emoji=False)],
        ["last incident (UK date)", f"{li.day:%d/%m/%Y}  ({uk_display(li.ts)}; {'; '.join(li.exhibits[:3])}"
                                    + (f" +{len(li.exhibits) - 3} more" if len(li.exhibits) > 3 else "") + ")" if li else "-"],
        ["last day to lay an information", deadline],
        [f"days left as of {v.as_of:%d/%m/%Y}" if v.as_of else "days left", "-" if v.days_left is None else v.days_left_text],
        ["planned charge date", charge],
        ["the limit", v.limit],
        ["rule", v.rule],
    ]
    # the values are plain text (an exhibit record's sheet or place name is the case's words): a caller that styles
    # its own cells (triage: markup=True) shows them as written
    return [[label, value if isinstance(value, Text) else Text(str(value))]
            for label, value in rows + [["law", text] for text in v.law]]


def _channel_kind(channel: str, kind: str) -> str:
    """A channel and kind of contact as people say it: ``SMS message``, ``Phone call`` (not the store's
    ``voice call`` nor ``Phone call call``), ``WhatsApp call``."""
    name = channel_name(channel)
    return name if name.lower().endswith(kind.lower()) else f"{name} {kind}"


def _print(result: ConductResult, data: dict[str, Any], limit: int, rules: Rules, refs: dict[str, str],
           names: dict[str, str]) -> None:
    """The conduct listing. Every piece of the case's words (its reference, an order's reference and title, a
    name, a place, a note) is escaped where the line is styled, or printed by a plain console."""
    from rich.markup import escape

    from atlas.conduct.parties import target_names
    from atlas.decisions.naming import HANDLE_HEADER
    from atlas.exhibits import readable_warnings
    from atlas.normalise.identifiers import display

    s2a_rule, s4a_rule = rules.offence("pha-s2a"), rules.offence("pha-s4a")
    out = console()
    plain = console(markup=False)
    out.print(f"[bold]Course of conduct: {escape(data['case'])}[/bold] ({data['view']} identities; as of "
              f"{_d(data['as_of'])}: {escape(data['as_of_basis'])})")
    out.print(f"[bold]{escape(data['notice'])}[/bold]")
    coc = data["course_of_conduct"]
    print_table(f"{s2a_rule.short} time limit", ["", ""], s2a_rows(result.s2a))
    print_table("Course of conduct", ["", ""], [
        ["occasions", f"{coc['occasions']} (at least {coc['min_occasions']} needed: {coc['citation']})"],
        ["occasion rule", coc["occasion_rule"]],
        ["contacts (counted once)", f"{coc['conduct_contacts']} to the victim/network, {coc['authority_contacts']} to police"],
        ["presence episodes", coc["presence_episodes"]],
        ["per person", ", ".join(f"{target_names([k], names)[0]}: {v}" for k, v in coc["per_target_occasions"].items())],
        ["first / last", f"{_d(coc['first_incident'])} - {_d(coc['last_incident'])}"],
    ])
    rows = [[_d(i["date"]), i["contacts"], ", ".join(channel_name(c) for c in i["channels"]), ", ".join(target_names(i["targets"], names)),
             " ".join(f for f, on in (("THREAT?", i["threat"]), ("BREACH", i["breach"]), ("night", i["night"])) if on)
             + ("" if not i["presences"] else " presence: " + ", ".join(sorted({str(p["place"]) for p in i["presences"]}))),
             len(i["event_ids"])] for i in data["incidents"]]
    print_table(f"Incidents ({len(rows)})", ["date", "contacts", "channels", "to", "flags", "records"], rows[-limit:],
                caption=f"latest {limit} shown; --json for all" if len(rows) > limit else None)
    s4a = data["s4a"]
    out.print(f"\n[bold]{escape(s4a_rule.short)} indicators[/bold] ({escape(s4a['label'])})")
    plain.print(f"threat occasions: {s4a['confirmed_threat_occasions']} confirmed, {s4a['pending_threat_occasions']} more "
              f"awaiting a person's confirmation (≥ {s4a['threshold']} matters: {s4a['citation']}); "
              "only confirmed occasions count")
    print_table("Candidate threat occasions (not findings: a person must read and confirm each message)",
                ["date", "status", "score", "rules", "message («matched words»)", "records"], [
        [_d(t["date"]), t["status"], f"{t['score']:.2f}", ", ".join(t["patterns"]), " | ".join(t["contexts"]),
         len(t["event_ids"])] for t in data["threat_occasions"]])
    review = data["threat_hits_for_review"]
    print_table(f"Review list ({len(review)} message(s), strongest first: read every one)",
                ["when (UK)", "tier", "score", "rule", "message («matched words»)"], [
        [_uk(h["ts"]), h["tier"], f"{h['score']:.2f}",
         h["pattern"] + "".join(f" (lowered: {', '.join(r['lowered_by'])})" for r in h["rules"][:1] if r["lowered_by"]),
         h["marked"]] for h in review[:limit]],
                caption=f"first {limit} shown; --json for all" if len(review) > limit else None)
    print_table("Indicators of serious alarm or distress (not proof)", ["indicator", "detail"],
                [[d["indicator"], d["detail"]] for d in s4a["distress_indicators"]])
    for o in data["orders"]:
        out.print(f"\n[bold]Order {escape(o['order'])}[/bold] ({escape(o['title'])}, from {_uk(o['start'])}"
                  f"{' to ' + _uk(o['end']) if o['end'] else ''}): {escape(o['breach_rule'])}")
        if "note" in o:
            plain.print(o["note"])
        for law in o["law"]:
            out.print(f"law: {escape(law)}")
        if o.get("law_warning"):
            out.print(f"[yellow]warning:[/yellow] {escape(o['law_warning'])}")
    print_table(f"Breaches ({len(data['breaches'])})", ["when (UK)", "order", "kind", "how", "identifier", "records"], [
        [_uk(b["ts"]), b["order"], b["kind"],
         channel_name(b["channel"]) if b.get("channel") else f"{b.get('place')}: {b.get('certainty')}",
         ", ".join(display(u) for u in b.get("identifiers", [])) + (f" ({b['identifier_status']})" if b.get("identifier_status") else ""),
         len(b["event_ids"])] for b in data["breaches"][-limit:]])
    if data["possible_breaches"]:
        print_table("Possible breaches (listed, not counted unless an officer confirms one): what each rests on",
                    ["when (UK)", "order", "basis", "records", "decision", HANDLE_HEADER], [
            [_uk(b["ts"]), b["order"], b["basis"], "; ".join(b["exhibits"]), b.get("status", ""), b.get("id", "")]
            for b in data["possible_breaches"]])
        b_effect = data.get("possible_breach_effect")
        if b_effect:
            plain.print(f"If the {b_effect['open']} open possible breaches were confirmed: incidents "
                      f"{b_effect['incidents']['now']} → {b_effect['incidents']['if_confirmed']}, last incident "
                      f"{_d(b_effect['last_incident']['now'])} → {_d(b_effect['last_incident']['if_confirmed'])} "
                      "(decide with `atlas breaches CASE_DIR`)")
    out.print(f"[bold]Location standard[/bold]: {escape(data['location_standard']['rule'])}")
    print_table(f"Co-location ({len(data['colocations'])})", ["start (UK)", "kind", "place", "closest", "precision"], [
        [_uk(c["start"]), c["kind"], c.get("place") or "-", f"{c['min_distance_m']} m", c["precision"]]
        for c in data["colocations"][-limit:]])
    if data["possible_colocations"]:
        maybe = data["possible_colocations"]
        counted = sum(1 for c in maybe if c.get("state") == "confirmed")
        print_table(f"Possible co-locations ({len(maybe)}: {counted} confirmed by an officer and counted, the rest "
                    "listed, not counted)",
                    ["start (UK)", "kind", "place", "closest", "why possible only", "decision", HANDLE_HEADER], [
                        [_uk(c["start"]), c["kind"], c.get("place") or "-", f"{c['min_distance_m']} m",
                         c["certainty"], c.get("status", ""), c.get("id", "")]
                        for c in maybe[-limit:]])
        effect = data.get("possible_colocation_effect")
        if effect:
            plain.print(f"If the {effect['open']} open possible co-locations were confirmed: incidents "
                      f"{effect['incidents']['now']} → {effect['incidents']['if_confirmed']}, last incident "
                      f"{_d(effect['last_incident']['now'])} → {_d(effect['last_incident']['if_confirmed'])} "
                      "(decide with `atlas colocations CASE_DIR`)")
    cp = data["covert_pattern"]
    if cp["flagged"]:
        out.print(f"[bold]Covert-tracking pattern[/bold]: near the victim on {plural(cp['occasions'], 'day')} at "
                  f"{cp['distinct_locations']} distinct locations ({escape(cp['rule'])})")
    if data["cell_site"]:
        plain.print(f"{len(data['cell_site'])} cell-site episode(s) with a cell serving the area of a protected place "
                  "(not presence: a cell serves an area)")
    print_table("Gaps for a person to judge", ["from", "to", "days"],
                [[_d(g["from"]), _d(g["to"]), g["days"]] for g in data["gaps"]])
    prof, esc = data["contact_profile"], data["escalation"]
    calls, msgs = prof["calls"], prof["messages"]
    print_table("Pattern (indicators)", ["", ""], [
        ["by channel", "; ".join(f"{_channel_kind(r['channel'], r['kind'])} {r['direction']}: {r['contacts']}"
                                for r in prof["by_channel_direction"])],
        ["calls unanswered", f"{calls['unanswered']} of {calls['total']} ({calls['unanswered_rate']})"],
        ["messages unreplied", f"{msgs['unreplied']} of {msgs['total']} ({msgs['unreplied_rate']})"],
        ["night-time", f"{prof['night']['contacts']} ({prof['night']['hours']})"],
        ["bursts", len(data["bursts"])],
        ["weekly trend", f"{esc.get('label')}: OLS {esc.get('linear_slope_per_week')}/week per week; "
                         f"rate ratio {esc.get('weekly_rate_ratio')} per week (z {esc.get('poisson_z')})"],
        ["reciprocity", f"targets started {prof['reciprocity']['targets_to_suspect']} of "
                        f"{prof['reciprocity']['targets_to_suspect'] + prof['reciprocity']['suspect_to_targets']}"],
    ])
    ids = data["identity_changes"]
    print_table("The suspect's identifiers in the conduct", ["identifier", "status", "first", "last", "contacts", "after"], [
        [display(i["identifier"]), i["status"], _uk(i["first_seen"]), _uk(i["last_seen"]), i["contacts"], "; ".join(i["after"])]
        for i in ids["identifiers"]])
    if ids["unattributed_to_victim"]:
        leads = sorted(ids["unattributed_to_victim"], key=lambda u: (not u["like_the_suspect"], -u["contacts"]))
        print_table("Identifiers attributed to nobody that contacted the victim (leads, not counted)",
                    ["identifier", "first", "last", "contacts", "victim's replies", "channels", "one-way, after the conduct began"], [
                        [display(u["identifier"]), _uk(u["first_seen"]), _uk(u["last_seen"]), u["contacts"], u["from_victim"],
                         ", ".join(channel_name(c) for c in u["channels"]), "YES" if u["like_the_suspect"] else "-"]
                        for u in leads[:limit]])
    print_table(f"Acts associated with stalking shown by the data ({s2a_rule.examples_citation})",
                ["behaviour", "shown", "count", "basis", "citation"], [
        [b["id"], "yes" if b["shown"] else "-", b["count"], b["basis"], b["citation"]] for b in data["behaviours"]])
    for w in readable_warnings(refs, result.warnings):
        out.print(f"[yellow]warning:[/yellow] {escape(w)}")
    out.print("\n[bold]Assumptions[/bold]")
    for a in data["assumptions"]:
        plain.print(f" - {a}")
    wp = data["with_proposed"]
    if wp.get("included"):
        d = wp["differences"]
        out.print(f"\n[bold]With proposed identity links (not findings until confirmed)[/bold]: "
                  f"{plural(len(wp['incidents']), 'incident')}, {plural(len(wp['breaches']), 'breach')}, "
                  f"{plural(len(wp['threat_occasions']), 'threat occasion')}; last incident {_d(d['last_incident']['with_proposed'])}, deadline "
                  f"{_d(d['deadline']['with_proposed'])}; extra breaches {len(d['extra_breaches'])}. {escape(d['note'])}")
    elif wp.get("proposed_identifiers"):
        plain.print(f"\n{len(wp['proposed_identifiers'])} proposed identifier(s) of the suspect are not used: "
                  "run with --with-proposed to see their effect separately")


def party_id(case: Case, value: str, flag: str) -> str:
    """A party id from ``--party``-style input; an identifier must belong to a party here."""
    from atlas.identity.select import select_party

    selection = select_party(case, value)
    if selection.party is None:
        raise AtlasError(f"{flag} {value!r}: {selection.basis}; the conduct analysis needs a party "
                         "(link the identifier with `atlas link` / `atlas confirm` first)")
    return selection.party


def run(args: argparse.Namespace) -> int:
    from atlas.conduct import analyse
    from atlas.rules import load_rules
    from atlas.store import Case

    case = Case.open(args.case_dir)
    if args.suspect:
        args.suspect = party_id(case, args.suspect, "--party")
    args.target = [party_id(case, t, "--target") for t in args.target]
    try:
        options = options_from(args)
        options.validate()
    except ValueError as exc:
        raise AtlasError(str(exc)) from exc
    result = analyse(case, as_of=as_of_date(args.as_of), include_proposed=args.with_proposed, options=options)
    from atlas.exhibits import beside_ids, source_refs

    refs = source_refs(case)
    data = result.to_json()
    machine = beside_ids(refs, data)  # every record's exhibit beside its id, for machines
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(dumps(machine) + "\n", encoding="utf-8")
        tmp.replace(args.out)
    if args.json:
        print_json(json.loads(dumps(machine)))
    else:
        names = case.manifest.party_names()
        _print(result, data, args.limit, load_rules(options.rules), refs, names)
        if args.out:
            console(markup=False).print(f"\nwrote {args.out}")
    return 0
