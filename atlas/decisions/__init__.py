"""Decisions an officer makes in a case (links, threat and behaviour candidates, exhibits,
notes, bookmarks): one append-only ledger, the current state derived from it."""
