"""Hashing sources: evidence is identified by its SHA-256 and must never change."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks through a read-only handle.

    The chunks are read into one buffer, used again for each: a new 1 MiB ``bytes`` a chunk
    (as ``read`` makes) is fresh memory the kernel must map each time in a process that has
    freed much (an ingest), ~0.05 CPU-s of page faults a 220 MB source."""
    digest = hashlib.sha256()
    # O_NONBLOCK: if the name has been swapped for a FIFO since it was checked, opening it
    # must not wait forever for a writer; the fstat below then refuses it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while size := fh.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def source_id_for(sha256: str) -> str:
    """A source's id: the first 16 hex digits of its SHA-256 (64 bits; collisions in
    one case are not a practical concern, and the full hash is kept beside it)."""
    return sha256[:16]
