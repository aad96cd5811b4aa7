"""Course of conduct, the s2A time limit, s4A indicators, breaches of orders, co-location.

The one entry point is :func:`analyse` (``atlas conduct`` and the reports call it). Each
module does one job: :mod:`.selection` (which contacts, counted once), :mod:`.incidents`
(occasions), :mod:`.time_limit` (the s2A clock), :mod:`.threats` (+ the editable
``threat_lexicon.toml``), :mod:`.breaches`, :mod:`.colocation`, :mod:`.escalation`,
:mod:`.gaps`, :mod:`.behaviours`. The law itself is in :mod:`atlas.rules`.
Decision support, not legal advice.
"""

from atlas.conduct.analysis import ConductResult, analyse
from atlas.conduct.options import ConductOptions
from atlas.conduct.time_limit import add_calendar_months, deadline_for, local_date

__all__ = ["ConductOptions", "ConductResult", "add_calendar_months", "analyse", "deadline_for", "local_date"]
