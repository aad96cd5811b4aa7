"""Telegram, Signal, Snapchat and X parsers: public samples, time presentations, identities.

chat-miner's Telegram and Signal samples are read from ../shared/samples (never
copied). Their ``target.json`` files are chat-miner's view: Telegram times are naive
renderings of ``date_unixtime`` *in UTC* (chat-miner uses ``utcfromtimestamp``),
Signal times are the export's own wall clock. Atlas agrees on every author and time;
the two text differences are deliberate and asserted below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from atlas.store import Case
from parsers import signal_text, snapchat, telegram_json, x_archive
from parsers.base import ParseContext, ParseResult, Probe

LONDON = ZoneInfo("Europe/London")


def parse(module: object, path: Path, **ctx: object) -> ParseResult:
    return module.parse(path, ParseContext(source_id="src", path=path, **ctx))  # type: ignore[attr-defined,arg-type]


def ingest_one(atlas: Callable[..., object], case_dir: Path, path: Path, *args: str) -> tuple[dict[str, object], pl.DataFrame]:
    run = atlas("ingest", case_dir, path, "--json", *args)
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    events = Case.open(case_dir).events().filter(pl.col("source_id") == outcome["source_id"]).collect()
    return outcome, events


# --- Telegram ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["test_single_export.json", "test_batch_export.json"])
def test_telegram_public_samples_match_chat_miner_in_utc(name: str, samples: Path, case_dir: Path,
                                                         atlas: Callable[..., object]) -> None:
    folder = samples / "chat-miner" / "telegram"
    assert parsers.detect(folder / name).INFO.name == "telegram-json"
    outcome, events = ingest_one(atlas, case_dir, folder / name)
    assert (outcome["records_read"], outcome["events"], outcome["rejects"]) == (2, 2, 0)
    sid = outcome["source_id"]
    got = [{"timestamp": r["ts_utc"].replace(tzinfo=None).isoformat(), "author": r["sender"].removeprefix(f"name:{sid}:"),
            "message": r["text"]} for r in events.sort("ts_utc").iter_rows(named=True)]
    target = json.loads((folder / "target.json").read_text(encoding="utf-8"))
    # Authors and times exactly (chat-miner renders date_unixtime in UTC: 1544006350 is 10:39:10 UTC).
    assert [(g["timestamp"], g["author"]) for g in got] == [(t["timestamp"], t["author"]) for t in target]
    assert events.get_column("ts_basis").cast(pl.String).unique().to_list() == ["utc"]
    assert got[0]["message"] == target[0]["message"] == "Minimal Message"
    # Deliberate difference: runs are concatenated as Telegram splits them (bold "Link:" + link);
    # chat-miner joins runs with a space.
    assert got[1]["message"] == "Link:https://telegram.org/"
    assert target[1]["message"] == "Link: https://telegram.org/"
    assert events.filter(pl.col("ts_raw") == "1544006964").height == 1


def _full_export(tmp: Path, *, unixtime: bool = True) -> Path:
    def msg(i: int, date: str, unix: str, **kw: object) -> dict[str, object]:
        m: dict[str, object] = {"id": i, "type": "message", "date": date, **kw}
        if unixtime:
            m["date_unixtime"] = unix
        return m

    doc = {
        "personal_information": {"user_id": 5550001, "first_name": "Alice", "last_name": "Example",
                                 "phone_number": "+44 7700 900001", "username": "@alice_example"},
        "contacts": {"list": [{"user_id": 5550002, "first_name": "Dan", "last_name": "", "phone_number": "07700900002",
                               "date": "2026-01-05T10:00:00", "date_unixtime": "1767607200"},
                              {"first_name": "No", "last_name": "Number"}]},
        "chats": {"list": [
            {"name": "Dan", "type": "personal_chat", "id": 5550002, "messages": [
                msg(1, "2026-07-01T00:30:00", "1782862200", **{"from": "Dan", "from_id": "user5550002",
                    "text": ["I'm ", {"type": "bold", "text": "outside"}, " now"]}),
                msg(2, "2026-07-01T00:31:00", "1782862260", **{"from": "Alice Example", "from_id": "user5550001",
                    "text": "Go away", "photo": "photos/photo_1@01-07-2026_00-31-00.jpg"}),
                {"id": 3, "type": "service", "date": "2026-07-01T00:32:00", "date_unixtime": "1782862320",
                 "actor": "Dan", "actor_id": "user5550002", "action": "phone_call", "discard_reason": "missed", "text": ""},
                {"id": 4, "type": "service", "date": "2026-07-01T00:33:00", "date_unixtime": "1782862380",
                 "actor": "Dan", "actor_id": "user5550002", "action": "phone_call", "duration_seconds": 42, "text": ""},
                {"id": 5, "type": "service", "date": "2026-07-01T00:34:00", "date_unixtime": "1782862440",
                 "actor": "Alice Example", "actor_id": "user5550001", "action": "clear_history", "text": ""},
                msg(6, "2026-07-01T00:35:00", "1782862500", **{"from": "Dan", "from_id": "user5550002", "text": "",
                    "location_information": {"latitude": 51.5074, "longitude": -0.1278}}),
            ]},
        ]},
    }
    path = tmp / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_telegram_full_export_owner_direction_calls_service_notes_and_evidence(tmp_path: Path) -> None:
    result = parse(telegram_json, _full_export(tmp_path))
    assert result.owner == "telegram:user5550001"
    assert result.records_read == 8 and result.rejects.select("source_ref", "reason").rows() == [
        ("contacts.list[1]", "contact without a phone number")]
    rows = {r["source_ref"]: r for r in result.events.iter_rows(named=True)}
    first = rows["chats.list[0].messages[0]"]
    assert (first["text"], first["sender"], first["recipients"], first["direction"]) == (
        "I'm outside now", "telegram:user5550002", ["telegram:user5550001"], "in")
    assert first["ts_utc"] == datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 July
    second = rows["chats.list[0].messages[1]"]
    assert (second["direction"], second["recipients"], second["attachments"]) == (
        "out", ["telegram:user5550002"], ["photos/photo_1@01-07-2026_00-31-00.jpg"])
    assert (rows["chats.list[0].messages[2]"]["kind"], rows["chats.list[0].messages[2]"]["status"]) == ("call", "missed")
    call = rows["chats.list[0].messages[3]"]
    assert (call["kind"], call["status"], call["duration_s"]) == ("call", "answered", 42)
    note = rows["chats.list[0].messages[4]"]
    assert (note["kind"], note["text"], note["recipients"]) == ("note", "clear_history", [])
    loc = rows["chats.list[0].messages[5]"]
    assert (loc["lat"], loc["lon"], loc["text"]) == (51.5074, -0.1278, None)
    contact = rows["contacts.list[0]"]
    assert (contact["kind"], contact["sender"], contact["text"]) == ("contact", "phone:07700900002", "Dan")
    assert result.evidence is not None
    ev = set(result.evidence.select("basis", "identifier", "related").rows())
    assert {
        ("account-profile", "telegram:user5550001", "phone:+44 7700 900001"),
        ("account-profile", "telegram:user5550001", "telegram:alice_example"),
        ("contact-card", "phone:07700900002", "name:Dan"),
        ("contact-card", "phone:07700900002", "telegram:user5550002"),
        ("account-profile", "telegram:user5550002", "name:Dan"),
    } <= ev


def test_telegram_without_date_unixtime_reads_the_zone_less_date_as_local_and_says_so(tmp_path: Path, case_dir: Path,
                                                                                       atlas: Callable[..., object]) -> None:
    outcome, events = ingest_one(atlas, case_dir, _full_export(tmp_path, unixtime=False))
    assert any("without date_unixtime" in a and "Europe/London" in a for a in outcome["assumptions"])  # type: ignore[union-attr]
    first = events.filter(pl.col("source_ref") == "chats.list[0].messages[0]").row(0, named=True)
    assert (first["ts_utc"], first["ts_basis"], first["ts_raw"]) == (
        datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "local", "2026-07-01T00:30:00")
    assert first["sender"] == "telegram:user5550002"


def test_telegram_detection_is_not_fooled_by_other_json(samples: Path) -> None:
    assert telegram_json.detect(Probe(samples / "chat-miner" / "instagram" / "test_export.json")) == 0


# --- Signal -------------------------------------------------------------------------------


def test_signal_public_sample_matches_chat_miner_and_keeps_the_line_break(samples: Path, case_dir: Path,
                                                                         atlas: Callable[..., object]) -> None:
    sample = samples / "chat-miner" / "signal" / "test_export.txt"
    assert parsers.detect(sample).INFO.name == "signal-text"
    outcome, events = ingest_one(atlas, case_dir, sample)
    assert (outcome["records_read"], outcome["events"], outcome["rejects"]) == (2, 2, 0)
    assert outcome["assumptions"] == ["wall-clock times read as Europe/London"]
    sid = outcome["source_id"]
    got = [{"timestamp": r["ts_utc"].astimezone(LONDON).replace(tzinfo=None).isoformat(),
            "author": r["sender"].removeprefix(f"name:{sid}:"), "message": r["text"]}
           for r in events.sort("ts_utc", descending=True).iter_rows(named=True)]
    target = json.loads((sample.parent / "target.json").read_text(encoding="utf-8"))
    assert [(g["timestamp"], g["author"]) for g in got] == [(t["timestamp"], t["author"]) for t in target]
    # Deliberate difference: the continuation line keeps its break (chat-miner joins with a space).
    assert got[0]["message"] == "Hello\nJane!" and target[0]["message"] == "Hello Jane!"
    assert [g["message"].replace("\n", " ") for g in got] == [t["message"] for t in target]
    assert set(events.get_column("ts_basis").cast(pl.String)) == {"local"}
    assert events.filter(pl.col("source_ref") == "line 2").row(0, named=True)["ts_raw"] == "2020-01-17, 21:49"


def test_signal_and_whatsapp_detection_is_decisive_by_content(samples: Path, whatsapp_samples: Path, tmp_path: Path) -> None:
    for sample in sorted(whatsapp_samples.glob("*.txt")):
        assert signal_text.detect(Probe(sample)) == 0
        assert parsers.detect(sample).INFO.name == "whatsapp-text"
    assert parsers.detect(samples / "chat-miner" / "signal" / "test_export.txt").INFO.name == "signal-text"
    # Even a long Signal file (where the WhatsApp header rule scores it 80) goes to Signal ...
    long = tmp_path / "long.txt"
    long.write_text("".join(f"[2026-03-0{d}, 1{d}:0{d}] Dan: message {d}\n" for d in range(1, 10)))
    assert parsers.detect(long).INFO.name == "signal-text"
    # ... and an iOS WhatsApp export with year-first dates (it has seconds) does not.
    ios = tmp_path / "ios.txt"
    ios.write_text("".join(f"[2026-03-0{d}, 1{d}:0{d}:1{d}] Dan: message {d}\n" for d in range(1, 10)))
    assert signal_text.detect(Probe(ios)) == 0


def test_signal_notes_phone_authors_and_owner_as_recipient(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("[2026-03-29, 01:30] +44 7700 900002: hello?\n[2026-03-29, 01:40] Safety number changed\n")
    result = parse(signal_text, path, owner="tel:+447700900001")
    rows = result.events.select("kind", "sender", "recipients", "text", "ts_local").rows()
    assert rows == [
        ("message", "phone:+44 7700 900002", ["tel:+447700900001"], "hello?", datetime(2026, 3, 29, 1, 30)),
        ("note", None, [], "Safety number changed", datetime(2026, 3, 29, 1, 40)),
    ]


def test_a_signal_chat_with_a_damaged_byte_keeps_every_message_and_says_what_was_replaced(tmp_path: Path) -> None:
    """Before session 18 one invalid byte refused the whole chat ("not UTF-8 text ... not a Signal text export");
    WhatsApp's reader kept it with a note. Both now follow parsers._exports.replaced_invalid_utf8."""
    path = tmp_path / "chat.txt"
    path.write_bytes(b"[2026-03-29, 01:30] Dan: caf\xe9 at 2?\n[2026-03-29, 01:40] Sam: ok\n")
    result = parse(signal_text, path)
    assert result.events.get_column("text").to_list() == ["caf\ufffd at 2?", "ok"]
    assert "1 invalid UTF-8 byte sequence(s) replaced with U+FFFD, first at byte offset 28" in result.assumptions
    many = tmp_path / "many.txt"  # mostly not UTF-8: still not read as a Signal chat
    many.write_bytes(b"[2026-03-29, 01:30] Dan: " + b"\xe9" * 40 + b"\n")
    with pytest.raises(FormatError, match=r"many\.txt: not UTF-8 text \(invalid byte at offset 25\); not a Signal text export"):
        parse(signal_text, many)


# --- Snapchat -----------------------------------------------------------------------------


def test_snapchat_older_download_sections_give_direction(tmp_path: Path) -> None:
    doc = {
        "Received Saved Chat History": [{"From": "dan.sample", "Media Type": "TEXT", "Created": "2026-03-01 10:00:00 UTC",
                                         "Text": "Why did you block me"}],
        "Sent Saved Chat History": [{"To": "dan.sample", "Media Type": "TEXT", "Created": "2026-03-01 10:05:00 UTC",
                                     "Text": "Stop"}],
        "Received Unsaved Chat History": [{"From": "dan.sample", "Media Type": "SNAP", "Created": "2026-03-01 10:06:00 UTC",
                                           "Text": ""},
                                          {"From": "dan.sample", "Media Type": "STATUSSAVETOCAMERAROLL",
                                           "Created": "2026-03-01 10:07:00 UTC", "Text": ""}],
        "Sent Unsaved Chat History": [],
    }
    path = tmp_path / "chat_history.json"
    path.write_text(json.dumps(doc))
    assert parsers.detect(path).INFO.name == "snapchat"
    result = parse(snapchat, path, owner="snapchat:alice.ex")
    rows = result.events.select("source_ref", "kind", "direction", "sender", "recipients", "text", "attachments", "ts_utc").rows()
    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert rows[0] == ("Received Saved Chat History[0]", "message", "in", "snapchat:dan.sample", ["snapchat:alice.ex"],
                       "Why did you block me", [], at)
    assert rows[1][:5] == ("Sent Saved Chat History[0]", "message", "out", "snapchat:alice.ex", ["snapchat:dan.sample"])
    assert (rows[2][1], rows[2][5], rows[2][6]) == ("message", None, ["SNAP"])
    assert (rows[3][1], rows[3][5]) == ("note", "STATUSSAVETOCAMERAROLL")


def test_snapchat_newer_download_uses_created_or_its_millisecond_field_and_finds_its_owner(tmp_path: Path) -> None:
    doc = {"dan.sample": [
        {"From": "dan.sample", "Media Type": "TEXT", "Created": "2026-03-01 10:00:00 UTC", "Content": "hi",
         "Conversation Title": None, "IsSender": False, "Created(microseconds)": 1772359200000},
        {"From": "alice.ex", "Media Type": "TEXT", "Created": "", "Content": "go away",
         "Conversation Title": None, "IsSender": True, "Created(microseconds)": 1772359260000},
    ]}
    path = tmp_path / "chat_history.json"
    path.write_text(json.dumps(doc))
    result = parse(snapchat, path)
    rows = result.events.select("direction", "sender", "recipients", "ts_utc", "ts_raw", "ts_basis").rows()
    assert rows == [
        ("in", "snapchat:dan.sample", ["snapchat:alice.ex"], datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "2026-03-01 10:00:00 UTC",
         "utc"),
        ("out", "snapchat:alice.ex", ["snapchat:dan.sample"], datetime(2026, 3, 1, 10, 1, tzinfo=UTC), "1772359260000", "utc"),
    ]
    # The owner's username is the From of the items marked IsSender, and is stated.
    assert result.owner == "snapchat:alice.ex"
    assert "owner's username from the items marked IsSender: snapchat:alice.ex" in result.assumptions


RETURN_HEADER = ("content_type,message_type,conversation_id,message_id,reply_to_message_id,conversation_title,"
                 "sender_username,sender_user_id,recipient_username,recipient_user_id,text,media_id,is_saved,"
                 "is_one_on_one,timestamp")


def test_snapchat_return_csv_maps_columns_by_name_and_reads_both_timestamp_styles(tmp_path: Path, case_dir: Path,
                                                                                  atlas: Callable[..., object]) -> None:
    path = tmp_path / "conversations.csv"
    path.write_text("\n".join([
        "Snap Inc. Law Enforcement Return", "Target username: dan.sample", "=" * 40, RETURN_HEADER,
        'CHAT,TEXT,c1,m1,,,dan.sample,u-1,alice.ex,u-2,"Hello, it\'s me",,false,true,Sun Mar 01 10:00:00 UTC 2026',
        "CHAT,MEDIA,c1,m2,,,dan.sample,u-1,alice.ex,u-2,,media~123;media~124,false,true,2026-03-01 10:05:00 UTC",
        'CHAT,TEXT,c1,m3,,,alice.ex,u-2,dan.sample,u-1,"stop\nplease",,false,true,1772359800000',
        "CHAT,TEXT,c1,m4,,,alice.ex,u-2,dan.sample,u-1,bad,,false,true,yesterday",
    ]) + "\n")
    outcome, events = ingest_one(atlas, case_dir, path, "--owner", "snapchat:dan.sample")
    assert (outcome["records_read"], outcome["events"], outcome["rejects"]) == (4, 3, 1)
    rows = events.sort("source_ref").select("source_ref", "ts_utc", "sender", "recipients", "text", "attachments",
                                             "direction").rows()
    assert rows == [
        ("row 1", datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "snapchat:dan.sample", ["snapchat:alice.ex"], "Hello, it's me", [], "out"),
        ("row 2", datetime(2026, 3, 1, 10, 5, tzinfo=UTC), "snapchat:dan.sample", ["snapchat:alice.ex"], None,
         ["media~123", "media~124"], "out"),
        ("row 3", datetime(2026, 3, 1, 10, 10, tzinfo=UTC), "snapchat:alice.ex", ["snapchat:dan.sample"], "stop\nplease", [], "in"),
    ]
    case = Case.open(case_dir)
    rejects = case.rejects().collect()
    assert rejects.select("source_ref", "excerpt").rows() == [("row 4", "yesterday")]
    evidence = case.evidence().collect()
    assert set(evidence.select("basis", "identifier", "related").rows()) == {
        ("account-profile", "snapchat:dan.sample", "snapchat:id:u-1"),
        ("account-profile", "snapchat:alice.ex", "snapchat:id:u-2")}


def test_snapchat_older_chat_csv_layout(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text("id,from,to,body,href,media_id,saved,timestamp\n"
                    "1,dan.sample,alice.ex,I'm outside,,,false,Sat Aug 15 21:31:00 UTC 2026\n")
    result = parse(snapchat, path)
    assert result.events.select("sender", "recipients", "text", "ts_utc").rows() == [
        ("snapchat:dan.sample", ["snapchat:alice.ex"], "I'm outside", datetime(2026, 8, 15, 21, 31, tzinfo=UTC))]


# --- X ------------------------------------------------------------------------------------


def _js(name: str, payload: object) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(payload, indent=2)


def test_x_direct_messages_one_to_one_and_group(tmp_path: Path) -> None:
    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    path.write_text(_js("direct_messages", [{"dmConversation": {"conversationId": "1001-2002", "messages": [
        {"messageCreate": {"recipientId": "1001", "reactions": [{"senderId": "1001", "reactionKey": "like",
                                                                 "createdAt": "2026-03-01T10:01:00.000Z"}],
                           "urls": [{"url": "https://t.co/x", "expanded": "https://example.org/a"}],
                           "text": "Why did you block me? https://t.co/x", "mediaUrls": [], "senderId": "2002",
                           "id": "1", "createdAt": "2026-03-01T10:00:00.000Z"}}]}}]))
    assert parsers.detect(path).INFO.name == "x-archive"
    result = parse(x_archive, path)
    row = result.events.row(0, named=True)
    assert (row["sender"], row["recipients"], row["ts_utc"], row["ts_basis"], row["attachments"]) == (
        "x:id:2002", ["x:id:1001"], datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "utc", ["https://example.org/a"])
    assert result.extra["reactions"].rows() == [("[0].dmConversation.messages[0]", "x:id:1001", "like", "2026-03-01T10:01:00.000Z")]
    group = tmp_path / "direct-messages-group.js"
    group.write_text(_js("direct_messages_group", [{"dmConversation": {"conversationId": "g1", "messages": [
        {"joinConversation": {"initiatingUserId": "2002", "participantsSnapshot": ["1001", "3003"],
                              "createdAt": "2026-03-01T09:00:00.000Z"}},
        {"messageCreate": {"reactions": [], "urls": [], "text": "hi all", "mediaUrls": [], "senderId": "2002",
                           "id": "2", "createdAt": "2026-03-01T09:01:00.000Z"}},
        {"messageCreate": {"reactions": [], "urls": [], "text": "who is this", "mediaUrls": [], "senderId": "3003",
                           "id": "3", "createdAt": "2026-03-01T09:02:00.000Z"}}]}}]))
    rows = parse(x_archive, group).events.select("kind", "sender", "recipients").rows()
    # the snapshot names who was there when the owner joined: 1001 receives too
    assert rows == [("note", "x:id:2002", []), ("message", "x:id:2002", ["x:id:1001", "x:id:3003"]),
                    ("message", "x:id:3003", ["x:id:1001", "x:id:2002"])]


def test_x_tweets_are_notes_with_reply_targets_and_id_handle_evidence(tmp_path: Path) -> None:
    path = tmp_path / "tweets.js"
    path.write_text(_js("tweets", [{"tweet": {
        "id_str": "77", "full_text": "@alice_ex you know what you did", "created_at": "Sun Mar 01 10:00:00 +0000 2026",
        "in_reply_to_status_id_str": "70", "in_reply_to_user_id_str": "1001", "in_reply_to_screen_name": "alice_ex",
        "entities": {"user_mentions": [{"screen_name": "alice_ex", "id_str": "1001", "name": "Alice Example"}]}}}]))
    result = parse(x_archive, path, owner="x:id:2002")
    row = result.events.row(0, named=True)
    assert (row["kind"], row["sender"], row["recipients"], row["text"]) == (
        "note", "x:id:2002", ["x:id:1001"], "@alice_ex you know what you did")
    assert (row["ts_utc"], row["ts_basis"], row["ts_raw"]) == (
        datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "offset", "Sun Mar 01 10:00:00 +0000 2026")
    assert result.evidence is not None
    assert result.evidence.select("identifier", "related").rows() == [("x:id:1001", "x:alice_ex"),
                                                                      ("x:id:1001", "name:Alice Example")]
    assert result.extra["tweets"].row(0) == ("[0].tweet", "77", "70", "1001", "alice_ex")


def test_x_account_names_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "account.js"
    path.write_text(_js("account", [{"account": {"email": "d@example.org", "username": "sam_p", "accountId": "2002",
                                                 "createdAt": "2019-05-01T09:00:00.000Z", "accountDisplayName": "Sam"}}]))
    result = parse(x_archive, path)
    assert result.owner == "x:id:2002"
    assert result.evidence is not None
    assert result.evidence.select("related").to_series().to_list() == ["x:sam_p", "name:Sam", "email:d@example.org"]


def test_x_file_that_is_not_an_archive_assignment_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tweets.js"
    path.write_text("window.YTD.tweets.part0 = [ {")
    with pytest.raises(FormatError, match="not valid JSON for a X archive tweets file"):
        parse(x_archive, path)


def test_x_deleted_tweets_are_kept_as_deleted_by_sender(tmp_path: Path) -> None:
    path = tmp_path / "deleted-tweets.js"
    path.write_text(_js("deleted_tweets", [{"tweet": {"id_str": "9", "full_text": "she deserves it",
                                                      "created_at": "Mon Mar 02 22:00:00 +0000 2026", "deleted_at": "x"}}]))
    row = parse(x_archive, path).events.row(0, named=True)
    assert (row["kind"], row["status"], row["deleted"], row["text"]) == ("note", "deleted-by-sender", True, "she deserves it")
