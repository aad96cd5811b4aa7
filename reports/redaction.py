"""``--redact-third-parties``: people who are not parties become "Third party N" everywhere.

Downloads hold other people's personal data (friends, colleagues, anyone who texted the
phone), which is redacted in what is served unless it is relevant (``shared/DOMAIN.md``,
"Disclosure and the CPS file"). Redaction is done once, at the one door every output
reads through: the report runs on a :class:`RedactedCase` whose events carry a pseudonym
instead of each non-party identifier and no text or attachment for a message to or from
one. So the statement, the reviewer's note, report.html, the schedules, every CSV/XLSX
and the JSON are built from data that never held the name, number or text, rather than
scrubbed afterwards.

Who is a party: every identifier case.toml attributes to a party (and display names
attributed to them), every identifier an officer linked to one, the owner (subject) of
each exhibit, and both ends of a link awaiting a decision (under investigation, not a
bystander). Everyone else is a third party. Pseudonyms are numbered once and kept in
the case database (table ``redaction_pseudonyms``), so "Third party 3" is the same
person in every output and every later report.

Officers' free text (``atlas note``, decision reasons, tag notes and descriptions) is
typed by a person, so it can name a third party the data never linked to it: outputs pass
it through :func:`free_text`, which replaces each mention of a third party's number
(in any written form), display name or other identifier with the same pseudonym.

Not redacted: the file names of the exhibits (they identify the exhibit as received).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import polars as pl

from atlas.store import Case

PSEUDONYM_PREFIX: Final = "name:redacted:"
WITHHELD_TEXT: Final = "[text withheld: a message to or from a third party]"
NOTE: Final = ("Third parties redacted: the names, numbers and message texts of people who are not parties in the case "
               "are replaced by pseudonyms (Third party 1, 2, ...), the same in every output.")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS redaction_pseudonyms (
    uri TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    assigned_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Redaction:
    pseudonyms: dict[str, str]
    """Third-party identifier URI → pseudonym URI (``name:redacted:Third party 3``)."""

    region: str = "GB"
    """Country for numbers an officer wrote in national form (``07700 900013``)."""

    def label(self, uri: str) -> str:
        """How an identifier is shown: its pseudonym's name, or itself."""
        return self.pseudonyms.get(uri, uri).removeprefix(PSEUDONYM_PREFIX)

    def text(self, text: str) -> str:
        """``text`` (a person's free text) with every third party it mentions replaced by its pseudonym.

        Numbers are found as phone numbers in any written form (spaces, national or
        international) and compared in E.164, as identifiers are stored; display names and
        other identifiers are matched as whole words, ignoring case. Longer values first,
        so a full name is replaced before a first name it contains.
        """
        import phonenumbers

        if not self.pseudonyms or not text:
            return text
        tel = {u.removeprefix("tel:"): self.label(u) for u in self.pseudonyms if u.startswith("tel:")}
        out, end = [], 0
        if tel:
            for m in phonenumbers.PhoneNumberMatcher(text, self.region, leniency=phonenumbers.Leniency.POSSIBLE):
                e164 = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
                if e164 in tel:
                    out += [text[end:m.start], tel[e164]]
                    end = m.end
        text = "".join(out) + text[end:]
        words: dict[str, str] = {}
        for uri in self.pseudonyms:
            value = uri.split(":", 2)[2] if uri.startswith("name:") else uri.partition(":")[2] or uri
            for v in {uri, value} - {""}:
                words.setdefault(v.casefold(), self.label(uri))
        for value in sorted(words, key=len, reverse=True):
            literal = words[value].replace("\\", "\\\\")  # a replacement string, taken as written
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", literal, text, flags=re.IGNORECASE)
        return text


def third_parties(case: Case, parties: Iterable[str], pending: Iterable[str]) -> list[str]:
    """Identifiers in the events that belong to no party, no exhibit's owner and no pending link."""
    exempt = set(parties) | set(pending) | {o for o in case.sources().get_column("owner").to_list() if o}
    ev = case.events().select("sender", "recipients")
    ids = pl.concat([ev.select(pl.col("sender").alias("id")),
                     ev.select(pl.col("recipients").explode().alias("id"))]).unique().collect()
    return sorted(i for i in ids.get_column("id").to_list() if i and i not in exempt)


def assign(case: Case, uris: Iterable[str], region: str = "GB") -> Redaction:
    """Pseudonym numbers for ``uris``: existing ones kept, new ones the next numbers (in URI order)."""
    with case.db() as con:
        con.executescript(_SCHEMA)
        known = dict(con.execute("SELECT uri, number FROM redaction_pseudonyms").fetchall())
        top = max(known.values(), default=0)
        for uri in sorted(set(uris)):
            if uri in known:
                continue
            top += 1
            con.execute("INSERT INTO redaction_pseudonyms (uri, number, assigned_at) VALUES (?, ?, ?)",
                        (uri, top, datetime.now(UTC).isoformat(timespec="seconds")))
            known[uri] = top
    wanted = set(uris)
    return Redaction({u: f"{PSEUDONYM_PREFIX}Third party {n}" for u, n in known.items() if u in wanted}, region)


class RedactedCase(Case):
    """The case as the redacted outputs see it: the same store, events and rejects redacted on read."""

    def __init__(self, case: Case, redaction: Redaction) -> None:
        super().__init__(case.root, case.manifest)
        self.redaction = redaction

    def events(self, source_id: str | None = None) -> pl.LazyFrame:
        ev = super().events(source_id)
        mapping: Mapping[str, str] = self.redaction.pseudonyms
        if not mapping:
            return ev
        keys = pl.Series(list(mapping), dtype=pl.String)
        vals = pl.Series(list(mapping.values()), dtype=pl.String)
        touches = (pl.col("sender").is_in(keys.implode())
                   | pl.col("recipients").list.eval(pl.element().is_in(keys.implode())).list.any())
        return ev.with_columns(
            pl.when(touches & pl.col("text").is_not_null()).then(pl.lit(WITHHELD_TEXT)).otherwise(pl.col("text"))
            .alias("text"),
            pl.when(touches).then(pl.lit([], dtype=pl.List(pl.String))).otherwise(pl.col("attachments"))
            .alias("attachments"),
            pl.col("sender").replace(keys, vals),
            pl.col("recipients").list.eval(pl.element().replace(keys, vals)),
        )

    def rejects(self, source_id: str | None = None) -> pl.LazyFrame:
        """Rejects keep their place and reason; their excerpt (raw content) is withheld."""
        return super().rejects(source_id).with_columns(pl.lit("[withheld]").alias("excerpt"))


def free_text(case: Case, text: str) -> str:
    """An officer's free text as an output shows it: third parties replaced when ``case`` is
    redacted, else as written."""
    return case.redaction.text(text) if isinstance(case, RedactedCase) else text


def redaction_note(case: Case) -> str:
    """What an output says about redaction: the note when ``case`` is redacted, else nothing."""
    return NOTE if isinstance(case, RedactedCase) else ""


def redact(case: Case) -> RedactedCase:
    """The redacted view of ``case`` (pseudonyms assigned and kept in the case database)."""
    from atlas.identity import identifier_owner_map
    from atlas.identity.ledger import read_links

    parties = identifier_owner_map(case, include_proposed=False)
    pending = [e for link in read_links(case, statuses=["proposed"]) for e in (link.a, link.b)]
    return RedactedCase(case, assign(case, third_parties(case, parties, pending), case.manifest.region))
