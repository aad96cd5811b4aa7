"""Cells that a spreadsheet would run as a formula are written as text.

Message text is chosen by the people in the case, including the suspect: a message
``=HYPERLINK("http://…","click")`` or ``+cmd|'/c calc'!A1`` written unchanged into
``events.csv`` becomes a live formula when an officer opens the file in Excel or
LibreOffice (CSV/formula injection, OWASP). Every CSV/XLSX writer passes its frame
through :func:`neutralise` first: a text cell beginning ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading apostrophe, which spreadsheets read as "this
is text". The original is unchanged in the store and in JSON/Parquet outputs.

A cell that is only a signed number (``-0.1278``, ``+447700900123``) is left as it is:
a spreadsheet reads it as that number, runs nothing, and an apostrophe would spoil it
for every other reader.
"""

from __future__ import annotations

from typing import Final

import polars as pl

TRIGGERS: Final = r"^[=+\-@\t\r]"
"""First characters that make a spreadsheet evaluate a cell (OWASP's list)."""

PLAIN_NUMBER: Final = r"^[+-]?[0-9][0-9 .,]*$"
"""A signed number (digits, spaces, separators only): inert, so left unchanged."""

PREFIX: Final = "'"


def neutralise_expr(col: pl.Expr) -> pl.Expr:
    """The rule on one string expression: prefix ``'`` where a formula could start."""
    risky = col.str.contains(TRIGGERS) & ~col.str.contains(PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit(PREFIX) + col).otherwise(col)


def neutralise_value(value: str) -> str:
    """The same rule on one Python string (for writers that build rows by hand)."""
    frame = pl.DataFrame({"v": [value]}, schema={"v": pl.String})
    return str(frame.select(neutralise_expr(pl.col("v"))).item())


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that could start a formula made inert.

    String and Categorical columns are checked (Categorical ones become String), and
    the elements of list-of-string columns, so a writer that joins lists afterwards is
    safe too. Numbers, dates and Enum columns (a fixed vocabulary) are left alone.
    """
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            exprs.append(neutralise_expr(pl.col(name)).alias(name))
        elif isinstance(dtype, pl.Categorical):
            exprs.append(neutralise_expr(pl.col(name).cast(pl.String)).alias(name))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            exprs.append(pl.col(name).list.eval(neutralise_expr(pl.element())).alias(name))
    return frame.with_columns(exprs) if exprs else frame
