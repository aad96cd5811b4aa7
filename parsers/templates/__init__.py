"""Tool-export templates (``tool_exports.toml``): data, not a parser; a package so the TOML ships."""
