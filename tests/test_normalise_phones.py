"""Phone numbers to identifier URIs: E.164, short codes, withheld, and once per distinct value."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

import atlas.normalise.identifiers as identifiers
from atlas.normalise import to_events
from atlas.normalise.identifiers import display, identifier_uri
from atlas.normalise.phones import looks_like_phone, phone_uri, phone_uri_map


@pytest.mark.parametrize(
    ("raw", "region", "uri"),
    [
        # The Ofcom drama range is not "valid" to phonenumbers, but it is a number.
        ("07700 900123", "GB", "tel:+447700900123"),
        ("+44 7700 900123", "GB", "tel:+447700900123"),
        ("+44 (0) 7700 900123", "GB", "tel:+447700900123"),
        ("\u202a+44 7700 900123\u202c", "GB", "tel:+447700900123"),  # WhatsApp's bidi marks
        ("07700\u00a0900123", "GB", "tel:+447700900123"),
        ("0044 7700 900123", "GB", "tel:+447700900123"),
        ("00447700900123", "GB", "tel:+447700900123"),
        ("020 7946 0018", "GB", "tel:+442079460018"),
        ("07624 123456", "GB", "tel:+447624123456"),  # Isle of Man: still +44
        # A US handset's numbers are US numbers (plaso's mmssms.db writes '1 555-521-5554').
        ("555-521-5554", "US", "tel:+15555215554"),
        ("1 555-521-5554", "US", "tel:+15555215554"),
        ("(202) 555-0143", "US", "tel:+12025550143"),
        ("+44 7700 900123", "US", "tel:+447700900123"),
        ("+1 555 521 5554", "GB", "tel:+15555215554"),
        # A GB number written nationally in a US source cannot be known: kept raw.
        ("07700900123", "US", "tel-raw:07700900123"),
    ],
)
def test_numbers_become_e164(raw: str, region: str, uri: str) -> None:
    assert phone_uri(raw, region) == uri


@pytest.mark.parametrize(
    ("raw", "uri"),
    [
        ("Withheld", "tel-raw:withheld"),
        ("Private Number", "tel-raw:private number"),
        ("PRIVATE", "tel-raw:private"),
        ("Unknown", "tel-raw:unknown"),
        ("-2", "tel-raw:-2"),  # Android's PRESENTATION_RESTRICTED
        ("", "tel-raw:empty"),
        ("  ", "tel-raw:empty"),
        ("Dan's work", "tel-raw:Dan's work"),
        ("+44 12", "tel-raw:+44 12"),
        ("0044", "tel-raw:0044"),  # the raw text as written, not as rewritten for parsing
        ("999", "tel-short:999"),
        ("101", "tel-short:101"),
        ("112", "tel-short:112"),
        ("61234", "tel-short:61234"),
        ("118 118", "tel-short:118118"),
    ],
)
def test_withheld_unparseable_and_short_codes_are_their_own_categories(raw: str, uri: str) -> None:
    assert phone_uri(raw, "GB") == uri


def test_looks_like_phone_tells_numbers_from_names() -> None:
    assert looks_like_phone("\u202a+44 7700 900123\u202c")
    assert looks_like_phone("07700 900123")
    assert not looks_like_phone("Dan")
    assert not looks_like_phone("999")
    assert not looks_like_phone("Dan 07700 900123")


def test_phone_uri_map_is_one_row_per_distinct_value() -> None:
    frame = phone_uri_map(["07700 900123", None, "07700 900123", "999"])
    assert frame.rows() == [("07700 900123", "tel:+447700900123"), ("999", "tel-short:999")]


def test_identifier_uris() -> None:
    assert identifier_uri("phone:07700 900123", source_id="s", region="GB") == "tel:+447700900123"
    assert identifier_uri("name:Dan", source_id="s", region="GB") == "name:s:Dan"
    assert identifier_uri("name:s:Dan", source_id="s", region="GB") == "name:s:Dan"
    assert identifier_uri("Dan", source_id="s", region="GB") == "name:s:Dan"
    assert identifier_uri("instagram:@Dan.Example", source_id="s", region="GB") == "instagram:dan.example"
    assert identifier_uri("email:Dan@Example.org", source_id="s", region="GB") == "email:dan@example.org"
    assert identifier_uri("facebook:100004567", source_id="s", region="GB") == "facebook:100004567"
    assert display("name:s:Dan") == "Dan"
    assert display("tel:+447700900123") == "tel:+447700900123"


def test_normalisation_parses_each_distinct_number_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = identifiers.phone_uri

    def counting(raw: str, region: str = "GB") -> str:
        calls.append(raw)
        return real(raw, region)

    monkeypatch.setattr(identifiers, "phone_uri", counting)
    n = 30_000
    numbers = ["07700 900123", "+44 7700 900124", "Withheld", "999"]
    raw = pl.DataFrame({
        "source_ref": [f"row {i}" for i in range(n)],
        "kind": ["call"] * n,
        "ts_local": [datetime(2026, 1, 1)] * n,
        "sender": [f"phone:{numbers[i % 4]}" for i in range(n)],
        "recipients": [["phone:07700 900001"] if i % 2 else ["phone:07700 900123"] for i in range(n)],
    })
    out = to_events(raw, source_id="s", timezone="Europe/London", region="GB", owner_uris=["tel:+447700900123"])
    assert sorted(calls) == sorted([*numbers, "07700 900001"])
    assert out.events.get_column("sender").head(4).to_list() == [
        "tel:+447700900123", "tel:+447700900124", "tel-raw:withheld", "tel-short:999",
    ]
    # Row 0 is the owner "to" the owner: the owner never contacts themself, so that recipient goes.
    assert out.events.get_column("recipients").head(2).to_list() == [[], ["tel:+447700900001"]]
    # Direction is relative to the owner, from the normalised URIs.
    assert out.events.get_column("direction").head(4).cast(pl.String).to_list() == ["out", "unknown", "in", "unknown"]


def test_the_fast_path_for_clean_uk_numbers_agrees_with_phonenumbers() -> None:
    """The column-expression path for 01/02/03/07 numbers gives exactly phonenumbers' URIs."""
    import random

    from atlas.normalise.identifiers import identifier_map, identifier_uri

    rng = random.Random(7)
    values = [
        rng.choice(["phone:0", "phone:+44", "phone:44", "phone:0044"]) + rng.choice("1237")
        + "".join(rng.choice("0123456789") for _ in range(9))
        for _ in range(5000)
    ]
    values += ["phone:07700 900123", "phone:Withheld", "phone:999", "phone:0800123456", "phone:+15555215554",
               "phone:0770090012", "phone:077009001234", "name:Dan", "instagram:Dan.Example"]
    mapping = identifier_map(pl.Series(values), source_id="s", region="GB")
    assert mapping.height == len(set(values))
    for raw, uri in mapping.iter_rows():
        assert uri == identifier_uri(raw, source_id="s", region="GB"), raw


def test_the_fast_path_for_uk_numbers_written_in_groups_agrees_with_phonenumbers() -> None:
    """Numbers written with spaces between digit groups (``07700 900123``, ``+44 7700 900123``)
    take the column-expression path too, and give exactly phonenumbers' URIs; other
    spacing (two spaces, a space inside the prefix, tabs) goes to phonenumbers."""
    import random

    from atlas.normalise.identifiers import GB_FAST_SPACED_PATTERN, identifier_map, identifier_uri

    rng = random.Random(11)
    values = []
    for _ in range(6000):
        digits = rng.choice("1237") + "".join(rng.choice("0123456789") for _ in range(9))
        gaps = ["", " "] if rng.random() < 0.7 else ["", " ", "  ", "\t"]  # most in groups, some oddly
        spaced = "".join(d + (rng.choice(gaps) if i < 9 else "") for i, d in enumerate(digits))
        prefix = rng.choice(["0", "+44", "44", "0044", "+44 ", "44 ", "0044 ", "0 ", "+ 44", "0 044", "00 44 "])
        values.append("phone:" + rng.choice(["", "", " "]) + prefix + spaced + rng.choice(["", "", " "]))
    values += ["phone:07700 900123", "phone:+44 7700 900123", "phone:0044 20 7946 0123", "phone:020 7946 0123",
               "phone:07700 90012", "phone:07700 9001234", "ph one:07700 900123", "phone:0 7700 900123"]
    assert sum(1 for v in values if pl.Series([v]).str.contains(GB_FAST_SPACED_PATTERN)[0]) > 1000
    mapping = identifier_map(pl.Series(values), source_id="s", region="GB")
    assert mapping.height == len(set(values))
    for raw, uri in mapping.iter_rows():
        assert uri == identifier_uri(raw, source_id="s", region="GB"), raw
