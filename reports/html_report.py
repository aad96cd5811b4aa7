"""``report.html``: one self-contained interactive Bokeh document.

Everything the page needs is inside the file (``bokeh.resources.INLINE``): it opens
on a machine with no network. Nothing in it asks a CDN for anything at run time: no
TeX labels (MathJax), no icon fonts (Tabler), no online map tiles; the location view
uses plain longitude/latitude axes.

Large cases: every chart is drawn from aggregated frames (days × channels, 7 × 24
cells, weeks, a ~100 m grid of positions, at most ``MAX_NODES`` graph nodes), and the
tables hold at most ``MAX_TABLE_ROWS`` rows each, shown a page at a time; the
records behind a selected row are looked up in an embedded table of at most
``MAX_RECORDS`` cited records (all of them are in ``events.csv``). So a case with
millions of events still gives a page of a few megabytes that opens quickly.

The file is deterministic: Bokeh's model ids and element ids are made from counters
reset for each report, so the same case and decisions give the same bytes.
"""

from __future__ import annotations

import html
import json
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl
from bokeh.embed import file_html
from bokeh.layouts import column, row
from bokeh.models import (
    BasicTicker,
    ColumnDataSource,
    CustomJS,
    DataRange1d,
    DatetimeTickFormatter,
    FactorRange,
    HoverTool,
    LinearColorMapper,
    NumeralTickFormatter,
    Range1d,
)
from bokeh.models.annotations import BoxAnnotation, ColorBar, LabelSet, Legend, LegendItem
from bokeh.models.layouts import LayoutDOM
from bokeh.models.widgets import Button, DataTable, Div, TableColumn
from bokeh.plotting import figure
from bokeh.resources import INLINE

from atlas import __version__
from atlas.decisions.naming import HANDLE_HEADER
from atlas.exhibits import event_ref, identifier_label, join_list
from atlas.normalise.identifiers import display
from atlas.wording import plural

from . import graph_labels
from .aggregate import WEEKDAYS
from .chronology import channel_name
from .exhibits import Exhibit
from .findings import Findings, Period
from .graph_view import GraphView
from .inputs import ReportInputs
from .redaction import redaction_note
from .review_view import ReviewView, place_label
from .style import (
    COLOCATION_COLOURS,
    ORDER_FILL,
    PLACE_COLOUR,
    ROLE_COLOURS,
    S2A_FILL,
    SUSPECT_COLOUR,
    channel_colours,
    uk_date,
    uk_time,
)

WIDTH: Final = 1100
GRAPH_FRAME: Final = graph_labels.Frame(-3.0, 3.0, -2.4, 2.4, width_px=940, height_px=490)
"""The contact graph's inner frame, fixed in pixels so that its labels can be placed clear of each other."""
PAGE_SIZE: Final = 15
MAX_TABLE_ROWS: Final = 5_000
MAX_RECORDS: Final = 10_000
MAX_POSITIONS: Final = 5_000
MAX_IDS_SHOWN: Final = 6
HANDLE_COLUMN: Final = HANDLE_HEADER
"""The last column of a table of items awaiting a decision: each is named by its time and records first; its
hex handle is only what an officer types into ``atlas … --confirm``. The same words as the CLI, the workbench
and the reviewer's note (its "handle to type in the command" was cut to "handle to type in" by its 110 px column)."""
TOOLS: Final = "pan,xwheel_zoom,box_zoom,reset,save"

_CSS: Final = """
:host { font-family: 'DejaVu Sans', Arial, sans-serif; color: #1b1b1b; }
h1 { font-size: 22px; margin: 0 0 4px 0; } h2 { font-size: 17px; margin: 18px 0 4px 0; border-bottom: 2px solid #2166AC; }
.draft { background: #fff3cd; border: 1px solid #e0b400; padding: 6px 10px; font-weight: bold; }
.note { color: #444; font-size: 12px; } table.kv td { padding: 1px 10px 1px 0; vertical-align: top; font-size: 13px; }
.warn { color: #8a1c1c; font-weight: bold; }
table.full { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 12px; }
table.full th { text-align: left; border-bottom: 1px solid #999; padding: 3px 6px; }
table.full td { vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #e4e4e4; white-space: normal;
                overflow-wrap: anywhere; word-break: normal; }
table.full tr.dismissed td { color: #8c8c8c; background: #f4f4f4; }
table.full tr.confirmed td:first-child { border-left: 4px solid #E66101; }
table.full tr.open td:first-child { border-left: 4px solid #6F6F6F; }
table.full tr.dismissed td:first-child { border-left: 4px solid #BBBBBB; }
"""


# --- determinism -----------------------------------------------------------------------

_ID_LOCK = threading.Lock()


@contextmanager
def deterministic_ids() -> Iterator[None]:
    """Bokeh model ids (``p1001``…) and element ids from counters that start afresh.

    Bokeh numbers models from a process-wide counter and names the page's elements
    with random UUIDs; both are replaced for the duration of one report so that the
    same case gives the same bytes. Restored afterwards (the counter never goes back).
    """
    from bokeh.embed import elements as embed_elements
    from bokeh.embed import util as embed_util
    from bokeh.util import serialization

    counter = iter(range(1, 1 << 30))

    def element_id() -> str:
        return f"atlas-{next(counter):06d}"

    with _ID_LOCK:
        saved_counter = serialization._simple_id
        saved = (embed_util.make_globally_unique_id, embed_util.make_globally_unique_css_safe_id,
                 embed_elements.make_globally_unique_css_safe_id)
        serialization._simple_id = 999
        embed_util.make_globally_unique_id = element_id  # type: ignore[assignment]
        embed_util.make_globally_unique_css_safe_id = element_id  # type: ignore[assignment]
        embed_elements.make_globally_unique_css_safe_id = element_id  # type: ignore[assignment]
        try:
            yield
        finally:
            serialization._simple_id = max(saved_counter, serialization._simple_id)
            (embed_util.make_globally_unique_id, embed_util.make_globally_unique_css_safe_id,
             embed_elements.make_globally_unique_css_safe_id) = saved


# --- helpers -----------------------------------------------------------------------------

def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _div(body: str, width: int = WIDTH) -> Div:
    return Div(text=body, width=width, stylesheets=[_CSS])


def _day_start(d: date, zone: str) -> datetime:
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(zone)).replace(tzinfo=None)


def _shade(fig: Any, periods: Sequence[Period], end: date, colour: str, zone: str, hatch: bool = False) -> None:
    for p in periods:
        extra: dict[str, Any] = ({"fill_alpha": 0.0, "hatch_pattern": "/", "hatch_color": colour, "hatch_alpha": 0.45,
                                  "hatch_scale": 10} if hatch else {"fill_color": colour, "fill_alpha": 0.12})
        fig.add_layout(BoxAnnotation(left=_day_start(p.start, zone),
                                     right=_day_start((p.end or end) + timedelta(days=1), zone), line_alpha=0, **extra))


def _refs_short(refs: Mapping[str, str], ids: Sequence[str]) -> str:
    """The first records of a finding by exhibit (``JA/7, sms rowid 477``), never by hex id."""
    shown = join_list(event_ref(refs, i) for i in ids[:MAX_IDS_SHOWN])
    return shown + (f" … (+{len(ids) - MAX_IDS_SHOWN} more)" if len(ids) > MAX_IDS_SHOWN else "")


def _date_formatter() -> DatetimeTickFormatter:
    return DatetimeTickFormatter(days="%d/%m/%Y", months="%b %Y", years="%Y", hours="%d/%m %H:%M")


# --- charts --------------------------------------------------------------------------------

def daily_chart(findings: Findings, zone: str, subject: str) -> Any:
    """Stacked bars per local day and channel, order periods and the s2A window shaded."""
    fig = figure(width=WIDTH, height=330, x_axis_type="datetime", tools=TOOLS, toolbar_location="right",
                 y_range=DataRange1d(start=0),
                 title=f"Contacts per day from {subject}, by channel (UK local days)")
    frame = findings.daily
    days = frame.get_column("day").to_list() if frame.height else []
    end = max([*days, *(p.start for p in findings.orders)], default=date(2000, 1, 1))
    if findings.s2a_window and findings.s2a_window.end:
        end = max(end, findings.s2a_window.end)
    if findings.s2a_window:  # first, so that an order band drawn over it stays visible
        _shade(fig, [findings.s2a_window], end, S2A_FILL, zone, hatch=True)
    _shade(fig, findings.orders, end, ORDER_FILL, zone)
    data: dict[str, list[Any]] = {"day": [_day_start(d, zone) for d in days], "label": [uk_date(d) for d in days]}
    for c in findings.channels:
        data[c] = frame.get_column(c).to_list()
    data["total"] = [sum(v) for v in zip(*(data[c] for c in findings.channels), strict=True)] if findings.channels else []
    source = ColumnDataSource(data)
    colours = channel_colours(findings.channels, findings.channel_keys)
    if findings.channels:
        renderers = fig.vbar_stack(findings.channels, x="day", width=0.85 * 86_400_000, source=source,
                                   color=[colours[c] for c in findings.channels])
        items = [LegendItem(label=findings.channel_name(c), renderers=[r])  # type: ignore[list-item]
                 for c, r in zip(findings.channels, renderers, strict=True)]
        fig.add_layout(Legend(items=items, location="top_left", orientation="horizontal"), "above")
        tips = [("day", "@label"), ("total", "@total")] + [(findings.channel_name(c), f"@{{{c}}}") for c in findings.channels]
        fig.add_tools(HoverTool(tooltips=tips, renderers=list(renderers)))
    _colocation_days(fig, findings, zone, max(data["total"], default=0))
    for legend in fig.legend:  # channels and co-location marks: two rows rather than one cut off at the edge
        if len(legend.items) > 2:
            legend.nrows = 2
    fig.xaxis.formatter = _date_formatter()
    fig.yaxis.axis_label = "contacts"
    return fig


COLOCATION_LEGEND: Final = {
    "measured": "co-location (measured)",
    "confirmed": "possible co-location, confirmed by an officer (counted)",
    "open": "possible co-location, not counted (awaiting a decision)",
    "dismissed": "possible co-location, dismissed by an officer (not counted)",
}
"""The team's report draws every state; the served figures only measured and confirmed ones."""
_GLYPH: Final[dict[str, dict[str, Any]]] = {
    "measured": {"marker": "x", "line_width": 2.5, "color": COLOCATION_COLOURS["measured"]},
    "confirmed": {"marker": "diamond", "line_color": "#7f3500", "fill_color": COLOCATION_COLOURS["confirmed"]},
    "open": {"marker": "circle", "line_width": 2, "line_color": COLOCATION_COLOURS["open"], "fill_alpha": 0.0},
    "dismissed": {"marker": "x", "line_width": 1.5, "color": COLOCATION_COLOURS["dismissed"], "alpha": 0.8},
}


def _mark_rows(marks: Sequence[Any], where: Sequence[str]) -> dict[str, list[Any]]:
    """Hover text of co-location marks: what it is (state in words), the decision in full (this report
    is the team's), its basis and its records by exhibit; never an event's hex id."""
    return {"what": [COLOCATION_LEGEND[m.state] for m in marks], "where": list(where),
            "when": [uk_time(m.colocation.start) for m in marks],
            "decision": [m.review.status if m.review is not None else "measured: counted on the data" for m in marks],
            "basis": [m.basis for m in marks], "records": [m.records_by_exhibit() for m in marks]}


_MARK_TIPS: Final = [("", "@what"), ("when", "@when"), ("where", "@where"), ("decision", "@decision"),
                     ("basis", "@basis"), ("records", "@records")]


def _colocation_days(fig: Any, findings: Findings, zone: str, top: int) -> None:
    """A row of marks above the bars for each kind of co-location, on its UK day (hover: the decision)."""
    marks = findings.colocation_marks()
    states = [s for s in COLOCATION_LEGEND if any(m.state == s for m in marks)]
    for level, state in enumerate(states):
        mine = [m for m in marks if m.state == state]
        y = max(top, 1) * (1.12 + 0.1 * level)
        src = ColumnDataSource({"day": [_day_start(m.colocation.date, zone) for m in mine], "y": [y] * len(mine),
                                **_mark_rows(mine, [m.where for m in mine])})
        r = fig.scatter(x="day", y="y", size=15 if state == "confirmed" else 11, source=src, legend_label=COLOCATION_LEGEND[state], **_GLYPH[state])
        fig.add_tools(HoverTool(renderers=[r], tooltips=_MARK_TIPS))


def heat_chart(findings: Findings, subject: str) -> Any:
    heat = findings.heat
    hours = [f"{h:02d}" for h in range(24)]
    fig = figure(width=WIDTH, height=300, x_range=FactorRange(factors=hours), y_range=FactorRange(factors=list(reversed(WEEKDAYS))),
                 tools="hover,save",
                 toolbar_location="right", title=f"Contacts from {subject} by hour of day and weekday (UK local time)",
                 tooltips=[("when", "@day_name @hour_label:00"), ("contacts", "@n")])
    top = int(heat.get_column("n").max() or 0)  # type: ignore[arg-type]
    mapper = LinearColorMapper(palette=_reds(), low=0, high=max(top, 1))
    src = ColumnDataSource({
        "hour_label": [f"{h:02d}" for h in heat.get_column("hour").to_list()],
        "day_name": heat.get_column("day_name").to_list(), "n": heat.get_column("n").to_list(),
        "text": [str(n) if n else "" for n in heat.get_column("n").to_list()],
        "ink": ["white" if n > 0.6 * top else "#222222" for n in heat.get_column("n").to_list()],
    })
    fig.rect(x="hour_label", y="day_name", width=1, height=1, source=src, line_color="white",
             fill_color={"field": "n", "transform": mapper})
    fig.text(x="hour_label", y="day_name", text="text", source=src, text_align="center", text_baseline="middle",
             text_font_size="9px", text_color="ink")
    fig.add_layout(ColorBar(color_mapper=mapper, ticker=BasicTicker(desired_num_ticks=5, min_interval=1),
                            formatter=NumeralTickFormatter(format="0"), width=12), "right")
    fig.xaxis.axis_label = "hour of day"
    fig.grid.visible = False
    return fig


def _reds() -> list[str]:
    from bokeh.palettes import Reds9

    return list(reversed(Reds9))


def weekly_chart(findings: Findings, zone: str, subject: str) -> Any:
    weeks = findings.weeks
    fig = figure(width=WIDTH, height=280, x_axis_type="datetime", tools=TOOLS, y_range=DataRange1d(start=0),
                 title="Escalation: contacts per week each way (weeks start Monday, UK local time)")
    ws = weeks.get_column("week").to_list() if weeks.height else []
    mean = weeks.get_column("from_suspect").cast(pl.Float64).rolling_mean(4, min_samples=1).to_list() if weeks.height else []
    src = ColumnDataSource({
        "week": [_day_start(w, zone) for w in ws], "mid": [_day_start(w, zone) + timedelta(days=3.5) for w in ws],
        "label": [uk_date(w) for w in ws],
        "from_suspect": weeks.get_column("from_suspect").to_list() if weeks.height else [],
        "to_suspect": weeks.get_column("to_suspect").to_list() if weeks.height else [],
        "mean": [round(m, 2) for m in mean],
    })
    bars = fig.vbar(x="mid", top="from_suspect", width=6 * 86_400_000, source=src, color="#B2182B", alpha=0.8,
                    legend_label=f"from {subject}")
    fig.line(x="mid", y="mean", source=src, color="#222222", line_width=2, legend_label="4-week average (from)")
    fig.line(x="mid", y="to_suspect", source=src, color="#2166AC", line_dash="dashed", legend_label=f"to {subject}")
    fig.add_tools(HoverTool(renderers=[bars], tooltips=[("week from", "@label"), ("from", "@from_suspect"),
                                                        ("to", "@to_suspect"), ("4-week avg", "@mean")]))
    fig.legend.location = "top_left"
    fig.xaxis.formatter = _date_formatter()
    return fig


def graph_chart(gv: GraphView, refs: Mapping[str, str]) -> Any:
    f = GRAPH_FRAME
    fig = figure(frame_width=f.width_px, frame_height=f.height_px, tools="pan,wheel_zoom,reset,save",
                 title="Contact graph: who contacts whom (line width ~ contacts; dashed: the suspect's identifiers)",
                 x_range=Range1d(start=f.x0, end=f.x1), y_range=Range1d(start=f.y0, end=f.y1))
    pos = {r["id"]: (r["x"], r["y"]) for r in gv.nodes.iter_rows(named=True)}
    contact = gv.edges.filter(pl.col("style") == "contact")
    alias = gv.edges.filter(pl.col("style") == "alias")
    top = max(int(contact.get_column("contacts").max() or 1), 1) if contact.height else 1  # type: ignore[arg-type]

    def segs(frame: pl.DataFrame, bend: float) -> dict[str, list[Any]]:
        xs, ys = [], []
        for r in frame.iter_rows(named=True):
            (x0, y0), (x1, y1) = pos[r["source"]], pos[r["target"]]
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            dx, dy = x1 - x0, y1 - y0
            xs.append([x0, mx - dy * bend, x1])
            ys.append([y0, my + dx * bend, y1])
        return {"xs": xs, "ys": ys}

    data = segs(contact, 0.08)
    def shown(uris: list[str]) -> list[str]:  # a display name by the exhibit that shows it, never its source's hex id
        return [identifier_label(refs, u) for u in uris]

    data |= {"from": shown(contact.get_column("source").to_list()), "to": shown(contact.get_column("target").to_list()),
             "channel": [channel_name([c]) for c in contact.get_column("channel").to_list()],  # an edge: one key or group
             "contacts": contact.get_column("contacts").to_list(),
             "ids": [_refs_short(refs, i) for i in contact.get_column("event_ids").to_list()],
             "width": [1 + 7 * math.sqrt(n / top) for n in contact.get_column("contacts").to_list()],
             "colour": list(channel_colours(sorted(set(contact.get_column("channel").to_list()))).get(c, "#888888")
                            for c in contact.get_column("channel").to_list())}
    edges = fig.multi_line(xs="xs", ys="ys", line_width="width", line_color="colour", line_alpha=0.7,
                           source=ColumnDataSource(data))
    fig.add_tools(HoverTool(renderers=[edges], tooltips=[("from", "@from"), ("to", "@to"), ("channel", "@channel"),
                                                         ("contacts", "@contacts"), ("records", "@ids")]))
    adata = segs(alias, 0.0) | {"label": alias.get_column("label").to_list(), "to": shown(alias.get_column("target").to_list())}
    alines = fig.multi_line(xs="xs", ys="ys", line_dash="dashed", line_color="#777777", line_width=1.5,
                            source=ColumnDataSource(adata))
    fig.add_tools(HoverTool(renderers=[alines], tooltips=[("identifier", "@to"), ("basis", "@label")]))
    nodes = gv.nodes
    xs, ys = nodes.get_column("x").to_list(), nodes.get_column("y").to_list()
    labels, kinds = nodes.get_column("label").to_list(), nodes.get_column("kind").to_list()
    sizes = [14 if k == "identifier" else 18 + 4 * math.log1p(n)
             for k, n in zip(kinds, nodes.get_column("contacts").to_list(), strict=True)]
    # identifiers around the suspect labelled to their left, people below themselves, each moved clear of the
    # labels and dots near it (reports.graph_labels)
    spots = graph_labels.place(GRAPH_FRAME, xs, ys, labels, kinds, sizes)
    nsrc = ColumnDataSource({
        "x": xs, "y": ys, "label": labels, "id": shown(nodes.get_column("id").to_list()),
        "role": nodes.get_column("role").to_list(), "contacts": nodes.get_column("contacts").to_list(),
        "size": sizes, "colour": [ROLE_COLOURS.get(r, "#BBBBBB") for r in nodes.get_column("role").to_list()],
        "dx": [s.dx for s in spots], "dy": [s.dy for s in spots], "align": [s.align for s in spots],
    })
    dots = fig.scatter(x="x", y="y", size="size", fill_color="colour", line_color="white", source=nsrc)
    fig.add_layout(LabelSet(x="x", y="y", text="label", source=nsrc, x_offset="dx", y_offset="dy", text_align="align",
                            text_font_size="11px", background_fill_color="white", background_fill_alpha=0.7))
    fig.add_tools(HoverTool(renderers=[dots], tooltips=[("", "@label"), ("id", "@id"), ("role", "@role"),
                                                        ("contacts", "@contacts")]))
    fig.axis.visible = False
    fig.grid.visible = False
    return fig


def location_chart(inputs: ReportInputs, findings: Findings, subject: str) -> Any:
    places = inputs.manifest.places
    pos = inputs.positions
    dropped = max(pos.height - MAX_POSITIONS, 0)
    if dropped:  # the most visited cells; the rest are in the store (a footprint, not a track)
        pos = pos.sort(["n", "lat", "lon"], descending=[True, False, False]).head(MAX_POSITIONS).sort("lat", "lon")
    lats = [p.lat for p in places] + pos.get_column("lat").to_list()
    mid = sum(lats) / len(lats) if lats else 51.5
    fig = figure(width=WIDTH, height=560, tools="pan,wheel_zoom,box_zoom,reset,save", match_aspect=True,
                 aspect_scale=1 / math.cos(math.radians(mid)),
                 title="Protected places, co-locations and device positions (plain WGS84 coordinates; no online map)"
                       + (f"; the {MAX_POSITIONS} most visited ~100 m cells of {MAX_POSITIONS + dropped}" if dropped else ""))
    if pos.height:
        psrc = ColumnDataSource({
            "lon": pos.get_column("lon").to_list(), "lat": pos.get_column("lat").to_list(), "n": pos.get_column("n").to_list(),
            "size": [4 + 2 * math.log1p(n) for n in pos.get_column("n").to_list()],
            "first": [uk_time(t) for t in pos.get_column("first").to_list()],
            "last": [uk_time(t) for t in pos.get_column("last").to_list()],
            "acc": ["" if a is None else f"{a:.0f} m" for a in pos.get_column("accuracy_m").to_list()],
        })
        dots = fig.scatter(x="lon", y="lat", size="size", color=SUSPECT_COLOUR, alpha=0.35, source=psrc,
                           legend_label=f"{subject}'s device positions (~100 m grid)")
        fig.add_tools(HoverTool(renderers=[dots], tooltips=[("positions", "@n"), ("first", "@first"), ("last", "@last"),
                                                            ("median accuracy", "@acc")]))
    if places:
        # a place's name is written away from the plot's nearer side edge: written rightwards from the
        # easternmost place, "victim work" was cut to "victim wo" at the plot's edge
        lons = [p.lon for p in places] + pos.get_column("lon").to_list()
        middle = (min(lons) + max(lons)) / 2
        lsrc = ColumnDataSource({
            "lon": [p.lon for p in places], "lat": [p.lat for p in places], "name": [p.name for p in places],
            "align": ["right" if p.lon > middle else "left" for p in places],
            "dx": [-8 if p.lon > middle else 8 for p in places],
            "w": [2 * p.radius_m / (111_320 * math.cos(math.radians(p.lat))) for p in places],
            "h": [2 * p.radius_m / 110_540 for p in places], "r": [f"{p.radius_m:g} m" for p in places],
        })
        zone = fig.ellipse(x="lon", y="lat", width="w", height="h", source=lsrc, fill_color=PLACE_COLOUR, fill_alpha=0.2,
                           line_color=PLACE_COLOUR, legend_label="protected place (radius)")
        fig.scatter(x="lon", y="lat", marker="cross", size=12, color=PLACE_COLOUR, source=lsrc)
        fig.add_layout(LabelSet(x="lon", y="lat", text="name", source=lsrc, x_offset="dx", y_offset=8, text_align="align",
                                text_font_size="11px"))
        fig.add_tools(HoverTool(renderers=[zone], tooltips=[("place", "@name"), ("radius", "@r")]))
    from .figures import mark_points

    points = mark_points(inputs, findings.colocation_marks())
    for state in COLOCATION_LEGEND:  # measured, confirmed, open, dismissed: each its own glyph and legend entry
        mine = [(lon, lat, m) for lon, lat, m in points if m.state == state]
        if not mine:
            continue
        src = ColumnDataSource({"lon": [p[0] for p in mine], "lat": [p[1] for p in mine],
                                **_mark_rows([p[2] for p in mine], [place_label(inputs, p[2].colocation.place,
                                                                                p[2].colocation.kind) for p in mine])})
        r = fig.scatter(x="lon", y="lat", size=18 if state == "confirmed" else 14, source=src, legend_label=COLOCATION_LEGEND[state], **_GLYPH[state])
        fig.add_tools(HoverTool(renderers=[r], tooltips=_MARK_TIPS))
    fig.xaxis.axis_label = "longitude"
    fig.yaxis.axis_label = "latitude"
    if fig.legend:
        fig.legend.location = "top_left"
    return fig


# --- tables ----------------------------------------------------------------------------------

def _table_source(rows: list[dict[str, Any]], columns: Sequence[str]) -> dict[str, list[Any]]:
    return {c: [r.get(c, "") for r in rows] for c in columns}


_PAGE_JS: Final = """
const cache = (window.__atlas_tables = window.__atlas_tables || {});
const all = cache[key] || (cache[key] = JSON.parse(full.data.json[0]));
const n = all[columns[0]].length; const pages = Math.max(1, Math.ceil(n / size));
let p = Math.min(Math.max((view.tags[0] || 0) + step, 0), pages - 1);
const data = {};
for (const k of columns) { data[k] = all[k].slice(p * size, (p + 1) * size); }
view.tags = [p]; view.selected.indices = []; view.data = data;
label.text = "<span class='note'>page " + (p + 1) + " of " + pages + " (" + Number(total).toLocaleString("en-GB") + (total === 1 ? " row" : " rows") + ")</span>";
"""

_RECORDS_JS: Final = """
const i = view.selected.indices[0]; if (i === undefined) { return; }
const cache = (window.__atlas_tables = window.__atlas_tables || {});
const rec = cache["__records"] || (cache["__records"] = JSON.parse(records.data.json[0]));
const wanted = new Set(Array.from(view.data["_ids"][i] || []));
const cols = Object.keys(rec); const data = {}; for (const k of cols) { data[k] = []; }
const n = rec["exhibit"].length;
for (let j = 0; j < n; j++) {
  if (wanted.has(j)) { for (const k of cols) { data[k].push(rec[k][j]); } }
}
out.data = data;
"""


def _json_holder(data: object) -> ColumnDataSource:
    """One JSON string in a model of its own: callbacks refer to it, so it is embedded once."""
    return ColumnDataSource({"json": [json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)]})


def paged_table(key: str, title: str, rows: list[dict[str, Any]], columns: Sequence[tuple[str, str, int]],
                records: ColumnDataSource | None, records_view: ColumnDataSource | None, note: str = "") -> LayoutDOM:
    """A DataTable shown ``PAGE_SIZE`` rows at a time, with Previous/Next buttons.

    The rows (at most ``MAX_TABLE_ROWS``) travel as one JSON string, parsed by the
    browser when a page is first turned: a string is one value for Bokeh to encode,
    where a column of strings is one value per cell. Selecting a row lists the source
    records behind it (its ``_ids``) in the records table.
    """
    total = len(rows)
    capped = rows[:MAX_TABLE_ROWS]
    keys = [c for c, _, _ in columns] + ["_ids"]
    data = _table_source(capped, keys)
    full = _json_holder(data)
    view = ColumnDataSource({k: v[:PAGE_SIZE] for k, v in data.items()}, tags=[0])
    table = DataTable(source=view, columns=[TableColumn(field=c, title=t, width=w) for c, t, w in columns],
                      width=WIDTH, height=min(40 + 25 * max(min(len(capped), PAGE_SIZE), 1), 420), index_position=None,
                      sortable=False, reorderable=False)
    pages = max(1, math.ceil(len(capped) / PAGE_SIZE))
    label = _div(f"<span class='note'>page 1 of {pages} ({plural(total, 'row')})</span>", width=400)
    buttons = []
    for text, step in (("\u25c0 Previous", -1), ("Next \u25b6", 1)):
        b = Button(label=text, width=110)
        b.js_on_click(CustomJS(args={"full": full, "key": key, "columns": keys, "view": view, "label": label,
                                     "size": PAGE_SIZE, "step": step, "total": total}, code=_PAGE_JS))
        buttons.append(b)
    if records is not None and records_view is not None:
        view.selected.js_on_change("indices", CustomJS(
            args={"view": view, "records": records, "out": records_view}, code=_RECORDS_JS))
    head = f"<h2>{_esc(title)}</h2>"
    if total > MAX_TABLE_ROWS:
        head += (f"<p class='note'>The first {MAX_TABLE_ROWS:,} of {total:,} rows are in this page; every row is in the "
                 "CSV exhibit and every record in events.csv.</p>")
    if note:
        head += f"<p class='note'>{note}</p>"
    return column(_div(head), table, row(*buttons, label))


def embed_budget(tables: Sequence[list[dict[str, Any]]]) -> tuple[set[str], int]:
    """Which cited records the page carries for the row look-up, within ``MAX_RECORDS``.

    Each table gets an equal share; each of its (shown) rows the same number of its
    records, at least a few, so that every row leads to some records and a table of
    thousands of rows, or a row of thousands of records, cannot grow the page. Each
    row's ``_ids`` becomes the records embedded for it. Returns the embedded ids and
    the per-row allowance of the fullest table.
    """
    share = MAX_RECORDS // max(len(tables), 1)
    embedded: set[str] = set()
    most = 0
    for rows in tables:
        shown = rows[:MAX_TABLE_ROWS]
        k = max(3, share // max(len(shown), 1))
        most = max(most, k)
        for i, r in enumerate(rows):
            ids = list(r.pop("_all", []))[:k] if i < len(shown) else []
            r["_ids"] = ids  # a list, as the records' ids are: never joined into a text to be split again
            embedded.update(ids)
    return embedded, most


def key_records(tables: Sequence[list[dict[str, Any]]], order: Sequence[str]) -> None:
    """Each row's ``_ids`` (the event ids :func:`embed_budget` embedded for it) put as the positions
    of those records in ``order`` (the embedded records, as :func:`records_table` writes them): the
    page looks records up by position, so no store id is in its markup or data (a person reads the
    exhibit record; the ids are in the store, for machines)."""
    at = {e: j for j, e in enumerate(order)}
    for rows in tables:
        for r in rows:
            r["_ids"] = [at[e] for e in r.get("_ids") or () if e in at]


def records_table(cited: pl.DataFrame, total: int | None = None, per_row: int | None = None,
                  ) -> tuple[ColumnDataSource, ColumnDataSource, LayoutDOM]:
    """The embedded cited records (as one JSON string) and the table that shows those of a selected row."""
    cols = [("exhibit", "exhibit record", 200), ("uk_time", "UK time", 150),
            ("channel", "channel", 80), ("direction", "dir", 40), ("from", "from", 150), ("to", "to", 150),
            ("status", "status", 70), ("text", "text", 290)]
    # a row's records are found by their position here (key_records): no store id travels with them
    frame = cited.head(MAX_RECORDS).select([pl.col(c).cast(pl.String).fill_null("") if c in cited.columns
                                            else pl.lit("").alias(c) for c, _, _ in cols])
    if frame.height:  # each record's channel as people name it ('Phone call', 'Google location history'), not our key
        names = {c: channel_name([c]) for c in frame.get_column("channel").unique().to_list()}  # one record's key
        frame = frame.with_columns(pl.col("channel").replace_strict(names, return_dtype=pl.String))
    records = _json_holder(frame.to_dict(as_series=False))
    out = ColumnDataSource({c: [] for c in frame.columns})
    table = DataTable(source=out, columns=[TableColumn(field=c, title=t, width=w) for c, t, w in cols], width=WIDTH,
                      height=260, index_position=None)
    note = ("Select a row in any table above to list the source records behind it (exhibit, UK time, the record as "
            "the source gives it).")
    total = cited.height if total is None else total
    if total > frame.height:
        note += (f" {frame.height} of the {total} cited records are embedded in this page"
                 + (f" (up to {per_row} for each row)" if per_row else "") + "; all of them are in events.csv.")
    return records, out, column(_div(f"<h2>Source records of the selected row</h2><p class='note'>{note}</p>"), table)


# --- page --------------------------------------------------------------------------------------

def _header(inputs: ReportInputs, findings: Findings, exhibits: Sequence[Exhibit], integrity_notice: str | None = None) -> str:
    m = inputs.manifest
    s2a = findings.s2a
    counts = findings.counts
    subject = inputs.suspect.name if inputs.suspect else "(no suspect in case.toml)"
    victim = inputs.victim.name if inputs.victim else "(no victim in case.toml)"
    as_of = uk_date(inputs.as_of) if inputs.as_of else "not set (use --as-of)"
    rows = [
        ("Case", f"{_esc(m.reference)}"), ("Officer", _esc(m.officer)), ("Suspect", _esc(subject)),
        ("Victim", _esc(victim)), ("As of", _esc(as_of)),
        ("Contacts from the suspect", f"{counts['from_suspect']} ({counts['from_suspect_messages']} messages, "
                                      f"{counts['from_suspect_calls']} calls) on {counts['days_with_contact']} days; "
                                      f"{counts['to_suspect']} the other way"),
    ]
    if findings.conduct is not None:
        only = sorted({p.day for p in findings.confirmed_colocations if p.new_day})
        b_only = sorted({b.day for b in findings.confirmed_breaches if b.new_day and b.is_incident})
        rested = [f"{plural(len(only), 'day rests', 'days rest')} only on a possible co-location confirmed by an officer"
                  ] if only else []
        rested += [f"{plural(len(b_only), 'day rests', 'days rest')} only on a possible breach confirmed by an officer"
                   ] if b_only else []
        rows.append(("Incidents (occasions)", str(len(findings.incidents)) + (f" ({'; '.join(rested)})" if rested else "")))
        count = findings.conduct.occasion_count  # the one count: confirmed, and what awaits a decision
        if count is not None:
            rows.append(("Threat occasions", f"{count.confirmed} confirmed by an officer; {count.pending} more "
                                             "awaiting a decision"))
        n_confirmed = len(findings.confirmed_breaches)
        rows.append(("Breaches of orders", str(len(findings.breaches)) + (
            f" ({n_confirmed} of them {'a possible breach' if n_confirmed == 1 else 'possible breaches'} confirmed by "
            "an officer, not measured)" if n_confirmed else "")))
        if s2a is not None:
            verdict = _esc(s2a.headline)
            if s2a.severity in ("bad", "warn"):
                verdict = f"<span class='warn'>{verdict}</span>"
            last = (f"last incident {uk_date(s2a.last_incident.day)}; " if s2a.last_incident else "")
            rows.append((f"{_esc(s2a.short)} time limit", f"<b>{verdict}</b>. {last}"
                                           f"<span class='note'>({_esc(s2a.rule)})</span>"))
    else:
        rows.append(("Course of conduct", "<span class='warn'>not analysed: case.toml names no suspect or no "
                                          "victim</span>"))
    if redaction_note(inputs.case):
        rows.append(("Redaction", f"<span class='warn'>{_esc(redaction_note(inputs.case))}</span>"))
    kv = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    sources = ", ".join(f"{_esc(e.reference)} {_esc(e.filename)}" for e in exhibits if e.kind == "source")
    notice = inputs.rules.notice
    return (
        f"<h1>Atlas report: {_esc(m.reference)}</h1>"
        "<div class='draft'>DRAFT for the officer's review. Decision support, not legal advice.</div>"
        + (f"<div class='draft integrity'>{_esc(integrity_notice)}</div>" if integrity_notice else "") +
        f"<table class='kv'>{kv}</table>"
        f"<p class='note'>Sources: {sources or 'none'}. Times are UK local (GMT/BST); the store keeps UTC. "
        f"Contacts are counted once across sources where de-duplication applies. {_esc(notice)} "
        f"Produced by atlas {__version__}; nothing in this page uses the network.</p>"
    )


def _metres(value: Any) -> str:
    return f"{float(value):.0f} m" if isinstance(value, int | float) else ""


def conduct_impact_rows(findings: Findings) -> list[dict[str, Any]]:
    """The impact log's entries with the incidents linked to each (dates only: her account, not data)."""
    acc = findings.conduct.impact if findings.conduct is not None else None
    from .reviewer_note import linked_incidents

    count = findings.conduct.occasion_count if findings.conduct is not None else None
    confirmed = set(count.confirmed_dates) if count else set()
    return [{"date": uk_date(lk.entry.date), "what": f"{lk.entry.what} ({lk.entry.category})",
             "source": f"{lk.entry.source}; recorded by {lk.entry.recorded_by}",
             "linked": f"{linked_incidents(lk, confirmed)} ({lk.basis})",
             "_all": [x for i in lk.incidents for x in i.event_ids]} for lk in (acc.links if acc else ())]


def s4a_html(review: ReviewView) -> str:
    """The s4A threat occasions from the one count: confirmed, awaiting a decision, if all confirmed."""
    count = review.decided.count if review.decided is not None else None
    if count is None:
        return ""
    state = ("met on confirmed messages" if count.met else
             "would be met if the open candidates were confirmed" if count.met_if_confirmed else "not met")
    named = (f" (on {count.named} of them a confirmed message sent to the victim names the victim as the one to be "
             "harmed; the others need the victim's account of fear of violence against the victim, s4A(1)(b)(i))"
             if count.confirmed and count.named < count.confirmed else "")
    return (f"<p><b>Threat occasions</b>: {count.confirmed} confirmed by an officer{_esc(named)}, {count.pending} more awaiting a "
            f"decision ({count.if_all_confirmed} if every open candidate were confirmed); at least {count.threshold} "
            f"needed: {_esc(state)}.</p>")


def _decision_cell(p: Any) -> str:
    """A possible co-location's decision in a one-line table cell: who and when (the note is in full
    below the table, :func:`decisions_html`, as the cell cuts long text)."""
    d = p.decided
    if p.state == "open":
        return "listed, not counted (awaiting a decision; basis below)"
    if d is None:
        return f"{p.status} (basis below)"
    return f"{p.state} on {d.day} by {d.officer} (note in full below)"


def decisions_html(inputs: ReportInputs, possible: Sequence[Any]) -> str:
    """The decided possible co-locations with the officer's note and the basis in full, wrapping (a table
    cell cuts long text), confirmed ones marked orange, dismissed ones greyed out (this report is the
    team's: the served documents never list a dismissal as a finding); then the open ones' basis."""
    state_words = {"confirmed": "yes: confirmed by an officer", "dismissed": "no: dismissed"}
    decided = sorted((p for p in possible if p.state != "open"), key=lambda p: (p.start, p.id))
    rows = "".join(
        f"<tr class='{p.state}'><td>{_esc(uk_time(p.start))}</td>"
        f"<td>{_esc(place_label(inputs, p.colocation.place, p.colocation.kind))}</td>"
        f"<td>{_esc(state_words[p.state])}</td><td>{_esc(p.status)}</td><td>{_esc(p.basis)}</td>"
        f"<td>{_esc(p.records_by_exhibit())}</td><td>{_esc(p.id)}</td></tr>" for p in decided)
    out = ["<h3>Possible co-locations: the officers' decisions and their basis in full</h3>"]
    if decided:
        out.append("<table class='full'><colgroup><col style='width:105px'>"
                   "<col style='width:95px'><col style='width:95px'><col><col style='width:230px'>"
                   "<col style='width:130px'><col style='width:95px'></colgroup><tr><th>from (UK)</th><th>place</th>"
                   "<th>counted</th><th>decision (who, when, why)</th><th>basis (what the data shows)</th>"
                   f"<th>records (his / hers)</th><th>{HANDLE_COLUMN}</th></tr>" + rows + "</table><p class='note'>Orange edge: confirmed by an officer (counted as an "
                   "incident, never as measured). Greyed out: dismissed by an officer (never counted; scheduled as "
                   "unused material, not stated as a finding).</p>")
    else:
        out.append("<p class='note'>No possible co-location has been decided yet.</p>")
    waiting = [p for p in possible if p.state == "open"]
    if waiting:
        bases = sorted({p.basis for p in waiting})
        out.append(f"<p class='note'><b>{plural(len(waiting), 'open one')}</b> (possible, not counted: awaiting an "
                   "officer's decision). Basis: " + "; ".join(_esc(b) for b in bases) + ".</p>")
    return "".join(out)


def review_html(review: ReviewView) -> str:
    """Warnings, gaps and pending identity decisions with what confirming them would change."""
    out = ["<h2>For review: warnings, gaps and decisions awaiting an officer</h2>", s4a_html(review)]
    if review.warnings:
        out.append("<ul>" + "".join(f"<li class='warn'>{_esc(w)}</li>" for w in review.warnings) + "</ul>")
    else:
        out.append("<p class='note'>No warning.</p>")
    if review.listed:
        out.append("<p><b>Possible only: listed, not counted</b> unless an officer confirmed it (for a person to "
                   "judge; each decision is shown)</p><ul>"
                   + "".join(f"<li>{_esc(line)}</li>" for line in review.listed) + "</ul>")
    if review.gaps:
        out.append("<p><b>Gaps that may break the course of conduct</b></p><table class='kv'>"
                   + "".join(f"<tr><td>{_esc(a)} to {_esc(b)}</td><td>{_esc(d)}</td></tr>" for a, b, d in review.gaps)
                   + f"</table><p class='note'>{_esc(review.gap_note)}</p>")
    if review.pending:
        out.append("<p><b>Identity links awaiting a decision</b> (not used in any count)</p><table class='kv'>"
                   + "".join(f"<tr><td>{_esc(a)}</td><td>{_esc(b)}</td></tr>" for a, b in review.pending) + "</table>")
        if review.effect:
            out.append("<table class='kv'><tr><td><b></b></td><td><b>now (confirmed links only)</b></td>"
                       "<td><b>if all links above were confirmed</b></td></tr>"
                       + "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(a)}</td><td>{_esc(b)}</td></tr>"
                                 for k, a, b in review.effect) + "</table>")
    else:
        out.append("<p class='note'>No identity link is awaiting a decision.</p>")
    return "".join(out)


def contact_chart_note(findings: Findings, s2a_short: str) -> str:
    """What the daily chart's shading means, saying only the shading it draws: no "an order in force"
    where the case records no order, no s2A window where no incident started the clock."""
    said = (["Shaded red: an order in force."] if findings.orders else []) + (
        [f"Hatched blue: the {_esc(s2a_short)} window, from the last incident to the last day on which an information "
         "can be laid."] if findings.s2a_window else [])
    return f"<p class='note'>{' '.join(said)}</p>" if said else ""


def build_document(inputs: ReportInputs, findings: Findings, gv: GraphView, exhibits: Sequence[Exhibit],
                   cited: pl.DataFrame, integrity_notice: str | None = None,
                   review: ReviewView | None = None) -> LayoutDOM:
    review = review or ReviewView()
    subject = inputs.suspect.name if inputs.suspect and inputs.suspect.name else "the suspect"
    zone = inputs.zone
    parts: list[Any] = [_div(_header(inputs, findings, exhibits, integrity_notice)), _div(review_html(review))]
    parts += [_div("<h2>Contact over time</h2>" + contact_chart_note(findings, inputs.rules.offence('pha-s2a').short)),
              daily_chart(findings, zone, subject), heat_chart(findings, subject), weekly_chart(findings, zone, subject)]
    parts += [_div("<h2>People, identifiers and aliases</h2><p class='note'>Parties by role (red suspect, blue victim, "
                   "green the victim's network, grey others). Dashed lines: identifiers taken to be the suspect's, with "
                   "the basis and status of each link (attributed by the officer, confirmed, or proposed).</p>"
                   + (f"<p class='note'>{plural(gv.dropped_nodes, 'less active identifier')} "
                      f"{'is' if gv.dropped_nodes == 1 else 'are'} not drawn.</p>" if gv.dropped_nodes else "")),
              graph_chart(gv, inputs.exhibit_refs)]
    parts += [_div("<h2>Places</h2>"), location_chart(inputs, findings, subject)]
    refs = inputs.exhibit_refs

    def shown(ids: Sequence[str]) -> str:
        return _refs_short(refs, ids)

    by_day: dict[str, str] = {}
    for r in review.chronology:
        if r.kind == "message" and r.way == "from-suspect":
            by_day.setdefault(r.uk_time[:10], r.content)
    incidents = [{"uk_date": uk_date(i.date), "channels": ", ".join(channel_name(c) for c in i.channels), "contacts": str(i.contacts),
                  "first": by_day.get(uk_date(i.date), ""), "ids": shown(i.event_ids), "_all": list(i.event_ids)}
                 for i in findings.incidents]
    decided = review.decided
    flagged = [*decided.threats, *decided.behaviours] if decided is not None else []
    threats = [{"id": m.handle, "kind": m.kind.replace("behaviour:", ""), "when": m.uk_time, "text": m.text, "ref": m.exhibit, "matched": m.flagged,
                "decision": f"{m.rank}; {m.state_text}", "_all": list(m.event_ids)} for m in flagged]
    impact = conduct_impact_rows(findings)
    breaches = [{"id": "", "counts": "yes (measured)", "order": b.order, "kind": b.kind, "uk_time": uk_time(b.ts),
                 "_ts": b.ts.isoformat(),
                 "where": place_label(inputs, b.place, None) if b.place else channel_name(b.channel or ""),
                 "identity": ", ".join(display(u) for u in b.identifiers)
                 + (f" ({b.identifier_status})" if b.identifiers and b.identifier_status else ""),
                 "distance": _metres(b.min_distance_m), "ids": shown(b.event_ids), "_all": list(b.event_ids)}
                for b in findings.breaches if not b.kind.endswith("(confirmed)")]
    # every possible breach beside them, with its decision: a confirmed one counts and says by whom, an open
    # one is listed, not counted (the workbench and `atlas breaches` decide them)
    possible_b = findings.conduct.breach_reviews if findings.conduct is not None else ()
    breaches += [{"id": p.id, "counts": {"confirmed": "yes (confirmed)", "open": "no: listed",
                                         "dismissed": "no: dismissed"}[p.state],
                  "order": p.order, "kind": "exclusion-zone (possible)", "uk_time": uk_time(p.start),
                  "_ts": p.start.isoformat(), "where": place_label(inputs, p.place, None),
                  "identity": f"{p.status}. Basis: {p.basis}", "distance": _metres(p.possible.min_distance_m),
                  "ids": shown(p.possible.event_ids), "_all": list(p.possible.event_ids)} for p in possible_b]
    breaches.sort(key=lambda r: (r.pop("_ts"), r["id"]))
    colocations = [{"id": "", "counts": "yes (measured)", "place": place_label(inputs, c.place, c.kind),
                    "uk_time": uk_time(c.start), "_ts": c.start.isoformat(),
                    "distance": _metres(c.min_distance_m), "accuracy": _metres(c.max_accuracy_m),
                    "precision": c.precision, "ids": shown(c.event_ids), "_all": list(c.event_ids)}
                   for c in findings.colocations]
    # every possible co-location beside them, with its decision: confirmed ones count and say by whom,
    # open ones are listed, not counted (the workbench and `atlas colocations` decide them)
    possible = findings.conduct.colocation_reviews if findings.conduct is not None else ()
    colocations += [{"id": p.id, "counts": {"confirmed": "yes (confirmed)", "open": "no: listed",
                                            "dismissed": "no: dismissed"}[p.state],
                     "place": place_label(inputs, p.colocation.place, p.colocation.kind), "uk_time": uk_time(p.start),
                     "_ts": p.start.isoformat(), "distance": _metres(p.colocation.min_distance_m),
                     "accuracy": p.short_accuracy, "precision": _decision_cell(p),
                     "ids": shown([*p.colocation.event_ids, *p.colocation.victim_event_ids]),
                     "_all": [*p.colocation.event_ids, *p.colocation.victim_event_ids]} for p in possible]
    colocations.sort(key=lambda r: (r.pop("_ts"), r["id"]))
    chronology = [{"when": r.uk_time, "channel": r.channel, "who": f"{r.from_name} \u2192 {r.to_name}",
                   "content": r.content, "ref": r.exhibit_cell, "_all": list(r.event_ids)} for r in review.chronology]
    tables = [chronology, incidents, threats, breaches, colocations, impact]
    embedded, per_row = embed_budget(tables)
    on_page = cited.filter(pl.col("event_id").is_in(sorted(embedded)))
    key_records(tables, on_page.head(MAX_RECORDS).get_column("event_id").to_list())
    records, records_view, records_layout = records_table(on_page, cited.height, per_row)
    missing = "" if findings.conduct is not None else " Not analysed: case.toml names no suspect or no victim."
    parts.append(paged_table("chronology", "Chronology: every contact relied on, with the full message", chronology,
                             [("when", "when (UK)", 150), ("channel", "channel", 90), ("who", "from \u2192 to", 200),
                              ("content", "message or call", 410), ("ref", "exhibit record", 250)], records,
                             records_view, note="The statement's chronology: one row per contact between the suspect "
                                                "and the victim's side, confirmed identities only."))
    parts.append(paged_table("incidents", "Incidents (occasions of the course of conduct)", incidents,
                             [("uk_date", "date (UK)", 90), ("channels", "channels", 210), ("contacts", "contacts", 70),
                              ("first", "first message that day", 360), ("ids", "exhibit records", 370)], records,
                             records_view, note="One row per UK local day with conduct." + missing))
    parts.append(paged_table("threats", f"Threat and behaviour candidates ({inputs.rules.offence('pha-s4a').short} and "
                             f"{inputs.rules.offence('pha-s2a').short}(3) indicators): every flagged message in full, "
                             "with the officer's decision", threats,
                             [("when", "when (UK)", 150), ("kind", "kind", 95),
                              ("text", "message", 275), ("ref", "exhibit record", 130), ("matched", "flagged (rule)", 150),
                              ("decision", "rank; decision", 225), ("id", HANDLE_COLUMN, 110)],
                             records, records_view, note=("A flag is not a threat: read each message and confirm or "
                                                         "dismiss it (atlas threats CASE --confirm HANDLE, the handle in the last column). Only confirmed messages are "
                                                         "stated in the statement; dismissed ones nowhere as findings."
                                                         + missing)))
    acc = findings.conduct.impact if findings.conduct is not None else None
    parts.append(paged_table("impact", "The victim's account of impact, beside the incidents before each entry",
                             impact, [("date", "date", 85), ("what", "what the victim describes", 280),
                                      ("source", "source (recorded by)", 230),
                                      ("linked", f"incidents in the {acc.window_days if acc else 14} days before", 500)],
                             records, records_view,
                             note=(acc.label if acc else "") + ("" if impact else " No impact entry is recorded "
                                                                "(case.toml [[impact]], atlas impact add).")))
    parts.append(paged_table("breaches", "Breaches of orders: measured, and possible ones with the officer's decision",
                             breaches,
                             [("uk_time", "when (UK)", 150), ("counts", "counted", 100), ("order", "order", 100),
                              ("kind", "kind", 130),
                              ("where", "place / channel", 110), ("identity", "identifier / decision and basis", 230),
                              ("distance", "closest", 55), ("ids", "exhibit records", 145),
                              ("id", HANDLE_COLUMN, 110)], records, records_view,
                             note=("A possible breach rests on a position with no stated accuracy inside an exclusion "
                                   "zone, or an accuracy circle straddling its boundary: it counts only once an officer "
                                   "confirms it (atlas breaches CASE --confirm HANDLE --note ..., the handle in the last column), and is then shown as "
                                   "confirmed, never as measured. " + missing).strip()))
    parts.append(paged_table("colocations", "Co-locations (the suspect's device near the victim or a protected place): "
                             "measured, and possible ones with the officer's decision",
                             colocations, [("uk_time", "from (UK)", 150), ("counts", "counted", 100),
                                           ("place", "place", 110),
                                           ("distance", "closest", 50), ("accuracy", "accuracy (his / hers)", 110),
                                           ("precision", "decision / precision", 330),
                                           ("ids", "exhibit records", 170), ("id", HANDLE_COLUMN, 110)],
                             records, records_view,
                             note=("A possible co-location rests on a position with no stated accuracy: it counts only "
                                   "once an officer confirms it (atlas colocations CASE --confirm HANDLE --note ..., the handle in the last column), and "
                                   "is then shown as confirmed, never as measured. " + missing).strip()))
    if possible:
        parts.append(_div(decisions_html(inputs, possible)))
    parts.append(records_layout)
    exh = [{"ref": e.reference, "description": e.description, "file": e.filename, "sha": e.sha256,
            "_ids": []} for e in exhibits]
    parts.append(paged_table("exhibits", "Exhibits", exh, [("ref", "ref", 60), ("description", "description", 420),
                                               ("file", "file", 220), ("sha", "SHA-256", 420)], None, None,
                             note="Produced exhibits are hashed after they are written; see exhibits.csv."))
    return column(*parts)


def write(inputs: ReportInputs, findings: Findings, gv: GraphView, exhibits: Sequence[Exhibit], cited: pl.DataFrame,
          path: Path, integrity_notice: str | None = None, review: ReviewView | None = None) -> Path:
    """Write ``report.html`` (self-contained, deterministic); ``integrity_notice`` heads the page when set."""
    with deterministic_ids():
        layout = build_document(inputs, findings, gv, exhibits, cited, integrity_notice, review)
        page = file_html(layout, INLINE, title=f"Atlas report {inputs.manifest.reference} (DRAFT)")
    page = page.replace("<head>", f'<head>\n    <meta name="atlas-plots" content="{count_plots(layout)}">', 1)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def count_plots(layout: LayoutDOM) -> int:
    """How many plots the document holds (the browser test expects this many rendered)."""
    from bokeh.models import Plot

    return sum(1 for m in layout.references() if isinstance(m, Plot))
