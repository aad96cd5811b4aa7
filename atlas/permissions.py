"""Everything Atlas writes is readable by its owner only: folders 0700, files 0600.

A case holds victims' messages and locations. On a shared workstation or server the
usual umask (022) would leave every file Atlas writes readable by every other account.
Atlas narrows the process's umask to 077 when the command line starts and when a case
is opened or created, so that every file and folder it creates afterwards (Parquet
partitions, the SQLite database and its journals, reports, exports, the demo) is
owner-only whatever the umask it was started with; a worker process started from it
(``atlas batch``) inherits the same umask. A case folder Atlas is asked to create in a
folder that already exists is narrowed to 0700 itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

OWNER_ONLY_UMASK: Final = 0o077
FOLDER_MODE: Final = 0o700
FILE_MODE: Final = 0o600


def owner_only() -> None:
    """Narrow this process's umask so new files are 0600 and new folders 0700 (idempotent)."""
    old = os.umask(OWNER_ONLY_UMASK)
    if old | OWNER_ONLY_UMASK != OWNER_ONLY_UMASK:
        os.umask(old | OWNER_ONLY_UMASK)  # keep anything stricter the user asked for


def restrict_folder(path: Path) -> None:
    """Make a folder Atlas owns (a case folder) 0700, whoever created it."""
    if path.is_dir() and not path.is_symlink():
        path.chmod(FOLDER_MODE)


def loose_entries(root: Path) -> list[tuple[Path, str]]:
    """Files and folders under ``root`` that someone other than the owner can read, write or enter."""
    out: list[tuple[Path, str]] = []
    for path in [root, *sorted(root.rglob("*"))]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & 0o077:
            out.append((path, oct(stat.S_IMODE(mode))))
    return out
