"""Hashing sources: evidence is identified by its SHA-256 and must never change."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from dataclasses import dataclass
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


HASH_BASIS_FILE = "the file, before and after"
"""How a source's SHA-256 was taken (recorded as ``hash_basis`` in its ingest audit row): the
file hashed before it was parsed and again after the parser's last read, both equal."""
HASH_BASIS_BYTES = "the bytes parsed, read once; file identity re-checked after"
"""The file read once into memory through a read-only handle, those bytes hashed and those
same bytes parsed; after the parse the file's identity (:class:`FileIdentity`) was checked
unchanged (:func:`atlas.ingest.read_whole`)."""


@dataclass(frozen=True)
class FileIdentity:
    """What the file system says of a file that writing to it, truncating it or putting another
    file in its place would change: device, inode, size, and the modification and status-change
    times (the status-change time cannot be set back by a program)."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def differences(self, other: FileIdentity) -> list[str]:
        """What differs, as ``name before → after`` texts (empty: the same)."""
        return [f"{name} {getattr(self, name)} → {getattr(other, name)}"
                for name in ("dev", "ino", "size", "mtime_ns", "ctime_ns") if getattr(self, name) != getattr(other, name)]

    def as_dict(self) -> dict[str, int]:
        return {"dev": self.dev, "ino": self.ino, "size": self.size, "mtime_ns": self.mtime_ns, "ctime_ns": self.ctime_ns}


def read_exactly_plain(fd: int, size: int) -> bytes | None:
    """The ``size`` bytes of an open file from where it stands, in one ``bytes`` (handed to the
    parser as it is: no copy), or None when the file does not hold exactly that many (shorter,
    or longer: one more byte is asked for after them): the plain rule."""
    data = os.read(fd, size) if size else b""
    if len(data) < size:  # a short read (rare on a local file): the rest, joined once
        parts = [data]
        got = len(data)
        while got < size and (chunk := os.read(fd, size - got)):
            parts.append(chunk)
            got += len(chunk)
        if got < size:
            return None
        data = b"".join(parts)
    if os.read(fd, 1):
        return None
    return data


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_HUGE_PAGE_MIN = 64 << 20
"""From this size :func:`read_exactly` reads into memory the kernel may back with huge pages."""


def read_exactly(fd: int, size: int) -> bytes | None:
    """:func:`read_exactly_plain`'s bytes, read (from :data:`_HUGE_PAGE_MIN`) into a ``bytes``
    made zero-filled by ``calloc`` (fresh pages, not touched) that the kernel is asked to back
    with huge pages (``madvise(MADV_HUGEPAGE)``) before the read fills it, in place, through
    ``os.readv``: the 4 KiB page faults of a fresh 220 MB buffer (~54,000) become ~1,000,
    ~0.09 CPU-s less (what a second hash of the file cost the two-hash route). The object is
    filled before anything else holds it (no hash of it is cached yet). The same bytes, or
    None, as the plain rule (tested equal in ``tests/test_ingest_read_whole.py``); where
    ``madvise`` cannot be called the pages are simply small; on a Python other than CPython
    (whose ``bytes`` layout this relies on) the plain rule reads."""
    if size < _HUGE_PAGE_MIN or sys.implementation.name != "cpython":
        return read_exactly_plain(fd, size)
    import ctypes
    import mmap

    data = bytes(size)
    address = id(data) + bytes.__basicsize__ - 1  # CPython: the characters follow the header
    view = (ctypes.c_char * size).from_address(address)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        start = address & ~(mmap.PAGESIZE - 1)
        libc.madvise(ctypes.c_void_p(start), ctypes.c_size_t(address + size - start), 14)  # MADV_HUGEPAGE
    except (OSError, AttributeError):
        pass
    got = 0
    buffer = memoryview(view).cast("B")
    while got < size and (n := os.readv(fd, [buffer[got:]])):
        got += n
    buffer.release()
    if got < size or os.read(fd, 1):
        return None
    return data
