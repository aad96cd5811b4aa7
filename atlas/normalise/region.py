"""Which country a source's national phone numbers belong to, decided from the evidence.

Why: ``0766013486`` is a Swiss mobile on a Swiss handset and an impossible British
number on a British one. A default region (the case's, GB) silently applied to a
foreign handset turns its numbers into wrong or unreadable identifiers. So every parser
that reads phone numbers hands what its source shows to :func:`choose_region`, which
decides once, the same way for every format, and says why (the reason is recorded on the
source as an assumption).

The evidence, strongest first:

1. ``--region`` given by the analyst (instructed: nothing is inferred);
2. the handset's own number in international form (a Cellebrite report's MSISDN);
3. the SIM's IMSI: its mobile country code (MCC, ITU-T E.212) is the SIM's home country;
4. a country the device itself recorded for the numbers (Android ``calls.countryiso``,
   iOS ``handle.country``, ``ZISO_COUNTRY_CODE``);
5. the same number written both nationally and internationally in the source (a
   WhatsApp JID beside the address book's entry): the digits in front are the code;
6. the country calling codes of the numbers the source writes internationally
   (``+41…``, ``0041…``), when one code is at least two thirds of them;
7. otherwise the case's region, stated as such, with what was looked at.

Several values of one kind that disagree (two SIMs from two countries) are decided by
the most common, and the note says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import polars as pl

MCC_REGION: Final[dict[str, str]] = {
    "234": "GB", "235": "GB", "272": "IE", "310": "US", "311": "US", "312": "US", "313": "US", "314": "US",
    "315": "US", "316": "US", "302": "CA", "208": "FR", "262": "DE", "214": "ES", "222": "IT", "204": "NL",
    "206": "BE", "228": "CH", "232": "AT", "238": "DK", "240": "SE", "242": "NO", "244": "FI", "260": "PL",
    "268": "PT", "226": "RO", "202": "GR", "505": "AU", "530": "NZ", "404": "IN", "405": "IN", "410": "PK",
    "286": "TR", "724": "BR", "334": "MX", "655": "ZA", "621": "NG", "270": "LU", "274": "IS", "278": "MT",
    "280": "CY", "230": "CZ", "231": "SK", "216": "HU", "219": "HR", "293": "SI", "284": "BG", "246": "LT",
    "247": "LV", "248": "EE", "255": "UA", "250": "RU", "425": "IL", "424": "AE", "420": "SA", "602": "EG",
    "603": "DZ", "604": "MA", "605": "TN", "639": "KE", "454": "HK", "460": "CN", "440": "JP", "450": "KR",
    "525": "SG", "502": "MY", "520": "TH", "510": "ID", "515": "PH", "452": "VN", "722": "AR", "730": "CL",
    "732": "CO", "716": "PE",
}
"""Mobile country code → region (ITU-T E.212; the countries a UK case most often meets)."""

SHARE_NEEDED: Final = 2 / 3
"""The share of the internationally written numbers one calling code must have to decide."""

Basis = Literal["instructed", "msisdn", "imsi", "device-country", "same-numbers", "international-numbers",
                "case-default"]


@dataclass(frozen=True)
class RegionEvidence:
    """What one source shows about its country. Every field is optional."""

    msisdns: tuple[str, ...] = ()
    """The handset's own number(s), as written."""
    imsis: tuple[str, ...] = ()
    """SIM IMSIs (15 digits; the first three are the MCC)."""
    countries: tuple[str, ...] = ()
    """ISO 3166 codes the device recorded for numbers (one per record)."""
    countries_from: str = ""
    """Where ``countries`` come from, for the note (e.g. ``calls.countryiso``)."""
    same_numbers: str | None = None
    """A region found from one number written both ways (see ``_phone_db.region_from_numbers``)."""
    same_numbers_from: str = ""
    numbers: tuple[str, ...] = field(default=())
    """Phone numbers as the source writes them (distinct values are enough)."""


@dataclass(frozen=True)
class RegionChoice:
    region: str
    basis: Basis
    detail: str

    @property
    def assumption(self) -> str:
        """The sentence recorded on the source."""
        return f"national phone numbers read as {self.region} numbers: {self.detail}"


def _mode(values: Iterable[str]) -> tuple[str, Counter[str]] | None:
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return top, counts


def _tally(counts: Counter[str], unit: str) -> str:
    if len(counts) == 1:
        [(value, n)] = counts.items()
        return f"{n} {unit}{'s' if n != 1 else ''}, all {value}"
    parts = ", ".join(f"{v} x{n}" for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{sum(counts.values())} {unit}s disagree ({parts}); the most common was taken"


def region_of_number(raw: str) -> str | None:
    """The region of a number written internationally (``+41 76…``, ``0041…``), else None."""
    import phonenumbers

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return None if region in (None, "ZZ", "001") else str(region)


INTERNATIONAL_SAMPLE: Final = 2000
"""At most this many distinct international numbers are parsed for their country code."""
NATIONAL_SAMPLE: Final = 200
"""At most this many national numbers are tried against each candidate region (phonenumbers
parses ~33 k values/s: a few milliseconds)."""


def _valid_in(numbers: list[str], region: str) -> int:
    """How many of ``numbers`` are valid ordinary (fixed-line or mobile) numbers of ``region``:
    a handset's contacts are people; a reading that makes them premium-rate or pager
    numbers is a wrong reading (``(919) 888-7386`` is a valid British premium number)."""
    import phonenumbers
    from phonenumbers import PhoneNumberType

    ordinary = {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
    valid = 0
    for raw in numbers:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        valid += phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in ordinary
    return valid


_NUMBER_COLUMNS: Final = ("sender", "recipients", "identifier", "related")


def numbers_in_plain(*frames: pl.DataFrame | None) -> tuple[str, ...]:
    """The plain rule of :func:`numbers_in`: every row's value filtered and cut, then made distinct."""
    found: set[str] = set()
    for frame in frames:
        if frame is None or frame.height == 0:
            continue
        for name in _NUMBER_COLUMNS:
            if name not in frame.columns:
                continue
            col = frame.get_column(name)
            if isinstance(col.dtype, pl.List):
                col = col.explode()
            col = col.drop_nulls().cast(pl.String)
            found.update(col.filter(col.str.starts_with("phone:")).str.slice(6).unique().to_list())
    return tuple(sorted(found))


def numbers_in(*frames: pl.DataFrame | None) -> tuple[str, ...]:
    """The distinct phone numbers (raw ``phone:`` identifiers, as written) in the ``sender``,
    ``recipients``, ``identifier`` and ``related`` columns of parser frames.

    The same set as :func:`numbers_in_plain`, made distinct first (a 2 M-row call record
    has a few thousand distinct parties): each column's first occurrences are found in one
    parallel pass, and only those are filtered and cut (3-4x less CPU on a 2 M-row CDR)."""
    found: set[str] = set()
    for frame in frames:
        if frame is None or frame.height == 0:
            continue
        names = [n for n in _NUMBER_COLUMNS if n in frame.columns]
        if not names:
            continue
        exprs = []
        for name in names:
            expr = pl.col(name).explode() if isinstance(frame.schema[name], pl.List) else pl.col(name)
            exprs.append(expr.filter(expr.is_first_distinct()).implode().alias(name))
        distinct = frame.lazy().select(exprs).collect(engine="in-memory")
        for name in names:
            col = distinct.get_column(name).explode().drop_nulls().cast(pl.String)
            found.update(col.filter(col.str.starts_with("phone:")).str.slice(6).unique().to_list())
    return tuple(sorted(found))


def choose_region(evidence: RegionEvidence, *, default: str, instructed: bool = False) -> RegionChoice:
    """The region for a source's national numbers, and why (see the module notes)."""
    default = default.upper()
    if instructed:
        return RegionChoice(default, "instructed", "as instructed (--region)")
    for msisdn in evidence.msisdns:
        region = region_of_number(msisdn)
        if region:
            return RegionChoice(region, "msisdn", f"the handset's own number {msisdn.strip()} is a {region} number")
    found = _mode(MCC_REGION.get(i.strip()[:3], "") for i in evidence.imsis)
    if found:
        region, counts = found
        mccs = sorted({i.strip()[:3] for i in evidence.imsis if MCC_REGION.get(i.strip()[:3]) == region})
        return RegionChoice(region, "imsi", f"the SIM's IMSI has mobile country code {', '.join(mccs)} ({region}): "
                                            + _tally(counts, "IMSI"))
    found = _mode(c.strip().upper() for c in evidence.countries if len(c.strip()) == 2)
    if found:
        region, counts = found
        return RegionChoice(region, "device-country",
                            f"the country the device recorded ({evidence.countries_from or 'country code'}): "
                            + _tally(counts, "record"))
    if evidence.same_numbers:
        return RegionChoice(evidence.same_numbers.upper(), "same-numbers",
                            f"the same numbers appear nationally and internationally ({evidence.same_numbers_from})")
    distinct = pl.Series(sorted(set(evidence.numbers)), dtype=pl.String).str.strip_chars()
    written_intl = distinct.str.starts_with("+") | distinct.str.starts_with("00")
    # A sample of each (parsing costs ~30 µs a number; a call record can hold 100 k distinct).
    international = [r for r in (region_of_number(n) for n in distinct.filter(written_intl).head(INTERNATIONAL_SAMPLE)) if r]
    nationals = distinct.filter(~written_intl & (distinct.str.count_matches(r"\d") >= 7)).to_list()
    national = len(nationals)
    found = _mode(international)
    if found:
        region, counts = found
        share = counts[region] / sum(counts.values())
        tally = ", ".join(f"{r} x{n}" for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        if not national:
            return RegionChoice(region if share >= SHARE_NEEDED else default, "international-numbers",
                                f"every number in the source is written internationally ({tally}): no national number "
                                "needs a region")
        if share >= SHARE_NEEDED and region == default:
            return RegionChoice(region, "international-numbers",
                                f"{counts[region]} of the {sum(counts.values())} distinct numbers written "
                                f"internationally are {region} numbers ({tally}), as is the case's region")
        # A foreign code among the international numbers moves the national ones only if they
        # read as that country's numbers better than as the case's (one saved foreign contact
        # must not turn a British phone's 07… numbers into foreign ones).
        sample = nationals[:NATIONAL_SAMPLE]
        there, here = (_valid_in(sample, region), _valid_in(sample, default)) if share >= SHARE_NEEDED else (0, 0)
        if share >= SHARE_NEEDED and there > here:
            return RegionChoice(region, "international-numbers",
                                f"{counts[region]} of the {sum(counts.values())} distinct numbers written "
                                f"internationally are {region} numbers ({tally}), and {there} of the {len(sample)} "
                                f"numbers written nationally are valid {region} landline or mobile numbers ({here} "
                                f"would be as {default} numbers); nothing in the source records a SIM or country")
        if share >= SHARE_NEEDED:
            return RegionChoice(default, "case-default",
                                f"the case's region: most numbers written internationally are {region} numbers "
                                f"({tally}), but the {len(sample)} written nationally are no better read as {region} "
                                f"numbers ({there} valid) than as {default} numbers ({here} valid); give --region if "
                                "the handset is foreign")
        return RegionChoice(default, "case-default",
                            f"the case's region: the numbers written internationally are mixed ({tally}) and the "
                            "source records no SIM or country; give --region if the handset is foreign")
    if national:
        return RegionChoice(default, "case-default",
                            f"the case's region: the source records no SIM, country or international number to show the "
                            f"handset's country ({national} number(s) written nationally); give --region if it is foreign")
    return RegionChoice(default, "case-default", "the case's region (no phone numbers needing a region were found)")
