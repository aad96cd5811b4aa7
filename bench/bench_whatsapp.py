"""WhatsApp text export: Atlas's parser against whatstk on the same 100,000-message chat.

Issue target: at least 10x faster than whatstk with the same message count.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from atlas.normalise import to_events
from parsers import whatsapp_text
from parsers.base import ParseContext

N = 100_000
REPEATS = 3


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


def run(work: Path) -> dict[str, object]:
    chat = work / "chat.txt"
    write_chat(chat)
    ctx = ParseContext(source_id="bench", path=chat)
    atlas_runs = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        result = whatsapp_text.parse(chat, ctx)
        events = to_events(result.events, source_id="bench", timezone="Europe/London", region="GB").events
        atlas_runs.append(time.perf_counter() - t)
    atlas_s = min(atlas_runs)
    out: dict[str, object] = {"messages": N, "repeats": REPEATS, "atlas_s": round(atlas_s, 3), "atlas_events": events.height,
                              "what": "parse + shared normalisation (identifiers, times to UTC), best of the repeats"}
    try:
        from whatstk import df_from_whatsapp
    except ImportError:
        out["whatstk"] = "not installed (pip install '.[bench]')"
        return out
    whatstk_runs = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        df = df_from_whatsapp(str(chat), hformat="%d/%m/%Y, %H:%M - %name:")
        whatstk_runs.append(time.perf_counter() - t)
    whatstk_s = min(whatstk_runs)
    out |= {"whatstk_s": round(whatstk_s, 3), "whatstk_messages": len(df),
            "speedup": round(whatstk_s / atlas_s, 1), "target_speedup": 10,
            "same_count": len(df) == events.height}
    return out
