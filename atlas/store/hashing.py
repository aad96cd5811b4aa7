"""Hashing sources: evidence is identified by its SHA-256 and must never change."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def read_exactly(fd: int, size: int) -> bytes | None:
    """The ``size`` bytes of an open file from where it stands, in one ``bytes`` (handed to the
    parser as it is: no copy), or None when the file does not hold exactly that many (shorter,
    or longer: one more byte is asked for after them).

    (Session 12 also built a read into a ``calloc``'d ``bytes`` backed by huge pages, written in
    place through ctypes: it saved page faults in a process doing one ingest, but in the CDR bench,
    where ingests follow other work, it was slower and more variable (ingest 1.48-1.87 s against
    1.41-1.51 s), and it wrote into an immutable object. It was removed.)"""
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


READ_PIECE = 4 << 20
"""The piece :func:`read_hashed` reads before handing it to the hashing thread."""


def read_hashed(fd: int, size: int) -> tuple[bytes, str] | None:
    """(:func:`read_exactly`, :func:`sha256_bytes` of it) — the plain rule, kept, and held equal
    by ``tests/test_ingest_read_whole.py`` — with the read and the hash side by side: the file is
    read in :data:`READ_PIECE` pieces and each piece, once read, is hashed on a second thread while
    the next is read (both release the GIL), in order. None, as :func:`read_exactly`, when the file
    does not hold exactly ``size`` bytes.

    The bytes are read into an ``io.BytesIO``'s own buffer through its public
    ``getbuffer()`` (a writable view, no copy), and ``getvalue()`` then hands that buffer
    over as the ``bytes`` the parser reads (no copy once the view is released): standard
    library calls only, nothing written into an object anyone else holds. (On CPython the
    buffer is the ``calloc``'d ``bytes(size)`` the ``BytesIO`` was made from, which only it
    holds, so the kernel maps its pages as the read fills them, once.)
    A 220 MB CDR CSV: read then hash 0.19 s wall; side by side 0.11 s, the same CPU."""
    if size == 0:
        data = read_exactly(fd, 0)
        return None if data is None else (data, sha256_bytes(data))
    digest = hashlib.sha256()
    buffer = io.BytesIO(bytes(size))
    got = 0
    hashed: list[Future[None]] = []
    with buffer.getbuffer() as view, ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-hash") as hasher:
        # (the pool is left, waiting for every piece hashed, before the view is released)
        while got < size:
            with view[got:min(size, got + READ_PIECE)] as piece:
                n = os.readv(fd, [piece])
            if n == 0:
                break
            hashed.append(hasher.submit(_hash_piece, digest, view, got, got + n))
            got += n
    for piece_hashed in hashed:
        piece_hashed.result()  # (raises what the hashing thread raised)
    if got < size or os.read(fd, 1):
        return None
    data = buffer.getvalue()
    return data, digest.hexdigest()


def _hash_piece(digest: Any, view: memoryview, start: int, end: int) -> None:
    with view[start:end] as piece:
        digest.update(piece)
