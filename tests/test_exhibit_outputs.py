"""Every output a person reads names records by exhibit (`JA/7, sms rowid 477`), never by a
16-hex source id; JSON keeps source_id/event_ids for machines with an exhibit field beside."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from _conduct_cases import HOME, SUSPECT, VICTIM, make_case, msg, pos

from atlas.contacts import case_contacts
from atlas.exhibits import event_ref, readable_text, source_refs
from atlas.store import Case


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    make_case(tmp_path / "c", {
        VICTIM: [msg("2026-08-30 20:00", SUSPECT, VICTIM, "where are you"), msg("2026-08-31 12:00", SUSPECT, VICTIM)],
        SUSPECT: [pos("2026-08-31 21:00", *HOME, 10.0), msg("2026-08-31 12:00", SUSPECT, VICTIM)],
    }, orders=[{"type": "restraining-order", "start": "2026-08-01", "reference": "RO-1"}])
    return tmp_path / "c"


def test_cli_text_names_records_by_exhibit_never_by_hex_id(case_dir: Path, atlas: Callable[..., object],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    case = Case.open(case_dir)
    prefix, ids = case.manifest.exhibit_prefix, case.source_ids()
    for args in (("conduct", case_dir, "--as-of", "2026-11-22"), ("contacts", case_dir), ("timeline", case_dir),
                 ("people", case_dir)):
        out = atlas(*args).out  # type: ignore[attr-defined]
        assert not [i for i in ids if i in out], args[0]
        if args[0] != "people":
            assert re.search(rf"{prefix}/\d+, row \d+", out), args[0]


def test_json_keeps_ids_for_machines_with_exhibits_beside_them(case_dir: Path, atlas: Callable[..., object],
                                                              tmp_path: Path) -> None:
    case = Case.open(case_dir)
    refs = source_refs(case)
    conduct = json.loads(atlas("conduct", case_dir, "--as-of", "2026-11-22", "--json").out)  # type: ignore[attr-defined]
    for key in ("incidents", "breaches", "colocations"):
        assert conduct[key], key
        for item in conduct[key]:
            assert item["exhibits"] == [event_ref(refs, e) for e in item["event_ids"]]
    s2a = conduct["s2a"]
    assert s2a["last_incident_exhibits"] == [event_ref(refs, e) for e in s2a["last_incident_event_ids"]]
    # every store id in the machine output has its exhibit beside it (bursts, behaviours, requests to stop, …)
    pairs = _id_pairs(conduct)
    assert {k for k, _, _ in pairs} >= {"event_ids", "contact_id"}
    for key, ids, shown in pairs:
        assert shown == ([event_ref(refs, i.removeprefix("contact/")) for i in ids] if isinstance(ids, list)
                         else event_ref(refs, ids.removeprefix("contact/"))), key
    contacts = json.loads(atlas("contacts", case_dir, "--json").out)["contacts"]  # type: ignore[attr-defined]
    assert contacts and all(c["exhibits"] == [event_ref(refs, e) for e in c["event_ids"]] for c in contacts)
    out = tmp_path / "t.csv"
    assert atlas("timeline", case_dir, "--out", out).code == 0  # type: ignore[attr-defined]
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert header.index("exhibit") == header.index("source_id") + 1
    assert all(r["exhibit"] == event_ref(refs, r["event_id"]) for r in rows)
    people = json.loads(atlas("people", case_dir, "--json").out)  # type: ignore[attr-defined]
    ids = case.source_ids()
    assert all(not any(i in r["shown_as"] for i in ids) for p in people["parties"] for r in p["identifiers"])


def _id_pairs(data: object) -> list[tuple[str, object, object]]:
    """(key, store ids, the exhibits beside them) for every store-id key of a JSON result; a key with no
    exhibits beside it gives ``None`` (and fails the comparison)."""
    out: list[tuple[str, object, object]] = []
    if isinstance(data, list):
        for v in data:
            out += _id_pairs(v)
    elif isinstance(data, dict):
        for k, v in data.items():
            partner = (k.removesuffix("event_ids") + "exhibits" if k.endswith("event_ids") else
                       {"event_id": "exhibit", "contact_id": "contact_exhibit", "contact_ids": "contact_exhibits"}.get(k))
            if partner is not None and v is not None:
                out.append((k, v, data.get(partner)))
            out += _id_pairs(v)
    return out


def test_report_tables_carry_exhibits_and_events_csv_names_each_record(case_dir: Path, atlas: Callable[..., object],
                                                                      tmp_path: Path) -> None:
    # the synthetic case has no source files on disk, so it cannot verify: --unverified
    assert atlas("report", case_dir, "--out", tmp_path / "r", "--as-of", "2026-11-22", "--unverified").code == 0  # type: ignore[attr-defined]
    case = Case.open(case_dir)
    refs = source_refs(case)
    with (tmp_path / "r" / "events.csv").open(encoding="utf-8") as fh:
        events = list(csv.DictReader(fh))
    stored = {event_ref(refs, e["event_id"]): e for e in case.events().collect().iter_rows(named=True)}
    assert len(stored) == case.events().collect().height  # the exhibit reference is unique per record of the case
    assert events and "event_id" not in events[0] and len({e["exhibit"] for e in events}) == len(events)
    for e in events:  # each row is the stored record its exhibit reference names
        s = stored[e["exhibit"]]
        assert (e["source_exhibit"], e["source_ref"], e["text"]) == (refs[s["source_id"]], s["source_ref"], s["text"] or "")
    contacts = {c["contact_id"]: c for c in case_contacts(case).iter_rows(named=True)}
    for name in ("contacts.csv", "incidents.csv"):
        with (tmp_path / "r" / name).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and "event_ids" not in rows[0], name
        assert all(set(r["exhibits"].split("; ")) <= {e["exhibit"] for e in events} for r in rows), name
    with (tmp_path / "r" / "contacts.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # a contact is named by the record it is keyed on, and lists every record that shows it
    assert sorted((r["contact_id"], r["exhibits"]) for r in rows) == sorted(
        (event_ref(refs, cid.removeprefix("contact/")), "; ".join(event_ref(refs, e) for e in c["event_ids"]))
        for cid, c in contacts.items())


def test_people_shows_link_reasons_and_unknown_names_by_exhibit(small_demo_case: Path, atlas: Callable[..., object],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A proposal's stored reason names sources by id (``in source 586ad4d5d21525fa``, ``e.g.
    586ad4d5d21525fa/report.xml model …``); ``atlas people`` shows it by exhibit, and the
    names no party reaches as ``Dan (name in JA/7)``."""
    monkeypatch.setenv("COLUMNS", "400")
    case = Case.open(small_demo_case)
    ids = case.source_ids()
    assert atlas("discover", small_demo_case).code == 0  # type: ignore[attr-defined]
    view = json.loads(atlas("people", small_demo_case, "--json").out)  # type: ignore[attr-defined]
    assert any(i in p["reason"] for p in view["proposals"] for i in ids)  # the stored words keep the ids
    assert all(not any(i in p["reason_shown"] for i in ids) for p in view["proposals"] + view["links"])
    assert any(u.startswith("name:") for g in view["unresolved_groups"] for u in g["identifiers"])
    out = atlas("people", small_demo_case).out  # type: ignore[attr-defined]
    assert not [i for i in ids if i in out]
    assert re.search(rf"in source {case.manifest.exhibit_prefix}/\d+", out)
    # every other listing a person reads on the same case
    for args in (("cells", small_demo_case), ("conduct", small_demo_case, "--as-of", "2026-11-22", "--with-proposed"),
                 ("threats", small_demo_case), ("rejects", small_demo_case)):
        out = atlas(*args).out  # type: ignore[attr-defined]
        assert not [i for i in ids if i in out], args[0]


def test_readable_text_puts_exhibits_for_the_case_source_ids_only() -> None:
    refs = {"586ad4d5d21525fa": "JA/13", "8488e8fe50d51e74": "JA/7"}
    assert readable_text(refs, "sent 7 record(s) in source 586ad4d5d21525fa, a download") == "sent 7 record(s) in source JA/13, a download"
    assert (readable_text(refs, "e.g. 8488e8fe50d51e74/wa_contacts rowid 8 (the profile)")
            == "e.g. JA/7, wa_contacts rowid 8 (the profile)")
    # an IMEI-like or unknown 16-hex run, and a longer hex run, are not a source of the case
    assert readable_text(refs, "id 0123456789abcdef and 586ad4d5d21525fa00") == "id 0123456789abcdef and 586ad4d5d21525fa00"


def test_sources_are_listed_in_exhibit_order(small_demo_case: Path, atlas: Callable[..., object],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``atlas sources`` lists the exhibits as the statement does, JA/1, JA/2 … JA/10 (the store's
    own order is by source id, which reads as random)."""
    from atlas.exhibits import exhibit_key

    monkeypatch.setenv("COLUMNS", "400")
    listed = [s["exhibit"] for s in json.loads(atlas("sources", small_demo_case, "--json").out)]  # type: ignore[attr-defined]
    assert len(listed) >= 10 and listed == sorted(listed, key=exhibit_key)
    assert listed[:3] == [f"{listed[0].split('/')[0]}/{n}" for n in (1, 2, 3)]
    table = atlas("sources", small_demo_case).out  # type: ignore[attr-defined]
    shown = re.findall(r"│ (\w+/\d+) ", table)
    assert shown == listed


def test_exhibit_sort_keys_order_as_exhibit_key() -> None:
    import polars as pl

    from atlas.exhibits import exhibit_key, exhibit_sort_keys

    refs = ["JA/10", "JA/2", "", "AB/3", "JA/1", "JA/x", "JA/2/3", "AB/12"]
    assert pl.DataFrame({"exhibit": refs}).sort(exhibit_sort_keys(), maintain_order=True)["exhibit"].to_list() == sorted(refs, key=exhibit_key)


def test_record_references_sort_as_a_person_reads_them() -> None:
    """A served table lists a finding's records by exhibit then place, numbers as numbers (the store ids
    behind them sort by a hash of the source, which reads as random)."""
    from atlas.exhibits import RecordRef, sorted_refs

    refs = [RecordRef(*r.split(", ", 1)) for r in [  # a record as data: exhibit and place apart
        "JA/25, sms rowid 20", "JA/10, row 2", "JA/2, row 10", "JA/2, row 9", "JA/2, line 3", "JA/2",
        "JA/13, report.xml model 0a1b-f7", "JA/2, row 9"]]
    assert list(map(str, sorted_refs(refs))) == ["JA/2", "JA/2, line 3", "JA/2, row 9", "JA/2, row 9", "JA/2, row 10", "JA/10, row 2",
                                 "JA/13, report.xml model 0a1b-f7", "JA/25, sms rowid 20"]
