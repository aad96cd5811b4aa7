"""The case store: manifest, Parquet partitions per source, decisions in SQLite."""

from atlas.store.case import Case, StagedSource, init_case
from atlas.store.manifest import Manifest, load_manifest

__all__ = ["Case", "Manifest", "StagedSource", "init_case", "load_manifest"]
