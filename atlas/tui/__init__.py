"""The review TUI: a Textual app over the case store (``atlas tui CASE_DIR``)."""
