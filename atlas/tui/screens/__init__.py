"""One screen per view of the case."""
