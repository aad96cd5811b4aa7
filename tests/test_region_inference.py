"""The region of national numbers is decided from the evidence, and the decision is stated.

A Swiss Samsung (SIM IMSIs all MCC 228, the other numbers all +41) in a British case: its
``0766013486`` is a Swiss mobile, never ``tel:+44766013486``. The rule itself
(:func:`atlas.normalise.region.choose_region`) is checked on the cases that could go
wrong: one foreign contact on a British phone, the Ofcom drama range, mixed codes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from atlas.normalise.region import RegionEvidence, choose_region
from atlas.store import Case
from fixtures.writers.android_phone import foreign_mmssms

SWISS_IMSI = "228012345678901"
T0 = 1_733_400_000_000
SWISS_TEXTS = [("0766013486", T0, 1, "Salut"), ("+41766013486", T0 + 60_000, 2, "Ca va?"),
               ("+41 79 123 45 67", T0 + 120_000, 1, "Rappelle-moi"), ("0041442345678", T0 + 180_000, 2, "Merci")]


def ingest(atlas: Callable[..., object], case_dir: Path, path: Path, *args: str) -> dict[str, object]:
    run = atlas("ingest", case_dir, path, "--json", *args)
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    return outcome  # type: ignore[no-any-return]


def parties(case_dir: Path) -> set[str]:
    ev = Case.open(case_dir).events().collect()
    return set(ev.select(pl.concat_list("sender", "recipients")).to_series().explode().drop_nulls())


def test_a_swiss_samsung_in_a_british_case_keeps_its_numbers_swiss_and_says_why(
        tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    db = tmp_path / "mmssms.db"
    foreign_mmssms(db, SWISS_IMSI, SWISS_TEXTS)
    outcome = ingest(atlas, case_dir, db)  # the case's region is GB; no --region
    assert parties(case_dir) == {"tel:+41766013486", "tel:+41791234567", "tel:+41442345678"}
    assert ("national phone numbers read as CH numbers: the SIM's IMSI has mobile country code 228 (CH): 4 IMSIs, all CH"
            in outcome["assumptions"])  # type: ignore[operator]
    [source] = Case.open(case_dir).sources().to_dicts()
    assert source["region"] == "CH"


def test_the_analysts_region_wins_and_is_recorded_as_instructed(
        tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    db = tmp_path / "mmssms.db"
    foreign_mmssms(db, SWISS_IMSI, SWISS_TEXTS)
    outcome = ingest(atlas, case_dir, db, "--region", "GB")
    assert "national phone numbers read as GB numbers: as instructed (--region)" in outcome["assumptions"]  # type: ignore[operator]
    assert "tel:+41766013486" in parties(case_dir)  # the international forms stay Swiss whatever the region


def test_a_swiss_handset_without_imsis_is_recognised_from_its_numbers(
        tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    db = tmp_path / "mmssms.db"
    foreign_mmssms(db, "", SWISS_TEXTS)
    outcome = ingest(atlas, case_dir, db)
    assert parties(case_dir) == {"tel:+41766013486", "tel:+41791234567", "tel:+41442345678"}
    [note] = [a for a in outcome["assumptions"] if "numbers read as" in a]  # type: ignore[union-attr]
    assert note.startswith("national phone numbers read as CH numbers: 3 of the 3 distinct numbers written internationally "
                           "are CH numbers (CH x3), and 1 of the 1 numbers written nationally are valid CH")


@pytest.mark.parametrize(("numbers", "region", "basis"), [
    # A British phone with one Polish contact saved internationally stays British.
    (("07911 123456", "07700 900123", "+48 601 234 567"), "GB", "case-default"),
    # The Ofcom drama range is not "valid" anywhere: no switch on a tie.
    (("07700 900001", "07700 900002", "+33 6 12 34 56 78", "+33 6 12 34 56 79"), "GB", "case-default"),
    # A French phone: French numbers written both ways.
    (("06 12 34 56 78", "+33 6 12 34 56 79", "+33 1 42 68 53 00"), "FR", "international-numbers"),
    # Mixed international codes decide nothing.
    (("07911 123456", "+33 6 12 34 56 79", "+49 1512 3456789"), "GB", "case-default"),
    # Nothing national: no region is needed.
    (("+41766013486", "+41791234567"), "CH", "international-numbers"),
])
def test_numbers_move_the_region_only_when_the_national_ones_read_better_there(
        numbers: tuple[str, ...], region: str, basis: str) -> None:
    choice = choose_region(RegionEvidence(numbers=numbers), default="GB")
    assert (choice.region, choice.basis) == (region, basis), choice.detail


def test_stronger_evidence_wins_and_disagreement_is_stated() -> None:
    ev = RegionEvidence(msisdns=("+41 76 601 34 86",), imsis=("234150000000000",), countries=("fr",))
    assert choose_region(ev, default="GB").region == "CH"
    two_sims = choose_region(RegionEvidence(imsis=("228010000000000", "228010000000000", "234150000000000")), default="GB")
    assert (two_sims.region, two_sims.basis) == ("CH", "imsi")
    assert "3 IMSIs disagree (CH x2, GB x1); the most common was taken" in two_sims.detail
    assert choose_region(RegionEvidence(countries=("us", "US", None or "")), default="GB").region == "US"
    assert choose_region(RegionEvidence(imsis=("228010000000000",)), default="US", instructed=True).region == "US"


# --- every parser that reads national numbers decides the region from its data -------------------
# Swiss evidence in a British case (region GB, no --region), in the layouts the parsers read.

SWISS_CDR = (
    "Originating Number,Terminating Number,Call Date,Call Time,Duration Seconds,Record Type,Call Direction,LAC,Cell ID,"
    "Last Cell ID,IMEI,IMSI,Roaming Flag\n"
    "0766013486,0791234567,2026-01-20,08:32:44,0,SMS,Outgoing,1021,21492,21492,359742492932680,228012345678901,No\n"
    "0443456789,0766013486,2026-01-20,09:10:02,65,Voice,Incoming,1021,21492,21492,359742492932680,228012345678901,No\n"
    "0766013486,0791234567,2026-01-21,18:02:11,120,Voice,Outgoing,1022,21501,21501,359742492932680,228012345678901,No\n"
)
SWISS_SUBSCRIBERS = (
    "MSISDN,Subscriber Name,Address,Account Number,Account Type,Activation Date,Deactivation Date,IMSI,IMEI,"
    "IMEI First Seen,IMEI Last Seen,Other Contact Number\n"
    '0766013486,Luca Meier,"Bahnhofstrasse 1, 8001 Zurich",CH-10001,Contract,01/10/2025,,228012345678901,'
    "359742492932680,01/10/2025,,0791234567\n"
)
SWISS_CHAT = (
    "06/12/2026, 14:05 - +41 76 601 34 86 created group \"Velo\"\n"
    "06/12/2026, 14:06 - +41 76 601 34 86 added 076 555 12 34\n"
    "06/12/2026, 14:07 - +41 76 601 34 86: Salut\n"
    "06/12/2026, 14:08 - +41 79 123 45 67: Ca va?\n"
    "06/12/2026, 14:09 - 076 555 12 34: Merci\n"
)
# A US handset's calls exported by XRY, where Excel stored one number as a number: the British
# lost-zero repair would make 2125550142 the London-looking 02125550142.
US_CALLS = (
    "Index,Call Type,Time,Duration,Number,Name,Deleted\n"
    "1,Outgoing,20/01/2026 22:05:09,00:01:10,+1 646 555 0199,Sam,No\n"
    "2,Incoming,21/01/2026 12:11:50,00:00:40,+1 917 555 0123,Jo,No\n"
    "3,Missed,22/01/2026 13:01:30,00:00:00,2125550142,,No\n"
    "4,Outgoing,23/01/2026 09:00:00,00:02:00,(917) 555-0123,Jo,No\n"
)


def _source(case_dir: Path) -> dict[str, object]:
    [source] = Case.open(case_dir).sources().to_dicts()
    return source


def test_a_swiss_cdr_takes_its_region_from_the_targets_imsi(tmp_path: Path, case_dir: Path,
                                                           atlas: Callable[..., object]) -> None:
    """Every number written nationally, as a Swiss provider writes them: only the SIM says where."""
    path = tmp_path / "0766013486_cdr.csv"
    path.write_text(SWISS_CDR, encoding="utf-8")
    outcome = ingest(atlas, case_dir, path)
    assert parties(case_dir) == {"tel:+41766013486", "tel:+41791234567", "tel:+41443456789"}
    assert ("national phone numbers read as CH numbers: the SIM's IMSI has mobile country code 228 (CH): 1 IMSI, all CH"
            in outcome["assumptions"])  # type: ignore[operator]
    assert _source(case_dir)["region"] == "CH"
    assert _source(case_dir)["owner"] == "tel:+41766013486"


def test_a_swiss_subscriber_return_links_swiss_numbers(tmp_path: Path, case_dir: Path,
                                                      atlas: Callable[..., object]) -> None:
    path = tmp_path / "subscriber_return.csv"
    path.write_text(SWISS_SUBSCRIBERS, encoding="utf-8")
    outcome = ingest(atlas, case_dir, path)
    evidence = Case.open(case_dir).evidence().collect()
    pairs = set(evidence.select("identifier", "related").iter_rows())
    assert ("tel:+41766013486", "tel:+41791234567") in pairs
    assert any(a.startswith("national phone numbers read as CH numbers: the SIM's IMSI has mobile country code 228")
               for a in outcome["assumptions"])  # type: ignore[union-attr]
    assert _source(case_dir)["region"] == "CH"


def test_a_swiss_whatsapp_group_export_reads_a_national_member_as_swiss(tmp_path: Path, case_dir: Path,
                                                                      atlas: Callable[..., object]) -> None:
    path = tmp_path / "WhatsApp Chat with Velo.txt"
    path.write_text(SWISS_CHAT, encoding="utf-8")
    outcome = ingest(atlas, case_dir, path)
    assert parties(case_dir) == {"tel:+41766013486", "tel:+41791234567", "tel:+41765551234"}
    [note] = [a for a in outcome["assumptions"] if "numbers read as" in a]  # type: ignore[union-attr]
    assert note.startswith("national phone numbers read as CH numbers: 2 of the 2 distinct numbers written "
                           "internationally are CH numbers (CH x2), and 1 of the 1 numbers written nationally are valid CH")
    assert _source(case_dir)["region"] == "CH"


def test_a_tool_export_decides_the_region_before_the_british_lost_zero_repair(
        tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    folder = tmp_path / "XRY export"
    folder.mkdir()
    path = folder / "Calls.csv"
    path.write_text(US_CALLS, encoding="utf-8")
    outcome = ingest(atlas, case_dir, path)
    assert parties(case_dir) >= {"tel:+16465550199", "tel:+19175550123", "tel:+12125550142"}
    assert not any(p.startswith("tel:+44") for p in parties(case_dir))
    assert not any("lost their leading 0" in a for a in outcome["assumptions"])  # type: ignore[union-attr]
    assert any(a.startswith("national phone numbers read as US numbers") for a in outcome["assumptions"])  # type: ignore[union-attr]
    assert _source(case_dir)["region"] == "US"


def test_british_returns_stay_british_and_say_so(tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = tmp_path / "07700900002_cdr.csv"
    path.write_text(SWISS_CDR.replace("228012345678901", "234107495436240").replace("0766013486", "07911123456")
                    .replace("0791234567", "07700900001").replace("0443456789", "02079460000"), encoding="utf-8")
    outcome = ingest(atlas, case_dir, path)
    assert "tel:+447911123456" in parties(case_dir)
    assert ("national phone numbers read as GB numbers: the SIM's IMSI has mobile country code 234 (GB): 1 IMSI, all GB"
            in outcome["assumptions"])  # type: ignore[operator]
