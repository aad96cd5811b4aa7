"""Subscriber returns: account events and identity evidence."""

from __future__ import annotations

from pathlib import Path

import parsers
from parsers.base import ParseContext
from parsers.subscriber import parse

RETURN = """MSISDN,Subscriber Name,Address,Account Number,Account Type,Activation Date,Deactivation Date,IMSI,IMEI,IMEI First Seen,IMEI Last Seen
07700900002,Daniel Sample,12 Example Road London,ACC1000,Contract,01/10/2025,12/03/2026,234100000000001,356938035643809,01/10/2025,12/03/2026
07700900013,Unregistered,,PAYG2001,Pay As You Go,11/03/2026,,234100000000099,356938035643809,11/03/2026,
,Nobody,,ACC9,Contract,,,,,,
"""


def test_a_registered_number_links_to_its_name_and_both_numbers_to_one_imei(tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    path.write_text(RETURN, encoding="utf-8")
    assert parsers.detect(path).INFO.name == "subscriber"
    res = parse(path, ParseContext(source_id="s1", path=path))
    assert res.evidence is not None
    ev = {(r["basis"], r["identifier"], r["related"]) for r in res.evidence.iter_rows(named=True)}
    assert ("subscriber-record", "phone:07700900002", "name:Daniel Sample") in ev
    assert ("same-imei", "phone:07700900002", "imei:356938035643809") in ev
    assert ("same-imei", "phone:07700900013", "imei:356938035643809") in ev
    # an unregistered pay-as-you-go SIM names nobody: no name link is made
    assert not any(b == "subscriber-record" and i == "phone:07700900013" and r.startswith("name:") for b, i, r in ev)
    assert res.assumptions[0] == "no registered subscriber for 07700900013 (blank or 'unregistered' name)"
    assert res.assumptions[1].startswith("national phone numbers read as GB numbers: the SIM's IMSI has mobile country "
                                         "code 234 (GB)") and res.region == "GB"
    texts = res.events.sort("source_ref").get_column("text").to_list()
    assert texts[0].startswith("subscriber record for 07700900002; registered to Daniel Sample")
    assert "no registered subscriber" in texts[1]
    assert res.events.get_column("kind").unique().to_list() == ["account"]
    assert res.rejects.get_column("reason").to_list() == ["no number (MSISDN) in the row"]
    assert res.records_read == 3


def test_a_stray_or_damaged_line_below_the_table_is_a_reject_not_a_subscriber_record(tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(RETURN.encode() + b"\xff\r\nEnd of return\r\n")  # before: "subscriber record for \xff" and for "End of return"
    res = parse(path, ParseContext(source_id="s1", path=path))
    assert res.events.height == 2 and res.records_read == 5
    assert not any("\ufffd" in t or "End of return" in t or "\xff" in t for t in res.events.get_column("text").to_list())
    got = sorted(zip(res.rejects.get_column("reason").to_list(), res.rejects.get_column("excerpt").to_list(), strict=True))
    assert got[0] == ("no number (MSISDN) in the row", "Nobody")
    assert [r for r, _ in got[1:]] == ["the number (MSISDN) holds no digit"] * 2
    assert {e for _, e in got[1:]} >= {"End of return"}
