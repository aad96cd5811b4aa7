"""How much of a SQLite ``-wal`` SQLite itself will apply, and why the rest would be lost.

Why this module: SQLite reads a write-ahead log frame by frame and stops, without a word, at
the first frame whose salts or running checksum do not match, and it applies frames only up to
the last *commit* frame before that point. That is right for a database that crashed mid-write,
and wrong to accept silently for evidence: a ``-wal`` cut short by a copy, or damaged part way,
reads as a database with fewer rows and no error (measured: a WhatsApp ``msgstore.db`` that had
never checkpointed, its ``-wal`` cut to two thirds, read as 0 messages). So the log is walked here
the way SQLite walks it (https://www.sqlite.org/fileformat2.html#walformat), and
:func:`refusal` turns a cut or a damaged frame into a clear error, while :func:`notes` states what
a whole, sound log leaves out on purpose (an uncommitted transaction, frames from before the log
was last restarted).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

HEADER: Final = 32
FRAME_HEADER: Final = 24
MAGIC_LE: Final = 0x377F0682
MAGIC_BE: Final = 0x377F0683
MASK: Final = 0xFFFFFFFF


@dataclass(frozen=True)
class WalScan:
    """One ``-wal`` walked as SQLite walks it. Frame numbers count from 1."""

    path: Path
    size: int
    page_size: int
    frames: int
    """Whole frames in the file."""
    tail_bytes: int
    """Bytes after the last whole frame: a frame cut part way (SQLite never writes one short)."""
    valid: int
    """Frames in an unbroken chain of this log's salts and running checksum, from the first."""
    applied: int
    """Frames SQLite applies: up to and including the last commit frame among the valid ones."""
    broken_at: int | None
    """The first frame of this log's salts whose checksum fails, when a commit frame of these salts follows it."""
    later_commits: int
    """Commit frames of this log's salts after ``broken_at`` (transactions SQLite would not read)."""
    uncommitted: int
    """Valid frames after the last commit: a transaction never committed (the app was writing)."""
    older: int
    """Frames after the valid chain with other salts: left from before the log was last restarted."""


def _checksum(data: bytes, big_endian: bool, s1: int, s2: int) -> tuple[int, int]:
    """SQLite's WAL checksum of ``data`` (a multiple of 8 bytes), continued from (s1, s2)."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & MASK
        s2 = (s2 + words[i + 1] + s1) & MASK
    return s1, s2


@cache
def _powers(pairs: int) -> tuple[npt.NDArray[np.uint64], tuple[int, int, int, int]]:
    """M^(pairs-1-k) for each pair k, and M^pairs, where M = [[1, 1], [1, 2]] is one step of the checksum."""
    step = np.array([[1, 1], [1, 2]], dtype=np.uint64)
    powers = np.empty((pairs + 1, 2, 2), dtype=np.uint64)
    powers[0] = np.eye(2, dtype=np.uint64)
    for i in range(1, pairs + 1):
        powers[i] = powers[i - 1] @ step  # (wraps mod 2**64, which keeps every value mod 2**32)
    last = powers[pairs]
    return powers[pairs - 1::-1].copy(), (int(last[0, 0]), int(last[0, 1]), int(last[1, 0]), int(last[1, 1]))


def _checksum_fast(data: bytes, big_endian: bool, s1: int, s2: int) -> tuple[int, int]:
    """:func:`_checksum` (the plain rule, held equal by tests/test_sqlite_wal_damage.py) as one sum of
    products: each step is (s1, s2) -> M (s1, s2) + (a, a + b), linear mod 2**32, so a page's checksum
    is M^n (s1, s2) plus each pair's input times a power of M. A 12 MB log (2,980 frames) is walked in
    0.031-0.033 CPU-s against 0.21-0.22 with the plain rule (best of 5, 3 interleaved rounds, load 13)."""
    words = np.frombuffer(data, dtype=">u4" if big_endian else "<u4").astype(np.uint64)
    a, b = words[0::2], words[1::2]
    q, (p00, p01, p10, p11) = _powers(len(a))
    u1 = a + b
    t0 = int((q[:, 0, 0] * a + q[:, 0, 1] * u1).sum(dtype=np.uint64))
    t1 = int((q[:, 1, 0] * a + q[:, 1, 1] * u1).sum(dtype=np.uint64))
    return (p00 * s1 + p01 * s2 + t0) & MASK, (p10 * s1 + p11 * s2 + t1) & MASK


def scan(path: Path) -> WalScan | None:
    """``path`` walked frame by frame (one frame in memory at a time); None when its header is not a WAL
    header SQLite would use (SQLite then ignores the whole file, as :func:`parsers._sqlite.companions` does)."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(HEADER)
        if len(head) < HEADER:
            return None
        magic, _version, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", head)
        if magic not in (MAGIC_LE, MAGIC_BE) or page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
            return None
        big = magic == MAGIC_BE
        if _checksum(head[:24], big, 0, 0) != (c1, c2):
            return None  # SQLite treats a log whose header fails its checksum as empty
        step = FRAME_HEADER + page_size
        frames, tail = divmod(size - HEADER, step)
        s1, s2 = c1, c2
        valid = applied = same_salts = later_commits = 0
        chain = True
        for n in range(frames):
            frame = fh.read(step)
            if len(frame) < step:  # (the file shrank while read: what is left is a cut)
                frames, tail = n, len(frame)
                break
            _page, commit, f1, f2, k1, k2 = struct.unpack(">6I", frame[:FRAME_HEADER])
            if chain:
                if (f1, f2) == (salt1, salt2):
                    s1, s2 = _checksum(frame[:8], big, s1, s2)
                    s1, s2 = _checksum_fast(frame[FRAME_HEADER:], big, s1, s2)
                    if (s1, s2) == (k1, k2):
                        valid = n + 1
                        applied = valid if commit else applied
                        continue
                chain = False
            if (f1, f2) == (salt1, salt2):
                same_salts += 1
                later_commits += bool(commit)
    return WalScan(path=path, size=size, page_size=page_size, frames=frames, tail_bytes=tail, valid=valid,
                   applied=applied, broken_at=valid + 1 if later_commits else None, later_commits=later_commits,
                   uncommitted=valid - applied, older=frames - valid - same_salts)


def refusal(wal: WalScan) -> str | None:
    """Why reading the database with this log would silently lose records (None: it would not)."""
    kept = ((f"SQLite would apply only its first {wal.applied} of {wal.frames} frames (to its last commit before that "
             "point)" if wal.applied else "SQLite would apply none of it")
            + " and drop the rest without a trace, so the read would be short")
    if wal.tail_bytes:
        return (f"its -wal is cut: {wal.path.name} has {wal.size} bytes, which ends {wal.tail_bytes} bytes into "
                f"frame {wal.frames + 1} ({wal.page_size}-byte pages); {kept}; acquire a complete copy of the database "
                "with its -wal")
    if wal.broken_at is not None:
        return (f"its -wal is damaged: frame {wal.broken_at} of {wal.path.name} fails its checksum, and "
                f"{wal.later_commits} committed transaction(s) follow it; {kept}; acquire the files again, or "
                "recover what can be read on a working copy and ingest that as its own exhibit, stating the method")
    return None


def notes(wal: WalScan) -> list[str]:
    """What a whole, sound log leaves out by design, for the source's assumptions."""
    out = []
    if wal.uncommitted:
        out.append(f"the last {wal.uncommitted} frame(s) of {wal.path.name} are a transaction that was never committed "
                   "(the app was writing when the files were copied): not read, as the app itself would not read them")
    if wal.older:
        out.append(f"{wal.older} frame(s) of {wal.path.name} are left from before the log was last restarted (older "
                   "salts): SQLite does not apply them, so they are not read; they may hold earlier versions of pages")
    return out
