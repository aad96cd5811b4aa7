"""Errors a user can act on.

Every failure a user can cause (a bad file, a bad manifest key, an unknown format)
is raised as :class:`AtlasError` with a message that names the file and the place,
so the CLI can print one clear line instead of a traceback.
"""

from __future__ import annotations


class AtlasError(Exception):
    """A problem with the user's input or case that they can fix."""


class ManifestError(AtlasError):
    """``case.toml`` is missing, malformed, or has an unknown key or bad value."""


class FormatError(AtlasError):
    """A source file is not in the format its parser expects, or in none we know."""


class StoreError(AtlasError):
    """The case store is missing, inconsistent, or its sources have changed."""
