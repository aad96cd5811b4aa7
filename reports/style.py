"""One look for every output: channel colours, shading and date formats.

The HTML report and the statement's PNG figures use the same colours for the same
channel, so an officer who has seen one recognises the other. Colours are from the
colour-blind-safe Okabe-Ito and Tableau palettes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from atlas.model import Channel

CHANNEL_COLOURS: Final[dict[str, str]] = {
    Channel.SMS: "#0072B2",
    Channel.MMS: "#56B4E9",
    Channel.IMESSAGE: "#4E79A7",
    Channel.RCS: "#2F6690",
    Channel.VOICE: "#D55E00",
    Channel.VIDEO: "#E69F00",
    Channel.FACETIME: "#F0A35E",
    Channel.DATA: "#A0522D",
    Channel.WHATSAPP: "#009E73",
    "whatsapp-call": "#2CA25F",
    Channel.INSTAGRAM: "#CC79A7",
    Channel.FACEBOOK: "#3B5998",
    "messenger": "#7F8FC2",
    Channel.SNAPCHAT: "#D4B500",
    Channel.TELEGRAM: "#2AA1DA",
    Channel.SIGNAL: "#3A76F0",
    Channel.X: "#555555",
    Channel.TIKTOK: "#25C2B8",
    Channel.SKYPE: "#00A2D9",
    Channel.VIBER: "#7360F2",
    Channel.WECHAT: "#7BB32E",
    Channel.LINE: "#06A94D",
    Channel.KIK: "#5DCD3E",
    Channel.DISCORD: "#5865F2",
    Channel.GOOGLE_MEET: "#00897B",
    Channel.EMAIL: "#8C564B",
    Channel.CHAT: "#9467BD",
    Channel.GOOGLE_LOCATION: "#17BECF",
    Channel.GPS: "#1B9E77",
    Channel.CELL: "#7F7F7F",
    Channel.SUBSCRIBER: "#BCBD22",
    Channel.ADDRESS_BOOK: "#C49C94",
    Channel.PHONEBOOK: "#C7C7C7",
    Channel.ACCOUNT: "#AEC7E8",
}
"""A fixed colour for every channel a parser declares (``ParserInfo.channels``: a test checks
none is missing), so the same channel looks the same in every case; channels a tool names
itself (``Channel.OTHER_APP``) take the fallback palette in order."""
FALLBACK: Final = ("#B07AA1", "#9C755F", "#76B7B2", "#EDC948", "#FF9DA7", "#BAB0AC", "#59A14F", "#E15759")

ORDER_FILL: Final = "#E15759"
"""Order periods (no-contact / exclusion): a light red band."""
COLOCATION_COLOURS: Final[dict[str, str]] = {"measured": "#B2182B", "confirmed": "#E66101", "open": "#6F6F6F",
                                             "dismissed": "#BBBBBB"}
"""Co-locations on maps and charts: measured (red cross), possible and confirmed by an officer
(orange diamond), possible and not counted (hollow grey circle), dismissed (pale grey, the
team's report only). The PNG figures, the HTML report and the GIS exports agree."""
S2A_FILL: Final = "#4E79A7"
"""The s2A window (last incident → last day to lay the information): a light blue band."""
THREAT_COLOUR: Final = "#B2182B"
PLACE_COLOUR: Final = "#E15759"
SUSPECT_COLOUR: Final = "#333333"

ROLE_COLOURS: Final[dict[str, str]] = {
    "suspect": "#B2182B", "victim": "#2166AC", "witness": "#5AAE61", "other": "#999999", "unresolved": "#CCCCCC",
}

UK: Final = ZoneInfo("Europe/London")


def channel_colours(channels: list[str], keys: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """A colour per channel: fixed for known channels (a contact whose records differ, ``["mms", "sms"]``, takes
    its first key's colour, from ``keys``: each channel's keys as data, never its joined name split back), then
    the fallback palette in order."""
    out: dict[str, str] = {}
    spare = iter(FALLBACK * (1 + len(channels) // len(FALLBACK)))
    for c in channels:
        first = next(iter((keys or {}).get(c, ())), None)
        out[c] = CHANNEL_COLOURS.get(c) or (CHANNEL_COLOURS.get(first) if first else None) or next(spare)
    return out


def uk_date(d: date | datetime | str | None) -> str:
    """``22/11/2026`` (a date) for people."""
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    if isinstance(d, datetime):
        d = d.astimezone(UK).date() if d.tzinfo else d.date()
    return d.strftime("%d/%m/%Y")


def uk_time(ts: datetime | str | None) -> str:
    """``22/11/2026 14:05 GMT`` from an aware datetime or an ISO string (``Z`` allowed)."""
    if ts is None or ts == "":
        return ""
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=ZoneInfo("UTC"))
    local = ts.astimezone(UK)
    return local.strftime("%d/%m/%Y %H:%M ") + (local.tzname() or "")


def utc_time(ts: datetime | str | None) -> str:
    """``2026-11-22 14:05:00 UTC``: for the schedules, next to the UK time."""
    if ts is None or ts == "":
        return ""
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=ZoneInfo("UTC"))
    return ts.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC")
