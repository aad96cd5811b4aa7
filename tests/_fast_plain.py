"""What the parsers' fast-equals-plain tests share: loading a test module by name (its own
test functions are re-run with the plain rule patched in) and the comparison of two parse
results, every frame, extra table, assumption and stated fact."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from parsers.base import ParseResult

HERE = Path(__file__).resolve().parent


def load_test_module(name: str) -> Any:
    """The test module ``tests/<name>.py``, imported once (the same object pytest collected)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module




def assert_identical(fast: ParseResult, plain: ParseResult) -> None:
    for what in ("events", "rejects", "evidence"):
        a, b = getattr(fast, what), getattr(plain, what)
        if a is None or b is None:
            assert a is None and b is None, what
            continue
        assert a.schema == b.schema, what
        assert a.equals(b, null_equal=True), what
    for name in set(fast.extra) | set(plain.extra):
        assert fast.extra[name].equals(plain.extra[name], null_equal=True), name
    assert fast.assumptions == plain.assumptions
    assert (fast.records_read, fast.region, fast.owner) == (plain.records_read, plain.region, plain.owner)
