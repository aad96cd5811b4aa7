"""A JSON file read as a stream has its strings over the bound cut too (parsers/_json_cut.py, session 17).

Before: Records.json (streamed with ijson, or read in blocks by Polars) was not cut: one 50 MB string
took a whole ``atlas ingest`` to 739 MB, and X's ``account.js`` (read beside a direct-message file for its
owner) to 386 MB for a 3 KB file of messages. Here:

* :func:`streamed_long_strings` finds exactly the strings :func:`every_long_string` finds in the whole
  bytes, whatever the pieces it is given (escapes, quotes and bytes of one character split between
  pieces, strings that never end, raw control characters, bytes that are not UTF-8);
* :class:`Spliced` reads a file with each string replaced by its marker, as :func:`cut` writes it.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from parsers import _json_cut as C


def _random_doc(rnd: random.Random, bound: int) -> bytes:
    parts = [b"["]
    for k in range(rnd.randrange(1, 12)):
        body = bytearray()
        for _ in range(rnd.choice((1, 3, bound // 4, bound + 1, 2 * bound, 7 * bound))):
            body += rnd.choice((b"A", b"\\\"", b"\\\\", b"\\n", "é".encode(), b"\xff", b"\x01", b"\\u00e9", b" ", b"9"))
            if len(body) > 8 * bound:
                break
        parts.append((b"," if k else b"") + b'{"k":"' + bytes(body) + b'", "n": 12345}')
    if rnd.random() < 0.2:  # a string that never ends
        parts.append(b',"' + b"B" * rnd.randrange(bound * 2))
    else:
        parts.append(b"]")
    return b"".join(parts)


@pytest.mark.parametrize("seed", range(300))
def test_the_streamed_look_finds_what_the_whole_bytes_show(seed: int) -> None:
    rnd = random.Random(seed)
    bound = rnd.choice((8, 16, 33))
    doc = _random_doc(rnd, bound)
    whole = C.every_long_string(doc, bound)
    for piece in (1, 2, 3, 7, bound, 64, 1 << 20):
        got = C.streamed_long_strings(io.BytesIO(doc).read, bound, piece)
        assert [(s, e, x) for s, e, x, _ in got] == whole, piece
        for s, e, _x, head in got:
            assert head == doc[s + 1:min(e - 1, s + 1 + 4 * C.EXCERPT_CHARS)]  # (the string's own bytes only)


def test_spliced_reads_what_cut_writes(tmp_path: Path) -> None:
    doc = b'{"a": [{"t": "' + b"A" * (3 << 20) + b'"}, {"t": "ok"}, {"t": "' + b"B" * (2 << 20) + b'"}]}'
    path = tmp_path / "d.json"
    path.write_bytes(doc)
    with C.collecting() as cuts:
        spans = C.file_spans(path)
        token = cuts.token
    assert [(s.start, s.end) for s in spans] == [(s, e) for s, e, _ in C.long_strings(doc, C.JSON_VALUE_BYTES)]
    assert [(c.offset, c.size, c.file) for c in cuts.found] == [(13, 3 << 20, "d.json"), (doc.index(b'"B'), 2 << 20, "d.json")]
    for size in (1, 5, 4096, 1 << 20):
        with path.open("rb") as fh:
            fh.seek(2)
            reader = C.Spliced(fh, spans, 2)
            got = b"".join(iter(lambda r=reader, n=size: r.read(n), b""))  # type: ignore[misc]
        assert got == doc[2:13] + f'"ATLAS-CUT-{token}-0"'.encode() \
            + doc[spans[0].end:spans[1].start] + f'"ATLAS-CUT-{token}-1"'.encode() + doc[spans[1].end:]
    with C.collecting():
        normal = tmp_path / "n.json"
        normal.write_bytes(b'{"a": [' + b", ".join([b'{"t": "hello"}'] * 200_000) + b"]}")
        assert C.file_spans(normal) == []
    assert C.file_spans(path) == []  # no parse collecting cuts
