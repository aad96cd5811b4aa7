"""Parts of the conduct analysis kept between recomputations, keyed on what they depend on.

After a decision the workbench reruns the whole analysis (:class:`atlas.review.Review`:
one path, no stale count). Most decisions cannot change most of it: confirming a threat,
tagging an exhibit or writing a note leaves the identity map alone, so the de-duplicated
contacts with their roles (:func:`~atlas.conduct.selection.select_contacts`, two thirds
of the analysis at a million events) come out the same. A :class:`Memo` keeps such a
part under a key made of *everything* it is computed from (the store's data, the identity
view, the options, the rules files), never of the decision generation: a part is reused
only when it would be computed from the same inputs, and a link decision, which changes
the identity view, recomputes it.

The memo is passed to :func:`atlas.conduct.analyse` by its owner (``Review``); the
analysis without a memo is the plain rule, and a test checks the two give the same result.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from atlas.store import Case

from .options import ConductOptions
from .parties import Cast

T = TypeVar("T")


class Memo:
    """A few parts of the analysis, most recently used kept (``size`` per memo: the case's
    calls and messages as read, and three parts for each of the view as it stands and an
    impact preview's hypothetical view)."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The part under ``key``, built (and kept) if it is not held."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = build()  # outside the lock: a slow part never holds up another
        with self._lock:
            self.misses += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def data_key(case: Case) -> tuple[Any, ...]:
    """What the store's events and sources are: the sealed store manifest's commit and the
    SHA-256 of every file it lists (a commit of sources writes new ones; a decision only
    moves its audit head, which is left out), ``sources.parquet`` by identity, size and
    modification time (for a store from before sealing), and the case folder and its
    case.toml as read when the case opened."""
    from atlas.store.integrity import read_manifest

    key: list[Any] = [str(case.root.resolve()), hashlib.sha256(repr(case.manifest).encode()).hexdigest()]
    sealed = read_manifest(case.store)
    key.append(None if sealed is None else (sealed.commit, tuple(sorted(sealed.files.items()))))
    try:
        st = (case.store / "sources.parquet").stat()
        key.append((st.st_ino, st.st_size, st.st_mtime_ns))
    except FileNotFoundError:
        key.append(None)
    return tuple(key)


def cast_key(cast: Cast) -> tuple[Any, ...]:
    """Everything of an identity view the contacts depend on."""
    return (cast.view, cast.suspect, cast.victims, cast.targets, cast.target_basis,
            tuple(sorted(cast.owner_map.items())), tuple(sorted(cast.source_owner_uri.items())),
            tuple(sorted(cast.source_owner_party.items())),
            tuple(sorted((uri, c.status) for uri, c in cast.suspect_claims.items())))


def options_key(options: ConductOptions) -> str:
    """The options as their JSON, hashed (every option, whether a part reads it or not)."""
    return hashlib.sha256(json.dumps(options.to_json(), sort_keys=True, default=str).encode()).hexdigest()


__all__ = ["Memo", "cast_key", "data_key", "options_key"]
