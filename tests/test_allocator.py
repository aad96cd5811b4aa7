"""Polars' allocator setting (atlas.allocator): the variable Polars' jemalloc reads, a value it
accepts, set by the command line before Polars loads, and never over a user's own."""

from __future__ import annotations

import os
import subprocess
import sys

from atlas import allocator


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != allocator.ENV}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=clean | env,
                          check=False)


def test_polars_reads_the_variable_and_accepts_the_setting() -> None:
    """``abort_conf:true`` makes jemalloc abort on an option it does not know: so a wrong
    variable name (never read) or a wrong option (rejected) cannot pass unnoticed."""
    use = "import polars; print(polars.Series(range(10)).sum())"
    bogus = _python(use, **{allocator.ENV: "abort_conf:true,no_such_option:1"})
    assert bogus.returncode != 0 and "no_such_option" in bogus.stderr  # the variable is read
    ours = _python(use, **{allocator.ENV: f"abort_conf:true,{allocator.SETTING}"})
    assert ours.returncode == 0 and ours.stdout.strip() == "45", ours.stderr  # and our options are valid


def test_the_command_line_sets_it_before_polars_loads_and_keeps_a_users_own() -> None:
    """Polars' own ``__init__`` puts its defaults (a short decay, its fix for memory not given back,
    pola-rs/polars#18088) before any value already set, so a value set first is the one jemalloc
    keeps (a later option of the same name wins)."""
    probe = ("import os, sys; from atlas.cli import main; main(['formats', '--json']); "
             f"print(os.environ.get({allocator.ENV!r}), file=sys.stderr); import polars; "
             f"print(os.environ.get({allocator.ENV!r}), file=sys.stderr)")
    run = _python(probe)
    assert run.returncode == 0, run.stderr
    before, after = run.stderr.strip().splitlines()[-2:]
    assert before == allocator.SETTING
    assert after.endswith("," + allocator.SETTING)  # Polars' defaults first, ours last: ours apply
    own = _python(probe, **{allocator.ENV: "dirty_decay_ms:1000"})
    assert own.stderr.strip().splitlines()[-2] == "dirty_decay_ms:1000"


def test_apply_does_nothing_once_polars_is_loaded() -> None:
    """jemalloc has read its options by then: a later value would be ignored, silently."""
    run = _python("import polars, os; from atlas import allocator; "
                  f"print(allocator.apply(), os.environ.get({allocator.ENV!r}))")
    applied, value = run.stdout.split()
    assert applied == "False" and allocator.SETTING not in value  # Polars' own defaults, untouched
    assert allocator.settings({allocator.ENV: "x"}) == {}
    assert allocator.settings({}) == {allocator.ENV: allocator.SETTING}
