"""Generated scenarios shared by the test session: the same (scenario, seed, scale) is generated once.

Several modules seed their inputs from the generator's small cases (``generate(name, 1, 0.02, ...)``:
the hostile sweep, the fuzz seeds, the record and JSON-value bounds, the report scenarios). The
generator is deterministic and writes no path of its own into the case, so a copy of one generation
is the same bytes as a generation in place (tests/test_generator.py holds it deterministic). Every
caller gets its own copy: a test may change or ingest into it without touching another's.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path


@functools.cache
def _master(scenario: str, seed: int, scale: float) -> Path:
    from fixtures.generate import generate

    root = Path(tempfile.mkdtemp(prefix="atlas-generated-"))
    atexit.register(shutil.rmtree, root, True)
    generate(scenario, seed, scale, root / "case")
    return root / "case"


def generate_copy(scenario: str, seed: int, scale: float, out: Path) -> Path:
    """What ``fixtures.generate.generate(scenario, seed, scale, out)`` writes, copied from the session's one
    generation of it; ``out`` must be empty or absent, as for ``generate``. Returns ``out``."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: not empty; refusing to mix a generated case with other files")
    shutil.copytree(_master(scenario, seed, scale), out, dirs_exist_ok=True)
    return out
