"""Exports for the tools digital units already run: Timesketch, CASE/UCO, i2 Analyst's
Notebook, and GIS (GeoJSON, KML).

One module per target, each a pure function from typed inputs (:mod:`.inputs`) to the
document, and one edge (:mod:`.run`) that reads the case, calls it, writes the file
atomically (owner-only, as everything Atlas writes) and records the export in the
case's audit log. Every document says which identity links it followed (case.toml
attributions and confirmed links only, unless proposed links were asked for, and then
each claim reached through one says so), names every record by its exhibit
(``JA/7, sms rowid 477``), and is deterministic: the same case and decisions give the
same bytes.
"""

from __future__ import annotations

from typing import Final

TARGETS: Final = ("timesketch", "case", "i2", "geojson", "kml")
"""What ``atlas export --to`` writes."""

SUFFIXES: Final = {"timesketch": ".jsonl", "case": ".jsonld", "i2": ".anx", "geojson": ".geojson", "kml": ".kml"}
"""The file suffix each target's readers expect (Timesketch's importer insists on ``.jsonl``)."""

__all__ = ["SUFFIXES", "TARGETS"]
