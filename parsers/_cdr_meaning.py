"""CDR layouts no template names, mapped by the meaning of their headers and values.

Providers change layouts; an officer facing a deadline should not have to write TOML.
When no template fits, the header row and a sample of rows (the head the shared tabular
reader already read: no extra pass over the file) are read against the vocabulary in
``parsers/templates/cdr_vocabulary.toml``:

* each header is split into its name and its bracketed qualifiers ("Start Date (UTC)" is
  "start date" + "utc"; "Duration (hh:mm:ss)" is "duration" + "hh:mm:ss"), and the name
  is looked up among each role's names;
* the sample's values are checked against what the role needs: a datetime column must
  read as dates with times (the format sniffed by the shared
  :func:`atlas.normalise.times.sniff_datetime_format`, day/month order decided by the
  data or stated), a date column as dates, a time column as times, a duration as seconds
  or ``hh:mm:ss`` (agreeing with a unit in the header), an event type, direction or
  roaming flag as words of the vocabulary, numbers as numbers;
* a name several columns share (two "cell" columns) is decided by the more specific name;
  equal ones are ambiguous;
* the zone comes from the time columns' qualifiers ("(UTC)", "(BST)", "(local)"), or a
  cover line above the header ("All times are UTC"); if nothing states it, the case zone
  is used and that is said;
* cell ids are hexadecimal when a header says so ("LAC (hex)") or the values have hex
  letters or ``0x``.

The result is a :class:`Proposal`: the mapping, how each decision was made, and what is
missing or ambiguous. Without problems it becomes an ordinary
:class:`parsers.cdr.Template`, so an inferred layout is read by exactly the code (and at
the speed) of a shipped one; ``atlas map`` writes it as a template file.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from atlas.errors import AtlasError
from atlas.normalise.times import sniff_datetime_format
from parsers._tabular import norm_header

if TYPE_CHECKING:
    from parsers.cdr import Template

VOCABULARY_PATH: Final = Path(__file__).resolve().parent / "templates" / "cdr_vocabulary.toml"
HEADER_SCAN_ROWS: Final = 40
PARTY_ROLES: Final = ("a_party", "b_party", "subject", "other")
TIME_FORMATS: Final = ("%H:%M:%S", "%H:%M:%S%.f", "%H:%M", "%I:%M:%S %p", "%I:%M %p")
_QUALIFIER: Final = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")
_PHONE: Final = re.compile(r"^\+?[\d\s().\-]{3,24}$")
_NOT_A_NUMBER: Final = frozenset({"withheld", "private", "unknown", "anonymous", "n/a", "na", "-", "restricted",
                                  "not available", "no caller id"})
_CELL: Final = re.compile(r"^(?:0x)?[0-9A-Fa-f]+(?:\s*-\s*(?:0x)?[0-9A-Fa-f]+)*$")
_HEX_LETTER: Final = re.compile(r"0x|[A-Fa-f]")
_ID: Final = re.compile(r"^\d{6,17}$")


@dataclass(frozen=True)
class Vocabulary:
    roles: dict[str, tuple[tuple[str, ...], str]]
    """Role key → (names, the check its values must pass)."""
    units: dict[str, frozenset[str]]
    event_types: dict[str, str]
    directions: dict[str, str]
    roaming: dict[str, bool]


@cache
def vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AtlasError(f"{path}: cannot read the CDR vocabulary ({exc})") from exc
    roles = {k: (tuple(norm_header(n) for n in v["names"]), str(v.get("check", "any"))) for k, v in data["roles"].items()}
    return Vocabulary(
        roles=roles,
        units={k: frozenset(norm_header(x) for x in v) for k, v in data["units"].items()},
        event_types={norm_header(k): str(v) for k, v in data["event_types"].items()},
        directions={norm_header(k): str(v) for k, v in data["directions"].items()},
        roaming={norm_header(k): bool(v) for k, v in data["roaming"].items()},
    )


def split_header(header: str, vocab: Vocabulary) -> tuple[str, list[str]]:
    """("start date", ["utc"]) for "Start Date (UTC)"; a trailing zone or unit word written
    without brackets ("Start Time UTC", "Duration Secs") is a qualifier too, where the name
    without it is a known name."""
    quals = [norm_header(q) for q in _QUALIFIER.findall(str(header))]
    base = norm_header(_QUALIFIER.sub(" ", str(header)))
    known = {n for names, _ in vocab.roles.values() for n in names}
    words = base.rsplit(" ", 1)
    trailing = vocab.units["utc"] | vocab.units["uk_local"] | vocab.units["seconds"] | vocab.units["hex"]
    if base not in known and len(words) == 2 and words[1] in trailing and words[0] in known:
        base, quals = words[0], [*quals, words[1]]
    return base, quals


@dataclass
class Proposal:
    """A mapping of one table's columns to CDR roles, with its reasons and its problems."""

    header_row: int
    headers: list[str]
    mapping: dict[str, str] = field(default_factory=dict)
    """Role key → the header as written."""
    parties: str = ""
    timezone: str = ""
    datetime_format: str | None = None
    date_format: str | None = None
    time_format: str | None = None
    duration_format: str = "seconds"
    hex_cells: bool = False
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unknown_values: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """The mapping as one line: ``'Other Party' → other, …``."""
        return ", ".join(f"{h!r} → {k}" for k, h in self.mapping.items())

    def template(self, origin: str) -> Template:
        """The proposal as a template (only when :attr:`ok`)."""
        from parsers.cdr import Template

        vocab = vocabulary()
        required = tuple(k for k in (*PARTY_ROLES, "start", "date", "time", "event_type", "direction")
                         if k in self.mapping and (k != "direction" or self.parties == "subject-other"))
        return Template(
            name="inferred", description=f"mapped by meaning: {self.describe()}", timezone=self.timezone,
            parties=self.parties, duration_format=self.duration_format, required=required,
            columns={k: (h,) for k, h in self.mapping.items()}, event_types=dict(vocab.event_types),
            directions=dict(vocab.directions), roaming=dict(vocab.roaming), datetime_format=self.datetime_format,
            date_format=self.date_format, time_format=self.time_format, origin=origin, hex_cells=self.hex_cells,
        )

    def toml(self, source: str) -> str:
        """The proposal as a template file for ``--map`` (an officer reviews it first)."""
        vocab = vocabulary()
        q = json.dumps
        lines = [
            f"# Proposed CDR mapping for {source}, inferred by meaning by `atlas map`.",
            "# Review every line against the return (and its cover letter), then ingest with",
            "#   atlas ingest FILE --map THIS_FILE",
            "# The keys are those of parsers/templates/cdr_templates.toml (see its header).",
        ]
        lines += [f"# how: {n}" for n in self.notes]
        lines += [f"# TO DO: {p}" for p in self.problems]
        lines += ["", "[[template]]", f'name = {q("mapped " + Path(source).stem)}',
                  f"description = {q('mapped by meaning from ' + Path(source).name)}",
                  f"timezone = {q(self.timezone or 'UTC')}", f"parties = {q(self.parties or 'a-b')}"]
        if self.datetime_format:
            lines.append(f"datetime_format = {q(self.datetime_format)}")
        else:
            lines.append(f"date_format = {q(self.date_format or '%d/%m/%Y')}")
            lines.append(f"time_format = {q(self.time_format or '%H:%M:%S')}")
        lines.append(f"duration_format = {q(self.duration_format)}")
        if self.hex_cells:
            lines.append('cell_ids = "hex"')
        tpl_required = [k for k in (*PARTY_ROLES, "start", "date", "time", "event_type", "direction")
                        if k in self.mapping and (k != "direction" or self.parties == "subject-other")]
        lines += [f"required = {q(tpl_required)}", "", "[template.columns]"]
        lines += [f"{k} = {q(h)}" for k, h in self.mapping.items()]
        if "event_type" in self.mapping:
            lines += ["", "[template.event_types]"]
            lines += [f"# {q(v)} = \"\"  # TO DO: not in the vocabulary: voice | sms | mms | data | voicemail | call-forward"
                      for v in self.unknown_values.get("event_type", [])]
            lines += [f"{q(k)} = {q(v)}" for k, v in vocab.event_types.items()]
        if "direction" in self.mapping:
            lines += ["", "[template.directions]"]
            lines += [f"# {q(v)} = \"\"  # TO DO: not in the vocabulary: out | in"
                      for v in self.unknown_values.get("direction", [])]
            lines += [f"{q(k)} = {q(v)}" for k, v in vocab.directions.items()]
        if "roaming" in self.mapping:
            lines += ["", "[template.roaming]"]
            lines += [f"{q(k)} = {'true' if v else 'false'}" for k, v in vocab.roaming.items()]
        return "\n".join(lines) + "\n"


# --- checks on values -------------------------------------------------------------------


def _values(rows: list[list[str]], col: int) -> list[str]:
    return [r[col].strip() for r in rows if col < len(r) and r[col] and r[col].strip()]


def _phone_like(values: list[str]) -> bool:
    real = [v for v in values if v.lower() not in _NOT_A_NUMBER]
    return bool(real) and sum(1 for v in real if _PHONE.match(v) and sum(c.isdigit() for c in v) >= 3) >= 0.9 * len(real)


def _datetime_format(values: list[str], *, date_only: bool, dayfirst: bool | None) -> tuple[str, str | None] | None:
    """(format, day/month assumption) if every value reads (a datetime must have a time)."""
    if not values:
        return None
    try:
        fmt = sniff_datetime_format(pl.Series(values, dtype=pl.String), dayfirst=dayfirst, date_only=date_only,
                                    what="the sampled times")
    except AtlasError:
        return None
    if fmt.has_offset and not re.search(r"(Z| UTC)$", fmt.fmt):
        return None  # a numeric offset per value: not a CDR presentation this mapping reads
    if not date_only and not re.search(r"%[HI]", fmt.fmt):
        return None
    parsed = pl.Series(values, dtype=pl.String).str.to_datetime(fmt.fmt.replace("%:z", "").replace("%z", ""),
                                                                strict=False, time_unit="us")
    if parsed.null_count():
        return None
    return fmt.fmt, fmt.assumption


def _time_format(values: list[str]) -> str | None:
    if not values:
        return None
    series = pl.Series(values, dtype=pl.String)
    for fmt in TIME_FORMATS:
        if series.str.to_time(fmt, strict=False).null_count() == 0:
            return fmt
    return None


def _duration_unit(values: list[str]) -> str | None:
    """``hms`` if the values are ``[h:]mm:ss``, ``seconds`` if plain numbers, else None."""
    if not values:
        return None
    if all(re.fullmatch(r"\d+(?::\d{1,2}){1,2}(?:\.\d+)?", v) for v in values):
        return "hms"
    if all(re.fullmatch(r"\d+(?:\.\d+)?", v) for v in values):
        return "seconds"
    return None


# --- the proposal -----------------------------------------------------------------------


def _header_row(rows: list[list[str]], vocab: Vocabulary) -> int | None:
    """The first row among the first 40 with the most cells naming a role (at least three,
    one of them a party)."""
    best: tuple[int, int] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        bases = [split_header(c, vocab)[0] for c in row if c and c.strip()]
        if len(bases) < 3:
            continue
        hits = [k for b in bases for k, (names, _) in vocab.roles.items() if b in names]
        if len(set(hits)) < 3 or not set(hits) & set(PARTY_ROLES):
            continue
        score = len({b for b in bases if any(b in names for names, _ in vocab.roles.values())})
        if best is None or score > best[1]:
            best = (i, score)
    return best[0] if best else None


def _zone_from(words: list[str], vocab: Vocabulary) -> str | None:
    zones = {"UTC" for w in words if w in vocab.units["utc"]} | {
        "Europe/London" for w in words if w in vocab.units["uk_local"]}
    return zones.pop() if len(zones) == 1 else ("conflict" if zones else None)


_COVER_UTC: Final = re.compile(r"(?i)\b(?:all\s+)?times?\b[^.]{0,40}\b(UTC|GMT|Zulu)\b")
_COVER_LOCAL: Final = re.compile(r"(?i)\btimes?\b[^.]{0,40}\b(UK local|local time|BST|British Summer Time)\b")


def propose(rows: list[list[str]], *, default_zone: str = "Europe/London", dayfirst: bool | None = None,
            vocab: Vocabulary | None = None) -> Proposal | None:
    """A mapping for the table whose first rows are ``rows``, or None when no row looks like
    a CDR header (three role names, one of them a party)."""
    vocab = vocab or vocabulary()
    idx = _header_row(rows, vocab)
    if idx is None:
        return None
    headers = [str(c) for c in rows[idx]]
    sample = [r for r in rows[idx + 1:] if any(c and c.strip() for c in r)]
    prop = Proposal(header_row=idx, headers=headers)
    split = [split_header(h, vocab) if h and h.strip() else ("", []) for h in headers]

    # candidates: role → [(name rank, column)]; a column whose values fail the role's check
    # is no candidate (and a time-only "Start Time" is no datetime)
    checks: dict[tuple[str, int], object] = {}
    cands: dict[str, list[tuple[int, int]]] = {}
    for col, (base, _) in enumerate(split):
        if not base:
            continue
        values = _values(sample, col)
        for key, (names, check) in vocab.roles.items():
            if base not in names:
                continue
            verdict = _check(check, key, values, dayfirst, vocab, prop)
            if verdict is False:
                continue
            checks[(key, col)] = verdict
            cands.setdefault(key, []).append((names.index(base), col))

    taken: set[int] = set()
    order = ("subject", "other", "a_party", "b_party", "forwarded_to", "start", "end", "date", "time", "duration",
             "event_type", "direction", "first_lac", "last_lac", "lac", "first_cell", "last_cell", "imei", "imsi",
             "mcc_mnc", "roaming")
    for key in order:
        options = sorted((rank, col) for rank, col in cands.get(key, []) if col not in taken)
        if not options:
            continue
        if len(options) > 1 and options[0][0] == options[1][0]:
            both = " and ".join(repr(headers[c]) for _, c in options[:2])
            prop.problems.append(f"{key}: {both} both fit; say which in a mapping file")
            continue
        if len(options) > 1:
            prop.notes.append(f"{key}: {headers[options[0][1]]!r} chosen over "
                              f"{', '.join(repr(headers[c]) for _, c in options[1:])} by its more specific name")
        col = options[0][1]
        taken.add(col)
        prop.mapping[key] = headers[col]
        verdict = checks[(key, col)]
        if key in ("start", "date") and isinstance(verdict, tuple):
            fmt, why = verdict
            setattr(prop, "datetime_format" if key == "start" else "date_format", fmt)
            if why:
                prop.notes.append(why)
        elif key == "time" and isinstance(verdict, str):
            prop.time_format = verdict
    if "end" in prop.mapping:
        end_fmt = checks.get(("end", headers.index(prop.mapping["end"])))
        if not prop.datetime_format or not isinstance(end_fmt, tuple) or end_fmt[0] != prop.datetime_format:
            prop.notes.append(f"{prop.mapping.pop('end')!r} not used: end times are read only beside a start "
                              "date-time column of the same format (the end is start + duration)")
    if "start" in prop.mapping:
        for k in ("date", "time"):
            if k in prop.mapping:
                prop.notes.append(f"{prop.mapping.pop(k)!r} not used: {prop.mapping['start']!r} gives date and time")
        prop.date_format = prop.time_format = None
    _parties(prop)
    _time(prop, split, headers, rows[:idx], default_zone, vocab)
    _duration(prop, split, headers, sample, vocab)
    _words(prop, headers, sample, vocab)
    _hex(prop, split, headers, sample, vocab)
    return prop


def _check(check: str, key: str, values: list[str], dayfirst: bool | None, vocab: Vocabulary,
           prop: Proposal) -> object:
    """What the values say for a role: False to refuse the column, else the detail found."""
    if not values:
        return True  # an empty column in the sample: named, not contradicted
    if check == "phone":
        return _phone_like(values)
    if check == "datetime":
        return _datetime_format(values, date_only=False, dayfirst=dayfirst) or False
    if check == "date":
        return _datetime_format(values, date_only=True, dayfirst=dayfirst) or False
    if check == "time":
        return _time_format(values) or False
    if check == "duration":
        return _duration_unit(values) or False
    if check == "cell":
        return all(_CELL.match(v) for v in values)
    if check == "id":
        return sum(1 for v in values if _ID.match(v)) >= 0.9 * len(values)
    if check == "word":
        words: dict[str, set[str]] = {"event_type": set(vocab.event_types), "direction": set(vocab.directions),
                                      "roaming": set(vocab.roaming)}
        if key not in words:
            return True
        known = [v for v in values if norm_header(v) in words[key]]
        return bool(known) and len(known) >= 0.5 * len(values)  # mostly known words, the rest reported
    return True


def _parties(prop: Proposal) -> None:
    m = prop.mapping
    if "a_party" in m and "b_party" in m:
        prop.parties = "a-b"
        if "subject" in m:
            m["target"] = m.pop("subject")
        if "other" in m:
            prop.problems.append(f"parties: both a calling/called pair and {m['other']!r} (other party): say which")
    elif "subject" in m and "other" in m:
        prop.parties = "subject-other"
    else:
        have = [k for k in PARTY_ROLES if k in m]
        prop.problems.append("parties: need a calling and a called number (A/B party), or the target's number and "
                             f"the other party's; found only {', '.join(have) or 'none'}")


def _time(prop: Proposal, split: list[tuple[str, list[str]]], headers: list[str], cover: list[list[str]],
          default_zone: str, vocab: Vocabulary) -> None:
    m = prop.mapping
    if "start" not in m and not ("date" in m and "time" in m):
        prop.problems.append("time: need a start date-time column, or a date and a time column, whose values read "
                             "as dates and times")
        return
    cols = [headers.index(m[k]) for k in ("start", "date", "time", "end") if k in m]
    if prop.datetime_format and re.search(r"(Z| UTC)$", prop.datetime_format):
        prop.timezone = "UTC"
        prop.notes.append(f"times read as UTC, as every value of {m['start']!r} says")
        return
    words = [q for c in cols for q in split[c][1]]
    zone = _zone_from(words, vocab)
    if zone == "conflict":
        prop.problems.append(f"time zone: the headers state different zones ({', '.join(sorted(set(words)))})")
        return
    if zone:
        prop.timezone = zone
        prop.notes.append(f"times read as {zone}, as the header{'s' if len(cols) > 1 else ''} state "
                          f"({', '.join(repr(headers[c]) for c in cols)})")
        return
    text = " ".join(c for row in cover for c in row if c)
    if _COVER_UTC.search(text) and not _COVER_LOCAL.search(text):
        prop.timezone = "UTC"
        prop.notes.append(f"times read as UTC, as the cover block states ({_COVER_UTC.search(text).group(0)!r})")  # type: ignore[union-attr]
    elif _COVER_LOCAL.search(text) and not _COVER_UTC.search(text):
        prop.timezone = "Europe/London"
        prop.notes.append(f"times read as UK local time, as the cover block states "
                          f"({_COVER_LOCAL.search(text).group(0)!r})")  # type: ignore[union-attr]
    else:
        prop.timezone = default_zone
        prop.notes.append(f"no time zone stated in the headers or cover block: times read as {default_zone} wall-clock "
                          "time (the case zone); check the provider's statement")


def _duration(prop: Proposal, split: list[tuple[str, list[str]]], headers: list[str], sample: list[list[str]],
              vocab: Vocabulary) -> None:
    if "duration" not in prop.mapping:
        return
    col = headers.index(prop.mapping["duration"])
    base, quals = split[col]
    words = set(quals) | set(base.split())
    stated = "hms" if words & vocab.units["hms"] else "seconds" if words & vocab.units["seconds"] else None
    found = _duration_unit(_values(sample, col))
    if stated and found and stated != found:
        prop.problems.append(f"duration: the header {headers[col]!r} says {stated} but the values are {found}")
        return
    prop.duration_format = stated or found or "seconds"
    how = "the header" if stated else "the values" if found else "no values in the sample: assumed"
    prop.notes.append(f"durations read as {'hh:mm:ss' if prop.duration_format == 'hms' else 'seconds'} ({how})")


def _words(prop: Proposal, headers: list[str], sample: list[list[str]], vocab: Vocabulary) -> None:
    m = prop.mapping
    tables: dict[str, dict[str, str]] = {"event_type": vocab.event_types, "direction": vocab.directions}
    for key, table in tables.items():
        if key not in m:
            continue
        values = sorted(set(_values(sample, headers.index(m[key]))))
        unknown = [v for v in values if norm_header(v) not in table]
        if unknown:
            prop.unknown_values[key] = unknown
            prop.problems.append(f"{key}: values not in the vocabulary: {', '.join(repr(v) for v in unknown)}")
    if "event_type" not in m:
        prop.notes.append("no event type column: every record read as a voice call")
    if prop.parties == "subject-other" and "direction" not in m:
        types = [vocab.event_types.get(norm_header(v), "") for v in _values(sample, headers.index(m["event_type"]))] \
            if "event_type" in m else []
        if not types or not all(":" in t for t in types):
            prop.problems.append("direction: a target/other-party layout needs a direction column (or event types "
                                 "that say it, like MOC/MTC)")


def _hex(prop: Proposal, split: list[tuple[str, list[str]]], headers: list[str], sample: list[list[str]],
         vocab: Vocabulary) -> None:
    keys = [k for k in ("first_cell", "last_cell", "lac", "first_lac", "last_lac") if k in prop.mapping]
    said = [prop.mapping[k] for k in keys if set(split[headers.index(prop.mapping[k])][1]) & vocab.units["hex"]]
    seen = [prop.mapping[k] for k in keys
            if any(_HEX_LETTER.search(v) for v in _values(sample, headers.index(prop.mapping[k])))]
    if said or seen:
        prop.hex_cells = True
        why = f"the header{'s' if len(said) > 1 else ''} {', '.join(repr(h) for h in said)} say so" if said else \
            f"{', '.join(repr(h) for h in seen)} hold{'s' if len(seen) == 1 else ''} hexadecimal digits"
        prop.notes.append(f"cell ids (LAC/CI) are hexadecimal ({why}): converted to decimal, as cell-site lists give them")


@dataclass(frozen=True)
class FileProposal:
    """What ``atlas map`` found in a file: a shipped template that already fits it, or the
    best proposal over its tables (with the table's label and spreadsheet row)."""

    fits: str | None
    proposal: Proposal | None
    where: str = ""


def propose_for_file(path: Path, *, default_zone: str = "Europe/London", dayfirst: bool | None = None) -> FileProposal:
    from parsers._tabular import read_sheets
    from parsers.cdr import _find_header, builtin_templates

    best: tuple[Proposal, str] | None = None
    for sheet in read_sheets(path):
        hit = _find_header(sheet.rows[:HEADER_SCAN_ROWS], builtin_templates())
        if hit is not None:
            return FileProposal(fits=hit[1].name, proposal=None,
                                where=f"{sheet.label}row {sheet.first_row + hit[0]}".strip())
        prop = propose(sheet.rows, default_zone=default_zone, dayfirst=dayfirst)
        if prop is not None and (best is None or (prop.ok, len(prop.mapping)) > (best[0].ok, len(best[0].mapping))):
            best = (prop, f"{sheet.label}row {sheet.first_row + prop.header_row}".strip())
    if best is None:
        return FileProposal(fits=None, proposal=None)
    return FileProposal(fits=None, proposal=best[0], where=best[1])
