"""Start-up: ``atlas --help`` and ``atlas formats`` as whole processes, against
``python -c "import polars"`` in the same run (issue 18 target: within 1.3×).

Every command pays start-up before it does anything, so the listing commands import no
parser, no Polars and no analysis stack (``tests/test_startup.py`` checks which modules
they import; this measures the time). The three commands run interleaved, ``RUNS``
times each, and the medians are compared; the installed ``atlas`` script is used when
there is one (what an investigator types), else ``python -m atlas``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.common import Stage, median, repeats, whole_process_seconds

RUNS = 9
TARGET = 1.3


def atlas_command() -> list[str]:
    script = Path(sys.executable).with_name("atlas")
    return [str(script)] if script.exists() else [sys.executable, "-m", "atlas"]


def run(work: Path) -> dict[str, object]:
    runs = repeats(RUNS)
    atlas = atlas_command()
    reference = [sys.executable, "-c", "import polars"]
    polars_s, help_s, formats_s = (median(t) for t in whole_process_seconds(
        [reference, [*atlas, "--help"], [*atlas, "formats"]], runs))
    what = f'python -c "import polars" (median of {runs} whole-process runs, interleaved)'
    stages = [
        Stage("startup: atlas --help", help_s, what, polars_s, target_ratio=TARGET),
        Stage("startup: atlas formats", formats_s, what, polars_s, target_ratio=TARGET),
    ]
    return {"runs": runs, "command": " ".join(atlas), "stages": [s.as_dict() for s in stages]}


if __name__ == "__main__":
    import tempfile

    from bench.common import dump

    with tempfile.TemporaryDirectory() as d:
        print(dump(run(Path(d))))
