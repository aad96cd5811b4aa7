"""Writing results for people (rich tables) and machines (stable JSON).

Every command module imports this at its top, so rich is imported only when something
is printed (start-up, see :mod:`atlas.cli`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):  # a path kept as bytes: shown with what is not UTF-8 escaped
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def as_of_date(value: str | None) -> date | None:
    """``--as-of YYYY-MM-DD`` as a date (None when not given); a bad value is a one-line error."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        from atlas.errors import AtlasError

        raise AtlasError(f"--as-of {value!r} is not a date (YYYY-MM-DD, e.g. 2026-11-22)") from exc


def dumps(data: Any) -> str:
    """Deterministic JSON: sorted keys, ISO dates, UTF-8 kept readable."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_default)


def uk_time(iso: str | None) -> str:
    """A time the ledger stores in ISO 8601 (UTC) as people read it: ``06/12/2026 09:08 GMT``.
    Text that is not an ISO time is shown as stored."""
    from atlas.normalise.times import uk_display

    try:
        return uk_display(datetime.fromisoformat(iso or "")) or (iso or "")
    except ValueError:
        return iso or ""


def link_line(case: Any, link: Any) -> str:
    """One identity-link decision as a person reads it: both sides named as in the reports (a party
    by its name and role, never ``party:suspect``; a display name by the exhibit that shows it, never a
    source's hex id), the
    basis, who decided and when in UK time."""
    from atlas.decisions.naming import handle_said, headed, link_name
    from atlas.exhibits import case_parties, source_refs

    name = headed(link_name(source_refs(case), case_parties(case), link.a, link.b))
    return (f"{name} ({link.basis}, {link.strength}) {link.status} by {link.decided_by} at "
            f"{uk_time(link.decided_at)} {handle_said(link.link_id)}")


def print_json(data: Any) -> None:
    sys.stdout.write(dumps(data) + "\n")


def console(stderr: bool = False, *, markup: bool = True) -> Console:
    """The command line's console. ``markup=False`` for a line that carries the case's or an officer's
    words (a note, a place, an impact entry, a basis): as Rich markup, "[deleted]" or "[redacted]" in
    them vanished and "[/]" stopped the command."""
    from rich.console import Console

    # emoji=False: Rich would turn ":id:" in an identifier (snapchat:id:7f3e…) into an emoji
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False, markup=markup)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None,
                markup: bool = False) -> None:
    """A table of the case's data. Cells, the title and the caption are plain text: a message's "[deleted]"
    or "[/]", or a case reference's, is shown as written (as Rich markup it vanished, or stopped the
    command). A caller that styles cells itself, escaping every piece of data, passes ``markup=True``
    (cells only); a :class:`rich.text.Text` cell is always shown as it is."""
    from rich.table import Table
    from rich.text import Text

    def cell(v: object) -> Text:
        if isinstance(v, Text):
            return v
        text = "" if v is None else str(v)
        return Text.from_markup(text, emoji=False) if markup else Text(text)

    # the title and caption carry the case's words too (a case reference, a file's path): never markup
    table = Table(title=Text(title, style="table.title"),
                  caption=None if caption is None else Text(caption, style="table.caption"), show_lines=False,
                  title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    console().print(table)


def add_stream_options(parser: argparse.ArgumentParser, stream_help: str,
                       no_stream_help: str = "read the store in memory whatever its size") -> None:
    """``--stream``/``--no-stream`` (``args.stream``: True, False, or None to let
    :func:`atlas.stream.engine_for` choose by the store's size), the same pair on every
    command that can read a case bigger than memory; ``stream_help`` says what it does there."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--stream", dest="stream", action="store_const", const=True, default=None, help=stream_help)
    group.add_argument("--no-stream", dest="stream", action="store_const", const=False, help=no_stream_help)
