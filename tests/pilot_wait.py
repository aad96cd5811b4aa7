"""Waiting in Pilot tests: for a condition, never for a fixed time.

``make test`` runs on two pytest-xdist workers beside other work, so a fixed ``pilot.pause(0.3)`` that was long enough
on an idle machine is too short under load, and the test reads a screen that is still being built (a flaky failure
that says nothing of the workbench). Every Pilot test waits with :func:`until` for what it needs (the screen shown,
focus, a widget's text, a worker finished), on the clock with a timeout, and a timeout fails naming what was awaited
and what the app showed. A bare ``await pilot.pause()`` (no delay: let queued messages run) is fine where it is enough.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerState

POLL = 0.05
"""Seconds between two looks at the condition (the app's messages run in between)."""
TIMEOUT = 60.0
"""Seconds before a wait fails: an analysis of the test case takes about 2 s idle, 10-15 s at load 12."""


def _said(ok: Callable[[], object]) -> str:
    """The condition's own source text (a lambda's line), for the failure message."""
    try:
        return " ".join(inspect.getsource(ok).split())
    except (OSError, TypeError):
        return repr(ok)


def _state(pilot: Pilot[None]) -> str:
    app = pilot.app
    focused = app.focused
    running = [w.name or w.group for w in app.screen.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
    return (f"screen {type(app.screen).__name__} (mode {app.current_mode!r}), focused "
            f"{type(focused).__name__ + '#' + str(focused.id) if focused is not None else 'nothing'}, "
            f"workers running {running or 'none'}")


async def until(pilot: Pilot[None], ok: Callable[[], object], what: str = "", timeout: float = TIMEOUT) -> None:
    """Let the app run until ``ok()`` is true; fail after ``timeout`` seconds (wall clock, however slow the
    machine), naming ``what`` (or the condition's source), the app's state and the last error the condition raised
    (a widget being rebuilt may raise while it is queried: that counts as not yet)."""
    deadline = time.monotonic() + timeout
    error: Exception | None = None
    while True:
        await pilot.pause(POLL)
        try:
            if ok():
                return
            error = None
        except Exception as exc:  # the widget is being rebuilt, or not mounted yet
            error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what or _said(ok)}; {_state(pilot)}"
                                 + (f"; the condition last raised {type(error).__name__}: {error}" if error else ""))


def workers_done(pilot: Pilot[None]) -> bool:
    """Whether the screen shown has no worker pending or running (its tables and headline are filled)."""
    return not [w for w in pilot.app.screen.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]


async def settled(pilot: Pilot[None], what: str = "the screen's workers to finish", timeout: float = TIMEOUT) -> None:
    """Wait until the screen's workers have finished and what they posted has been handled and drawn: for a test
    that reads the screen as drawn (a screenshot's text, a widget's region) once its content is in."""
    await until(pilot, lambda: workers_done(pilot), what, timeout)
    await pilot.pause()  # the messages the workers posted (call_from_thread), then the refresh they asked for
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def kept_messages(app: App[Any]) -> list[str]:
    """Every message the app shows from now on, kept: a notification leaves ``app._notifications`` when its timeout
    (8-10 s) is up, and under load a test's next step can take longer than that."""
    said: list[str] = []
    real = app.notify

    def notify(message: Any, *args: Any, **kwargs: Any) -> None:
        said.append(str(message))
        real(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return said
