"""Acts associated with stalking (PHA 1997 s2A(3)) where the data shows them.

s2A(3) gives examples, not a closed list. Atlas maps what digital evidence can show
onto them, and says on what basis each is shown, as an indicator for a person to
judge: contacting or attempting to contact (the de-duplicated contacts, unanswered and
blocked attempts); following (his device near *her* positions at her changing
places); loitering and watching (his device at her home or work; texts such as "I saw
you today"); monitoring (texts such as "I know you're reading these"); publishing
(posts by his accounts naming her, texts threatening to post). Interfering with
property is not something these records can show.

Texts are behaviour **candidates** (:mod:`.candidates`, kind ``behaviour:<type>``),
found by the structural rules and explained; they are counted as shown only once a
person has confirmed them (``confirmed``); until then they are listed as candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from atlas.rules import Rules
from atlas.store import Case
from atlas.wording import plural

from .candidates import Candidate
from .parties import Cast


def _span(times: list[Any]) -> tuple[str | None, str | None]:
    times = [t for t in times if t is not None]
    if not times:
        return None, None
    return min(times).isoformat(), max(times).isoformat()


def publications(case: Case, cast: Cast, terms: list[str]) -> pl.DataFrame:
    """Records by the suspect's identifiers with no recipient (posts, stories, comments)
    whose text names the victim (any of ``terms``, case-insensitive)."""
    ids = sorted(cast.suspect_claims)
    terms = sorted({t.strip().lower() for t in terms if t and len(t.strip()) >= 3})
    if not terms or len(ids) == 0:
        return pl.DataFrame(schema={"event_id": pl.String, "ts_utc": pl.Datetime("us", "UTC"), "text": pl.String})
    mentions = pl.col("text").str.to_lowercase().str.contains_any(terms)
    return case.events().filter(
        pl.col("sender").is_in(ids) & (pl.col("recipients").list.len() == 0) & pl.col("text").is_not_null() & mentions
    ).select("event_id", "ts_utc", "text").sort("ts_utc").collect()


def behaviours(
    rules: Rules,
    *,
    contacts: pl.DataFrame,
    candidates: list[Candidate],
    presences: list[dict[str, Any]],
    near_victim: list[dict[str, Any]],
    posts: pl.DataFrame,
    decisions: Mapping[tuple[str, str], str] | None = None,
    confirmed_near: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Each s2A(3) behaviour with its count and basis. ``confirmed_near``: possible co-locations near
    the victim an officer confirmed (:mod:`.possible_colocations`): part of 'following', said as such."""
    conduct = contacts.filter(pl.col("role") == "conduct")
    calls = conduct.filter(pl.col("kind") == "call")
    attempts = calls.filter(pl.col("status").is_in(["missed", "rejected", "blocked", "voicemail", "no-answer"])).height
    blocked = conduct.filter(pl.col("status") == "blocked").height

    decided = decisions or {}

    def text_hits(behaviour: str) -> tuple[int, list[str], list[Any], list[str]]:
        """Confirmed behaviour candidates (count, records, times, examples); candidates still
        awaiting a decision are in ``pending`` below."""
        cs = [c for c in candidates if c.kind == f"behaviour:{behaviour}" and c.decision(decided) == "confirmed"]
        ids = sorted({e for c in cs for e in c.event_ids})
        return len(cs), ids, [c.ts_utc for c in cs], sorted({c.marked for c in cs})[:5]

    def pending(behaviour: str) -> list[Candidate]:
        return [c for c in candidates if c.kind == f"behaviour:{behaviour}" and c.decision(decided) is None]

    out: list[dict[str, Any]] = []

    def add(bid: str, shown: bool, count: int, first_last: tuple[str | None, str | None], event_ids: list[str],
            basis: str, examples: list[str] | None = None) -> None:
        b = rules.behaviour(bid)
        waiting = pending(bid)
        out.append({"id": b.id, "title": b.title, "citation": b.citation, "shown": shown, "count": count,
                    "first": first_last[0], "last": first_last[1], "event_ids": event_ids, "basis": basis,
                    "examples": examples or [], "candidates_awaiting_decision": len(waiting),
                    "candidate_keys": [list(c.key) for c in waiting],
                    "candidate_examples": sorted({c.marked for c in waiting})[:5]})

    add("contacting", conduct.height > 0, conduct.height, _span(conduct.get_column("ts_utc").to_list()), [],
        f"{plural(conduct.height, 'de-duplicated contact')} from the suspect to the victim or the victim's network "
        f"({plural(calls.height, 'call')}, {attempts} unanswered or rejected; {blocked} recorded as blocked); "
        "the records are listed under incidents")
    follow_ids = sorted({e for c in [*near_victim, *confirmed_near] for e in c["event_ids"]})
    n, ids, times, ex = text_hits("following")
    k = len(confirmed_near)
    add("following", bool(near_victim or confirmed_near or n), len(near_victim) + k + n,
        _span([c["start"] for c in [*near_victim, *confirmed_near]] + times),
        sorted(set(follow_ids) | set(ids)),
        "episodes of the suspect's device positions near the victim's own positions at about the same time "
        "(the victim's changing locations)"
        + (f", {k} of them possible co-locations (a position with no stated accuracy) counted because an officer "
           "confirmed them" if k else "")
        + "; location shows where a device was, not who carried it; "
        f"{plural(n, 'message')} a person confirmed as showing the suspect followed the victim "
        f"({plural(len(pending('following')), 'candidate')} awaiting a decision)", ex)
    loiter_ids = sorted({e for p in presences for e in p["event_ids"]})
    add("loitering", bool(presences), len(presences), _span([p["start"] for p in presences]), loiter_ids,
        "episodes of the suspect's device positions inside the radius of a place protecting the victim "
        "(home, work, exclusion zones)")
    n, ids, times, ex = text_hits("watching")
    add("watching", bool(n or presences), n + len(presences),
        _span(times + [p["start"] for p in presences]), sorted(set(ids) | set(loiter_ids)),
        f"{plural(n, 'message')} a person confirmed as showing the suspect watched the victim "
        f"({plural(len(pending('watching')), 'candidate')} awaiting a decision) and "
        f"{plural(len(presences), 'presence episode')} at protected places", ex)
    n, ids, times, ex = text_hits("monitoring")
    add("monitoring", bool(n), n, _span(times), ids,
        f"{plural(n, 'message')} a person confirmed as showing the suspect monitored the victim's communications or "
        "online activity "
        f"({plural(len(pending('monitoring')), 'candidate')} awaiting a decision); "
        "logins to the victim's accounts or tracking apps would need account or device evidence", ex)
    n, ids, times, ex = text_hits("publishing")
    post_ids = posts.get_column("event_id").to_list() if posts.height else []
    add("publishing", bool(n or post_ids), n + len(post_ids),
        _span((posts.get_column("ts_utc").to_list() if posts.height else []) + times),
        sorted(set(ids) | set(post_ids)),
        f"{plural(len(post_ids), 'post')} by the suspect's accounts naming the victim; {plural(n, 'message')} a person confirmed as "
        f"publishing or threatening to publish material ({plural(len(pending('publishing')), 'candidate')} awaiting "
        "a decision)", ex)
    add("interfering", False, 0, (None, None), [], "not shown by communications or location records")
    return out
