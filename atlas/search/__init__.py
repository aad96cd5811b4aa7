"""Cross-case search: one identifier (a suspect's number, an account) across many cases.

Stalkers repeat: the same suspect with another victim, an earlier order, a number seen in
a past case. :mod:`.cases` answers "where else does this identifier appear?" from each
case's own store, lazily, one case at a time, and records the search in every case it
looked inside.
"""
