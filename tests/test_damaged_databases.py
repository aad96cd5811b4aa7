"""Damaged phone databases and reports fail cleanly, at the parser: one line naming the file.

A corrupt ``.ufdr`` (deflate data damaged) raised ``zlib.error`` from detection; a
``ChatStorage.sqlite`` whose b-tree visits one page twice raised "parser produced
duplicate source_ref values". Both are now refused with the reason, and bounded byte-flip
runs over the real ChatStorage and a generated UFDR give only clean outcomes.
"""

from __future__ import annotations

import random
import sqlite3
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import parsers
from atlas.errors import FormatError
from fixtures.scenarios import build
from fixtures.writers import cellebrite_xml as ufdr_writer
from parsers import cellebrite_xml, whatsapp_ios_db
from parsers.base import ParseContext

CHATSTORAGE = "ileapp-josh-ios15-whatsapp/ChatStorage.sqlite"


@pytest.fixture(scope="module")
def ufdr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ufdr")
    [written] = [w for w in ufdr_writer.write(build("time-limit", 1, 0.2), root, random.Random("u")) if w.path.endswith(".ufdr")]
    return root / written.path


def flipped(data: bytes, rng: random.Random, start: int) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 4, 16))):
        out[rng.randrange(start, len(out))] = rng.randrange(256)
    return bytes(out)


def outcome(module: object, path: Path) -> str:
    """'ok', or the FormatError (anything else fails the test)."""
    try:
        found = parsers.detect(path)
    except FormatError:
        return "not recognised"
    if found is not module:
        return f"detected as {found.INFO.name}"
    try:
        module.parse(path, ParseContext(source_id="s", path=path))  # type: ignore[attr-defined]
    except FormatError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return "refused"
    return "ok"


def test_a_ufdr_with_damaged_deflate_data_is_refused_naming_the_damage(ufdr: Path, tmp_path: Path,
                                                                         atlas: Callable[..., object]) -> None:
    with zipfile.ZipFile(ufdr) as zf:
        start = zf.infolist()[0].header_offset + 30 + len(zf.infolist()[0].filename)
    data = bytearray(ufdr.read_bytes())
    data[start + 70] ^= 0xFF  # inside the first deflate block: decompression itself fails
    bad = tmp_path / "suspect-handset.ufdr"
    bad.write_bytes(bytes(data))
    assert parsers.detect(bad) is cellebrite_xml
    with pytest.raises(FormatError, match=r"suspect-handset\.ufdr!report\.xml: the compressed report is damaged \(Error -3 "
                                          r"while decompressing data: .*\); the UFDR is truncated or corrupt"):
        cellebrite_xml.parse(bad, ParseContext(source_id="s", path=bad))
    case = tmp_path / "case"
    assert atlas("init", case).code == 0  # type: ignore[attr-defined]
    run = atlas("ingest", case, bad)
    assert run.code != 0 and "Traceback" not in run.err and "compressed report is damaged" in run.err  # type: ignore[attr-defined]


def test_a_ufdr_whose_checksum_fails_at_the_end_is_refused(ufdr: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(ufdr) as zf:
        info = zf.infolist()[0]
    data = bytearray(ufdr.read_bytes())
    central = data.rindex(b"PK\x01\x02")  # the central directory entry: zipfile checks its CRC-32
    data[central + 16:central + 20] = ((info.CRC + 1) & 0xFFFFFFFF).to_bytes(4, "little")
    bad = tmp_path / "crc.ufdr"
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"the compressed report is damaged \(Bad CRC-32 for file 'report\.xml'\)"):
        cellebrite_xml.parse(bad, ParseContext(source_id="s", path=bad))


def test_byte_flips_in_a_ufdr_give_only_clean_outcomes(ufdr: Path, tmp_path: Path) -> None:
    data, rng, seen = ufdr.read_bytes(), random.Random(17), Counter[str]()
    for i in range(40):
        path = tmp_path / f"f{i}.ufdr"
        path.write_bytes(flipped(data, rng, 40))
        seen[outcome(cellebrite_xml, path)] += 1
    print(dict(seen))
    assert seen["refused"] > 0 and sum(seen.values()) == 40


def test_a_chatstorage_whose_btree_visits_a_page_twice_is_refused_not_duplicated(samples: Path, tmp_path: Path) -> None:
    src = samples / CHATSTORAGE
    with sqlite3.connect(f"{src.as_uri()}?mode=ro&immutable=1", uri=True) as con:
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ZWAMESSAGE'").fetchone()[0]
    data = bytearray(src.read_bytes())
    page = (root - 1) * 4096
    assert data[page] == 5  # an interior table page: left child and right child
    cell = int.from_bytes(data[page + 12:page + 14], "big")
    right = data[page + 8:page + 12]
    data[page + cell:page + cell + 4] = right  # the left child pointer now names the right child too
    bad = tmp_path / "ChatStorage.sqlite"
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"ChatStorage\.sqlite: fails SQLite's integrity check \(PRAGMA quick_check: On "
                                          rf"page {root} at right child: 2nd reference to page {int.from_bytes(right, 'big')}"):
        whatsapp_ios_db.parse(bad, ParseContext(source_id="s", path=bad))


def test_byte_flips_in_the_real_chatstorage_give_only_clean_outcomes(samples: Path, tmp_path: Path) -> None:
    data, rng, seen = (samples / CHATSTORAGE).read_bytes(), random.Random(5), Counter[str]()
    for i in range(40):
        path = tmp_path / f"c{i}.sqlite"
        path.write_bytes(flipped(data, rng, 100))
        seen[outcome(whatsapp_ios_db, path)] += 1
    print(dict(seen))
    assert seen["ok"] > 0 and seen["refused"] > 0
