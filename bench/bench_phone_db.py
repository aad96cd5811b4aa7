"""Phone databases at handset scale: a 500 k-SMS ``mmssms.db`` and a 200 k-message iOS ``sms.db``.

A heavy user's handset holds hundreds of thousands of texts. Measured: parse time
(Atlas's parser, Polars over whole columns) against the bare cost of reading the same
rows with ``sqlite3`` in Python (the floor any SQLite reader pays), in the same run,
and the ingest (parse + normalise + commit). The iOS database has half its texts only
in ``attributedBody`` (as iOS 16 writes many), so the archive decoding is included.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from atlas.cli import main
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from bench.common import Stage, scaled
from fixtures.writers._phone_common import build_sqlite, typedstream_blob
from fixtures.writers.android_phone import MMSSMS_DDL
from fixtures.writers.ios_phone import SMS_DDL
from parsers import android_mmssms, ios_sms
from parsers.base import ParseContext

N_SMS = 500_000
N_IMESSAGE = 200_000


def _android(path: Path, n: int = N_SMS) -> None:
    rows = [(i + 1, 1 + i % 300, f"+4477009{i % 300:05d}", 1_760_000_000_000 + i * 60_000, 1 + i % 2, f"message {i}")
            for i in range(n)]
    build_sqlite(path, MMSSMS_DDL, [("INSERT INTO sms (_id, thread_id, address, date, type, body) VALUES (?, ?, ?, ?, ?, ?)", rows)])


def _ios(path: Path, n: int = N_IMESSAGE) -> None:
    handles = [(h + 1, f"+4477009{h:05d}", "gb", "iMessage") for h in range(300)]
    rows = [(i + 1, f"guid-{i}", None if i % 2 else f"text {i}", typedstream_blob(f"text {i}"), 1 + i % 300, "iMessage",
             (780_000_000 + i * 60) * 1_000_000_000, i % 2) for i in range(n)]
    build_sqlite(path, SMS_DDL, [
        ("INSERT INTO handle (ROWID, id, country, service) VALUES (?, ?, ?, ?)", handles),
        ("INSERT INTO chat (ROWID, guid, chat_identifier, service_name) VALUES (?, ?, ?, 'iMessage')",
         [(h, f"iMessage;-;{n}", n) for h, n, _, _ in handles]),
        ("INSERT INTO chat_handle_join (chat_id, handle_id) VALUES (?, ?)", [(h, h) for h, _, _, _ in handles]),
        ("INSERT INTO message (ROWID, guid, text, attributedBody, handle_id, service, date, is_from_me) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows),
        ("INSERT INTO chat_message_join (chat_id, message_id) VALUES (?, ?)", [(1 + i % 300, i + 1) for i in range(n)]),
    ])


def _floor(path: Path, query: str) -> float:
    t = time.perf_counter()
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    con.execute(query).fetchall()
    con.close()
    return time.perf_counter() - t


def run(work: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    stages: list[dict[str, object]] = []
    for name, build, module, query, n in (
        ("android_mmssms", _android, android_mmssms, "SELECT * FROM sms", scaled(N_SMS, 500)),
        ("ios_sms", _ios, ios_sms, "SELECT * FROM message", scaled(N_IMESSAGE, 200)),
    ):
        path = work / f"{name}.db"
        t = time.perf_counter()
        build(path, n)
        built = time.perf_counter() - t
        floor = _floor(path, query)
        t = time.perf_counter()
        result = module.parse(path, ParseContext(source_id="bench", path=path, owner="tel:+447700900001"))
        parse_s = time.perf_counter() - t
        assert result.events.height == n
        out[name] = {"rows": n, "build_s": round(built, 2), "sqlite_fetchall_s": round(floor, 2),
                     "parse_s": round(parse_s, 2), "parse_over_fetchall": round(parse_s / floor, 2),
                     "rows_per_s": int(n / parse_s)}
        stages.append(Stage(f"{name} parse", parse_s, f"bare sqlite3 {query} fetchall (same file)", floor,
                            records=n, target_ratio=1.5).as_dict())
    out["stages"] = stages
    out["ingest_android_mmssms_s"] = _ingest(work, work / "android_mmssms.db")
    return out


def _ingest(work: Path, path: Path) -> float:
    case_dir = work / "case"
    main(["init", str(case_dir)])
    t = time.perf_counter()
    ingest(Case.open(case_dir), [path], IngestOptions(format="android-mmssms", owner="tel:+447700900001"))
    return round(time.perf_counter() - t, 2)
