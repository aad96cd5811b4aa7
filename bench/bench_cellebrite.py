"""Cellebrite report.xml: a ~1 GB synthetic report streamed in bounded memory.

Issue 4 target: a 1 GB ``report.xml`` parses with peak RSS under 1 GB. The report is
written here (streamed, in the element layout of ``fixtures/writers/cellebrite_xml``:
chats of WhatsApp messages, SMS, calls, locations, plus ``taggedFiles`` and
``extraInfos`` the parser must release without reading), then parsed and normalised
(``to_events``, as an ingest does) in a child process, which reports its own peak RSS
(``VmHWM``; not ``ru_maxrss``, which after ``exec`` can hold the parent's). ``ATLAS_BENCH_CELLEBRITE_MB`` sets the
size (default 1024).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fixtures.writers.cellebrite_xml import field, metadata, model, party, project_open, ts_field

DEFAULT_MB = 1024
CHAT_SIZE = 2_000

CHILD = """
import json, resource, sys, time
from pathlib import Path
from atlas.normalise import to_events
from parsers import cellebrite_xml
from parsers.base import ParseContext
path = Path(sys.argv[1])
t = time.perf_counter()
result = cellebrite_xml.parse(path, ParseContext(source_id="bench", path=path))
parsed = time.perf_counter() - t
events = to_events(result.events, source_id="bench", timezone="Europe/London", region=result.region or "GB").events
total = time.perf_counter() - t
try:  # this process's own high-water mark (Linux): ru_maxrss after exec can carry the parent's
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"records_read": result.records_read, "events": events.height, "rejects": result.rejects.height,
                  "parse_s": round(parsed, 2), "parse_and_normalise_s": round(total, 2),
                  "self_peak_rss_mb": round(peak_kb / 1024, 1)}))
"""


def _stamp(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds")


def write_report(path: Path, target_bytes: int, seed: int = 11) -> int:
    """Write a synthetic report of about ``target_bytes``; returns the number of records."""
    rng = random.Random(seed)
    words = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "tempor")
    numbers = [f"+4477009{n:05d}" for n in range(400)]
    t = datetime(2026, 1, 1, tzinfo=UTC)
    n_models = 0
    counter = 0

    def gid() -> str:
        nonlocal counter
        counter += 1
        return f"{counter:08x}-0000-4000-8000-{rng.getrandbits(48):012x}"

    with path.open("w", encoding="utf-8", buffering=4 << 20) as out:
        out.write(project_open("bench", gid()))
        out.write(metadata("Device Info", [("MSISDN", "+447700900001"), ("IMSI", "234100000000001")]))
        out.write("<taggedFiles>\n")
        for i in range(2000):
            out.write(f'<file id="{gid()}" fs="Data" path="/sdcard/DCIM/{i}.jpg" size="1000" deleted="Intact">'
                      f'<accessInfo><timestamp name="CreationTime">{_stamp(t)}</timestamp></accessInfo>'
                      f'<metadata section="File"><item name="Local Path"><![CDATA[files/Image/{i}.jpg]]></item></metadata></file>\n')
        out.write("</taggedFiles>\n<decodedData>\n")
        budget = target_bytes * 0.9
        kinds = (("Chat", 0.6), ("SMS", 0.2), ("Call", 0.15), ("Location", 0.05))
        cumulative = 0.0
        for kind, share in kinds:
            out.write(f'<modelType type="{kind}">\n')
            cumulative += share
            stop = budget * cumulative
            while out.tell() < stop:
                if kind == "Chat":
                    other = rng.choice(numbers)
                    jid = other.lstrip("+") + "@s.whatsapp.net"
                    out.write(f'<model type="Chat" id="{gid()}" deleted_state="Intact" decoding_confidence="High">'
                              + field("Source", "String", "WhatsApp")
                              + '<multiModelField name="Participants" type="Party">'
                              + party(gid(), "447700900001@s.whatsapp.net", None, "Me", owner=True)
                              + party(gid(), jid, None, "Them") + "</multiModelField>"
                              + '<multiModelField name="Messages" type="InstantMessage">\n')
                    for _ in range(CHAT_SIZE):
                        t += timedelta(seconds=rng.randrange(5, 300))
                        mine = rng.random() < 0.5
                        body = " ".join(rng.choice(words) for _ in range(rng.randrange(3, 25)))
                        frm = party(gid(), "447700900001@s.whatsapp.net" if mine else jid, "From", owner=mine)
                        out.write(model("InstantMessage", gid(), field("Source", "String", "WhatsApp") + ts_field(_stamp(t))
                                        + f'<modelField name="From" type="Party">{frm}</modelField>'
                                        + field("Body", "String", body) + field("Status", "String", "Sent" if mine else "Read")))
                        n_models += 1
                    out.write("</multiModelField></model>\n")
                elif kind == "SMS":
                    t += timedelta(seconds=rng.randrange(5, 300))
                    out.write(model("SMS", gid(), ts_field(_stamp(t)) + field("Folder", "String", rng.choice(("Inbox", "Sent")))
                                    + field("Body", "String", " ".join(rng.choice(words) for _ in range(12)))
                                    + '<multiModelField name="Parties" type="Party">'
                                    + party(gid(), rng.choice(numbers), "From", "Them") + "</multiModelField>"))
                    n_models += 1
                elif kind == "Call":
                    t += timedelta(seconds=rng.randrange(5, 300))
                    out.write(model("Call", gid(), field("Type", "String", rng.choice(("Incoming", "Outgoing", "Missed")))
                                    + ts_field(_stamp(t)) + field("Duration", "TimeSpan", f"00:0{rng.randrange(10)}:1{rng.randrange(10)}")
                                    + '<multiModelField name="Parties" type="Party">'
                                    + party(gid(), rng.choice(numbers), "To", "Them") + "</multiModelField>"))
                    n_models += 1
                else:
                    t += timedelta(seconds=rng.randrange(5, 300))
                    coord = model("Coordinate", gid(), field("Latitude", "Double", f"{51.5 + rng.random() / 10:.6f}")
                                  + field("Longitude", "Double", f"{-0.1 - rng.random() / 10:.6f}"), deleted="Unknown")
                    out.write(model("Location", gid(), ts_field(_stamp(t)) + field("Accuracy", "Double", "10")
                                    + f'<modelField name="Position" type="Coordinate">{coord}</modelField>'))
                    n_models += 1
            out.write("</modelType>\n")
        out.write("</decodedData>\n<extraInfos>\n")
        while out.tell() < target_bytes:
            out.write(f'<extraInfo type="model" id="{gid()}"><sourceInfo><nodeInfos><nodeInfo id="{gid()}" '
                      'name="msgstore.db" path="/data/data/com.whatsapp/databases/msgstore.db" size="1" '
                      'tableName="messages" offset="0" /></nodeInfos></sourceInfo></extraInfo>\n')
        out.write("</extraInfos>\n</project>\n")
    return n_models


def run(work: Path) -> dict[str, object]:
    size_mb = int(os.environ.get("ATLAS_BENCH_CELLEBRITE_MB", DEFAULT_MB))
    report = work / "report.xml"
    t = time.perf_counter()
    n = write_report(report, size_mb * 1024 * 1024)
    write_s = time.perf_counter() - t
    actual_mb = report.stat().st_size / (1024 * 1024)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(report)], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[1])
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    # The child's own VmHWM: Linux hands a child started from a big parent (this runner,
    # after the 2 M-row CDR bench) the parent's high-water mark in ru_maxrss, which once
    # reported 1.7 GB for a parse that peaks at 0.8 GB.
    peak_mb = float(child["self_peak_rss_mb"])
    out: dict[str, object] = {
        "report_mb": round(actual_mb, 1), "records_written": n, "write_s": round(write_s, 1), **child,
        "child_wall_s": round(wall, 2), "mb_per_s": round(actual_mb / max(child["parse_s"], 1e-9), 1),
        "peak_rss_mb": round(peak_mb, 1), "target_peak_rss_mb": 1024, "under_target": peak_mb < 1024,
    }
    return out


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="atlas-bench-cellebrite-") as d:
        print(json.dumps(run(Path(d)), indent=1))
