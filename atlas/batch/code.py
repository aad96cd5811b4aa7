"""Which Atlas code a process runs, so that a run on Dask never mixes two versions.

A Dask worker imports Atlas when the task first needs it; the process that submits the
tasks imported it earlier. When the source changes in between (a checkout, a merge or an
edit while a run is going, or a worker machine holding another copy of Atlas) the
workers write what the new code writes and the submitting process expects what the old
one wrote: ``tests/test_batch.py`` saw one case's report.html differ from the in-process
run's that way, and nothing said why. Every task sent to Dask runs through
:func:`checked`, which refuses it, naming both digests, when the worker's source is not
the submitter's. The digest is of the source files' bytes (not their times), so two
machines holding the same release agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from atlas.errors import AtlasError

T = TypeVar("T")

PACKAGES: Final = ("atlas", "parsers", "reports")
"""The top-level packages whose code writes a case's store and outputs."""


def source_digest(base: Path) -> str:
    """SHA-256 over every ``.py`` file of :data:`PACKAGES` under ``base`` (path and bytes, in path order)."""
    h = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((base / package).rglob("*.py")):
            name = path.relative_to(base).as_posix().encode()
            data = path.read_bytes()
            h.update(b"%d:%s%d:" % (len(name), name, len(data)))
            h.update(data)
    return h.hexdigest()


LOADED: Final = source_digest(Path(__file__).resolve().parents[2])
"""The source as it was when this process imported Atlas's batch (about 20 ms for 250 files)."""


def checked(expected: str, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` if this process runs the code ``expected`` names, else an :class:`AtlasError`."""
    if expected != LOADED:
        raise AtlasError(f"this Dask worker runs other Atlas code (source digest {LOADED[:12]}) than the process "
                         f"that sent the task ({expected[:12]}): the source changed after the run started, or the "
                         "worker holds another copy of Atlas; nothing was run. Start the run again with the "
                         "workers on the same code")
    return fn(*args)
