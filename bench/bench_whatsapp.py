"""WhatsApp text export: Atlas's parser against whatstk on the same 100,000-message chat.

Issue target: at least 10x faster than whatstk with the same message count.

Both sides parse the same file ``ROUNDS`` x ``PER_ROUND`` times, in alternating blocks
(Atlas x3, whatstk x3, Atlas x3, whatstk x3): within a block each side runs warm, back to
back, and alternating the blocks lets a busy shared machine slow both sides alike. The
ratio is of the best times; medians are reported beside them. The first Atlas run of the
process (imports, regex compilation) counts as one of its runs, as whatstk's does.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from atlas.normalise import to_events
from bench.common import Stage, repeats, scaled
from parsers import whatsapp_text
from parsers.base import ParseContext

N = 100_000
ROUNDS = 3
PER_ROUND = 3
REPEATS = ROUNDS * PER_ROUND


def write_chat(path: Path, n: int = N, seed: int = 7) -> None:
    rng = random.Random(seed)
    t = datetime(2025, 1, 1, 8, 0)
    authors = ["Alice Example", "Dan", "+44 7700 900123"]
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor"]
    lines = []
    for i in range(n):
        t += timedelta(seconds=rng.randrange(20, 400))
        body = " ".join(rng.choice(words) for _ in range(rng.randrange(2, 14)))
        if i % 50 == 0:
            body += "\n" + " ".join(rng.choice(words) for _ in range(5))
        lines.append(f"{t:%d/%m/%Y}, {t:%H:%M} - {rng.choice(authors)}: {body}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _timed(run: Callable[[], int]) -> tuple[float, int]:
    t = time.perf_counter()
    count = run()
    return time.perf_counter() - t, count


def run(work: Path) -> dict[str, object]:
    chat = work / "chat.txt"
    n = scaled(N, 500)
    rounds, per_round = repeats(ROUNDS), repeats(PER_ROUND)
    write_chat(chat, n)
    ctx = ParseContext(source_id="bench", path=chat)

    def atlas() -> int:
        result = whatsapp_text.parse(chat, ctx)
        return to_events(result.events, source_id="bench", timezone="Europe/London", region="GB",
                         identifiers_are_uris=result.identifiers_are_uris, refs_unique=result.refs_unique).events.height

    try:
        from whatstk import df_from_whatsapp
    except ImportError:
        times = [_timed(atlas) for _ in range(rounds * per_round)]
        return {"messages": n, "repeats": rounds * per_round, "atlas_s": round(min(t for t, _ in times), 3),
                "atlas_events": times[-1][1], "whatstk": "not installed (pip install '.[bench]')", "stages": []}

    def reference() -> int:
        return len(df_from_whatsapp(str(chat), hformat="%d/%m/%Y, %H:%M - %name:"))

    atlas_runs: list[tuple[float, int]] = []
    whatstk_runs: list[tuple[float, int]] = []
    for _ in range(rounds):
        atlas_runs += [_timed(atlas) for _ in range(per_round)]
        whatstk_runs += [_timed(reference) for _ in range(per_round)]
    atlas_s = min(t for t, _ in atlas_runs)
    whatstk_s = min(t for t, _ in whatstk_runs)
    atlas_median = statistics.median(t for t, _ in atlas_runs)
    whatstk_median = statistics.median(t for t, _ in whatstk_runs)
    events = {count for _, count in atlas_runs}
    messages = {count for _, count in whatstk_runs}
    return {
        "messages": n, "repeats": rounds * per_round,
        "what": "parse + shared normalisation (identifiers, times to UTC) against whatstk's parse; "
                f"best of {rounds * per_round} runs each side, in alternating blocks of {per_round}",
        "atlas_s": round(atlas_s, 3), "atlas_median_s": round(atlas_median, 3), "atlas_events": atlas_runs[-1][1],
        "whatstk_s": round(whatstk_s, 3), "whatstk_median_s": round(whatstk_median, 3), "whatstk_messages": whatstk_runs[-1][1],
        "speedup": round(whatstk_s / atlas_s, 1), "median_speedup": round(whatstk_median / atlas_median, 1),
        "target_speedup": 10,
        "same_count": events == messages == {n},  # every run, both sides
        "stages": [Stage("WhatsApp text export parse + normalise", atlas_s, "whatstk's parse of the same file (best of each)",
                         whatstk_s, records=n, target_ratio=0.1, note="target: 10x faster").as_dict()],
    }
