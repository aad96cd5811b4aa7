"""Triage, the digital investigation strategy and the data-request log, against the s2A clock.

Operation Atlas starts before any data arrives: a case is triaged, a sergeant reviews it,
and the officer agrees which data to request from whom. This package plans those
requests against the time limit: :mod:`.kinds` (the planning figures, a data file an
officer edits), :mod:`.planning` (the request-by rule, pure), :mod:`.providers` (who to
ask), :mod:`.requests` (the request log and what answers it), :mod:`.record` (the triage
record and its sign-off) and :mod:`.assess` (the one typed result every output renders).
"""
