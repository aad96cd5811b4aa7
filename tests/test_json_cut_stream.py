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
import json
import random
from pathlib import Path

import polars as pl
import pytest

from parsers import _json_cut as C
from parsers.base import ParseContext
from tests._fast_plain import assert_identical


def _random_doc(rnd: random.Random, bound: int) -> bytes:
    parts = [b"["]
    for k in range(rnd.randrange(1, 12)):
        body = bytearray()
        kinds = rnd.choice(((b"A",), (b"A", "é".encode()), (b"A", b"\\\"", b"\\\\", b"\\n", b"\\u00e9"),
                            (b"A",) * 200 + (b"\xff", b"\x01"), (b" ", b"9")))
        for _ in range(rnd.choice((1, 3, bound // 4, bound + 1, 2 * bound, 7 * bound))):
            body += rnd.choice(kinds)
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
        assert [(s, e, x) for s, e, x, _, _ in got] == whole, piece
        for s, e, _x, head, floor in got:
            assert floor == C.text_floor(e - s - 2, doc.count(b"\\", s + 1, e - 1))
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
    for size in (1, 5, 4096, 1 << 20, -1):
        with path.open("rb") as fh:
            fh.seek(2)
            reader = C.Spliced(fh, spans, 2)
            assert reader.read(0) == b""  # (ijson asks for 0 bytes first)
            got = b"".join(iter(lambda r=reader, n=size: r.read(n), b""))  # type: ignore[misc]
        assert got == doc[2:13] + f'"ATLAS-CUT-{token}-0"'.encode() \
            + doc[spans[0].end:spans[1].start] + f'"ATLAS-CUT-{token}-1"'.encode() + doc[spans[1].end:]
    with C.collecting():
        normal = tmp_path / "n.json"
        normal.write_bytes(b'{"a": [' + b", ".join([b'{"t": "hello"}'] * 200_000) + b"]}")
        assert C.file_spans(normal) == []
    assert C.file_spans(path) == []  # no parse collecting cuts


# --- Records.json: streamed by ijson (plain rule) or read in blocks by Polars (fast route) ---------

def _records_file(path: Path, n: int, big: dict[int, tuple[str, int]], *, bom: bool = False) -> list[int]:
    """A Records.json of ``n`` records; ``big``: record -> (field, bytes of "A" in it). The offsets of
    the big strings' opening quotes."""
    recs = [{"latitudeE7": 515074000 + i, "longitudeE7": -1278000 - i, "accuracy": 16, "source": "WIFI",
             "timestamp": f"2026-03-01T10:{i % 60:02d}:00.123Z"} for i in range(n)]
    for i, (key, _) in big.items():
        recs[i][key] = f"@@BIG{i}@@"
    text = json.dumps({"locations": recs}, indent=1).encode()
    if bom:
        text = b"\xef\xbb\xbf" + text
    offsets = []
    for i, (_, size) in sorted(big.items()):
        at = text.index(f'"@@BIG{i}@@"'.encode())
        text = text[:at] + b'"' + b"A" * size + b'"' + text[at + len(f'"@@BIG{i}@@"'):]
        offsets.append(at)
    path.write_bytes(text)
    return offsets


@pytest.mark.parametrize("bom", [False, True])
def test_records_json_a_string_over_the_bound_is_one_reject_by_either_route(tmp_path: Path, bom: bool) -> None:
    """Before: the record was read whole (its text 3 MB, then set aside by the tables' check, with no byte
    offset), or refused as a time not readable with the whole value as its excerpt."""
    from parsers import google_records_json as gr
    from parsers._bounds import JSON_VALUE_BYTES as B

    path = tmp_path / "Records.json"
    big = {3: ("source", 3 * B), 7: ("timestamp", B + 1), 11: ("latitudeE7", 2 * B), 15: ("zzUnread", 2 * B),
           19: ("source", B - 100)}  # (under the bound: read as any other)
    offsets = _records_file(path, 40_000, big, bom=bom)
    ctx = ParseContext(source_id="src", path=path)
    fast, plain = gr.parse(path, ctx), gr.parse_plain(path, ctx)
    assert_identical(fast, plain)
    assert fast.records_read == 40_000 and fast.events.height == 40_000 - 3
    rejects = {r["source_ref"]: r for r in fast.rejects.iter_rows(named=True)}
    assert sorted(rejects) == ["locations[11]", "locations[3]", "locations[7]"]
    for (i, (_, size)), at in zip(sorted(big.items()), offsets, strict=True):
        if f"locations[{i}]" in rejects:
            reason = rejects[f"locations[{i}]"]["reason"]
            assert f"a value of {size:,} bytes (at byte offset {at:,})" in reason, reason
            assert reason.startswith(f"locations[{i}] of Records.json: ") and "ATLAS-CUT" not in reason
            assert rejects[f"locations[{i}]"]["excerpt"] == "A" * 80
    assert fast.events.filter(pl.col("source_ref") == "locations[19]").get_column("text").str.len_bytes().item() > B - 100


def test_records_json_with_a_long_string_holds_no_copy_of_it(tmp_path: Path) -> None:
    """Before: the fast route copied the block holding the string (48 MB) and ijson decoded it. Now what is
    held is a few of the look's pieces (:data:`parsers._json_cut.PIECE`), whatever the string's size."""
    import tracemalloc

    from parsers import google_records_json as gr

    path = tmp_path / "Records.json"
    _records_file(path, 3_000, {1_500: ("source", 48 << 20)})
    ctx = ParseContext(source_id="src", path=path)
    for route in (gr.parse, gr.parse_plain):
        tracemalloc.start()
        try:
            got = route(path, ctx)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert got.rejects.height == 1 and got.events.height == 2_999
        assert peak < 4 * C.PIECE, (route.__name__, peak)


def test_records_json_with_no_long_string_is_read_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parsers import _json_cut
    from parsers import google_records_json as gr

    path = tmp_path / "Records.json"
    _records_file(path, 30_000, {})
    ctx = ParseContext(source_id="src", path=path)
    looked: list[int] = []
    real = _json_cut.streamed_long_strings
    monkeypatch.setattr(_json_cut, "streamed_long_strings", lambda *a, **k: looked.append(1) or real(*a, **k))
    with_cut = gr.parse(path, ctx)
    assert looked == []  # (the quick look only: no window inside a string)
    monkeypatch.setattr(gr, "file_spans", lambda path: [])
    assert_identical(with_cut, gr.parse(path, ctx))


# --- X: account.js read beside a direct-message file, for the archive's owner ------------------------

def _account_js(path: Path, uid: str, username: str, name: str) -> None:
    acc = [{"account": {"accountId": "@@ID@@", "username": "@@USER@@", "accountDisplayName": "@@NAME@@"}}]
    text = "window.YTD.account.part0 = " + json.dumps(acc)
    for k, v in (("@@ID@@", uid), ("@@USER@@", username), ("@@NAME@@", name)):
        text = text.replace(k, v)
    path.write_text(text, encoding="utf-8")


def test_x_account_js_beside_with_a_long_name_gives_the_owner_without_holding_the_name(tmp_path: Path) -> None:
    """Before: account.js was read whole and decoded (a 40 MB display name: 80 MB and more held)."""
    import hashlib
    import tracemalloc

    from parsers import x_archive

    data = tmp_path / "data"
    data.mkdir()
    dm = data / "direct-messages.js"
    _account_js(data / "account.js", "1000000001", "owner", "A" * (40 << 20))
    tracemalloc.start()
    try:
        got = x_archive._owner_from_account(dm)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    digest = hashlib.sha256((data / "account.js").read_bytes()).hexdigest()
    assert got == x_archive.AccountOwner("x:id:1000000001", f"archive owner x:id:1000000001 (@owner) from account.js "
                                                            f"beside this file (SHA-256 {digest})")
    assert peak < 4 * C.PIECE, peak
    _account_js(data / "account.js", "1000000001", "B" * (2 << 20), "Owner")  # a cut handle: as absent
    assert x_archive._owner_from_account(dm) == x_archive.AccountOwner(
        "x:id:1000000001", "archive owner x:id:1000000001 from account.js beside this file (SHA-256 "
                           f"{hashlib.sha256((data / 'account.js').read_bytes()).hexdigest()})")
    _account_js(data / "account.js", "1" * (2 << 20), "owner", "Owner")  # a cut id: no owner from account.js
    offset = (data / "account.js").read_bytes().index(b'"111')
    assert x_archive._owner_from_account(dm) == x_archive.NoAccountOwner(x_archive.AccountJs.ID_OVER_BOUND, 2 << 20,
                                                                         offset, C.JSON_VALUE_BYTES)


def _dm_file(path: Path, pairs: list[tuple[str, str]]) -> None:
    convs = [{"dmConversation": {"conversationId": f"{a}-{b}", "messages": [{"messageCreate": {
        "id": str(i), "senderId": a, "recipientId": b, "text": f"hello {i}", "createdAt": "2026-03-01T10:00:00.000Z"}}]}}
        for i, (a, b) in enumerate(pairs)]
    path.write_text("window.YTD.direct_messages.part0 = " + json.dumps(convs), encoding="utf-8")


@pytest.mark.parametrize("plain", [False, True])
def test_x_an_account_id_over_the_bound_is_said_so_not_as_no_account_js(tmp_path: Path, plain: bool) -> None:
    """Before (session 17): account.js was there, its accountId cut, and the assumption read "no account.js beside
    the file". Now the reason is typed (:class:`parsers.x_archive.NoAccountOwner`) and names the id's size and
    byte offset; a folder with no account.js still says so, and an unreadable one says that."""
    from parsers import x_archive
    from parsers.base import ParseContext

    data = tmp_path / "data"
    data.mkdir()
    dm = data / "direct-messages.js"
    _dm_file(dm, [("1000000001", "2000000002"), ("3000000003", "1000000001")])

    def said() -> list[str]:
        parse = x_archive.parse_plain if plain else x_archive.parse
        return [a for a in parse(dm, ParseContext(source_id="s1", path=dm)).assumptions if "no --owner" in a]

    [absent] = said()
    assert "by inference" in absent and absent.endswith("(no --owner, no account.js beside the file)")
    _account_js(data / "account.js", "9" * (2 << 20), "owner", "Owner")
    offset = (data / "account.js").read_bytes().index(b'"999')
    [over] = said()
    assert "no account.js beside the file" not in over
    assert over.endswith(f"(no --owner, account.js is beside the file but its accountId, {2 << 20:,} bytes at byte "
                         f"offset {offset:,}, is over the {C.JSON_VALUE_BYTES:,}-byte bound on one value and was not read)")
    (data / "account.js").write_bytes(b"window.YTD.account.part0 = [{")
    [broken] = said()
    assert broken.endswith("(no --owner, account.js beside the file could not be read as an X account file)")
    _dm_file(dm, [("1000000001", "2000000002")])  # one conversation: no inference either
    _account_js(data / "account.js", "9" * (2 << 20), "owner", "Owner")
    [unknown] = said()
    assert unknown.startswith("the archive's owner is not known (no --owner, account.js is beside the file but its "
                              "accountId, ")


def test_read_spliced_hashes_the_file_and_reads_the_markers(tmp_path: Path) -> None:
    import hashlib

    doc = b'{"a": "' + b"A" * (3 << 20) + b'", "b": "ok", "c": "' + b"C" * (5 << 20) + b'"}'
    path = tmp_path / "d.json"
    path.write_bytes(doc)
    with C.collecting() as cuts:
        spans = C.file_spans(path)
    data, digest = C.read_spliced(path, spans)
    assert digest == hashlib.sha256(doc).hexdigest()
    assert json.loads(data) == {"a": f"ATLAS-CUT-{cuts.token}-0", "b": "ok", "c": f"ATLAS-CUT-{cuts.token}-1"}
    assert C.read_spliced(path, []) == (doc, digest)


# --- one sentence for a value over the bound, whichever route found it --------------------------------

def test_a_cut_string_and_a_value_found_after_the_parse_read_as_one_sentence() -> None:
    """Before: the cut said "its text holds a string of N bytes (at byte offset X), … not read", the tables'
    check "its text is N bytes, … not stored": two sentences for one condition. Now one type words both;
    only the byte offset (which only the cut knows) is added."""
    from parsers._bounds import JSON_VALUE_BYTES as B
    from parsers._bounds import ValueOverBound, extra_reason, value_reason

    cut = C.cut_reason("m[1]", "text", C.Cut("t.json", 105, B + 1, False, "AAA"), B, "a test record", "t.json")
    after = value_reason("m[1]", "text", B + 1, B, "a test record", "t.json")
    assert cut == after.replace(f"of {B + 1:,} bytes,", f"of {B + 1:,} bytes (at byte offset 105),")
    assert after == (f"m[1] of t.json: its text holds a value of {B + 1:,} bytes, over the {B:,}-byte bound on one "
                     "value of a test record: not stored (no real value is that long); the record is kept unchanged "
                     "in the source file")
    row = C.cut_reason("m[1]", "reaction", C.Cut("t.json", 7, B + 1, False, "A"), B, "a test record", "t.json", "reactions")
    assert row == extra_reason("m[1]", "reactions", "reaction", B + 1, B, "a test record", "t.json").replace(
        "bytes,", "bytes (at byte offset 7),")
    escaped = ValueOverBound("m[1]", "t.json", "recipients", 6 * B + 6, B, "a test record", escaped=True, offset=9,
                             offset_file="account.js").text
    assert escaped.startswith(f"m[1] of t.json: its recipient holds a value written in {6 * B + 6:,} bytes with its "
                              f"escapes (at least {B + 1:,} bytes of text) (at byte offset 9 of account.js), over the ")


# --- escaped strings of 1-6 MiB whose text is over the bound whatever the escapes -----------------------

def test_a_long_string_with_a_few_escapes_is_cut_and_one_full_of_them_is_left() -> None:
    """Before (session 16): a string holding any backslash was cut only over 6 MiB as written, so a 3 MiB
    message with a few line breaks (``\\n``) was decoded whole and set aside after the parse. Now it is cut
    when its text is over the bound however its escapes decode (:func:`text_floor`)."""
    from parsers._bounds import JSON_VALUE_BYTES as B

    few = json.dumps({"a": [{"t": "ok"}, {"t": ("A" * 1000 + "\n") * (3 * B // 1001)}]}).encode()
    [(start, end, esc)] = C.long_strings(few, B)
    assert esc and few[start:start + 3] == b'"AA'
    with C.collecting() as cuts:
        got = json.loads(C.cut(few, "m.json"))
    assert got["a"][1]["t"] == f"ATLAS-CUT-{cuts.token}-0" and got["a"][0]["t"] == "ok"
    [c] = cuts.found
    assert c.escaped and c.floor == c.size - 5 * few.count(b"\\", start, end) > B
    assert "with its escapes (at least " + f"{c.floor:,} bytes of text)" in C.cut_reason("a[1]", "text", c, B, "x", "m.json")
    full = json.dumps({"t": "\n" * (2 * B)}).encode()  # 4 MiB written, 2 MiB of text: under 6x, floor under the bound
    assert C.long_strings(full, B) == []
    assert C.text_floor(6 * B + 2, 3 * B + 1) == B + 1  # (a sixth, rounded up: over the bound)


def test_x_account_js_in_utf16_gives_the_owner_as_the_data_files_beside_it_are_read(tmp_path: Path) -> None:
    """Before (session 18): account.js re-saved in UTF-16 was not read (the DM file beside it was), and the
    assumption said "no account.js beside the file"."""
    import hashlib

    from parsers import x_archive

    data = tmp_path / "data"
    data.mkdir()
    dm = data / "direct-messages.js"
    _dm_file(dm, [("1000000001", "2000000002")])
    _account_js(data / "account.js", "1000000001", "owner", "B" * (2 << 20))
    account = data / "account.js"
    account.write_bytes(b"\xff\xfe" + account.read_text(encoding="utf-8").encode("utf-16-le"))
    digest = hashlib.sha256(account.read_bytes()).hexdigest()
    assert x_archive._owner_from_account(dm) == x_archive.AccountOwner(
        "x:id:1000000001", f"archive owner x:id:1000000001 (@owner) from account.js beside this file (SHA-256 {digest})")
