"""Files an operating system or an archiver leaves in a folder, which hold no evidence
Atlas reads: macOS's ``.DS_Store`` and ``._`` AppleDouble files (its zip tool writes them
into a ``__MACOSX`` folder, which is walked like any other: anything there that is not an
AppleDouble file is read), its search index and file-event folders, Windows's
``Thumbs.db`` and ``desktop.ini``. A trash or recycle bin is *not* in the table: deleted
files are evidence, so it is walked (or, hidden, listed for a person to look at).

A download copied or zipped on one of these machines carries them. They are listed as not
read, like every other entry, but not as something a person must look at (the exit status
stays 0), so the real "look at this" lines are not buried. Any other hidden file is not
known litter: it is listed as one a person must look at. The table is by exact name:
a file merely *called* like one of these is still listed by name and reason.
"""

from __future__ import annotations

_BY_NAME = {
    ".DS_Store": "macOS folder view settings (.DS_Store)",
    ".localized": "macOS folder name translation marker (.localized)",
    "Thumbs.db": "Windows thumbnail cache (Thumbs.db; Atlas reads no images)",
    "ehthumbs.db": "Windows Media Center thumbnail cache (ehthumbs.db)",
    "desktop.ini": "Windows folder view settings (desktop.ini)",
    "Desktop.ini": "Windows folder view settings (Desktop.ini)",
}
_FOLDERS = {
    ".Spotlight-V100": "macOS search index folder (.Spotlight-V100)",
    ".fseventsd": "macOS file-event log folder (.fseventsd)",
    ".TemporaryItems": "macOS temporary items folder (.TemporaryItems)",
}


def system_file(name: str, is_folder: bool) -> str | None:
    """What an operating system's file or folder of this exact ``name`` is, or None."""
    if is_folder:
        return _FOLDERS.get(name)
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith("._") and len(name) > 2:
        return f"macOS AppleDouble file ({name}: the resource fork and attributes of {name[2:]})"
    return None
