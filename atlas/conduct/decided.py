"""Officers' decisions on threat and behaviour candidates, applied to the text hits.

A hit of the threat lexicon (or, once they land, a structural threat/behaviour
candidate) is a *candidate*: key ``(kind, event_id)``, kind ``threat`` or
``behaviour:<type>``, event id the candidate's record (the first of the contact's
corroborating records). The decisions ledger (:mod:`atlas.decisions.ledger`) says which
an officer confirmed, dismissed or left open. Here that state is joined to the hits, on
*any* record of the contact, so a decision made on one source's copy of a message holds
for the same message in another source:

* a **dismissed** candidate never counts (a person read it in context: not a threat);
* a **confirmed** threat counts whatever its lexicon strength, and says it was confirmed;
* an **open** strong threat counts as a threat occasion still *to be confirmed*.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from atlas.decisions.ledger import current, read_decisions
from atlas.store import Case

DECISION_SCHEMA: Final = pl.Schema({
    "candidate_kind": pl.String(), "decided_event_id": pl.String(), "decision": pl.String(),
    "decided_by": pl.String(), "decided_at": pl.String(), "decision_note": pl.String(), "decided_seq": pl.Int64(),
})


def candidate_kind() -> pl.Expr:
    """``threat`` for a threat pattern, ``behaviour:<type>`` for an indicator."""
    return (pl.when(pl.col("kind") == "threat").then(pl.lit("threat"))
            .otherwise(pl.lit("behaviour:") + pl.col("behaviour").fill_null("")).alias("candidate_kind"))


def candidate_decisions(case: Case) -> pl.DataFrame:
    """The latest decision on every candidate (one row per (kind, event id))."""
    latest = [d for (subject, _), d in current(read_decisions(case)).items()
              if subject == "threat" or subject.startswith("behaviour:")]
    return pl.DataFrame(
        [{"candidate_kind": d.subject, "decided_event_id": d.key, "decision": d.state, "decided_by": d.officer,
          "decided_at": d.at, "decision_note": d.note, "decided_seq": d.seq} for d in latest],
        schema=DECISION_SCHEMA,
    )


def mark_hits(hits: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """``hits`` (with ``event_ids``) plus candidate key and decision columns; the decision
    matches on any of the contact's records; ``counts`` says whether the hit makes a
    threat occasion (strong and not dismissed, or confirmed)."""
    keyed = hits.with_columns(
        candidate_kind(),
        pl.col("event_ids").list.sort().list.first().alias("candidate_event_id"),
    ).with_row_index("_hit")
    if decisions.height and keyed.height:
        per_record = keyed.select("_hit", "candidate_kind", pl.col("event_ids").alias("decided_event_id")) \
            .explode("decided_event_id")
        found = per_record.join(decisions, on=["candidate_kind", "decided_event_id"], how="inner") \
            .sort("decided_seq").group_by("_hit").last().drop("candidate_kind", "decided_event_id", "decided_seq")
        keyed = keyed.join(found, on="_hit", how="left")
    else:
        keyed = keyed.with_columns(pl.lit(None, pl.String).alias(c) for c in
                                   ("decision", "decided_by", "decided_at", "decision_note"))
    keyed = keyed.with_columns(pl.col("decision").fill_null("open"))
    return keyed.drop("_hit").with_columns(
        (((pl.col("kind") == "threat") & (pl.col("strength") == "strong") & (pl.col("decision") != "dismissed"))
         | ((pl.col("candidate_kind") == "threat") & (pl.col("decision") == "confirmed"))).alias("counts"),
    )
