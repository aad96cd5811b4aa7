"""What one run of ``atlas`` was told on its command line that every layer needs, kept in a
light module: the CLI sets it before any command module's heavy imports (start-up stays
light, ``tests/test_startup.py``)."""

from __future__ import annotations

from contextvars import ContextVar

SESSION_OFFICER: ContextVar[str | None] = ContextVar("atlas_session_officer", default=None)
"""``--officer`` of this run (None: the officer of case.toml), read by
:func:`atlas.store.officer.current_officer`."""
