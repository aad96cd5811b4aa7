"""Everything Atlas writes for people: the interactive report, the statement, the exhibits.

``build_reports(case, out_dir)`` (:mod:`reports.build`) writes, from one case:

* ``report.html``: one self-contained interactive Bokeh document (:mod:`reports.html_report`);
* ``statement.docx`` / ``statement.html``: the MG11-style witness statement draft
  (:mod:`reports.statement` is the model; :mod:`reports.statement_docx` and
  :mod:`reports.statement_html` lay it out);
* ``exhibits.csv`` / ``exhibits.xlsx``: the exhibit schedule (:mod:`reports.exhibits`);
* ``events.csv``: every source record cited (:mod:`reports.citations`), and the
  charts (:mod:`reports.figures`, matplotlib PNG) and tables exhibited separately.

Inputs come through :mod:`reports.inputs` only; numbers are computed once in
:mod:`reports.findings` / :mod:`reports.aggregate`; limits of the data are written by
:mod:`reports.limitations`.
"""

from __future__ import annotations

from typing import Any


def build_reports(*args: Any, **kwargs: Any) -> Any:
    """See :func:`reports.build.build_reports` (imported lazily: Bokeh and matplotlib are heavy)."""
    from .build import build_reports as _build

    return _build(*args, **kwargs)


__all__ = ["build_reports"]
