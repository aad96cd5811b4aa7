"""i2 Analyst's Notebook: an ANX chart, one link per contact between typed entities.

Entities are identified by their identifier (``Identity`` = the URI, so a number is one
entity however many sources show it, and a second import merges on it): ``Phone``
(``tel:``), ``Device`` (``imei:``/``imsi:``), ``Account`` (everything else: email,
platform handles, display names), and ``Person`` for each case.toml party. A party is
joined to each identifier it is taken to use by a ``Uses`` link that says how we know
(attributed, confirmed, or proposed, drawn dashed when only a proposed link makes it
his); only the links the export followed are drawn. Each de-duplicated contact
(:mod:`atlas.contacts`: one real-world call or message, however many sources record it)
is one link from the sender's identifier to each recipient's, with its date and time in
UTC, channel, status, duration, the message text, and every record behind it by exhibit
(``JA/7, sms rowid 477``).

Written with ``anxwritter`` (its own validation runs before anything is written); the
chart's creation date is fixed to the case's last ingest so that the file is the same,
byte for byte, for the same case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from atlas.exhibits import event_refs_expr, identifier_label, join_list

from .inputs import ExportContext
from .text import xml_safe

if TYPE_CHECKING:
    from anxwritter import ANXChart

PARTY_PREFIX: Final = "party:"
UTC_ZONE_ID: Final = 1
"""Analyst's Notebook's own id of UTC (its time-zone table, as anxwritter ships it)."""


def entity_type(uri: str) -> str:
    """The i2 entity type of an identifier."""
    scheme = uri.split(":", 1)[0]
    if scheme.startswith("tel"):
        return "Phone"
    if scheme in ("imei", "imsi"):
        return "Device"
    return "Account"


def _when(ts: datetime) -> tuple[str, str]:
    return ts.strftime("%Y-%m-%d"), ts.strftime("%H:%M:%S")


@dataclass(frozen=True)
class I2Chart:
    chart: ANXChart
    entities: int
    links: int


def build(contacts: pl.DataFrame, ctx: ExportContext, *, created: str) -> I2Chart:
    """The chart for ``contacts`` (:data:`atlas.contacts.OUTPUT_SCHEMA`); ``created`` is the
    chart's creation date-time (``YYYY-MM-DDTHH:MM:SS``)."""
    from anxwritter import ANXChart, DotStyle, TimeZone

    chart = ANXChart(settings={"summary": {"created": created, "title": f"Atlas contacts: {ctx.case_reference}",
                                           "comments": xml_safe((f"{ctx.integrity}. " if ctx.integrity else "")
                                                                   + f"Identity links followed: {ctx.policy.describe(ctx.refs, ctx.parties)}"),
                                           "author": f"Atlas {ctx.atlas_version}"}})
    chart.add_strength(name="Proposed", dot_style=DotStyle.DASHED)
    utc = TimeZone(id=UTC_ZONE_ID, name="UTC")
    rows = (contacts.sort("ts_utc", "contact_id")
            .with_columns(event_refs_expr(ctx.refs, "event_ids").alias("exhibits")))
    identifiers: set[str] = set(ctx.owners)
    for sender, recipients in rows.select("sender", "recipients").iter_rows():
        if sender:
            identifiers.add(sender)
        identifiers.update(r for r in recipients or [] if r)
    for uri in sorted(identifiers):
        owner = ctx.owners.get(uri)
        # shown on the chart (ShowValue): a display name by its exhibit, never "name:0967552107f6f4e5:Ali" (covert
        # 62017); the entity's Identity stays the URI, so a second import still merges on it
        attrs: dict[str, Any] = {"identifier": identifier_label(ctx.refs, uri)}
        if owner is not None:
            attrs |= {"party": owner.party, "identity status": owner.status}
        chart.add_icon(id=xml_safe(uri), type=entity_type(uri), label=xml_safe(identifier_label(ctx.refs, uri)),
                       attributes={k: xml_safe(v) if isinstance(v, str) else v for k, v in attrs.items()})
    for pid, party in sorted(ctx.parties.items()):
        chart.add_icon(id=PARTY_PREFIX + pid, type="Person", label=xml_safe(f"{party.name or pid} ({party.role})"),
                       attributes={"party": pid, "role": party.role})
    links = 0
    for uri, owner in sorted(ctx.owners.items()):
        links += 1
        chart.add_link(from_id=PARTY_PREFIX + owner.party, to_id=xml_safe(uri), type="Uses", arrow="ArrowOnHead",
                       strength="Proposed" if owner.status == "proposed" else None,
                       description=f"{owner.status} ({owner.basis})",
                       attributes={"identity status": owner.status, "basis": owner.basis})
    for row in rows.iter_rows(named=True):
        if not row["sender"]:
            continue
        date, time = _when(row["ts_utc"])
        attrs = {
            "kind": row["kind"], "channel": "; ".join(row["channels"] or []),
            "exhibits": join_list(row["exhibits"] or []), "records": len(row["event_ids"] or []),
            "utc": row["ts_utc"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "identity links": ctx.policy.name,
        }
        if row["status"]:
            attrs["status"] = row["status"]
        if row["duration_s"] is not None:
            attrs["duration s"] = int(row["duration_s"])
        for to in row["recipients"] or []:
            if not to:
                continue
            chart.add_link(from_id=xml_safe(row["sender"]), to_id=xml_safe(to), type="Call" if row["kind"] == "call" else "Message",
                           arrow="ArrowOnHead", date=date, time=time, timezone=utc,
                           description=xml_safe(row["text"]) if row["text"] else None, attributes=dict(attrs))
            links += 1
    return I2Chart(chart, len(identifiers) + len(ctx.parties), links)


def validate(chart: ANXChart) -> list[str]:
    """The writer's own validation, as one line per problem (empty: valid)."""
    return [f"{e.get('location', '')}: {e.get('message', '')}".strip(": ") for e in chart.validate()]


def to_bytes(chart: ANXChart) -> bytes:
    """The ANX file as Analyst's Notebook reads it (UTF-16 with BOM)."""
    return b"".join(chart.iter_anx_bytes())


__all__ = ["I2Chart", "build", "entity_type", "to_bytes", "validate"]
