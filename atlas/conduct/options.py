"""The analysis settings a reviewer may change, each with the reason for its default.

None of these is law (the law is in :mod:`atlas.rules`): they are conventions for
grouping and flagging records, and every output lists the values used so that a
reader can see, and a reviewer can change, what was assumed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

OccasionRule = Literal["calendar-day", "session"]


@dataclass(frozen=True)
class ConductOptions:
    occasion: OccasionRule = "calendar-day"
    """How contacts are grouped into occasions: one UK local calendar day (default, as
    the synthetic truth does), or a ``session``: contacts less than
    ``session_gap_hours`` apart."""
    session_gap_hours: float = 3.0
    night_start_hour: int = 23
    """Night-time contact: from this local hour ..."""
    night_end_hour: int = 6
    """... until this local hour (exclusive). 23:00-06:00 by default."""
    gap_days: int = 28
    """A quiet spell longer than this between incidents is listed for a person to judge."""
    warn_days: int = 28
    """Warn when the s2A deadline is this close (from the as-of day or the charge date)."""
    burst_min_contacts: int = 5
    burst_window_minutes: int = 60
    """A burst: at least ``burst_min_contacts`` contacts within ``burst_window_minutes``."""
    reply_window_hours: float = 24.0
    """A message is 'unreplied' if the other side sent nothing back within this time."""
    dedupe_tolerance_s: int = 120
    """Records of one contact in several sources: see atlas.contacts.MATCH_RULE."""
    targets: tuple[str, ...] = ()
    """Party ids the conduct is aimed at. Empty: the victim(s) plus every party with
    role ``witness`` in case.toml (the victim's family, friends, employer)."""
    authority_identifiers: tuple[str, ...] = ("tel-short:101",)
    """Numbers whose calls by the suspect are listed as possible vexatious reports about
    the victim (police 101). They count as incidents, marked for a person to confirm."""
    suspect: str | None = None
    """The suspect's party id; default the only party with role ``suspect``."""
    colocation_window_minutes: int = 15
    """Suspect and victim positions are compared when at most this far apart in time."""
    near_m: float = 100.0
    """'Near': reported positions consistent (given their accuracy) with being this close."""
    max_accuracy_m: float = 250.0
    """Positions with a worse stated accuracy are not used at all (counted and reported).
    Below it, presence at a place is judged with the accuracy circle (inside, or
    straddling the boundary); 'near the victim' also needs both accuracies within
    ``near_m`` where stated."""
    episode_gap_minutes: int = 60
    """Points of one device near one place less than this apart form one episode."""
    cell_serving_radius_m: float = 2000.0
    """Assumed reach of a serving cell when the data gives none: a cell whose site is
    within this distance (plus the place's radius) of a place is 'serving the area'."""
    covert_min_occasions: int = 3
    covert_min_locations: int = 2
    """Repeated presence near the victim at this many distinct locations on this many
    occasions is flagged as a possible covert-tracking pattern."""
    mutual_share: float = 0.3
    mutual_min_replies: int = 2
    """A week is two-way when the victim or her network started at least
    ``mutual_min_replies`` contacts with the suspect and at least ``mutual_share`` of the
    contact between them (requests to stop excluded): his contact that week is listed
    for a person to judge, not counted as incidents (see atlas.conduct.reciprocity)."""
    count_mutual: bool = False
    """Count contact in two-way weeks as incidents anyway."""
    lexicon: str | None = None
    """Path of another lexicon for requests to stop (default atlas/conduct/threat_lexicon.toml)."""
    threat_rules: str | None = None
    """Path of another threat and behaviour rules file (default atlas/conduct/threat_rules.toml)."""
    rules: str | None = None
    """Path of another legal rules file (default atlas/rules/legal_rules.toml)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> ConductOptions:
        return replace(self, **changes)

    def validate(self) -> None:
        if self.occasion not in ("calendar-day", "session"):
            raise ValueError(f"occasion must be calendar-day or session, not {self.occasion!r}")
        for name in ("night_start_hour", "night_end_hour"):
            if not 0 <= getattr(self, name) <= 23:
                raise ValueError(f"{name} must be an hour 0-23")
        for name in ("gap_days", "warn_days", "burst_min_contacts", "burst_window_minutes", "episode_gap_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.near_m <= 0 or self.max_accuracy_m <= 0 or self.session_gap_hours <= 0:
            raise ValueError("near_m, max_accuracy_m and session_gap_hours must be positive")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = list(self.targets)
        data["authority_identifiers"] = list(self.authority_identifiers)
        return data

    @property
    def night_label(self) -> str:
        return f"{self.night_start_hour:02d}:00-{self.night_end_hour:02d}:00 UK local time"
