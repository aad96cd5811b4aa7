"""One record of a line-based file above its bound (parsers/_bounds.py) is a reject, not a memory blow-up.

Found by the hostile sweep at its full sizes: a 100 MB field in a subscriber return took 1.86 GB
to ingest (under a 3 GB address-space limit it aborted inside Polars), and a 100 MB line in a
WhatsApp export 1.18 GB (under the limit a Polars worker failed an allocation and the process
hung until the sweep's 600 s timeout). Here, with the real bounds (no test hook):

* every CSV and chat-text parser turns a line just over its bound into one reject naming the
  line and its size, and reads every other record exactly as it reads the file without it;
* a 70 MB line is rejected in a few seconds at the memory an ordinary ingest needs;
* the scanner finds exactly the lines a plain line-by-line rule finds;
* a Polars panic on a failed allocation ends the process instead of hanging it.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.cli import main as atlas_main
from atlas.store import Case, init_case
from atlas.store.manifest import TEMPLATE
from parsers._bounds import CHAT_LINE_BYTES, TABLE_LINE_BYTES, long_lines

ROOT = Path(__file__).resolve().parents[1]

# (seed file in a generated case, parser, bound, the line made long: counted from the end, among non-blank lines)
CASES = {
    "subscriber": ("covert", "comms-data/subscriber_return.csv", "subscriber", TABLE_LINE_BYTES, 1),
    "cdr": ("covert", "comms-data/07700900002_a-party-b-party_cdr.csv", "cdr", TABLE_LINE_BYTES, 5),
    "cell-sites": ("covert", "comms-data/network-a_cell_sites.csv", "cell-sites", TABLE_LINE_BYTES, 3),
    "tool-export": ("covert", "victim-phone/AXIOM export/SMS.csv", "tool-export", TABLE_LINE_BYTES, 2),
    "google-returns-csv": ("time-limit", "google-return/Location History.csv", "google-returns-csv", TABLE_LINE_BYTES, 4),
    "snapchat-csv": ("clean", "snapchat-return/conversations.csv", "snapchat", TABLE_LINE_BYTES, 2),
    "whatsapp-text": ("covert", "victim-phone/WhatsApp Chat with Mum.txt", "whatsapp-text", CHAT_LINE_BYTES, 2),
    "signal-text": ("clean", "victim-phone/signal/Signal chat with Sam.txt", "signal-text", CHAT_LINE_BYTES, 3),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests._generated import generate_copy as generate

    root = tmp_path_factory.mktemp("bounds")
    for scenario in sorted({c[0] for c in CASES.values()}):
        generate(scenario, 1, 0.02, root / scenario)
    return root


def _ingest(tmp: Path, path: Path, parser: str) -> tuple[dict[str, object], pl.DataFrame, pl.DataFrame]:
    case = tmp / f"case-{path.parent.name}"
    init_case(case, TEMPLATE)
    assert atlas_main(["ingest", str(case), str(path), "--format", parser, "--json", "--tz", "Europe/London"]) == 0
    c = Case.open(case)
    events = c.events().collect()
    rejects = c.rejects().collect()
    shutil.rmtree(case)
    return {}, events, rejects


def _line_to_lengthen(lines: list[bytes], from_end: int) -> int:
    """The 0-based index of the ``from_end``-th non-blank line from the end."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    return filled[-from_end]


def _compare(events: pl.DataFrame) -> pl.DataFrame:
    """What a record became, without what differs by source (a name's URI holds its source's id)."""
    keep = [c for c in ("source_ref", "kind", "ts_utc", "text", "sender") if c in events.columns]
    return events.select(keep).with_columns(pl.col("sender").str.replace(r"^name:[0-9a-f]+:", "name:")).sort("source_ref")


@pytest.mark.parametrize("key", list(CASES))
def test_a_line_just_over_the_real_bound_is_one_reject_and_every_other_record_is_read_as_before(
        key: str, generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, rel, parser, bound, from_end = CASES[key]
    seed = generated / scenario / "sources" / rel
    assert seed.is_file(), seed
    data = seed.read_bytes()
    lines = data.splitlines(keepends=True)
    i = _line_to_lengthen(lines, from_end)
    body = lines[i].rstrip(b"\r\n")
    ending = lines[i][len(body):]
    # the last field runs on: the line is bound + 1 bytes (its break not counted)
    lines[i] = body + b"A" * (bound + 1 - len(body)) + ending
    long_file = tmp_path / "long" / seed.name
    long_file.parent.mkdir()
    long_file.write_bytes(b"".join(lines))
    # the same file with that line exactly at the bound is read as it is, with no reject for it
    lines_at = list(lines)
    lines_at[i] = body + b"A" * (bound - len(body)) + ending
    at_file = tmp_path / "at" / seed.name
    at_file.parent.mkdir()
    at_file.write_bytes(b"".join(lines_at))
    orig_file = tmp_path / "orig" / seed.name
    orig_file.parent.mkdir()
    orig_file.write_bytes(data)

    _, ev0, rj0 = _ingest(tmp_path, orig_file, parser)
    _, ev1, rj1 = _ingest(tmp_path, long_file, parser)
    _, ev2, rj2 = _ingest(tmp_path, at_file, parser)
    capsys.readouterr()
    line_no = i + 1
    # one reject more, naming the line, its size and the bound, saying the line is kept in the source
    assert rj1.height == rj0.height + 1
    new = rj1.filter(~pl.col("reason").is_in(rj0.get_column("reason").to_list()) | ~pl.col("source_ref").is_in(
        rj0.get_column("source_ref").to_list()))
    assert new.height == 1, new
    reason = new.get_column("reason").item()
    assert f"line {line_no} of {seed.name} is {bound + 1:,} bytes, over the {bound:,}-byte bound" in reason
    assert "kept unchanged in the source file" in reason
    # exactly one event fewer: the record holding the line; every other event as before
    assert ev1.height == ev0.height - 1
    gone = set(ev0.get_column("source_ref").to_list()) - set(ev1.get_column("source_ref").to_list())
    assert len(gone) == 1
    [ref] = gone
    assert new.get_column("source_ref").item() in (ref, f"line {line_no}")
    assert _compare(ev1).equals(_compare(ev0.filter(pl.col("source_ref") != ref)))
    # at the bound: the line is read (what the parser then makes of a field run on with A's is its
    # own affair: a Snapchat timestamp so written is not a time), as many records as the original
    assert ev2.height + rj2.height == ev0.height + rj0.height
    assert not any("-byte bound" in r for r in rj2.get_column("reason").to_list())
    assert ev2.height >= ev0.height - 1


def _plain_long_lines(data: bytes, bound: int) -> list[tuple[int, int, int]]:
    """The plain rule: walk the lines (LF, CRLF, lone CR), keep those over ``bound``."""
    out = []
    pos, line = 0, 1
    breaks = re.compile(rb"\r\n|\r|\n")
    while True:
        m = breaks.search(data, pos)
        end = m.start() if m else len(data)
        if end - pos > bound:
            out.append((line, pos, end))
        if m is None:
            return out
        pos, line = m.end(), line + 1


def test_the_window_scan_finds_exactly_the_lines_the_plain_rule_finds(tmp_path: Path) -> None:
    rng = random.Random(18)
    path = tmp_path / "lines.txt"
    for trial in range(400):
        bound = rng.choice([1, 2, 7, 16, 64])
        parts = []
        for _ in range(rng.randrange(0, 30)):
            n = rng.choice([0, 1, bound - 1, bound, bound + 1, 2 * bound, 3 * bound + 1, rng.randrange(0, 5 * bound + 2)])
            parts.append(b"x" * max(n, 0) + rng.choice([b"\n", b"\r\n", b"\r"]))
        if rng.random() < 0.5:
            parts.append(b"y" * rng.randrange(0, 4 * bound + 2))  # a last line with no break
        data = b"".join(parts)
        path.write_bytes(data)
        got = [(x.line, x.start, x.end) for x in long_lines(path, bound)]
        assert got == _plain_long_lines(data, bound), (trial, bound, data)


_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    from pathlib import Path
    from atlas.cli import main
    from atlas.store import Case, init_case
    from atlas.store.manifest import TEMPLATE
    case, path, fmt = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    init_case(case, TEMPLATE)
    started = time.perf_counter()
    code = main(["ingest", str(case), path, "--format", fmt, "--json", "--tz", "Europe/London"])
    seconds = time.perf_counter() - started
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    rejects = Case.open(case).rejects().collect()
    print(json.dumps({"code": code, "seconds": seconds, "hwm_kb": hwm, "reasons": rejects.get_column("reason").to_list(),
                      "refs": rejects.get_column("source_ref").to_list()}), file=sys.stderr)
""")


@pytest.mark.parametrize(("name", "head", "fmt"), [
    ("WhatsApp Chat with Dan.txt", b"30/04/2026, 09:23 - Dan: first\n30/04/2026, 09:24 - Dan: ", "whatsapp-text"),
    ("subscriber_return.csv", b"MSISDN,Subscriber Name,Address,IMSI,IMEI\n07700900002,Dan Sample,1 Road,234100000000001,"
                              b"356938035643809\n07700900003,Ann Sample,", "subscriber"),
])
def test_a_70_mb_line_is_refused_in_seconds_at_an_ordinary_ingests_memory(tmp_path: Path, name: str, head: bytes,
                                                                         fmt: str) -> None:
    """The real bound, a real-sized record: a 70 MB line written to /tmp (the sweep's full size is 100 MB).
    Before the bound, such a line took 0.9-1.9 GB of memory (12-18x); now the ingest's peak is what
    an ordinary small ingest needs (~0.27 GB here), and the line is one reject naming it."""
    path = tmp_path / name
    size = 70 << 20
    with path.open("wb") as fh:
        fh.write(head)
        chunk = b"A" * (1 << 20)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
        fh.write(b"\n30/04/2026, 09:30 - Dan: after\n" if fmt == "whatsapp-text" else
                 b"\n07700900004,Cat Sample,3 Road,234100000000003,356938035643811\n")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "case"), str(path), fmt], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env=os.environ | {"RUST_BACKTRACE": "0"})
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr[-2000:]
    line = 2 if fmt == "whatsapp-text" else 3
    size_line = len(head.splitlines()[-1]) + size
    [reason] = [r for r in report["reasons"] if "over the" in r]
    assert f"line {line} of {name} is {size_line:,} bytes" in reason
    assert report["seconds"] < 10, report
    assert report["hwm_kb"] < 600 << 10, report  # main: 0.9 GB (WhatsApp) and 1.3 GB (subscriber) at 70 MB


_NO_BOUND_CHILD = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    import parsers.whatsapp_text as w
    w.CHAT_LINE_BYTES = 1 << 40  # no bound: reach Polars' own failure on purpose
    from pathlib import Path
    from atlas.cli import main
    from atlas.store import init_case
    from atlas.store.manifest import TEMPLATE
    init_case(Path(sys.argv[1]), TEMPLATE)
    sys.exit(main(["ingest", sys.argv[1], sys.argv[2], "--format", "whatsapp-text"]))
""")


def test_a_polars_worker_that_fails_an_allocation_ends_the_process_and_does_not_hang(tmp_path: Path) -> None:
    """With the bound lifted, a 20 MB line under a 2 GB address-space limit makes a Polars worker
    panic on a failed allocation. With RUST_BACKTRACE=1 in the environment (as on this machine and
    many developers'), Rust then deadlocked printing the backtrace and the process hung for ever
    (main: still running after 30 s, every time); ``atlas`` sets RUST_BACKTRACE=0, so the panic
    reaches the boundary and the process ends (exit 2, the file named; or, if Polars' allocator
    aborts instead of panicking, a signal; or, when the address space runs out where Atlas starts a
    thread first, as in one run of the full suite, the internal-error boundary's exit 70: none a hang)."""
    path = tmp_path / "WhatsApp Chat with Dan.txt"
    path.write_bytes(b"30/04/2026, 09:23 - Dan: first\n30/04/2026, 09:24 - Dan: " + b"A" * (20 << 20) + b"\n")
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", _NO_BOUND_CHILD, str(tmp_path / "case"), str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, env=os.environ | {"RUST_BACKTRACE": "1"},
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
    except subprocess.TimeoutExpired:
        pytest.fail("the process hung after a Polars allocation failure")
    assert time.monotonic() - started < 60
    assert proc.returncode in (0, 2, 70, -6), proc.stderr[-2000:]
    if proc.returncode == 2:
        assert path.name in proc.stderr and "Traceback" not in proc.stderr


def test_the_cli_turns_rust_backtraces_off_unless_debugging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    atlas_main(["formats"])
    assert os.environ["RUST_BACKTRACE"] == "0"


# --- session 13: the bound is per record (a CSV record's quoted line breaks, a chat message's
# continuation lines), a long line inside a record is one reject, a line above a CSV header is
# no record, and a workbook row is bounded as calamine hands it over -------------------------


def _plain_csv_records(data: bytes, bound: int, skip: int) -> list[tuple[int, int]]:
    """The plain rule: skip ``skip`` physical lines, then walk byte by byte, a quote toggling, a line
    break outside quotes ending a record; keep records over ``bound`` as (start, end)."""
    pos = 0
    for _ in range(skip):
        m = re.compile(rb"\r\n|\r|\n").search(data, pos)
        if m is None:
            pos = len(data)
            break
        pos = m.end()
    out, start, quoted = [], pos, False
    for i in range(pos, len(data)):
        c = data[i]
        if c == 0x22:
            quoted = not quoted
        elif c in (0x0A, 0x0D) and not quoted:
            if i - start > bound:
                out.append((start, i))
            start = i + 1
    if len(data) - start > bound:
        out.append((start, len(data)))
    return out


def test_the_csv_record_scan_finds_exactly_the_records_the_plain_rule_finds() -> None:
    from parsers._bounds import csv_long_records_in

    rng = random.Random(13)
    for trial in range(3000):
        bound = rng.choice([2, 3, 8, 16, 33])
        parts = []
        for _ in range(rng.randrange(0, 25)):
            kind = rng.random()
            if kind < 0.5:
                parts.append(b"x" * rng.randrange(0, 3 * bound))
            elif kind < 0.8:  # a quoted field holding line breaks
                parts.append(b'"' + rng.choice([b"y\n", b"y\r\n", b"\r"]) * rng.randrange(0, bound) + b'"')
            elif kind < 0.9:
                parts.append(b'""')
            else:
                parts.append(b'"')  # a quote that never closes
            parts.append(rng.choice([b"\n", b"\r\n", b"\r", b",", b""]))
        data = b"".join(parts)
        skip = rng.choice([0, 0, 1, 2])
        got = [(x.start, x.end) for x in csv_long_records_in(data, bound, skip)[1]]
        assert got == _plain_csv_records(data, bound, skip), (trial, bound, skip, data)



def test_the_csv_record_scan_of_a_table_with_no_quote_finds_what_the_plain_rule_finds() -> None:
    """The scan's quote-free way (no quote counted: every line break ends a record) against the
    plain rule, and against the scan counting quotes all the same (``plain``), on tables with no
    quote from the skipped lines on (some with quotes above them)."""
    import numpy as np

    from parsers._bounds import _record_spans, csv_long_records_in, line_offset

    rng = random.Random(16)
    quote_free = 0
    for trial in range(3000):
        bound = rng.choice([2, 3, 8, 16, 33])
        parts = []
        for _ in range(rng.randrange(0, 25)):
            parts.append(b"x" * rng.randrange(0, 3 * bound))
            parts.append(rng.choice([b"\n", b"\r\n", b"\r", b",", b""]))
        skip = rng.choice([0, 0, 1, 2])
        above = rng.choice([b"", b'"cover"\n', b'"open\n'])
        data = above + b"".join(parts)
        got = [(x.start, x.end) for x in csv_long_records_in(data, bound, skip)[1]]
        assert got == _plain_csv_records(data, bound, skip), (trial, bound, skip, data)
        lo = line_offset(data, len(data), skip)
        if len(data) > bound and data.find(b'"', lo) < 0:
            quote_free += 1
            arr = np.frombuffer(data, dtype=np.uint8)
            assert (_record_spans(data, arr, lo, len(data), bound)
                    == _record_spans(data, arr, lo, len(data), bound, plain=True)), (trial, data)
    assert quote_free > 1000

def _plain_chat_blocks(data: bytes, bound: int, is_header: Any) -> list[tuple[int, int]]:
    """The plain rule: split lines (LF, CRLF, lone CR); a header line starts a block, any other line
    continues the one before (text before the first header is a block); keep blocks over ``bound``
    as (start of the first line, end of the last line)."""
    blocks: list[list[int]] = []
    for m in re.finditer(rb"([^\r\n]*)(\r\n|\r|\n|$)", data):
        a, b = m.start(1), m.end(1)
        if a == len(data) and not m.group(2):
            break
        if is_header(data[a:b]) or not blocks:
            blocks.append([a, b])
        else:
            blocks[-1][1] = b
        if m.end() == len(data):
            break
    return [(a, b) for a, b in blocks if b - a > bound]


def test_the_chat_message_scan_finds_exactly_the_messages_the_plain_rule_finds() -> None:
    from parsers._bounds import _chat_long

    header = re.compile(r"^\[?\d\d:\d\d ")

    def is_header(line: bytes) -> bool:
        return header.match(line.decode("utf-8", errors="replace")) is not None

    rng = random.Random(31)
    for trial in range(3000):
        bound = rng.choice([4, 8, 16, 40])
        parts = []
        for _ in range(rng.randrange(0, 20)):
            r = rng.random()
            if r < 0.4:
                parts.append(b"12:34 " + b"x" * rng.randrange(0, bound))
            elif r < 0.5:
                parts.append(b"[12:34 " + b"x" * rng.randrange(0, bound))
            elif r < 0.6:  # starts like a header (a digit), is not one
                parts.append(b"9" + b"y" * rng.randrange(0, bound))
            else:
                parts.append(b"z" * rng.randrange(0, 2 * bound))
            parts.append(rng.choice([b"\n", b"\r\n", b"\r"]))
        if rng.random() < 0.3 and parts:
            parts.pop()
        data = b"".join(parts)
        if len(data) <= bound:
            continue
        got = [(x.start, x.end) for x in _chat_long(data, len(data), bound, is_header)]
        assert got == _plain_chat_blocks(data, bound, is_header), (trial, bound, data)


_SUBSCRIBER_HEAD = (b"MSISDN,Subscriber Name,Address,IMSI,IMEI\n"
                    b"07700900002,Dan Sample,1 Road,234100000000001,356938035643809\n")
_SUBSCRIBER_TAIL = b"07700900004,Cat Sample,3 Road,234100000000003,356938035643811\n"


def test_a_csv_record_of_many_short_lines_over_the_bound_is_one_reject_and_the_rows_after_keep_their_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A quoted address of short lines adding up past the bound (each line far below it: main read it
    whole), with a line over the bound inside it too (main: that line was one reject and the record,
    cut, was read as well): one reject naming the record's lines and size; the rows after it keep
    their numbers."""
    body = b"x" * 60 + b"\n"
    n = TABLE_LINE_BYTES // len(body) + 10
    field = b'"' + body * (n // 2) + b"L" * (TABLE_LINE_BYTES + 5) + b"\n" + body * (n // 2) + b'end"'
    record = b"07700900003,Ann Sample," + field + b",234100000000002,356938035643810\n"
    path = tmp_path / "long" / "subscriber_return.csv"
    path.parent.mkdir()
    path.write_bytes(_SUBSCRIBER_HEAD + record + _SUBSCRIBER_TAIL)
    plain = tmp_path / "plain" / "subscriber_return.csv"
    plain.parent.mkdir()
    plain.write_bytes(_SUBSCRIBER_HEAD + b"07700900003,Ann Sample,2 Road,234100000000002,356938035643810\n"
                      + _SUBSCRIBER_TAIL)
    _, ev0, rj0 = _ingest(tmp_path, plain, "subscriber")
    _, ev1, rj1 = _ingest(tmp_path, path, "subscriber")
    capsys.readouterr()
    last = 3 + record.count(b"\n") - 1
    assert rj0.height == 0
    [(ref, why)] = rj1.select("source_ref", "reason").rows()
    assert ref == f"lines 3-{last}"
    assert why == (f"lines 3-{last} of subscriber_return.csv are one record of {len(record) - 1:,} bytes because a "
                   f"quote opened on line 3 closes only on line {last} (the {last - 3:,} line break(s) between are "
                   "inside the quotes: a quote left open by mistake reads so), over the "
                   f"{TABLE_LINE_BYTES:,}-byte bound on one record of a CSV table: not read (no real record is that "
                   "long); the record is kept unchanged in the source file")
    # the rows before and after as from the plain file: the same numbers (row 2, row 4)
    assert _compare(ev1).equals(_compare(ev0.filter(pl.col("source_ref") != "row 3")))
    assert ev1.get_column("source_ref").to_list() == ["row 2", "row 4"]


def test_a_line_over_the_bound_above_a_csv_header_is_said_not_rejected(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    """A cover block line is no record: main counted it as one (a reject and a record read). With the
    real bound such a line cannot sit above a header the head finds, so the bound is lowered here."""
    import parsers._tabular as tabular
    from parsers import subscriber
    from parsers.base import ParseContext

    monkeypatch.setattr(tabular, "TABLE_LINE_BYTES", 200)
    path = tmp_path / "subscriber_return.csv"
    path.write_bytes(b"Return for operation " + b"C" * 300 + b"\n" + _SUBSCRIBER_HEAD + _SUBSCRIBER_TAIL)
    result = subscriber.parse(path, ParseContext(source_id="s1", path=path))
    assert result.rejects.height == 0
    assert result.records_read == 2
    assert result.events.get_column("source_ref").to_list() == ["row 3", "row 4"]
    [note] = [a for a in result.assumptions if "above the table's header" in a]
    assert note == ("line 1 of subscriber_return.csv, above the table's header, is 321 bytes (over the 200-byte bound "
                    "on one record): not read and not a record (a cover block); kept unchanged in the source file")


@pytest.mark.parametrize(("name", "fmt", "header", "after"), [
    ("WhatsApp Chat with Dan.txt", "whatsapp-text", b"30/04/2026, 09:24 - Dan: ", b"30/04/2026, 09:30 - Dan: after\n"),
    ("Signal chat with Sam.txt", "signal-text", b"[2026-04-30, 09:24] Sam: ", b"[2026-04-30, 09:30] Sam: after\n"),
])
def test_a_chat_message_of_many_short_lines_over_the_bound_is_one_reject_and_later_lines_keep_their_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str, header: bytes, after: bytes) -> None:
    """Continuation lines far below the bound, adding up past it (main read the message whole): the
    message is one reject naming its lines and size; the message after it keeps its line number."""
    first = b"30/04/2026, 09:23 - Dan: first\n" if fmt == "whatsapp-text" else b"[2026-04-30, 09:23] Sam: first\n"
    body = b"more words of a long message\n"
    n = CHAT_LINE_BYTES // len(body) + 5
    message = header + b"start\n" + body * n
    path = tmp_path / name
    path.write_bytes(first + message + after)
    _, ev, rj = _ingest(tmp_path, path, fmt)
    capsys.readouterr()
    last = 2 + n
    [(ref, why)] = rj.select("source_ref", "reason").rows()
    assert ref == "line 2"
    what = ("a WhatsApp text export (a message is at most 65,536 characters)" if fmt == "whatsapp-text"
            else "a Signal text export")
    assert why == (f"the message starting on line 2 is over the bound: lines 2-{last} of {name} are one message of "
                   f"{len(message) - 1:,} bytes, over the {CHAT_LINE_BYTES:,}-byte bound on one message of {what}: not "
                   "read (no real record is that long); the message is kept unchanged in the source file")
    assert ev.get_column("source_ref").to_list() == ["line 1", f"line {last + 1}"]
    assert ev.get_column("text").to_list() == ["first", "after"]


def test_a_workbook_row_over_the_bound_is_one_reject_naming_its_cell_and_the_other_rows_are_read_as_before(
        generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 5 MB cell in a CDR workbook (main: read whole; at 50 MB a MemoryError under a 3 GB address-space
    limit in header detection, and 0.83 GB): the row is one reject naming the sheet, the row, the
    column (its header) and the sizes; every other row as from the workbook without it."""
    import zipfile

    seed = next((generated / "covert" / "sources").rglob("*_cdr.xlsx"), None)
    if seed is None:
        from tests._generated import generate_copy as generate

        generate("third-parties", 1, 0.02, tmp_path / "tp")
        seed = next((tmp_path / "tp" / "sources").rglob("*_cdr.xlsx"))
    out = tmp_path / "big" / seed.name
    out.parent.mkdir()
    with zipfile.ZipFile(seed) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        done = ""
        for info in src.infolist():
            data = src.read(info)
            if not done and info.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                end = text.rindex("</row>")
                start = text.rindex("<c ", 0, end)
                done = re.match(r'<c r="([A-Z]+\d+)"', text[start:]).group(1)  # type: ignore[union-attr]
                cell = f'<c r="{done}" t="inlineStr"><is><t>' + "A" * (5 << 20) + "</t></is></c>"
                data = (text[:start] + cell + text[end:]).encode()
            dst.writestr(info, data)
    row = int(re.sub(r"[A-Z]+", "", done))
    _, ev0, rj0 = _ingest(tmp_path, seed, "cdr")
    _, ev1, rj1 = _ingest(tmp_path, out, "cdr")
    capsys.readouterr()
    new = rj1.join(rj0, on=["source_ref", "reason"], how="anti")
    [(ref, why)] = new.select("source_ref", "reason").rows()
    assert ref.endswith(f" row {row}") and ref.startswith("sheet ")
    assert f"row {row} of sheet " in why and f"is {5 << 20:,} bytes), over the {TABLE_LINE_BYTES:,}-byte bound" in why
    assert "its largest cell, in column " in why and "the row is kept unchanged in the source file" in why
    assert ev1.height == ev0.height - 1
    assert _compare(ev1).equals(_compare(ev0.filter(pl.col("source_ref") != ref)))


@pytest.mark.parametrize(("name", "head", "fmt", "tail", "peak_mb"), [
    ("WhatsApp Chat with Dan.txt", b"30/04/2026, 09:23 - Dan: first\n30/04/2026, 09:24 - Dan: start\n", "whatsapp-text",
     b"30/04/2026, 09:30 - Dan: after\n", 400),
    ("subscriber_return.csv", _SUBSCRIBER_HEAD + b'07700900003,Ann Sample,"', "subscriber",
     b'end",234100000000002,356938035643810\n' + _SUBSCRIBER_TAIL, 600),
])
def test_a_70_mb_record_of_short_lines_is_refused_in_seconds_at_an_ordinary_ingests_memory(
        tmp_path: Path, name: str, head: bytes, fmt: str, tail: bytes, peak_mb: int) -> None:
    """A 70 MB quoted field or chat message of 80-byte lines (main: 1.31 GB for the subscriber return
    and 1.24 GB for WhatsApp at 100 MB, every line read whole). The record is one reject naming its
    lines; the peak is what the scan's mapped pages and, for WhatsApp, the ~900,000 empty lines the
    message is read as, cost."""
    path = tmp_path / name
    line = b"A" * 79 + b"\n"
    count = (70 << 20) // len(line)
    with path.open("wb") as fh:
        fh.write(head)
        chunk = line * 10_000
        for _ in range(count // 10_000):
            fh.write(chunk)
        fh.write(tail)
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "case"), str(path), fmt], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env=os.environ | {"RUST_BACKTRACE": "0"})
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr[-2000:]
    [reason] = [r for r in report["reasons"] if "over the" in r]
    last = 2 + (count // 10_000) * 10_000 + (0 if fmt == "whatsapp-text" else 1)
    assert f"lines {2 if fmt == 'whatsapp-text' else 3}-{last} of {name} are one " in reason, reason
    assert report["seconds"] < 15, report
    assert report["hwm_kb"] < peak_mb << 10, report


def _utf16(data: bytes, encoding: str) -> bytes:
    """``data`` (UTF-8) as Windows Notepad saves "Unicode": UTF-16 with its byte-order mark."""
    return (b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff") + data.decode("utf-8").encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_csv_record_of_many_short_lines_over_the_bound_is_one_reject_as_in_utf8(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str) -> None:
    """UTF-16 was bounded per physical line only (main: a record of short lines past the bound was read
    whole; a line past it refused the whole file). Now as UTF-8: one reject naming the record's lines
    and its size (its UTF-8 bytes), the rows after it keeping their numbers."""
    body = b"x" * 60 + b"\n"
    n = TABLE_LINE_BYTES // len(body) + 10
    record = b'07700900003,Ann Sample,"' + body * n + b'end",234100000000002,356938035643810\n'
    path = tmp_path / "subscriber_return.csv"
    path.write_bytes(_utf16(_SUBSCRIBER_HEAD + record + _SUBSCRIBER_TAIL, encoding))
    _, ev, rj = _ingest(tmp_path, path, "subscriber")
    capsys.readouterr()
    last = 3 + record.count(b"\n") - 1
    [(ref, why)] = rj.select("source_ref", "reason").rows()
    assert ref == f"lines 3-{last}"
    assert why.startswith(f"lines 3-{last} of subscriber_return.csv are one record of {len(record) - 1:,} bytes because "
                          f"a quote opened on line 3 closes only on line {last} "), why
    assert ev.get_column("source_ref").to_list() == ["row 2", "row 4"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(("name", "fmt", "first", "header", "after"), [
    ("WhatsApp Chat with Dan.txt", "whatsapp-text", b"30/04/2026, 09:23 - Dan: first\n", b"30/04/2026, 09:24 - Dan: ",
     b"30/04/2026, 09:30 - Dan: after\n"),
    ("Signal chat with Sam.txt", "signal-text", b"[2026-04-30, 09:23] Sam: first\n", b"[2026-04-30, 09:24] Sam: ",
     b"[2026-04-30, 09:30] Sam: after\n"),
])
@pytest.mark.parametrize("shape", ["many-short-lines", "one-long-line"])
def test_a_utf16_chat_message_over_the_bound_is_one_reject_as_in_utf8(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str, first: bytes, header: bytes,
        after: bytes, encoding: str, shape: str) -> None:
    """main: a UTF-16 message of short lines past the bound was read whole, and one long line refused the
    whole file ("refused whole"); now each is one reject naming its lines, later lines keeping their numbers."""
    body = b"more words of a long message\n"
    n = CHAT_LINE_BYTES // len(body) + 5 if shape == "many-short-lines" else 0
    message = header + (b"start\n" + body * n if n else b"L" * CHAT_LINE_BYTES + b"\n")
    path = tmp_path / name
    path.write_bytes(_utf16(first + message + after, encoding))
    _, ev, rj = _ingest(tmp_path, path, fmt)
    capsys.readouterr()
    last = 2 + n
    [(ref, why)] = rj.select("source_ref", "reason").rows()
    assert ref == "line 2"
    where = f"lines 2-{last} of {name} are one message of {len(message) - 1:,} bytes" if n else \
        f"line 2 of {name} is {len(message) - 1:,} bytes"
    assert why.startswith(f"the message starting on line 2 is over the bound: {where}, over the "
                          f"{CHAT_LINE_BYTES:,}-byte bound on one "), why
    assert ev.get_column("source_ref").to_list() == ["line 1", f"line {last + 1}"]
    assert ev.get_column("text").to_list() == ["first", "after"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
def test_whatsapp_messages_over_the_bound_read_as_one_line_each_keep_every_later_line_number(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str) -> None:
    """WhatsApp reads a message over the bound as its header's first bytes alone (one line, where each of
    its continuation lines used to be an empty line too: 1.3 million for 100 MB of 80-byte lines, 580 MB);
    the line numbers are the file's again: two such messages, one a long single line, with messages and
    continuation lines between and after."""
    body = b"more words of a long message\n"
    n = CHAT_LINE_BYTES // len(body) + 5
    lines = [b"30/04/2026, 09:20 - Dan: first\n",
             b"30/04/2026, 09:21 - Dan: start\n" + body * n,                  # lines 2 .. 2+n
             b"30/04/2026, 09:22 - Dan: between\nsecond line\n",             # 3+n, 4+n
             b"30/04/2026, 09:23 - Dan: " + b"L" * CHAT_LINE_BYTES + b"\n",   # 5+n (one long line)
             b"30/04/2026, 09:24 - Dan: again\n",                             # 6+n
             b"30/04/2026, 09:25 - Dan: start\n" + body * n,                  # 7+n .. 7+2n
             b"30/04/2026, 09:26 - Dan: after\n"]                             # 8+2n
    data = b"".join(lines)
    path = tmp_path / "WhatsApp Chat with Dan.txt"
    path.write_bytes(data if encoding == "utf-8" else _utf16(data, encoding))
    _, ev, rj = _ingest(tmp_path, path, "whatsapp-text")
    capsys.readouterr()
    assert ev.get_column("source_ref").to_list() == ["line 1", f"line {3 + n}", f"line {6 + n}", f"line {8 + 2 * n}"]
    assert ev.get_column("text").to_list() == ["first", "between\nsecond line", "again", "after"]
    assert sorted(rj.get_column("source_ref").to_list(), key=lambda r: int(r.split()[1])) == [
        "line 2", f"line {5 + n}", f"line {7 + n}"]
    reasons = " | ".join(rj.get_column("reason").to_list())
    assert f"lines 2-{2 + n} of " in reasons and f"line {5 + n} of " in reasons and f"lines {7 + n}-{7 + 2 * n} of " in reasons


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
def test_signal_messages_over_the_bound_read_as_one_line_each_keep_every_later_line_number(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, encoding: str) -> None:
    """Signal, as WhatsApp since session 14: a message over the bound is read as its header's first bytes
    alone, one line (each of its continuation lines was an empty line too, a row each in the parse: 1.3
    million for 100 MB of 80-byte lines); the line numbers are the file's again: text before the first
    header over the bound, two such messages (one a long single line), messages and continuation lines
    between and after."""
    import parsers.signal_text as s

    seen: list[str] = []
    real = s.read_bytes_text_plain

    def spy(*args: object, **kwargs: object) -> str:
        seen.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return seen[-1]

    monkeypatch.setattr(s, "read_bytes_text_plain", spy)
    body = b"more words of a long message\n"
    n = CHAT_LINE_BYTES // len(body) + 5
    lines = [b"exported by Signal\n" + body * n,                               # lines 1 .. 1+n (no header)
             b"[2026-04-30, 09:20] Sam: first\n",                              # 2+n
             b"[2026-04-30, 09:21] Sam: start\n" + body * n,                   # 3+n .. 3+2n
             b"[2026-04-30, 09:22] Sam: between\nsecond line\n",              # 4+2n, 5+2n
             b"[2026-04-30, 09:23] Sam: " + b"L" * CHAT_LINE_BYTES + b"\n",    # 6+2n (one long line)
             b"[2026-04-30, 09:24] Sam: again\n",                              # 7+2n
             b"[2026-04-30, 09:25] Sam: start\n" + body * n,                   # 8+2n .. 8+3n
             b"[2026-04-30, 09:26] Sam: after\n"]                              # 9+3n
    data = b"".join(lines)
    path = tmp_path / "Signal chat with Sam.txt"
    path.write_bytes(data if encoding == "utf-8" else _utf16(data, encoding))
    _, ev, rj = _ingest(tmp_path, path, "signal-text")
    capsys.readouterr()
    assert len(seen) == 1 and seen[0].count("\n") == 9  # one line a message over the bound, not 3n+9
    assert ev.get_column("source_ref").to_list() == [f"line {2 + n}", f"line {4 + 2 * n}", f"line {7 + 2 * n}",
                                                     f"line {9 + 3 * n}"]
    assert ev.get_column("text").to_list() == ["first", "between\nsecond line", "again", "after"]
    assert sorted(rj.get_column("source_ref").to_list(), key=lambda r: int(r.split()[1])) == [
        "line 1", f"line {3 + n}", f"line {6 + 2 * n}", f"line {8 + 2 * n}"]
    reasons = " | ".join(rj.get_column("reason").to_list())
    for where in (f"lines 1-{1 + n} of ", f"lines {3 + n}-{3 + 2 * n} of ", f"line {6 + 2 * n} of ",
                  f"lines {8 + 2 * n}-{8 + 3 * n} of "):
        assert where in reasons, reasons


def test_a_runaway_quote_closed_past_the_bound_is_one_reject_that_says_a_quote_caused_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name cell whose quote is left open on line 3 and closed only by a stray quote 4 MiB of rows later:
    main rejected lines 3-N as 'one record of X bytes' without saying why one record held so many lines."""
    row = b"07700900009,Bob Sample,9 Road,234100000000009,356938035643819\n"
    n = TABLE_LINE_BYTES // len(row) + 10
    record = b'07700900003,"Ann Sample,2 Road,234100000000002,356938035643810\n' + row * n + b'x",1,2,3,4\n'
    path = tmp_path / "subscriber_return.csv"
    path.write_bytes(_SUBSCRIBER_HEAD + record + _SUBSCRIBER_TAIL)
    _, ev, rj = _ingest(tmp_path, path, "subscriber")
    capsys.readouterr()
    last = 3 + record.count(b"\n") - 1
    [(ref, why)] = rj.select("source_ref", "reason").rows()
    assert ref == f"lines 3-{last}"
    assert f"because a quote opened on line 3 closes only on line {last} (the {last - 3:,} line break(s) between are " \
           "inside the quotes: a quote left open by mistake reads so)" in why, why
    assert ev.get_column("source_ref").to_list() == ["row 2", "row 4"]  # (records are numbered as rows)
