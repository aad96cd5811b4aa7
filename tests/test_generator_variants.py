"""The generator's variants of real-world presentation, read as they must be: a CDR in a
layout no template names (hexadecimal cells), a WhatsApp group whose members join and leave,
and a chat with CR-only line endings (all in the ``clean`` scenario)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import parsers
from fixtures.generate import generate
from fixtures.writers.whatsapp_text import GROUP_SCRIPT
from parsers.base import ParseContext, ParseResult


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("variants") / "clean"
    truth = generate("clean", 1, 0.2, root)
    return root, truth


def parse(path: Path) -> tuple[str, ParseResult]:
    parser = parsers.detect(path)
    return parser.INFO.name, parser.parse(path, ParseContext(source_id="s", path=path))


def refs_of(truth: dict[str, Any], rel: str) -> set[str]:
    sid = next(s["source_id"] for s in truth["sources"] if s["path"] == rel)
    return {a["source_ref"] for c in truth["contacts"] for a in c["sources"] if a["source_id"] == sid}


def test_the_cdr_in_a_layout_no_template_names_is_mapped_by_meaning_and_its_hex_cells_join_the_list(
        clean: tuple[Path, dict[str, Any]]) -> None:
    root, truth = clean
    rel = "sources/comms-data/07700900002_unseen_cdr.csv"
    name, result = parse(root / rel)
    assert name == "cdr" and result.rejects.height == 0
    assert any("mapped by meaning" in a and "'Start Cell' → first_cell" in a for a in result.assumptions)
    assert refs_of(truth, rel) <= set(result.events.get_column("source_ref"))
    _, cells = parse(root / "sources/comms-data/network-a_cell_sites.csv")
    listed = set(cells.extra["cells"].get_column("cell_id"))
    used = set(result.events.get_column("cell_id").drop_nulls())
    assert used and len(used - listed) <= len(used) // 4  # hex read as decimal: they join (one mast predates the list)


def test_the_group_chat_gives_each_message_the_members_of_its_time(clean: tuple[Path, dict[str, Any]]) -> None:
    root, _ = clean
    name, result = parse(root / "sources/victim-phone/WhatsApp Chat with Book club.txt")
    assert name == "whatsapp-text"
    victim = json.loads((root / "truth.json").read_text(encoding="utf-8"))["parties"]["victim"]
    owner = next(n.split(":", 2)[2] for n in victim["identifiers"] if n.startswith("name:"))
    members = {"Rowan", "Tobias", owner}
    expected = []
    for _, author, text in GROUP_SCRIPT:
        if not author:
            if text.startswith("Jolene joined"):
                members.add("Jolene")
            if text == "Tobias left":
                members.discard("Tobias")
            continue
        who = owner if author == "OWNER" else author
        expected.append((f"name:s:{who}", sorted(f"name:s:{m}" for m in members - {who})))
    got = result.events.filter(pl.col("kind") == "message").select("sender", "recipients").rows()
    assert got == expected
    notes = result.events.filter(pl.col("kind") == "note").get_column("text").to_list()
    assert "Jolene joined using this group's invite link" in notes and "Tobias left" in notes
    assert result.extra["group_membership"].get_column("action").to_list() == [
        "created", "added", "added", "joined", "left"]


def test_the_cr_only_chat_reads_exactly_as_with_lf(clean: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, truth = clean
    rel = "sources/victim-phone/WhatsApp Chat with Sam.txt"
    data = (root / rel).read_bytes()
    assert b"\n" not in data and data.count(b"\r") > 10
    lf = tmp_path / "WhatsApp Chat with Sam.txt"
    lf.write_bytes(data.replace(b"\r", b"\n"))
    _, got = parse(root / rel)
    _, expected = parse(lf)
    assert got.events.equals(expected.events) and got.records_read == expected.records_read
    assert refs_of(truth, rel) <= set(got.events.get_column("source_ref"))
