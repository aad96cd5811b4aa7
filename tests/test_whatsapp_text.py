"""The WhatsApp text-export parser: public samples, every header layout, and the traps.

The public samples are chat-miner's test exports (read from ../shared/samples, never
copied); ``target.json`` is chat-miner's view of them. Atlas agrees on every message,
author and time, and differs on purpose where chat-miner drops evidence: system lines
and the ``John Doe:.`` line (no ``": "``) are kept as ``note`` events.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from atlas.errors import FormatError
from atlas.store import Case
from parsers import whatsapp_text
from parsers.base import ParseContext, ParseResult

LONDON = ZoneInfo("Europe/London")


def parse_text(text: str, tmp: Path, *, name: str = "chat.txt", **ctx: object) -> ParseResult:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return whatsapp_text.parse(path, ParseContext(source_id="src", path=path, **ctx))  # type: ignore[arg-type]


# --- the public samples --------------------------------------------------------------

SAMPLE_TS_RAW = {  # how each layout writes the header of line 3 (the multi-line message)
    "test_ddmmyy_24hrs.txt": "30/01/19, 20:49",
    "test_mmddyy_24hrs.txt": "01/30/19, 20:49",
    "test_mmddyyyy_12hrs.txt": "01/30/2019, 08:49 p. m.",
    "test_[mmddyy]_24hrs.txt": "01/30/19 20:49",
    "test_yyyymmdd_24hrs.txt": "2019/01/30, 20:49",
}


@pytest.mark.parametrize("name", sorted(SAMPLE_TS_RAW))
def test_public_sample_gives_chat_miners_messages_and_keeps_what_it_drops(
    name: str, whatsapp_samples: Path, case_dir: Path, atlas: Callable[..., object]
) -> None:
    run = atlas("ingest", case_dir, whatsapp_samples / name, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    assert (outcome["status"], outcome["records_read"], outcome["events"], outcome["rejects"]) == ("ingested", 9, 9, 0)
    # The data decides the day/month order in every layout: nothing assumed but the zone,
    # and the group's membership from its two system lines (the creator is a member from
    # the line that says so; the five who only write are members throughout).
    assert outcome["assumptions"] == [
        "national phone numbers read as US numbers: every number in the source is written internationally (US x1): no "
        "national number needs a region",
        "group membership over time from 2 system line(s): each message's recipients are the members at that time "
        "(not everyone ever seen). History: +12 345 578 created the group (line 6); You were added (line 7). No join "
        "or leave line for Jahn Doe, John Doe, John Doe 🤓, John-John Doe, 🤓: taken as members throughout",
        "wall-clock times read as Europe/London"]

    case = Case.open(case_dir)
    events = case.events().sort("source_ref").collect()
    assert events.get_column("ts_basis").cast(pl.String).unique().to_list() == ["local"]

    def local(ts: datetime) -> str:
        return ts.astimezone(LONDON).replace(tzinfo=None).isoformat()

    def author(uri: str) -> str:
        return uri.split(":", 2)[2]

    messages = events.filter(pl.col("kind") == "message")
    got = [
        {"timestamp": local(r["ts_utc"]), "author": author(r["sender"]), "message": r["text"].replace("\n", " ")}
        for r in messages.iter_rows(named=True)
    ]
    target = json.loads((whatsapp_samples / "target.json").read_text(encoding="utf-8"))
    assert sorted(got, key=lambda m: m["timestamp"], reverse=True) == target

    # Differences on purpose: the line break of the multi-line message is kept ...
    multi = messages.filter(pl.col("source_ref") == "line 3").row(0, named=True)
    assert multi["text"] == "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
    assert multi["ts_raw"] == SAMPLE_TS_RAW[name]
    assert multi["ts_utc"] == datetime(2019, 1, 30, 20, 49, tzinfo=ZoneInfo("UTC"))  # GMT in January
    # ... and the three lines chat-miner drops are notes, with their times.
    notes = events.filter(pl.col("kind") == "note")
    assert [(local(r["ts_utc"]), r["text"], r["sender"]) for r in notes.iter_rows(named=True)] == [
        ("2019-01-20T11:23:00", "John Doe:.", None),
        ("2020-06-20T00:08:00", '+12 345 578 created group "Groupname"', None),
        ("2020-06-30T09:10:00", "You were added", None),
    ]
    # June is BST: 15:55 local is 14:55 UTC.
    june = messages.filter(pl.col("source_ref") == "line 5").row(0, named=True)
    assert june["ts_utc"] == datetime(2020, 6, 10, 14, 55, tzinfo=ZoneInfo("UTC"))
    # Every message goes to the other participants (name identifiers scoped to the source).
    sid = outcome["source_id"]
    first = messages.row(0, named=True)
    assert first["sender"] == f"name:{sid}:John Doe"
    assert first["recipients"] == [f"name:{sid}:{n}" for n in ("Jahn Doe", "John Doe 🤓", "John-John Doe", "🤓")]
    # after the group was created, its creator (who never writes) receives the messages too
    last = messages.filter(pl.col("source_ref") == "line 8").row(0, named=True)
    assert last["recipients"] == [f"{p}:{sid}:{n}" for p, n in (
        ("name", "Jahn Doe"), ("name", "John Doe"), ("name", "John-John Doe"), ("name", "🤓"))] + [
        r for r in last["recipients"] if r.startswith("tel:")]
    assert any(r.startswith("tel:") for r in last["recipients"])
    assert first["direction"] == "unknown"


def test_detect_scores_every_public_layout_and_nothing_else(whatsapp_samples: Path) -> None:
    from parsers.base import Probe

    for name in SAMPLE_TS_RAW:
        # A bracketed header without seconds is also Signal's text layout: a little less sure.
        assert whatsapp_text.detect(Probe(whatsapp_samples / name)) == (70 if name.startswith("test_[") else 80)
    assert whatsapp_text.detect(Probe(whatsapp_samples / "target.json")) == 0
    assert whatsapp_text.detect(Probe(whatsapp_samples.parent / "signal" / "test_export.txt")) == 50
    assert whatsapp_text.detect(Probe(whatsapp_samples.parent.parent / "plaso" / "mmssms.db")) == 0


def test_a_chat_with_a_title_above_its_first_header_is_detected_and_the_title_kept_as_a_reject(
    whatsapp_samples: Path, tmp_path: Path, case_dir: Path, atlas: Callable[..., object]
) -> None:
    """A title line (added by a tool, or pasted by a person) above a real export: detected
    with a lower score, ingested without ``--format``, the title a reject, nothing lost.
    More than three such lines, or a file whose headers have no authors, is not claimed."""
    from parsers.base import Probe

    real = (whatsapp_samples / "test_ddmmyy_24hrs.txt").read_text(encoding="utf-8")
    chat = tmp_path / "titled.txt"
    chat.write_text("Chat exported for JD/3\n\n" + real, encoding="utf-8")
    assert whatsapp_text.detect(Probe(chat)) == 65
    run = atlas("ingest", case_dir, chat, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    outcome = json.loads(run.out)[0]  # type: ignore[attr-defined]
    plain = parse_text(real, tmp_path)
    assert outcome["format"].startswith("WhatsApp") and outcome["events"] == plain.events.height
    assert outcome["rejects"] == plain.rejects.height + 1
    too_much = tmp_path / "too_much.txt"
    too_much.write_text("a\nb\nc\nd\n" + real, encoding="utf-8")
    assert whatsapp_text.detect(Probe(too_much)) == 0
    no_authors = tmp_path / "no_authors.txt"
    no_authors.write_text("title\n" + "\n".join(f"20/01/2024, 10:0{i} - something happened" for i in range(5)) + "\n",
                          encoding="utf-8")
    assert whatsapp_text.detect(Probe(no_authors)) == 0


# --- every header layout, property-tested --------------------------------------------


@dataclass(frozen=True)
class Layout:
    name: str
    order: str  # dmy, mdy or ymd
    seconds: bool
    header: Callable[[datetime], str]


def _h12(t: datetime) -> int:
    return t.hour % 12 or 12


LAYOUTS = [
    Layout("android-dmy", "dmy", False, lambda t: f"{t:%d/%m/%y}, {t:%H:%M} - "),
    Layout("android-us-12h", "mdy", False, lambda t: f"{t:%m/%d/%y}, {_h12(t)}:{t:%M} {'AM' if t.hour < 12 else 'PM'} - "),
    Layout("android-iso", "ymd", False, lambda t: f"{t:%Y-%m-%d}, {t:%H:%M} - "),
    Layout("android-german", "dmy", False, lambda t: f"{t:%d.%m.%y}, {t:%H:%M} - "),
    Layout("ios-gb", "dmy", True, lambda t: f"[{t:%d/%m/%Y}, {t:%H:%M:%S}] "),
    Layout("ios-us-12h", "mdy", True,
           lambda t: f"[{t.month}/{t.day}/{t:%y}, {_h12(t)}:{t:%M:%S}\u202f{'AM' if t.hour < 12 else 'PM'}] "),
    Layout("android-spanish-12h", "dmy", False,
           lambda t: f"{t:%d/%m/%Y}, {_h12(t)}:{t:%M} {'a.' if t.hour < 12 else 'p.'}\u00a0m. - "),
]

_SPECIAL = re.compile(
    r"<attached:|\(file attached\)|omitted|^Missed |^This message was deleted|^You deleted|Messages and calls"
    r"|Messages to this group|Your security code|You were added|created group|changed |joined using"
)


def _line_text(first: bool) -> st.SearchStrategy[str]:
    alphabet = st.one_of(
        st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u2028\u2029"),
        st.sampled_from(["🤓", "😀", ": ", "\u00a0", "\u202f", '"', "é"]),
    )
    text = st.lists(alphabet, min_size=1 if first else 0, max_size=25).map("".join)
    if first:
        return text.filter(lambda s: s.strip() != "" and not s[0].isspace())
    return text


NAME_AUTHORS = st.lists(
    st.one_of(st.sampled_from(list("AaBbDdJjÉéß- '\"")), st.sampled_from(["🤓", "O'Neil", "Zoë", "李"])),
    min_size=1, max_size=12,
).map("".join).map(str.strip).filter(lambda s: s != "" and ": " not in s and not s.endswith(":"))
PHONE_AUTHORS = st.builds(
    lambda n, wrap: ("\u202a" if wrap else "") + f"+44 7700 900{n:03d}" + ("\u202c" if wrap else ""),
    st.integers(0, 999), st.booleans(),
)


@dataclass(frozen=True)
class Msg:
    when: datetime
    author: str
    lines: tuple[str, ...]
    attachment: tuple[str, str] | None  # (kind, file name): omitted, attached, file


@st.composite
def chats(draw: st.DrawFn, layout: Layout) -> list[Msg]:
    authors = draw(st.lists(st.one_of(NAME_AUTHORS, PHONE_AUTHORS), min_size=1, max_size=4, unique=True))
    n = draw(st.integers(1, 12))
    msgs = []
    for _ in range(n):
        when = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)))
        when = when.replace(microsecond=0, second=when.second if layout.seconds else 0)
        body = [draw(_line_text(True)), *draw(st.lists(_line_text(False), max_size=3))]
        while body and body[-1].strip() == "":
            body.pop()
        body_lines = tuple(body)
        for line in body_lines:
            assume(not _SPECIAL.search(line))
            assume(not whatsapp_text._HEADER_RE.match(line))
        attachment = draw(st.one_of(
            st.none(),
            st.tuples(st.sampled_from(["omitted", "attached", "file"]),
                      st.sampled_from(["IMG-20240101-WA0001.jpg", "00000012-PHOTO-2024-01-02.jpg", "voice note.opus"])),
        ))
        msgs.append(Msg(when, draw(st.sampled_from(authors)), body_lines, attachment))
    if layout.order != "ymd":  # a day > 12 somewhere makes the order decidable
        day = draw(st.integers(13, 28))
        msgs[0] = Msg(msgs[0].when.replace(day=day), msgs[0].author, msgs[0].lines, msgs[0].attachment)
    return msgs


def render(layout: Layout, msgs: list[Msg]) -> str:
    out = []
    for m in msgs:
        if m.attachment is None:
            body = "\n".join(m.lines)
        elif m.attachment[0] == "omitted":
            body = "<Media omitted>"
        elif m.attachment[0] == "attached":
            body = f"\u200e<attached: {m.attachment[1]}>"
        else:
            body = f"{m.attachment[1]} (file attached)\n" + "\n".join(m.lines)
        lrm = "\u200e" if m.attachment and m.attachment[0] == "attached" else ""
        out.append(f"{lrm}{layout.header(m.when)}{m.author}: {body}")
    return "\n".join(out) + "\n"


def expected(m: Msg) -> dict[str, object]:
    author = m.author.strip("\u202a\u202c")
    # The parser hands over URIs (it converts its few authors once): a UK mobile in E.164,
    # a display name scoped to the source.
    sender = "tel:" + author.replace(" ", "") if author.startswith("+44 7700") else f"name:src:{author}"
    text: str | None = "\n".join(m.lines)
    attachments: list[str] = []
    if m.attachment:
        kind, name = m.attachment
        attachments = ["<Media omitted>"] if kind == "omitted" else [name]
        if kind != "file":
            text = None
    return {"kind": "message", "ts_local": m.when, "sender": sender, "text": text, "attachments": attachments}


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_rendered_chats_parse_back_exactly(layout: Layout, data: st.DataObject) -> None:
    msgs = data.draw(chats(layout))
    text = render(layout, msgs)
    with tempfile.TemporaryDirectory() as tmp:
        result = parse_text(text, Path(tmp), region="US" if layout.order == "mdy" else "GB")
    assert result.rejects.height == 0
    assert result.records_read == len(msgs) == result.events.height
    # nothing assumed but, when an author is a number, the region of national numbers (stated by the shared rule)
    assert [a for a in result.assumptions if not a.startswith("national phone numbers read as ")] == []
    assert len(result.assumptions) <= 1
    got = result.events.select("kind", "ts_local", "sender", "text", "attachments").to_dicts()
    assert got == [expected(m) for m in msgs]
    # ts_raw is the header's date and time exactly as written (U+202F, U+00A0 and all).
    raws = [layout.header(m.when).lstrip("[").removesuffix(" - ").removesuffix("] ") for m in msgs]
    assert result.events.get_column("ts_raw").to_list() == raws
    # Everyone else in the chat is a recipient of each message.
    senders = {e["sender"] for e in got}
    for row in result.events.select("sender", "recipients").iter_rows(named=True):
        assert sorted(row["recipients"]) == sorted(senders - {row["sender"]})


# --- day/month order the file cannot decide ------------------------------------------

UNDECIDABLE = "03/04/24, 10:00 - Dan: first\n05/06/24, 11:30 - Amy: second\n"


def test_undecidable_order_is_day_first_for_a_gb_case_and_the_assumption_is_recorded(
    tmp_path: Path, case_dir: Path, atlas: Callable[..., object]
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(UNDECIDABLE, encoding="utf-8")
    assert atlas("ingest", case_dir, chat).code == 0  # type: ignore[attr-defined]
    case = Case.open(case_dir)
    [assumptions] = case.sources().get_column("assumptions").to_list()
    assert assumptions[0] == (
        "day/month order not decidable from the file (no day > 12); day-first assumed for a GB case (override with --monthfirst)"
    )
    times = case.events().sort("source_ref").collect().get_column("ts_utc").to_list()
    assert times == [datetime(2024, 4, 3, 9, 0, tzinfo=ZoneInfo("UTC")), datetime(2024, 6, 5, 10, 30, tzinfo=ZoneInfo("UTC"))]


def test_undecidable_order_follows_monthfirst_when_told(tmp_path: Path) -> None:
    result = parse_text(UNDECIDABLE, tmp_path, dayfirst=False)
    assert result.events.get_column("ts_local").to_list() == [datetime(2024, 3, 4, 10, 0), datetime(2024, 5, 6, 11, 30)]
    assert result.assumptions == ["day/month order not decidable from the file (no day > 12); month-first as instructed"]


def test_undecidable_order_outside_gb_without_a_flag_is_a_clear_error(
    tmp_path: Path, case_dir: Path, atlas: Callable[..., object], digest: Callable[[Path], dict[str, str]]
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(UNDECIDABLE, encoding="utf-8")
    before = digest(case_dir)
    run = atlas("ingest", case_dir, chat, "--region", "US")
    assert run.code == 2  # type: ignore[attr-defined]
    assert run.err == (  # type: ignore[attr-defined]
        f"atlas: error: {chat}: day/month order cannot be decided from the file (no day > 12) and the region is US; "
        "say which with --dayfirst or --monthfirst\n"
    )
    assert digest(case_dir) == before
    assert atlas("ingest", case_dir, chat, "--region", "US", "--monthfirst").code == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "flag", "message"),
    [
        ("13/04/24, 10:00 - Dan: hi\n", "--monthfirst", "--monthfirst given, but the file has a day > 12 in first position"),
        ("04/13/24, 10:00 - Dan: hi\n", "--dayfirst", "--dayfirst given, but the file has a day > 12 in second position"),
    ],
)
def test_a_flag_the_data_contradicts_is_a_clear_error(
    text: str, flag: str, message: str, tmp_path: Path, case_dir: Path, atlas: Callable[..., object]
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(text, encoding="utf-8")
    run = atlas("ingest", case_dir, chat, flag)
    assert (run.code, run.err) == (2, f"atlas: error: {chat}: {message}\n")  # type: ignore[attr-defined]


def test_a_file_mixing_day_first_and_month_first_dates_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"dates are inconsistent \(1 with a first number > 12 and 1 with a second"):
        parse_text("13/04/24, 10:00 - Dan: hi\n04/13/24, 10:00 - Dan: hi\n", tmp_path)


# --- what real exports do --------------------------------------------------------------


def test_a_message_that_mentions_a_system_phrase_stays_a_message(tmp_path: Path) -> None:
    result = parse_text(
        "20/01/24, 10:00 - Dan: I created group \"Us\" for you\n"
        "20/01/24, 10:01 - Dan: You were added\n"
        '20/01/24, 10:02 - Dan "the man": hi\n'
        '20/01/24, 10:03 - Dan changed the subject from "a: b" to "c"\n',
        tmp_path,
    )
    assert result.events.select("kind", "sender", "text").rows() == [
        ("message", "name:src:Dan", 'I created group "Us" for you'),
        ("message", "name:src:Dan", "You were added"),
        ("message", 'name:src:Dan "the man"', "hi"),
        ("note", None, 'Dan changed the subject from "a: b" to "c"'),
    ]


def test_ios_group_system_lines_are_notes(tmp_path: Path) -> None:
    result = parse_text(
        "[20/01/2024, 10:00:00] Family: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat can read them.\n"
        "[20/01/2024, 10:00:01] Family: \u200eDan created group \u201cFamily\u201d\n"
        "[20/01/2024, 10:00:02] Dan: \u200eimage omitted\n"
        "\u200e[20/01/2024, 10:00:03] Dan: \u200e<attached: 00000012-PHOTO-2024-01-20-10-00-03.jpg>\n",
        tmp_path,
    )
    assert result.events.select("kind", "sender", "text", "attachments").rows() == [
        # Notes keep the line as written, marks and all.
        ("note", None, "Family: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat can read them.", []),
        ("note", None, "Family: \u200eDan created group \u201cFamily\u201d", []),
        ("message", "name:src:Dan", None, ["<image omitted>"]),
        ("message", "name:src:Dan", None, ["00000012-PHOTO-2024-01-20-10-00-03.jpg"]),
    ]


def test_calls_deletions_and_captions(tmp_path: Path) -> None:
    result = parse_text(
        "20/01/2024, 22:00 - Dan: Missed voice call\n"
        "20/01/2024, 22:01 - Dan: This message was deleted\n"
        "20/01/2024, 22:02 - Dan: IMG-20240120-WA0003.jpg (file attached)\n"
        "look at you\n"
        "20/01/2024, 22:03 - +44\u00a07700\u00a0900123: text\u00a0with no-break\u202fspaces   \n\n\n",
        tmp_path,
    )
    assert result.events.select("kind", "status", "sender", "text", "attachments").rows() == [
        ("call", "missed", "name:src:Dan", "Missed voice call", []),
        ("message", "deleted-by-sender", "name:src:Dan", "This message was deleted", []),
        ("message", None, "name:src:Dan", "look at you", ["IMG-20240120-WA0003.jpg"]),
        # The text is kept as written: no-break spaces and trailing spaces survive; the
        # number written with no-break spaces is still read as the number.
        ("message", None, "tel:+447700900123", "text\u00a0with no-break\u202fspaces   ", []),
    ]
    assert result.records_read == 4


def test_bad_dates_and_text_before_the_first_header_are_rejects_not_losses(tmp_path: Path) -> None:
    result = parse_text(
        "\ufeffSaved by an export tool\n"
        "31/02/24, 10:00 - Dan: no such day\n"
        "20/01/24, 13:05 PM - Dan: no such time\n"
        "20/01/24, 10:00 - Dan: fine\n",
        tmp_path,
    )
    assert result.rejects.select("source_ref", "reason", "excerpt").rows() == [
        ("line 1", "text before the first message header", "Saved by an export tool"),
        ("line 2", "header date/time is not a real date", "31/02/24, 10:00 - Dan: no such day"),
        ("line 3", "header date/time is not a real date", "20/01/24, 13:05 PM - Dan: no such time"),
    ]
    assert result.events.select("source_ref", "text").rows() == [("line 4", "fine")]
    assert result.records_read == 4


def test_windows_line_endings_and_a_bom_are_read_through(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes("\ufeff20/01/24, 10:00 - Dan: one\r\ntwo\r\n20/01/24, 10:01 - Amy: three\r\n".encode())
    result = whatsapp_text.parse(path, ParseContext(source_id="s", path=path))
    assert result.events.select("sender", "text").rows() == [("name:s:Dan", "one\ntwo"), ("name:s:Amy", "three")]


def test_a_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes("20/01/24, 10:00 - Dan: see you 🤓".encode()[:-2])
    with pytest.raises(FormatError, match=r"the file is truncated \(it ends inside a character, at byte offset 31\)"):
        whatsapp_text.parse(path, ParseContext(source_id="s", path=path))


def test_the_owner_is_the_recipient_of_a_one_sided_chat(tmp_path: Path) -> None:
    result = parse_text("20/01/24, 10:00 - Dan: are you there\n", tmp_path, owner="tel:+447700900001")
    assert result.events.get_column("recipients").to_list() == [["tel:+447700900001"]]


def test_a_hundred_thousand_messages_parse_completely(tmp_path: Path) -> None:
    """Every message of a large chat survives, multi-line bodies intact (speed is in `make bench`)."""
    start = datetime(2024, 1, 1)
    authors = ["Alice", "Dan 🤓", "+44 7700 900123", "Bob Smith"]
    lines = []
    for i in range(100_000):
        t = start + timedelta(seconds=37 * i)
        body = f"message {i}: lorem ipsum" if i % 10 else f"line one {i}\nline two"
        lines.append(f"{t:%d/%m/%y, %H:%M} - {authors[i % 4]}: {body}")
    path = tmp_path / "big.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = whatsapp_text.parse(path, ParseContext(source_id="s", path=path))
    assert result.events.height == 100_000 and result.records_read == 100_000
    assert result.events.row(10, named=True)["text"] == "line one 10\nline two"
    assert result.events.row(99_999, named=True)["text"] == "message 99999: lorem ipsum"


@pytest.mark.parametrize(("author", "direction"), [("Alice", "out"), ("Dan", "in")])
def test_a_one_sided_chat_never_makes_the_owner_contact_herself(tmp_path: Path, author: str, direction: str) -> None:
    """Only one voice in the export: the file name names the other end, and the owner is
    never both sender and recipient."""
    case = tmp_path / "case"
    case.mkdir()
    (case / "case.toml").write_text(
        '[case]\nreference = "T"\nofficer = "DC 1"\nexhibit_prefix = "T"\n\n'
        '[[party]]\nid = "victim"\nrole = "victim"\nidentifiers = ["tel:+447700900001"]\ndisplay_names = ["Alice"]\n',
        encoding="utf-8",
    )
    chat = tmp_path / "WhatsApp Chat with Dan.txt"
    chat.write_text(f"13/01/2026, 10:00 - {author}: hello\n13/01/2026, 10:05 - {author}: are you there\n", encoding="utf-8")
    from atlas.ingest import IngestOptions, ingest
    from atlas.store import Case

    opened = Case.open(case)
    [outcome] = ingest(opened, [chat], IngestOptions(owner="victim"))
    events = opened.events().collect()
    sid = outcome.source_id
    assert events.get_column("direction").cast(str).to_list() == [direction, direction]
    for row in events.iter_rows(named=True):
        assert row["sender"] not in row["recipients"]
        assert row["recipients"] == ([f"name:{sid}:Dan"] if author == "Alice" else ["tel:+447700900001"])


def test_the_parsers_uris_are_what_the_shared_normaliser_would_make(tmp_path: Path) -> None:
    """The parser converts its few authors itself and says so, so the shared step skips its
    per-row pass: normalising again without the shortcut gives exactly the same events."""
    from atlas.normalise import to_events

    result = parse_text(
        "20/01/2024, 10:00 - Dan: hi\n20/01/2024, 10:01 - +44\u00a07700\u00a0900123: hello\n"
        "20/01/2024, 10:02 - 07700 900456: and me\n20/01/2024, 10:03 - Dan created group \"Us\"\n",
        tmp_path,
    )
    assert result.identifiers_are_uris and result.refs_unique
    common = {"source_id": "src", "timezone": "Europe/London", "region": "GB", "owner_uris": ["tel:+447700900456"]}
    quick = to_events(result.events, **common, identifiers_are_uris=True, refs_unique=True)  # type: ignore[arg-type]
    full = to_events(result.events, **common)  # type: ignore[arg-type]
    assert quick.events.equals(full.events)
    assert quick.events.get_column("sender").to_list() == ["name:src:Dan", "tel:+447700900123", "tel:+447700900456", None]
    assert quick.events.get_column("direction").to_list()[2] == "out"
