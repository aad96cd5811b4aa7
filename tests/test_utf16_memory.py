"""A UTF-16 source is converted to UTF-8 in pieces (parsers/_bounds.py: utf16_as_utf8, utf16_file_as_utf8).

Before session 16 it was held three times over at once (the file, its copy without the byte-order mark,
the decoded text, then the UTF-8): a 200 MB UTF-16 chat took an ingest to 605-655 MB, now 206-256 MB.
Here: the pieces give exactly the bytes of the whole decode (the plain rule), on random bytes and text
with pairs and lone surrogates split across pieces; and an ingest's peak in a child process.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from parsers._bounds import UTF16_PIECE, utf16_as_utf8, utf16_file_as_utf8
from tests import _hostile as H

ROOT = Path(__file__).resolve().parents[1]


def _plain(data: bytes) -> bytes:
    """The plain rule: the whole file decoded at once."""
    enc = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
    return data[2:len(data) - len(data) % 2].decode(enc, errors="replace").encode("utf-8")


def test_the_pieces_give_the_whole_decodes_bytes(tmp_path: Path) -> None:
    r = random.Random(16)
    path = tmp_path / "u16.txt"
    sizes = [0, 1, 2, 3, UTF16_PIECE - 1, UTF16_PIECE, UTF16_PIECE + 1, 2 * UTF16_PIECE + 3]
    for trial in range(60):
        mark = r.choice([b"\xff\xfe", b"\xfe\xff"])
        n = sizes[trial] if trial < len(sizes) else r.randrange(0, 3 * UTF16_PIECE)
        if trial % 3 == 0:
            body = r.randbytes(n)
        else:  # text with pairs (an emoji) and lone surrogates, split wherever a piece ends
            text = "".join(r.choice(["a", "\u00e9", "\U0001F600", "\n", "\ud800", "\udc00"]) for _ in range(n // 2 + 1))
            body = text.encode("utf-16-le" if mark == b"\xff\xfe" else "utf-16-be", "surrogatepass")[:n]
        data = mark + body
        path.write_bytes(data)
        assert utf16_as_utf8(data) == _plain(data), trial
        assert utf16_file_as_utf8(path) == _plain(data), trial


_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from atlas.cli import main
    from atlas.store import init_case
    from atlas.store.manifest import TEMPLATE
    init_case(Path(sys.argv[1]), TEMPLATE)
    code = main(["ingest", sys.argv[1], sys.argv[2], "--format", sys.argv[3], "--json", "--tz", "Europe/London"])
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print(json.dumps({"code": code, "hwm_kb": hwm}), file=sys.stderr)
""")

_LINE = 30 << 20
_PEAK_MB = {"whatsapp-text": 250, "signal-text": 200, "subscriber": 200}
"""Peak for a UTF-16 file of 60 MB holding one 30 MB line (the hostile sweep's ``utf16-long-field``; ingest in
a child process). Measured 2026-12-07, load 7-9 (whole-process ingest, /usr/bin/time): main 295 / 247 / 250 MB
(the file held three times over), pieces 208 / 137 / 154 MB."""


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests._generated import generate_copy as generate

    root = tmp_path_factory.mktemp("u16-seeds")
    found: dict[str, Path] = {}
    for key in ("whatsapp-text", "signal-text", "subscriber"):
        _, scenario, suffix = H.SEEDS[key]
        if not (root / scenario).exists():
            generate(scenario, 1, 0.02, root / scenario)
        found[key] = min((f for f in (root / scenario / "sources").rglob("*")
                          if f.is_file() and f.as_posix().endswith("/" + suffix)), key=lambda f: f.stat().st_size)
    return found


@pytest.mark.parametrize("fmt", ["whatsapp-text", "signal-text", "subscriber"])
def test_a_utf16_file_is_not_held_three_times(tmp_path: Path, fmt: str, seeds: dict[str, Path],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H, "LONG_LINE", _LINE)
    path = tmp_path / seeds[fmt].name
    path.write_bytes(H._lines_variant(seeds[fmt], "utf16-long-field", fmt == "subscriber"))
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "case"), str(path), fmt], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=os.environ | {"RUST_BACKTRACE": "0"})
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr[-2000:]
    assert report["hwm_kb"] < _PEAK_MB[fmt] << 10, report


# --- session 17: the UTF-8 of a UTF-16 chat made once, in the buffer the parser views ----------------

def _lone_cr_plain(a: Any, content: Any, notes: list[str]) -> None:
    """The plain rule of ``TextBytes._lone_cr_to_lf`` (until session 17: two masks of the file's size)."""
    import numpy as np

    if not np.count_nonzero(content == 13):
        return
    at = np.flatnonzero(content == 13)
    lone = at[a[at + 1] != 10]
    if lone.size:
        a[lone] = 10
        notes.append(f"{lone.size} line break(s) written as a lone CR (CR-only or mixed line endings) read as line breaks")


def _chat_text(r: random.Random, n: int) -> str:
    lines = []
    for i in range(n):
        body = "".join(r.choice(["a", " ", "é", "\U0001F600", "\r", "\r\n", "\n", "\ud800", "x" * 50]) for _ in range(r.randrange(0, 12)))
        lines.append(f"0{1 + i % 9}/02/2026, 16:{i % 60:02d} - Sam: {body}")
    return r.choice(["\n", "\r\n", "\r"]).join(lines) + r.choice(["", "\n", "\r"])


@pytest.mark.parametrize("trial", range(40))
def test_a_utf16_chat_is_read_as_the_plain_rule_reads_it(tmp_path: Path, trial: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``TextBytes._read_utf16`` (the UTF-8 made in place, padded, viewed) gives what ``_read_utf16_plain``
    (made, then copied into a padded buffer) gives: bytes, span, text, notes, long messages; and the lone
    CR rule read in pieces what the old two masks gave."""
    import numpy as np

    from parsers import _text_columns as T
    from parsers import signal_text, whatsapp_text

    r = random.Random(trial)
    text = _chat_text(r, r.randrange(1, 400))
    if trial % 4 == 0:  # a message over a small bound (cut, by the plain rule)
        text += "\n01/03/2026, 10:00 - Sam: " + "y" * 5000
    mark = r.choice([b"\xff\xfe", b"\xfe\xff"])
    body = text.encode("utf-16-le" if mark == b"\xff\xfe" else "utf-16-be", "surrogatepass")
    if trial % 5 == 1:
        body += b"\x00"  # an odd last byte
    path = tmp_path / "WhatsApp Chat with Sam.txt"
    path.write_bytes(mark + body)
    parser = r.choice([whatsapp_text, signal_text])
    for bound, header in ((None, None), (4096, parser._is_header), (4096, None), (1 << 20, parser._is_header)):
        got = T.TextBytes._read_utf16(path, "WhatsApp", bound, header, keep_breaks=trial % 2 == 0)
        want = T.TextBytes._read_utf16_plain(path, "WhatsApp", bound, header, keep_breaks=trial % 2 == 0)
        for (g, gt, gn), (w, wt, wn) in [(got, want)]:
            assert (g.start, g.end, gt, gn, g.long, g.breaks_kept) == (w.start, w.end, wt, wn, w.long, w.breaks_kept)
            assert bytes(g.a[:g.end + 32]) == bytes(w.a[:w.end + 32])
    data = np.frombuffer(bytearray(text.encode("utf-8", "surrogatepass") + bytes(32)), np.uint8)
    plain = data.copy()
    notes_new: list[str] = []
    notes_old: list[str] = []
    T.TextBytes._lone_cr_to_lf(data, data[:-32], notes_new)
    _lone_cr_plain(plain, plain[:-32], notes_old)
    assert notes_new == notes_old and bytes(data) == bytes(plain)


_READ_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from parsers import whatsapp_text
    from parsers._text_columns import TextBytes
    def hwm():
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) << 10
    before = hwm()
    raw, _, _ = TextBytes.read(Path(sys.argv[1]), "WhatsApp", whatsapp_text.CHAT_LINE_BYTES, whatsapp_text._is_header,
                               keep_breaks=False)
    print(json.dumps({"end": raw.end, "grew": hwm() - before}))
""")


def test_a_utf16_chat_holds_its_utf8_once(tmp_path: Path) -> None:
    """Before: the UTF-8 made, then copied into a padded buffer, and a mask of its size for lone CRs: a
    30 MB chat read (UTF-16, 60 MB) took the process's peak up by 62 MB (197 MB, 135 MB after imports,
    load ~5). Now by about the UTF-8's size (166 MB)."""
    path = tmp_path / "WhatsApp Chat with Sam.txt"
    lines = "".join(f"01/02/2026, 16:{i % 60:02d} - Sam: message number {i} of the chat\n" for i in range(50_000))
    path.write_bytes(b"\xff\xfe" + (lines * 12).encode("utf-16-le"))
    size = len(lines) * 12
    proc = subprocess.run([sys.executable, "-c", _READ_CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["end"] == size
    assert report["grew"] < 1.4 * size, (report, size)
