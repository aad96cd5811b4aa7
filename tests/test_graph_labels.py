"""report.html's contact graph: no label is drawn over another (rejected-ex 40404: "Background Person 04 (+1
linked)" ran into "Background Person 05 (+1 linked)", and three more pairs), and a label with room keeps its place."""

from __future__ import annotations

import polars as pl
from bokeh.models.annotations import LabelSet

from reports import graph_labels
from reports.graph_view import GraphView
from reports.html_report import GRAPH_FRAME, graph_chart

# The nodes of rejected-ex 40404's graph after its links were confirmed, as graph_view laid them out.
_NODES = [
    ("facebook:daniel.sample.9", -1.331312, 0.836799, "identifier"), ("Chloe Testwell", 1.106736, -0.742366, "party"),
    ("Priya Placeholder", -1.232402, 1.341954, "party"), ("imei:352314116293217", -1.562718, 0.702387, "identifier"),
    ("imsi:234104030073230", -1.744373, 0.505875, "identifier"), ("imsi:234106335542215", -1.860214, 0.264636, "identifier"),
    ("instagram:d4n.watching", -1.9, 0.0, "identifier"), ("instagram:dan.sample", -1.860214, -0.264636, "identifier"),
    ("instagram:not.dan.2026", -1.744373, -0.505875, "identifier"), ("Gordon Officeworth", 1.666627, -0.34367, "party"),
    ("Margaret Example", 1.666627, 0.34367, "party"), ("D", -1.232402, -1.341954, "identifier"),
    ("Background Person 00 (+1 linked)", -0.717842, 1.188486, "identifier"),
    ("Background Person 02 (+1 linked)", -0.765485, -1.568878, "identifier"),
    ("Background Person 04 (+1 linked)", -0.430977, 1.659261, "identifier"),
    ("Background Person 06 (+1 linked)", -0.25957, -1.685306, "identifier"),
    ("Background Person 01 (+1 linked)", 0.0, 1.35, "identifier"),
    ("Background Person 03 (+1 linked)", 0.25957, -1.685306, "identifier"),
    ("Background Person 05 (+1 linked)", 0.430977, 1.659261, "identifier"),
    ("Background Person 07 (+1 linked)", 0.765485, -1.568878, "identifier"),
    ("not dan", 0.717842, 1.188486, "identifier"), ("Kevin Mockford", 1.232402, -1.341954, "party"),
    ("Lee Dummyson", 1.232402, 1.341954, "party"), ("Beth Example", 1.106736, 0.742366, "party"),
    ("Daniel Sample", -1.0, 0.0, "party"), ("tel:+447700900002", -1.562718, -0.702387, "identifier"),
    ("tel:+447700900018", -1.331312, -0.836799, "identifier"), ("Alice Example", 1.0, 0.0, "party"),
]

MEASURED_CHAR_PX = 5.9
"""Chromium's width of one character of these labels at 11 px (188 px for 'Background Person 00 (+1 linked)')."""


def _view(nodes: list[tuple[str, float, float, str]]) -> GraphView:
    rows = [{"id": f"n{i}", "label": label, "role": "witness" if kind == "party" else "identifier", "kind": kind,
             "x": x, "y": y, "contacts": 200 if kind == "party" else 0} for i, (label, x, y, kind) in enumerate(nodes)]
    edges = pl.DataFrame(schema={"source": pl.String, "target": pl.String, "channel": pl.String, "contacts": pl.Int64,
                                 "event_ids": pl.List(pl.String), "style": pl.String, "label": pl.String})
    return GraphView(nodes=pl.DataFrame(rows), edges=edges)


def _label_boxes(view: GraphView) -> dict[str, tuple[float, float, float, float]]:
    fig = graph_chart(view, {})
    labels = next(r for r in fig.center if isinstance(r, LabelSet))
    d = labels.source.data  # type: ignore[attr-defined]
    assert (fig.frame_width, fig.frame_height) == (GRAPH_FRAME.width_px, GRAPH_FRAME.height_px)  # the scale placed on
    boxes = {}
    for x, y, text, dx, dy, align in zip(d["x"], d["y"], d["label"], d["dx"], d["dy"], d["align"], strict=True):
        px, py = GRAPH_FRAME.to_px(x, y)
        w = len(text) * MEASURED_CHAR_PX
        left = px + dx - (w if align == "right" else w / 2 if align == "center" else 0)
        boxes[text] = (left, py + dy, left + w, py + dy + 13)
    return boxes


def test_no_label_is_drawn_over_another() -> None:
    boxes = _label_boxes(_view(_NODES))
    clashes = [(a, b) for i, (a, p) in enumerate(boxes.items()) for b, q in list(boxes.items())[i + 1:]
               if min(p[2], q[2]) > max(p[0], q[0]) and min(p[3], q[3]) > max(p[1], q[1])]
    assert clashes == []


def test_a_label_with_room_keeps_the_rules_place() -> None:
    view = _view([("Daniel Sample", -1.0, 0.0, "party"), ("Alice Example", 1.0, 0.0, "party"),
                  ("tel:+447700900002", -1.9, 0.0, "identifier")])
    fig = graph_chart(view, {})
    d = next(r for r in fig.center if isinstance(r, LabelSet)).source.data  # type: ignore[attr-defined]
    assert list(zip(d["dx"], d["dy"], d["align"], strict=True)) == [(0, -26, "center"), (0, -26, "center"),
                                                                     (-10, -4, "right")]
    assert graph_labels.default_spot(-1.9, "identifier") == graph_labels.Spot(-10, -4, "right")


TITLE_CHAR_PX = 7.7
"""Chromium's width of one character of a Bokeh title (13 px bold): the old title was cut after
122 of its 124 characters at the 940 px frame."""


def test_the_graph_title_fits_its_frame() -> None:
    """Bokeh clips a title at the frame's width: the old one ended 'the basis of each link (dashe'
    in report.html (rejected-ex 64123). The basis of each link is in the paragraph above it."""
    fig = graph_chart(_view(_NODES), {})
    assert len(fig.title.text) * TITLE_CHAR_PX <= GRAPH_FRAME.width_px
