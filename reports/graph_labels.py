"""Where each label of report.html's contact graph goes.

The layout puts every node on a fixed arc (:mod:`reports.graph_view`); the labels were then set by one rule
(identifiers to the side, people below), so long labels of neighbouring nodes ran into each other:
"Background Person 04 (+1 linked)" over "Background Person 05 (+1 linked)" on rejected-ex 40404. Here each
label keeps the rule's place when that is clear, and otherwise moves to the nearest place clear of the labels
already placed and of the other nodes' dots. Text width is estimated from its length (no font metrics offline);
the estimate errs wide, so a label judged clear is clear on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHAR_PX = 6.2
"""Estimated width of one character at the chart's 11 px label font (a little wider than measured: 5.9 px)."""
LINE_PX = 15
"""Height of one label line, with a little space."""


@dataclass(frozen=True)
class Frame:
    """The chart's inner frame: its data ranges and its size in screen pixels."""

    x0: float
    x1: float
    y0: float
    y1: float
    width_px: int
    height_px: int

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        """Screen position of a data point, y upwards (as Bokeh's offsets are)."""
        return ((x - self.x0) / (self.x1 - self.x0) * self.width_px, (y - self.y0) / (self.y1 - self.y0) * self.height_px)


@dataclass(frozen=True)
class Spot:
    """A label's offset from its node in screen pixels (Bokeh's x_offset, y_offset; y upwards) and alignment."""

    dx: int
    dy: int
    align: str


Box = tuple[float, float, float, float]
"""left, bottom, right, top in screen pixels."""


def label_box(x: float, y: float, spot: Spot, text: str, char_px: float = CHAR_PX) -> Box:
    """The box a label's text covers (Bokeh's LabelSet draws text with its bottom at y + dy)."""
    w = len(text) * char_px
    left = x + spot.dx - (w if spot.align == "right" else w / 2 if spot.align == "center" else 0.0)
    bottom = y + spot.dy
    return (left, bottom, left + w, bottom + LINE_PX - 2)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def default_spot(x: float, kind: str) -> Spot:
    """The plain rule: identifiers around the suspect labelled to their left, those on the right to their right;
    people below themselves."""
    dx = -10 if x < -1.0 else (10 if x > 1.0 else 0)
    align = "right" if x < -1.0 else ("left" if x > 1.0 else "center")
    return Spot(dx, -4 if kind == "identifier" else -26, align)


def _candidates(first: Spot, radius: float) -> list[Spot]:
    """The rule's place, one line below and above it, beside the dot, then ever further below and above: the
    nearest first, so that a label stays next to its own dot."""
    side = int(radius) + 4
    out = [first, Spot(first.dx, first.dy - LINE_PX, first.align), Spot(first.dx, first.dy + LINE_PX, first.align),
           Spot(side, -5, "left"), Spot(-side, -5, "right")]
    if first.align == "center":  # a centred label may also slide sideways along its line
        out += [Spot(first.dx + d, first.dy + k * LINE_PX, "center") for k in (0, -1, 1) for d in (40, -40)]
    for k in range(2, 7):
        out += [Spot(first.dx, first.dy - k * LINE_PX, first.align), Spot(first.dx, first.dy + k * LINE_PX, first.align)]
    return out


def place(frame: Frame, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str], kinds: Sequence[str],
          sizes: Sequence[float], order: Sequence[int] | None = None) -> list[Spot]:
    """One spot per node. Nodes are placed in ``order`` (default: people first, then as given), each at the
    first candidate clear of the labels placed before it, the other dots and the frame's edges; where none is
    clear, the candidate that overlaps least."""
    px = [frame.to_px(x, y) for x, y in zip(xs, ys, strict=True)]
    dots: list[Box] = [(x - s / 2, y - s / 2, x + s / 2, y + s / 2) for (x, y), s in zip(px, sizes, strict=True)]
    todo = list(order) if order is not None else sorted(range(len(xs)), key=lambda i: (kinds[i] != "party", i))
    placed: list[Box] = []
    spots: dict[int, Spot] = {}
    for i in todo:
        (x, y), text = px[i], labels[i]
        best: tuple[float, Spot, Box] | None = None
        first = default_spot(xs[i], kinds[i])
        own = _overlap(label_box(x, y, first, text), dots[i])  # the rule's place may touch its own dot; no other may more
        for spot in _candidates(first, sizes[i] / 2):
            box = label_box(x, y, spot, text)
            cost = sum(_overlap(box, b) for b in placed) + sum(_overlap(box, d) for j, d in enumerate(dots) if j != i)
            cost += max(0.0, _overlap(box, dots[i]) - own)
            outside = max(0.0, -box[0]) + max(0.0, box[2] - frame.width_px) + max(0.0, -box[1]) \
                + max(0.0, box[3] - frame.height_px)
            cost += outside * LINE_PX
            if best is None or cost < best[0]:
                best = (cost, spot, box)
            if cost == 0:
                break
        assert best is not None
        spots[i] = best[1]
        placed.append(best[2])
    return [spots[i] for i in range(len(xs))]
