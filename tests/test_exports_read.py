"""``parsers._exports.read_bytes_text`` (the file read into a buffer kept for the next file) gives exactly
what its plain rule ``read_bytes_text_plain`` gives: the same text, or the same error in the same words,
for odd starts (empty, blank, whitespace first, byte-order marks), text that is not UTF-8 or is cut inside
a character, files bigger than the buffer, and files of every size one after another (the buffer grown
and kept)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import parsers._exports as exports


def _same(path: Path) -> str | None:
    """Both rules on ``path``: equal text, or equal errors (type and words). The text, or None on an error."""
    try:
        plain = exports.read_bytes_text_plain(path, "test file")
    except Exception as exc:
        with pytest.raises(type(exc)) as got:
            exports.read_bytes_text(path, "test file")
        assert str(got.value) == str(exc)
        return None
    fast = exports.read_bytes_text(path, "test file")
    assert type(fast) is str and fast == plain
    return fast


ODD: dict[str, bytes] = {
    "empty": b"",
    "blank": b" \t\r\n\x0b\x0c",
    "whitespace first": b'\n  {"a": 1}',
    "nul first": b'\x00{"a": 1}',
    "utf-8 bom": b'\xef\xbb\xbf{"a": "\xc3\xa9"}',
    "utf-8 bom only": b"\xef\xbb\xbf",
    "utf-16 le bom": '\ufeff{"a": "é"}'.encode("utf-16-le"),
    "utf-16 be bom": '\ufeff{"a": "é"}'.encode("utf-16-be"),
    "utf-16 le odd length": '\ufeff{"a": 1}'.encode("utf-16-le") + b"\x00",
    "not utf-8": b'{"a": "\xff\xfe"}',
    "cut in a character": b'{"a": "\xe2\x82',
    "cut at the end": b'{"a": "\xe2\x82\xac"}\xe2',
    "lone surrogate bytes": b'{"a": "\xed\xa0\x80"}',
    "unicode whitespace only": "\u2028\u00a0".encode(),
    "one byte": b"{",
    "non-ascii first": "é{}".encode(),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_files_read_the_same(name: str, tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(ODD[name])
    _same(path)


def test_a_missing_file_fails_the_same(tmp_path: Path) -> None:
    _same(tmp_path / "missing.json")


def test_a_directory_fails_the_same(tmp_path: Path) -> None:
    _same(tmp_path)


@pytest.mark.parametrize("seed", range(30))
def test_files_of_every_size_one_after_another_read_the_same(seed: int, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Sizes below, at and above the buffer (made small here), in a random order, with random text (a
    share of it not UTF-8): the buffer grown, kept and used again, each file read whole."""
    monkeypatch.setattr(exports, "_READ_BUFFER_MAX", 1 << 17)
    monkeypatch.setattr(exports, "_READ_BUFFERS", [])
    rng = random.Random(seed)
    sizes = [0, 1, 2, 3, 1 << 16, (1 << 16) - 1, (1 << 16) + 1, (1 << 17) - 1, 1 << 17, (1 << 17) + 1, 300_000,
             *(rng.randint(1, 250_000) for _ in range(12))]
    rng.shuffle(sizes)
    alphabet = "{}[]\":,. abcé€\U0001f600\n\t"
    for i, size in enumerate(sizes):
        text = "".join(rng.choice(alphabet) for _ in range(size // 2 + 1)).encode()[:size]
        if rng.random() < 0.2 and text:
            at = rng.randrange(len(text))
            text = text[:at] + bytes([rng.choice([0x80, 0xc3, 0xff, 0xfe])]) + text[at + 1:]
        path = tmp_path / f"f{i}.json"
        path.write_bytes(text)
        _same(path)
    assert len(exports._READ_BUFFERS) == 1  # (one thread: one buffer, kept)
    assert len(exports._READ_BUFFERS[0]) <= exports._READ_BUFFER_MAX + 1


def test_the_buffer_is_kept_and_used_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "_READ_BUFFERS", [])
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    small.write_bytes(b'{"a": 1}')
    big.write_bytes(b'{"a": "' + b"x" * 200_000 + b'"}')
    assert _same(small) == '{"a": 1}'
    (buffer,) = exports._READ_BUFFERS
    _same(small)
    assert len(exports._READ_BUFFERS) == 1 and exports._READ_BUFFERS[0] is buffer
    _same(big)
    (grown,) = exports._READ_BUFFERS
    assert len(grown) > 200_000
    _same(small)
    assert exports._READ_BUFFERS[0] is grown


def test_a_file_bigger_than_the_buffer_is_read_by_the_plain_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "_READ_BUFFER_MAX", 1000)
    monkeypatch.setattr(exports, "_READ_BUFFERS", [])
    seen: list[Path] = []
    plain = exports.read_bytes_text_plain

    def recorded(path: Path, what: str, invalid_notes: list[str] | None = None) -> str:
        seen.append(path)
        return plain(path, what, invalid_notes=invalid_notes)

    monkeypatch.setattr(exports, "read_bytes_text_plain", recorded)
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a": "' + b"y" * 5000 + b'"}')
    assert exports.read_bytes_text(path, "test file") == path.read_text()
    assert seen == [path]
    assert all(len(b) <= 1001 for b in exports._READ_BUFFERS)
    seen.clear()
    small = tmp_path / "s.json"
    small.write_bytes(b"[1]")
    assert exports.read_bytes_text(small, "test file") == "[1]"
    assert seen == []
