"""Which software produced the evidence: the installed versions, recorded with each ingest.

An analysis presented in court may have to be repeated a year later. The versions of
Atlas, Python and every library that shaped the result are recorded in each ingest's
audit row (``software``) and offered to the documents' technical annex by
:func:`installed_versions`. ``constraints.txt`` in the repository pins the same
versions for a new install (``make install`` uses it).
"""

from __future__ import annotations

import platform
import re
from functools import cache
from importlib import metadata

DISTRIBUTION = "atlas-stalking"


def _requirement_name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", spec.strip(), maxsplit=1)[0]


@cache
def installed_versions() -> dict[str, str]:
    """``{name: version}`` for Python, Atlas and each runtime dependency Atlas declares
    (the optional ``dev``/``bench`` extras are left out: they do not touch evidence).

    Names are as ``pyproject.toml`` spells them, sorted; a dependency that is not
    installed is reported as ``"not installed"`` rather than omitted.
    """
    versions: dict[str, str] = {"python": platform.python_version()}
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        from atlas import __version__

        versions["atlas"] = __version__
        return versions
    versions["atlas"] = dist.version
    for spec in dist.requires or []:
        if "extra ==" in spec:
            continue
        name = _requirement_name(spec)
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return dict(sorted(versions.items()))
