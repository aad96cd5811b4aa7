"""One location standard: what a position can show, by its stated accuracy, whoever carried it.

A finding that the suspect's device was at her home, or near her, is only as good as the
positions behind it. The same rule grades every position, the suspect's and the
victim's alike, and every output prints it (:meth:`LocationStandard.text`):

* a position whose stated accuracy is worse than ``max_accuracy_m`` is **not used**;
* a position that states **no accuracy** (a derived point such as the end of a location-
  history activity, a semantic visit without a radius) can support a **possible** finding
  only: it is listed, never counted;
* a position with a stated accuracy up to ``max_accuracy_m`` can support a **definite**
  finding, judged with its accuracy circle: **presence at a place** when the reported point
  lies inside the place's radius (the circle wholly inside, or straddling the edge, said
  which), *possible* when it lies outside but its circle reaches in; **near the victim**
  when his and her reported points are within ``near_m`` of each other allowing for both
  stated accuracies (each no wider than ``near_m``), at most ``window_minutes`` apart.
  A co-location resting on any position without a stated accuracy is *possible* only.

The thresholds are analysis settings (:class:`~atlas.conduct.options.ConductOptions`),
not law; the plain rule :meth:`LocationStandard.grade` and its column form
:meth:`LocationStandard.grade_expr` are tested equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from .options import ConductOptions

DEFINITE: Final = "definite"
POSSIBLE: Final = "possible"
NOT_USED: Final = "not used"
GRADES: Final = (DEFINITE, POSSIBLE, NOT_USED)


@dataclass(frozen=True)
class LocationStandard:
    """The thresholds of the standard (from the analysis settings) and its rule."""

    max_accuracy_m: float
    near_m: float
    window_minutes: int

    @classmethod
    def of(cls, options: ConductOptions) -> LocationStandard:
        return cls(max_accuracy_m=options.max_accuracy_m, near_m=options.near_m,
                   window_minutes=options.colocation_window_minutes)

    def grade(self, accuracy_m: float | None) -> str:
        """What one position can support, by its stated accuracy (the same for either party)."""
        if accuracy_m is None:
            return POSSIBLE
        if accuracy_m > self.max_accuracy_m:
            return NOT_USED
        return DEFINITE

    def grade_expr(self, accuracy: pl.Expr) -> pl.Expr:
        """:meth:`grade` over a column."""
        return (pl.when(accuracy.is_null()).then(pl.lit(POSSIBLE))
                .when(accuracy > self.max_accuracy_m).then(pl.lit(NOT_USED))
                .otherwise(pl.lit(DEFINITE)))

    @property
    def text(self) -> str:
        """The rule as every output prints it."""
        return "one standard for every position, the suspect's and the victim's: " + self.rule

    @property
    def rule(self) -> str:
        """The rule alone, for a sentence that already says it applies to both parties (the MG11)."""
        return (
            f"a stated accuracy worse than {self.max_accuracy_m:.0f} m is not used; a position with no stated accuracy supports a possible finding "
            f"only (listed, never counted); a position with a stated accuracy up to {self.max_accuracy_m:.0f} m supports "
            "a definite finding, judged with its accuracy circle: presence at a place when the reported point is inside "
            "the place's radius (possible when it is outside but its circle reaches in); near the victim when the suspect's "
            f"and the victim's reported points are within {self.near_m:.0f} m of each other allowing for both stated accuracies "
            f"(each no wider than {self.near_m:.0f} m), at most {self.window_minutes} min apart; a co-location resting "
            "on a position with no stated accuracy is possible only; cell sites are never presence"
        )

    def to_json(self) -> dict[str, Any]:
        return {"max_accuracy_m": self.max_accuracy_m, "near_m": self.near_m, "window_minutes": self.window_minutes,
                "grades": list(GRADES), "rule": self.text}


__all__ = ["DEFINITE", "GRADES", "NOT_USED", "POSSIBLE", "LocationStandard"]
