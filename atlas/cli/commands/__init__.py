"""One module per ``atlas`` sub-command (found by :func:`atlas.cli._commands`)."""
