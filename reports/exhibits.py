"""The exhibit schedule: every source file and every produced chart or table, numbered.

An exhibit reference is the officer's prefix and a number (``JA/1``). Once a statement
has referred to ``JA/3`` that reference must keep meaning the same thing, so numbers
are decisions kept in the case database (table ``report_exhibits``), assigned the
first time an item is exhibited and never reused: adding a source later gives it the
next number instead of renumbering everything. Sources are numbered in the order
they were received (the audit log's ingest order), produced items after them in a
fixed order.

For each exhibit the schedule gives the description, file name, SHA-256, size, how
and when it was received (the continuity the officer recorded: who supplied it, the date,
the seal or bag number; never the machine's user) and the parser that read it; produced
exhibits are hashed after they are written.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.exhibits import assign_numbers as assign_numbers  # re-exported: the numbers live in atlas.exhibits
from atlas.exhibits import source_order
from atlas.spreadsheet_safety import neutralise
from atlas.store import Case
from atlas.store.continuity import Continuity
from atlas.store.hashing import HASH_BASIS_BYTES, HASH_BASIS_FILE

SCHEDULE_COLUMNS: Final = (
    "reference", "kind", "description", "filename", "sha256", "size_bytes", "received", "parser", "produced_by",
    "events_cited",
)


@dataclass(frozen=True)
class Exhibit:
    """One exhibit: a source the officer received, or something Atlas produced from them."""

    key: str
    """``source:<sha256>`` or ``product:<name>``: what the number was assigned to."""
    reference: str
    number: int
    kind: str
    description: str
    filename: str
    sha256: str = ""
    size: int = 0
    received: str = ""
    parser: str = ""
    produced_by: str = ""
    events_cited: int = 0
    path: Path | None = None
    """Where the produced file is (not part of the schedule: the filename is)."""
    source_id: str = ""
    hash_basis: str = ""
    """How the source's SHA-256 was taken, as its ingest audit row records it
    (:data:`atlas.store.hashing.HASH_BASIS_FILE` for rows written before it was recorded)."""

    def row(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "kind": self.kind, "description": self.description,
            "filename": self.filename, "sha256": self.sha256, "size_bytes": self.size, "received": self.received,
            "parser": self.parser, "produced_by": self.produced_by, "events_cited": self.events_cited,
        }


@dataclass(frozen=True)
class Product:
    """A chart or table the report will produce, declared before it is written."""

    name: str
    filename: str
    description: str
    kind: str = "chart"


def continuity_text(c: Continuity | None) -> str:
    """Continuity as the schedule gives it: what the officer recorded, and what is missing
    (never the machine's user or the time of ingest)."""
    if c is None or not (c.supplied_by or c.received or c.seal):
        return "not recorded (atlas exhibit continuity)"
    return "; ".join([f"supplied by {c.supplied_by or '(not recorded)'}",
                      f"received {c.received.strftime('%d/%m/%Y') if c.received else '(not recorded)'}",
                      f"seal/bag {c.seal or '(not recorded)'}"])


def source_exhibits(
    case: Case, sources: pl.DataFrame, audit: list[dict[str, Any]], owner_names: dict[str, str], numbers: dict[str, int],
    continuity: Mapping[str, Continuity] | None = None,
) -> list[Exhibit]:
    """One exhibit per source file, described from the store, with the continuity the officer recorded."""
    continuity = continuity or {}
    prefix = case.manifest.exhibit_prefix
    by_id = {r["source_id"]: r for r in sources.iter_rows(named=True)}
    bases = hash_bases(audit)
    out = []
    for sid in source_order(sources, audit):
        r = by_id[sid]
        key = f"source:{r['sha256']}"
        owner = r["owner"] or ""
        whose = owner_names.get(owner, owner) if owner else ""
        # the source's owner (a handset's user, a CDR's target number, an account holder) as attributed in the case
        desc = f"{r['format']}: {r['name']}" + (f" (subject: {whose}, {owner})" if whose and whose != owner
                                                  else (f" (subject: {owner})" if owner else ""))
        out.append(Exhibit(
            key=key, reference=f"{prefix}/{numbers[key]}", number=numbers[key], kind="source", description=desc,
            filename=str(r["name"]), sha256=str(r["sha256"]), size=int(r["size"] or 0),
            received=continuity_text(continuity.get(str(r["sha256"]))),
            parser=f"{r['parser']} {r['parser_version']}", source_id=sid,
            events_cited=int(r["events"] or 0), hash_basis=bases.get(str(r["sha256"]), HASH_BASIS_FILE),
        ))
    return out


def hash_bases(audit: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """SHA-256 → how it was taken (``hash_basis``), from the last ingest audit row of each
    source; an ingest row written before the basis was recorded was hashed before and after."""
    out: dict[str, str] = {}
    for entry in audit:
        detail = entry.get("detail")
        if entry.get("action") == "ingest" and isinstance(detail, Mapping) and detail.get("sha256"):
            out[str(detail["sha256"])] = str(detail.get("hash_basis") or HASH_BASIS_FILE)
    return out


def refs_text(refs: Sequence[str]) -> str:
    """``JA/1``, ``JA/1 and JA/3``, ``JA/1, JA/2 and JA/3``."""
    return refs[0] if len(refs) == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]


def by_hash_basis(sources: Sequence[Exhibit]) -> tuple[list[str], list[str]]:
    """(references hashed before and after, references hashed as the bytes parsed, read once)."""
    twice = [e.reference for e in sources if e.hash_basis != HASH_BASIS_BYTES]
    once = [e.reference for e in sources if e.hash_basis == HASH_BASIS_BYTES]
    return twice, once


def product_exhibits(case: Case, products: Sequence[Product], numbers: dict[str, int], version: str) -> list[Exhibit]:
    prefix = case.manifest.exhibit_prefix
    out = []
    for p in products:
        key = f"product:{p.name}"
        out.append(Exhibit(key=key, reference=f"{prefix}/{numbers[key]}", number=numbers[key], kind=p.kind,
                           description=p.description, filename=p.filename, produced_by=f"atlas {version} (atlas report)"))
    return out


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashed(exhibit: Exhibit, path: Path, events_cited: int) -> Exhibit:
    """The exhibit with the produced file's hash and size filled in."""
    data = path.read_bytes()
    return replace(exhibit, sha256=sha256_bytes(data), size=len(data), path=path, events_cited=events_cited)


def schedule_frame(exhibits: Sequence[Exhibit]) -> pl.DataFrame:
    rows = [e.row() for e in sorted(exhibits, key=lambda e: e.number)]
    return pl.DataFrame(rows, schema={c: (pl.Int64 if c in ("size_bytes", "events_cited") else pl.String)
                                      for c in SCHEDULE_COLUMNS}, orient="row")


def write_schedule(exhibits: Sequence[Exhibit], csv_path: Path, xlsx_path: Path, *, title: str,
                   created: datetime, integrity_notice: str | None = None, note: str = "") -> None:
    """``exhibits.csv`` and ``exhibits.xlsx`` (the same rows; the workbook dated ``created``).
    With ``integrity_notice`` every row carries it (a ``store_verification`` column); ``note``
    (that third parties are redacted) likewise, in a ``redaction`` column."""
    frame = schedule_frame(exhibits)
    if integrity_notice:
        frame = frame.with_columns(pl.lit(integrity_notice).alias("store_verification"))
    if note:
        frame = frame.with_columns(pl.lit(note).alias("redaction"))
    frame = neutralise(frame)
    frame.write_csv(csv_path)
    write_xlsx(frame, xlsx_path, sheet="Exhibits", title=title, created=created)


def write_xlsx(frame: pl.DataFrame, path: Path, *, sheet: str, title: str, created: datetime) -> None:
    """A workbook with fixed document properties, so the same rows give the same bytes."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": title, "author": "Atlas", "created": created.replace(tzinfo=None),
                       "comments": "Generated by atlas report"})
    ws = wb.add_worksheet(sheet)
    head = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    mono = wb.add_format({"font_name": "Consolas", "valign": "top", "font_size": 9})
    widths = {"reference": 10, "kind": 9, "description": 48, "filename": 30, "sha256": 66, "size_bytes": 11,
              "received": 60, "parser": 20, "produced_by": 24, "events_cited": 12}
    for c, name in enumerate(frame.columns):
        ws.write_string(0, c, name, head)
        ws.set_column(c, c, widths.get(name, 18), mono if name == "sha256" else wrap)
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))  # text, always: hashes and numbers keep their digits
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(frame.height, 1), max(frame.width - 1, 0))
    wb.close()
    path.write_bytes(buf.getvalue())
