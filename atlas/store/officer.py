"""Who is deciding: the officer named in ``case.toml`` or on the command line, never the
login of the computer.

A decision in a case (confirming an alias link, dismissing a threat candidate, tagging an
exhibit) is evidence of who made it, so it is attributed to a person a court can identify:
a name and a collar number. The case manifest names the officer in the case
(``officer = "DC 1234 A. Officer"``, optionally ``collar_number = "1234"``); a reviewer
who is someone else says so with ``--officer "DS 5678 B. Reviewer"``. The operating
system's user name (often ``root`` or a shared account) identifies nobody and is never
used.

The officer string is read with one stated rule: an optional rank (letters), the collar
number (digits) and the name, in that order (``DC 1234 A. Officer``). A ``collar_number``
in case.toml wins over the number in the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from atlas.errors import AtlasError
from atlas.session import SESSION_OFFICER  # set once per run by atlas.cli.main; re-exported here

if TYPE_CHECKING:
    from atlas.store.case import Case

OfficerSource = Literal["case.toml", "--officer"]

_OFFICER: Final = re.compile(r"^\s*(?:(?P<rank>[A-Za-z][A-Za-z/.]*)\s+)?(?P<collar>\d{1,8})\s+(?P<name>\S.*?)\s*$")



@dataclass(frozen=True)
class Officer:
    """The person a decision or an audit record is attributed to."""

    name: str
    collar_number: str | None
    rank: str = ""
    source: OfficerSource = "case.toml"

    @property
    def label(self) -> str:
        """``DC 1234 A. Officer``: how the audit log and the ledger name them."""
        parts = [self.rank, self.collar_number or "", self.name]
        return " ".join(p for p in parts if p)

    def require_collar(self) -> Officer:
        """This officer, or an error when no collar number identifies them (decisions need one)."""
        if not self.collar_number:
            where = ("--officer" if self.source == "--officer"
                     else "case.toml (add collar_number = \"1234\" under [case], or write officer = \"DC 1234 Name\")")
            raise AtlasError(f"officer {self.name!r} has no collar number: a decision must name a person; fix {where} "
                             "or give --officer \"DC 1234 Name\"")
        return self

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "collar_number": self.collar_number, "rank": self.rank, "source": self.source}


def parse_officer(text: str, *, collar_number: str | None = None, source: OfficerSource = "case.toml") -> Officer:
    """``DC 1234 A. Officer`` → rank ``DC``, collar number ``1234``, name ``A. Officer``.

    A string without a number keeps the whole text as the name (collar number unknown,
    unless ``collar_number`` gives it).
    """
    text = " ".join(text.split())
    if not text:
        raise AtlasError(f"the officer ({source}) is empty: name the officer making decisions")
    m = _OFFICER.match(text)
    if m:
        officer = Officer(name=m["name"], collar_number=m["collar"], rank=m["rank"] or "", source=source)
    else:
        officer = Officer(name=text, collar_number=None, source=source)
    if collar_number:
        officer = Officer(name=officer.name, collar_number=collar_number.strip(), rank=officer.rank, source=source)
    return officer


def current_officer(case: Case, override: str | None = None) -> Officer:
    """The officer deciding in ``case``: ``override`` (``--officer``) if given, else this
    run's ``--officer``, else the officer of ``case.toml``. Never the OS user."""
    chosen = override if override is not None else SESSION_OFFICER.get()
    if chosen is not None:
        return parse_officer(chosen, source="--officer")
    manifest = case.manifest
    return parse_officer(manifest.officer, collar_number=manifest.collar_number or None)
