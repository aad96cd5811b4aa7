"""The statement's charts as PNG files, rendered with matplotlib (Agg).

Route chosen: matplotlib, which renders in-process with no browser, so the figures
are produced on any machine (a police workstation without Chromium, a CI runner)
and identically each time. Bokeh's own PNG export needs a browser and a driver
(DESIGN.md, known traps); the interactive charts live in ``report.html`` instead.

Each figure is an exhibit in its own right: its footer names its exhibit
reference, the exhibits it was drawn from and the software, and it is drawn only
from the aggregated frames in :class:`~reports.findings.Findings`, so its bars are
the counts in the statement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, Patch
from matplotlib.ticker import MaxNLocator

from atlas.conduct.possible_colocations import SERVED_STATES, ColocationMark
from atlas.conduct.records import Colocation
from atlas.exhibits import RecordRef

from .aggregate import WEEKDAYS
from .findings import Findings, Period
from .inputs import ReportInputs
from .style import COLOCATION_COLOURS, ORDER_FILL, PLACE_COLOUR, S2A_FILL, SUSPECT_COLOUR, channel_colours, uk_date

DPI = 150
WIDTH_IN = 9.0
BAR_DAYS = 120
"""Up to this many days the daily chart has a bar per day; beyond, a filled step area per channel."""

plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold",
    "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "atlas",
})


def _save(fig: Figure, path: Path, footer: str) -> Path:
    note = fig.text(0.01, 0.01, footer, fontsize=7, color="#555555", ha="left", va="bottom")
    _place_legends_below(fig, note)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})  # no version string: same bytes across runs
    plt.close(fig)
    return path


def _span(findings: Findings) -> tuple[date, date] | None:
    days = findings.daily.get_column("day").to_list() if findings.daily.height else []
    points = list(days) + [m.colocation.date for m in findings.colocation_marks(SERVED_STATES)]
    for p in findings.orders:
        points.append(p.start)
    if findings.s2a_window:
        points += [findings.s2a_window.start, findings.s2a_window.end or findings.s2a_window.start]
    if not points:
        return None
    return min(points) - timedelta(days=2), max(points) + timedelta(days=2)


def _shade(ax: Axes, periods: list[Period], end: date, colour: str, hatch: str | None = None) -> None:
    for p in periods:
        stop = (p.end or end) + timedelta(days=1)
        if hatch:  # hatched, unfilled: stays readable where it overlaps an order band
            ax.axvspan(mdates.date2num(p.start), mdates.date2num(stop), facecolor="none", edgecolor=colour, alpha=0.45,
                       lw=0, hatch=hatch)
        else:
            ax.axvspan(mdates.date2num(p.start), mdates.date2num(stop), color=colour, alpha=0.13, lw=0)


def _date_axis(ax: Axes, lo: date, hi: date) -> None:
    days = (hi - lo).days
    if days <= 45:
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, days // 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m/%Y"))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, math.ceil(days / 240))))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.set_xlim(mdates.date2num(lo), mdates.date2num(hi))
    for label in ax.get_xticklabels():
        label.set_rotation(0)


BELOW: Final = "atlas-legend-below"
"""The gid of a legend :func:`_place_legends_below` sets under its axis when the figure is saved."""
GAP_PX: Final = 6
"""Between the tick labels and the legend, and between the legend and the footer (pixels at the figure's dpi)."""


def _legend_below(ax: Axes, handles: list[Any] | None = None) -> None:
    """A legend under the chart; where exactly is measured when the figure is saved
    (:func:`_place_legends_below`): a fixed offset (-0.1 of the axes) overlapped the two-line
    month and year tick labels (JA/28, JA/30 in rejected-ex 63011)."""
    kwargs: dict[str, Any] = {"handles": handles} if handles else {}
    n = len(handles) if handles else len(ax.get_legend_handles_labels()[0])
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False, fontsize=8,
                       ncol=min(5, max(n, 1)), **kwargs)
    legend.set_gid(BELOW)


def _place_legends_below(fig: Figure, footer: Any) -> None:
    """Each :func:`_legend_below` legend put just under everything its x axis draws (tick labels of
    any number of lines, the axis label), and the plot raised where the legend would otherwise reach
    the footer: measured on the rendered figure, so no size of label or legend overlaps another."""
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or legend.get_gid() != BELOW:
            continue
        for _ in range(4):  # raising the plot moves the axis: measure again
            renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
            axis = ax.xaxis.get_tightbbox(renderer)
            assert axis is not None
            box = ax.get_position()
            # in figure fractions: pixels measured here are at the figure's dpi, not the saved file's
            legend.set_bbox_to_anchor(((box.x0 + box.x1) / 2, (axis.y0 - GAP_PX) / fig.bbox.height),
                                      transform=fig.transFigure)
            room = legend.get_window_extent(renderer).y0 - footer.get_window_extent(renderer).y1 - GAP_PX
            if room >= 0:
                break
            fig.subplots_adjust(bottom=box.y0 + (-room + 1) / fig.bbox.height)


def contacts_per_day(findings: Findings, path: Path, footer: str, subject: str) -> Path:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.0))
    span = _span(findings)
    colours = channel_colours(findings.channels, findings.channel_keys)
    handles: list[Any] = []
    if span is not None:
        lo, hi = span
        _shade(ax, findings.orders, hi, ORDER_FILL)
        if findings.s2a_window:
            _shade(ax, [findings.s2a_window], hi, S2A_FILL, hatch="//")
        days = [mdates.date2num(d) for d in findings.daily.get_column("day").to_list()]
        bottom = [0] * len(days)
        many = len(days) > BAR_DAYS
        if many:  # one filled step area per channel: thousands of bar patches are slow and unreadable
            full = pl.DataFrame({"day": pl.date_range(lo, hi, "1d", eager=True)}).join(
                findings.daily, on="day", how="left").fill_null(0)
            days = [mdates.date2num(d) for d in full.get_column("day").to_list()]
            bottom = [0] * len(days)
        for c in findings.channels:
            values = (full if many else findings.daily).get_column(c).to_list()
            top = [b + v for b, v in zip(bottom, values, strict=True)]
            if many:
                ax.fill_between(days, bottom, top, step="post", color=colours[c], lw=0)
            else:
                ax.bar(days, values, width=0.9, bottom=bottom, color=colours[c], label=findings.channel_name(c), align="edge",
                       lw=0)
            bottom = top
        _date_axis(ax, lo, hi)
        handles = [Patch(color=colours[c], label=findings.channel_name(c)) for c in findings.channels]
        handles += _colocation_days(ax, findings.colocation_marks(SERVED_STATES))
        if findings.orders:
            handles.append(Patch(color=ORDER_FILL, alpha=0.25, label="order in force"))
        if findings.s2a_window:
            handles.append(Patch(facecolor="none", edgecolor=S2A_FILL, hatch="//", alpha=0.6,
                                 label=f"{findings.s2a_window.name} window (last incident to deadline)"))
    ax.set_title(f"Contacts per day from {subject}, by channel (UK local days)", loc="left")
    ax.set_ylabel("contacts")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if handles:
        _legend_below(ax, handles)
    ax.grid(axis="y", color="#DDDDDD", lw=0.6)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.24)
    return _save(fig, path, footer)


MARKERS: dict[str, dict[str, Any]] = {
    "measured": {"marker": "X", "color": COLOCATION_COLOURS["measured"]},
    "confirmed": {"marker": "D", "color": COLOCATION_COLOURS["confirmed"]},
    "open": {"marker": "o", "facecolors": "none", "edgecolors": COLOCATION_COLOURS["open"]},
    "dismissed": {"marker": "x", "color": COLOCATION_COLOURS["dismissed"]},
}
"""How each kind of co-location is drawn (the served figures draw measured and confirmed only)."""
DAY_WORDS: dict[str, str] = {
    "measured": "day of a co-location (measured)",
    "confirmed": "day of a possible co-location, confirmed by an officer",
}


def _colocation_days(ax: Axes, marks: list[ColocationMark]) -> list[Any]:
    """A mark along the top of the daily chart on each UK day with a co-location, one row per state
    (a confirmed possible one never drawn as measured); returns the legend handles."""
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    for row, state in enumerate(("measured", "confirmed")):
        days = sorted({m.colocation.date for m in marks if m.state == state})
        if not days:
            continue
        y = 0.97 - 0.05 * row
        ax.scatter([mdates.date2num(d) + 0.45 for d in days], [y] * len(days), s=30, zorder=6, lw=0.8,
                   transform=ax.get_xaxis_transform(), clip_on=False, **MARKERS[state])
        handles.append(Line2D([], [], ls="none", ms=6, marker=MARKERS[state]["marker"],
                              color=MARKERS[state]["color"], label=DAY_WORDS[state]))
    return handles


def hour_weekday(findings: Findings, path: Path, footer: str, subject: str) -> Path:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.4))
    grid = [[0] * 24 for _ in range(7)]
    for r in findings.heat.iter_rows(named=True):
        grid[int(r["weekday"])][int(r["hour"])] = int(r["n"])
    top = max(max(row) for row in grid)
    im = ax.imshow(grid, aspect="auto", cmap="Reds", vmin=0, vmax=max(top, 1))
    for d in range(7):
        for h in range(24):
            if grid[d][h]:
                ax.text(h, d, str(grid[d][h]), ha="center", va="center", fontsize=7,
                        color="white" if grid[d][h] > top * 0.6 else "#222222")
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
    ax.set_yticks(range(7), list(WEEKDAYS))
    ax.set_xlabel("hour of day (UK local time)")
    ax.set_title(f"Contacts from {subject} by hour and weekday", loc="left")
    bar = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, label="contacts")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    fig.subplots_adjust(left=0.06, right=0.99, top=0.88, bottom=0.2)
    return _save(fig, path, footer)


def weekly_rate(findings: Findings, path: Path, footer: str, subject: str) -> Path:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.6))
    weeks = findings.weeks
    if weeks.height:
        x = [mdates.date2num(d) for d in weeks.get_column("week").to_list()]
        ax.bar(x, weeks.get_column("from_suspect").to_list(), width=6, align="edge", color="#B2182B", alpha=0.8,
               label=f"from {subject}", lw=0)
        mean = weeks.get_column("from_suspect").cast(pl.Float64).rolling_mean(4, min_samples=1).to_list()
        ax.plot([v + 3.5 for v in x], mean, color="#222222", lw=1.5, label="4-week average (from)")
        ax.plot([v + 3.5 for v in x], weeks.get_column("to_suspect").to_list(), color="#2166AC", lw=1.2,
                ls="--", marker="o", ms=2.5, label=f"to {subject}")
        lo = weeks.get_column("week").min()
        hi = weeks.get_column("week").max()
        assert isinstance(lo, date) and isinstance(hi, date)
        _date_axis(ax, lo - timedelta(days=3), hi + timedelta(days=10))
        _legend_below(ax)
    ax.set_title("Escalation: contacts per week (weeks start Monday, UK local time)", loc="left")
    ax.set_ylabel("contacts per week")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#DDDDDD", lw=0.6)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.25)
    return _save(fig, path, footer)


def mark_points(inputs: ReportInputs, marks: list[ColocationMark]) -> list[tuple[float, float, ColocationMark]]:
    """(lon, lat, mark) for each co-location to draw: its own coordinates, else its place's."""
    places = {p.name: (p.lon, p.lat) for p in inputs.manifest.places}
    out = []
    for m in marks:
        c = m.colocation
        if c.lon is not None and c.lat is not None:
            out.append((float(c.lon), float(c.lat), m))
        elif c.place in places:
            lon, lat = places[c.place]
            out.append((float(lon), float(lat), m))
    return out


def exhibits_short(m: ColocationMark) -> str:
    """``JA/11, JA/5, JA/7 / JA/14``: the exhibits a co-location rests on, his / hers (a label's worth)."""
    def uniq(refs: tuple[RecordRef, ...]) -> str:
        return ", ".join(dict.fromkeys(r.exhibit for r in refs))  # the exhibit as data, never cut from the text
    c = m.colocation
    return uniq(c.records) + (f" / {uniq(c.victim_records)}" if c.victim_records else "")


LABELLED = 12
"""Up to this many confirmed possible co-locations, each is labelled with its date and exhibits."""


def colocation_points(inputs: ReportInputs, findings: Findings) -> list[tuple[float, float, Colocation]]:
    """(lon, lat, co-location) for each co-location: its own coordinates, else its place's."""
    places = {p.name: (p.lon, p.lat) for p in inputs.manifest.places}
    out = []
    for c in findings.colocations:
        if c.lon is not None and c.lat is not None:
            out.append((float(c.lon), float(c.lat), c))
        elif c.place in places:
            lon, lat = places[c.place]
            out.append((float(lon), float(lat), c))
    return out


def _metres_to_deg(lat: float, metres: float) -> tuple[float, float]:
    return metres / (111_320 * math.cos(math.radians(lat))), metres / 110_540


def locations(inputs: ReportInputs, findings: Findings, path: Path, footer: str, subject: str) -> Path:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 6.0))
    pos = inputs.positions
    if pos.height:
        sizes = [6 + 4 * math.log1p(n) for n in pos.get_column("n").to_list()]
        ax.scatter(pos.get_column("lon").to_list(), pos.get_column("lat").to_list(), s=sizes, color=SUSPECT_COLOUR,
                   alpha=0.35, lw=0, label=f"{subject}'s device positions (~100 m grid)")
    for place in inputs.manifest.places:
        w, h = _metres_to_deg(place.lat, place.radius_m)
        ax.add_patch(Ellipse((place.lon, place.lat), 2 * w, 2 * h, fill=True, color=PLACE_COLOUR, alpha=0.25, lw=1))
        ax.plot([place.lon], [place.lat], marker="P", color=PLACE_COLOUR, ms=8)
        ax.annotate(f"{place.name} ({place.radius_m:g} m)", (place.lon, place.lat), xytext=(6, 6),
                    textcoords="offset points", fontsize=8)
    cl = colocation_points(inputs, findings)
    if cl:
        by_xy: dict[tuple[float, float], int] = {}
        for lon, lat, _ in cl:
            by_xy[(lon, lat)] = by_xy.get((lon, lat), 0) + 1
        ax.scatter([x for x, _ in by_xy], [y for _, y in by_xy], marker="X", color="#B2182B", s=90, zorder=5,
                   label="co-locations found by the analysis (count beside)")
        for (x, y), n in sorted(by_xy.items()):
            ax.annotate(str(n), (x, y), xytext=(-14, -4), textcoords="offset points", fontsize=9, color="#B2182B",
                        ha="right", fontweight="bold")
    confirmed = mark_points(inputs, findings.colocation_marks(("confirmed",)))
    if confirmed:  # never drawn as measured: its own marker and words, each labelled by date and exhibits
        ax.scatter([x for x, _, _ in confirmed], [y for _, y, _ in confirmed], s=70, zorder=6, lw=0.8,
                   edgecolors="white", label="possible co-locations (no stated accuracy), confirmed by an officer",
                   **MARKERS["confirmed"])
        cl += [(x, y, m.colocation) for x, y, m in confirmed]
    lats = [p.lat for p in inputs.manifest.places] + pos.get_column("lat").to_list() + [c[1] for c in cl]
    if lats:
        mid = sum(lats) / len(lats)
        ax.set_aspect(1 / math.cos(math.radians(mid)))
    if confirmed and len(confirmed) <= LABELLED:  # each named by its date and exhibits, written inwards
        ax.autoscale_view()
        x0, x1 = ax.get_xlim()
        for x, y, m in confirmed:
            right = x > (x0 + x1) / 2
            ax.annotate(f"{uk_date(m.colocation.date)} confirmed by an officer ({exhibits_short(m)})", (x, y),
                        xytext=(-8 if right else 8, -11), textcoords="offset points", fontsize=7,
                        ha="right" if right else "left", color=COLOCATION_COLOURS["confirmed"])
    ax.set_xlabel("longitude (WGS84)")
    ax.set_ylabel("latitude (WGS84)")
    ax.set_title("Protected places, co-locations and device positions\n(no map: plain coordinates)", loc="left")
    ax.grid(color="#EEEEEE", lw=0.6)
    if pos.height or cl:
        ax.legend(loc="best", frameon=False, fontsize=8)
    ax.ticklabel_format(useOffset=False)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.1)
    return _save(fig, path, footer)


FigureFn = Callable[[Findings, Path, str, str], Path]

FIGURES: dict[str, tuple[str, str]] = {
    "contacts-per-day": ("figure-contacts-per-day.png",
                         "Chart: contacts per day from the suspect, by channel"),
    "hour-weekday": ("figure-hour-weekday.png", "Chart: contacts from the suspect by hour of day and weekday (heat map)"),
    "weekly-rate": ("figure-weekly-rate.png", "Chart: contacts per week each way, with a 4-week average"),
    "locations": ("figure-locations.png", "Chart: the places named in the case, the suspect's device positions and the occasions it was recorded near them"),
}
"""Figure name → (file name, exhibit description without what depends on the case: :func:`description`)."""
ORDERS_SHADED: Final = ", with the periods orders were in force shaded"


def description(name: str, findings: Findings) -> str:
    """A figure's exhibit description, as the statement lists it. The contacts-per-day chart shades the periods
    orders were in force only where the case records an order: its description said so in every case, so a
    statement with no order described shading the chart does not have (seeds 26535, 23846)."""
    text = FIGURES[name][1]
    return text + ORDERS_SHADED if name == "contacts-per-day" and findings.orders else text


def planned(inputs: ReportInputs, findings: Findings) -> list[str]:
    """The figures this case has data for, in exhibit order."""
    names = ["contacts-per-day", "hour-weekday", "weekly-rate"]
    if inputs.positions.height or findings.colocations or findings.confirmed_colocations:
        names.append("locations")
    return names


def render(name: str, inputs: ReportInputs, findings: Findings, path: Path, footer: str) -> Path:
    """Draw one exhibited chart. Charts are exhibits served with the statement: they show the
    records and the orders in force, never the s2A window (time-limit advice is for the
    reviewer's note and the interactive report)."""
    from dataclasses import replace

    findings = replace(findings, s2a_window=None)
    subject = inputs.suspect.name if inputs.suspect and inputs.suspect.name else "the suspect"
    if name == "contacts-per-day":
        return contacts_per_day(findings, path, footer, subject)
    if name == "hour-weekday":
        return hour_weekday(findings, path, footer, subject)
    if name == "weekly-rate":
        return weekly_rate(findings, path, footer, subject)
    if name == "locations":
        return locations(inputs, findings, path, footer, subject)
    raise ValueError(f"unknown figure {name!r}")
