"""The ``atlas`` command line: every step scriptable, ``--json`` for machines.

Each sub-command is one module in :mod:`atlas.cli.commands` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; they are found, not listed, so a
new command is a new file. Errors a user can fix are one line and exit status 2;
``--debug`` shows the traceback.

Start-up is kept light because every command pays it (issue 18): ``atlas --help``
imports every command module to list them, so a command module imports only the
standard library, :mod:`atlas.cli.output` and :mod:`atlas.errors` at its top, and the
heavy things (Polars and the analysis stack, parsers, bokeh, textual, docx,
matplotlib) inside ``run()``. Only the chosen command's ``add_arguments`` is called, so
it may import what its choices need. ``tests/test_startup.py`` holds every command to
this by the modules ``atlas --help`` and ``atlas formats`` leave imported.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from atlas import __version__
from atlas.errors import AtlasError


def _commands() -> list[ModuleType]:
    from atlas.cli import commands

    found = []
    for mod in pkgutil.iter_modules(commands.__path__):
        if not mod.name.startswith("_"):
            found.append(importlib.import_module(f"atlas.cli.commands.{mod.name}"))
    return sorted(found, key=lambda m: getattr(m, "ORDER", 50))


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv``: the first word that is not a top-level option."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(only: str | None = "*") -> argparse.ArgumentParser:
    """The parser; sub-commands' own arguments are added for ``only`` (``"*"``: all)."""
    parser = argparse.ArgumentParser(
        prog="atlas",
        description="Atlas: offline digital-evidence timeline analysis for stalking investigations.",
        epilog="Decision support, not legal advice. Nothing is sent over the network.",
    )
    parser.add_argument("--version", action="version", version=f"atlas {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on error")
    parser.add_argument("--officer", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _commands():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__)
        # SUPPRESS: a sub-command's own default must not undo `atlas --debug COMMAND`.
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        p.add_argument("--officer", default=argparse.SUPPRESS, metavar='"RANK COLLAR NAME"',
                       help="who is deciding, when not the officer of case.toml (e.g. \"DS 5678 B. Reviewer\"); "
                            "recorded with every decision and audit entry")
        if only in ("*", module.NAME):
            module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def one_line(exc: BaseException) -> str:
    """An error as one line: messages quoting library errors may span several."""
    from atlas.source_walk import shown

    return shown(" ".join(line.strip() for line in str(exc).splitlines() if line.strip()))


def main(argv: Sequence[str] | None = None) -> int:
    from atlas.permissions import owner_only

    owner_only()  # everything this process writes is owner-only, whatever the umask it started with
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=chosen_command(words))
    args = parser.parse_args(words)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    if not args.debug:
        # A Rust panic prints its message only. With a backtrace (RUST_BACKTRACE=1, often set
        # by developers' shells), a Polars worker that panicked because an allocation failed
        # symbolises the backtrace, which allocates, fails again, and the allocation-failure hook
        # then waits for the backtrace lock its own thread holds: the process hangs for ever
        # instead of ending (found by the hostile sweep at its full sizes). Without one, the
        # panic reaches Python as a PanicException and the boundary below ends the process.
        os.environ["RUST_BACKTRACE"] = "0"
    from atlas.session import SESSION_OFFICER

    token = SESSION_OFFICER.set(getattr(args, "officer", None))
    try:
        return int(args._run(args) or 0)
    except (AtlasError, OSError) as exc:
        if args.debug:
            raise
        print(f"atlas: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("atlas: interrupted; the case store is unchanged by the interrupted step", file=sys.stderr)
        return 130
    except BaseException as exc:  # the last boundary: a bug is one line naming the place, never a traceback
        if args.debug or (not isinstance(exc, Exception) and type(exc).__name__ != "PanicException"):
            raise  # SystemExit, GeneratorExit ... pass; a Rust panic (a BaseException) is a bug like any other
        from atlas.errors import describe_failure

        print(f"atlas: internal error: {describe_failure(exc)}; run with --debug for the traceback", file=sys.stderr)
        return 70
    finally:
        SESSION_OFFICER.reset(token)


if __name__ == "__main__":
    sys.exit(main())
