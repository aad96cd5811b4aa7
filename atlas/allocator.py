"""How long Polars' memory allocator keeps freed pages before giving them back to the system.

Polars allocates its columns with jemalloc, which hands pages it no longer uses back to the
kernel after a short decay. An ingest frees and allocates hundreds of MB in quick succession (the
file's bytes, the CSV reader's text columns, the derived columns, the Parquet encoding), so pages
given back are faulted in again a moment later: a 2 M-row CDR ingest took ~240,000 page faults
in its parse alone. Keeping freed pages for 30 s lets the next step reuse them. Measured with
``python -m bench.run --only cdr`` on the idle development machine (07/12/2026, load 1.5-2.0),
three runs each: the ingest 1.25-1.35 s wall / 2.21-2.37 CPU-s with the default decay, 1.06-1.12 s
/ 1.84-1.97 CPU-s with this setting; the I/O floor measured in the same processes moved from
0.85-0.89 s to 0.78-0.86 s (it allocates less, so it gains less).

What it costs: memory freed stays in the process (counted in its resident size) for up to 30 s
unless it is reused; the peak of a whole case is unchanged where later steps reuse it (see the
README's performance section for the end-to-end peak with the setting).

Polars itself sets a short decay (``dirty_decay_ms:500,muzzy_decay_ms:1000`` in its ``__init__``,
its answer to processes that kept memory they no longer used, pola-rs/polars#18088) and appends any
value already in ``_RJEM_MALLOC_CONF`` after its own, so a value set first wins. For a command that
runs one job and exits, speed is worth more than giving memory back between steps; a long-lived
process that embeds the library keeps Polars' default. Polars' other knob, ``POLARS_THP=1``
(transparent huge pages), made the same ingest slower here (1.67-1.75 s; the kernel's THP mode is
``madvise``).

jemalloc reads ``_RJEM_MALLOC_CONF`` once, when Polars' library is loaded, so the setting is made
before anything imports Polars: by ``atlas``'s command line as it starts, and by ``make bench`` for
every benchmark (the ingest is measured as the command runs it; its reference, in the same
process, runs under the same setting). A value already in the environment is left as it is (a
user's own tuning wins), and the library (``import atlas``) never sets it: changing the
environment of a host program is not a library's business.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Final

ENV: Final = "_RJEM_MALLOC_CONF"
"""The environment variable Polars' jemalloc reads its options from (the ``_RJEM_`` prefix is
the one the Rust crate ``tikv-jemallocator`` builds jemalloc with)."""

SETTING: Final = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
"""Freed pages kept 30 s before they are purged (dirty) and before they are released (muzzy)."""


def settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables to add to ``environ`` (none when the user set their own)."""
    return {} if ENV in environ else {ENV: SETTING}


def apply() -> bool:
    """Set :data:`SETTING` for this process if nothing set one and Polars is not loaded yet.

    Returns whether the setting now applies: False when Polars was already imported (jemalloc
    has read its options; a later change would be silently ignored) or the user's own value is kept.
    """
    if "polars" in sys.modules:
        return False
    added = settings(os.environ)
    os.environ.update(added)
    return bool(added)
