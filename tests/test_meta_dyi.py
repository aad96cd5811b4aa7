"""Meta "Download your information" parsers (JSON and HTML): public sample, mojibake, layouts, platform.

chat-miner's Instagram export is read from ../shared/samples (never copied). Its
``target.json`` holds naive UTC renderings of ``timestamp_ms``; Atlas agrees on every
author, text and time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from atlas.store import Case
from parsers import meta_dyi_html, meta_dyi_json
from parsers.base import ParseContext, ParseResult, Probe


def parse_json(doc: object, tmp: Path, name: str = "message_1.json", **ctx: object) -> ParseResult:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    return meta_dyi_json.parse(path, ParseContext(source_id="src", path=path, **ctx))  # type: ignore[arg-type]


def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


# --- the public sample ----------------------------------------------------------------


def test_public_instagram_sample_gives_chat_miners_authors_texts_and_utc_times(
    samples: Path, case_dir: Path, atlas: Callable[..., object]
) -> None:
    sample = samples / "chat-miner" / "instagram" / "test_export.json"
    assert parsers.detect(sample).INFO.name == "meta-dyi-json"
    run = atlas("ingest", case_dir, sample, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [outcome] = json.loads(run.out)  # type: ignore[attr-defined]
    assert (outcome["records_read"], outcome["events"], outcome["rejects"]) == (2, 2, 0)
    # The sample has no platform marker: the path (…/instagram/…) breaks the tie, and says so.
    assert "platform: Instagram, from the file's path (no platform marker in the content)" in outcome["assumptions"]
    events = Case.open(case_dir).events().collect()
    sid = outcome["source_id"]
    got = [
        {"timestamp": r["ts_utc"].replace(tzinfo=None).isoformat(), "author": r["sender"].removeprefix(f"name:{sid}:"),
         "message": r["text"]}
        for r in events.sort("ts_utc", descending=True).iter_rows(named=True)
    ]
    target = json.loads((sample.parent / "target.json").read_text(encoding="utf-8"))
    assert got == target
    assert set(events.get_column("channel")) == {"instagram"}
    assert events.get_column("ts_basis").cast(pl.String).to_list() == ["utc", "utc"]
    first = events.filter(pl.col("source_ref") == "messages[0]").row(0, named=True)
    assert first["ts_raw"] == "1579294140000"
    assert first["recipients"] == [f"name:{sid}:Jane Doe"]  # no participant list: the thread's other sender


# --- mojibake ------------------------------------------------------------------------------


def test_latin1_mojibake_is_repaired_in_text_names_and_attachments(tmp_path: Path) -> None:
    doc = {
        "participants": [{"name": mojibake("Zoë Brontë")}, {"name": "Alice Example"}],
        "messages": [
            {"sender_name": mojibake("Zoë Brontë"), "timestamp_ms": 1772359200000,
             "content": mojibake("I’ll be at the café ❤️"), "photos": [{"uri": mojibake("photos/naïve.jpg")}]},
        ],
    }
    raw = json.dumps(doc)  # what Meta writes: every UTF-8 byte escaped as \u00XX
    assert "\\u00e2\\u0080\\u0099" in raw
    result = parse_json(doc, tmp_path)
    row = result.events.row(0, named=True)
    assert row["text"] == "I’ll be at the café ❤️"
    assert row["sender"] == "name:Zoë Brontë"
    assert row["recipients"] == ["name:Alice Example"]
    assert row["attachments"] == ["photos/naïve.jpg"]
    assert any(a.startswith("Meta's Latin-1 mojibake repaired in 3 distinct value(s)") for a in result.assumptions)


def test_a_file_with_real_unicode_is_not_treated_as_mojibake(tmp_path: Path) -> None:
    # "Ã©" here is genuine text next to a character above U+00FF: the file was not double-encoded.
    doc = {"participants": [{"name": "A"}, {"name": "B"}],
           "messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "Ã© means é — really"}]}
    result = parse_json(doc, tmp_path)
    assert result.events.get_column("text").to_list() == ["Ã© means é — really"]
    assert not any("mojibake" in a for a in result.assumptions)


def test_genuine_latin1_text_that_does_not_round_trip_is_left_alone(tmp_path: Path) -> None:
    doc = {"participants": [{"name": "A"}, {"name": "B"}],
           "messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "café"},
                        {"sender_name": "B", "timestamp_ms": 2, "content": mojibake("naïve")}]}
    result = parse_json(doc, tmp_path)
    assert result.events.get_column("text").to_list() == ["café", "naïve"]


# --- message shapes --------------------------------------------------------------------------


def test_unsent_message_is_deleted_by_sender_and_still_contact(tmp_path: Path) -> None:
    doc = {"participants": [{"name": "Dan"}, {"name": "Alice"}],
           "messages": [{"sender_name": "Dan", "timestamp_ms": 1772359200000, "is_unsent": True}]}
    row = parse_json(doc, tmp_path).events.row(0, named=True)
    assert (row["kind"], row["status"], row["text"]) == ("message", "deleted-by-sender", None)


def test_calls_shares_stickers_reactions_and_group_notes(tmp_path: Path) -> None:
    doc = {
        "participants": [{"name": "Dan"}, {"name": "Alice"}, {"name": "Beth"}],
        "joinable_mode": {"mode": 1, "link": ""},
        "messages": [
            {"sender_name": "Dan", "timestamp_ms": 1772359500000, "content": "Dan called you.", "type": "Call",
             "call_duration": 0, "missed": True},
            {"sender_name": "Dan", "timestamp_ms": 1772359400000, "content": "Dan called you.", "type": "Call",
             "call_duration": 75},
            {"sender_name": "Dan", "timestamp_ms": 1772359300000, "share": {"link": "https://www.facebook.com/x/posts/1"},
             "sticker": {"uri": "messages/stickers_used/1.png"}, "type": "Share",
             "reactions": [{"reaction": mojibake("😢"), "actor": "Alice"}]},
            {"sender_name": "Beth", "timestamp_ms": 1772359200000, "content": "Beth left the group.", "type": "Unsubscribe"},
        ],
    }
    result = parse_json(doc, tmp_path)
    rows = {r["source_ref"]: r for r in result.events.iter_rows(named=True)}
    assert (rows["messages[0]"]["kind"], rows["messages[0]"]["status"], rows["messages[0]"]["duration_s"]) == ("call", "missed", 0)
    assert (rows["messages[1]"]["kind"], rows["messages[1]"]["status"], rows["messages[1]"]["duration_s"]) == ("call", "answered", 75)
    assert rows["messages[2]"]["attachments"] == ["messages/stickers_used/1.png", "https://www.facebook.com/x/posts/1"]
    assert rows["messages[2]"]["recipients"] == ["name:Alice", "name:Beth"]
    assert (rows["messages[3]"]["kind"], rows["messages[3]"]["recipients"]) == ("note", [])
    assert set(result.events.get_column("channel")) == {"facebook"}
    assert "platform: Facebook, from the content: links to facebook.com, the key 'joinable_mode'" in result.assumptions
    reactions = result.extra["reactions"]
    assert reactions.rows() == [("messages[2]", "name:Alice", "😢")]


def test_end_to_end_encrypted_messenger_export_in_camel_case(tmp_path: Path) -> None:
    doc = {
        "participants": ["Alice Example", "Daniel Sample"],
        "threadName": "Daniel Sample",
        "messages": [
            {"isUnsent": False, "media": [{"uri": "./media/1234.jpeg"}], "reactions": [], "senderName": "Daniel Sample",
             "text": "I’m outside", "timestamp": 1772359200123, "type": "text"},
            {"isUnsent": True, "media": [], "reactions": [], "senderName": "Daniel Sample", "text": "",
             "timestamp": 1772359100000, "type": "text"},
        ],
    }
    result = parse_json(doc, tmp_path)
    first, second = result.events.iter_rows(named=True)
    assert first["ts_utc"] == datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert (first["text"], first["sender"], first["recipients"]) == ("I’m outside", "name:Daniel Sample", ["name:Alice Example"])
    assert first["attachments"] == ["./media/1234.jpeg"]
    assert (second["status"], second["text"]) == ("deleted-by-sender", None)
    assert first["channel"] == "facebook"
    assert "Messenger end-to-end-encrypted export (camelCase keys)" in result.assumptions


def test_platform_from_media_paths_beats_the_folder_name(tmp_path: Path) -> None:
    doc = {"participants": [{"name": "D"}, {"name": "A"}],
           "messages": [{"sender_name": "D", "timestamp_ms": 1, "photos": [
               {"uri": "your_instagram_activity/messages/inbox/d_1/photos/1.jpg"}]}]}
    result = parse_json(doc, tmp_path / "facebook-download", name="message_1.json")
    assert result.events.get_column("channel").to_list() == ["instagram"]
    result = parse_json(doc, tmp_path / "x", name="m.json", options={"platform": "facebook"})
    assert result.events.get_column("channel").to_list() == ["facebook"]


def test_no_marker_and_no_path_hint_is_facebook_with_the_assumption_stated(tmp_path: Path) -> None:
    doc = {"participants": [{"name": "D"}, {"name": "A"}], "messages": [{"sender_name": "D", "timestamp_ms": 1, "content": "x"}]}
    result = parse_json(doc, tmp_path / "evidence")
    assert result.events.get_column("channel").to_list() == ["facebook"]
    assert any("no platform marker" in a and "platform=instagram" in a for a in result.assumptions)


def test_a_message_without_a_time_is_a_reject_with_the_reason(tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = tmp_path / "inbox" / "message_1.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"participants": [{"name": "D"}], "messages": [
        {"sender_name": "D", "timestamp_ms": 1772359200000, "content": "ok"}, {"sender_name": "D", "content": "no time"}, 7]}))
    run = atlas("ingest", case_dir, path, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [o] = json.loads(run.out)  # type: ignore[attr-defined]
    assert (o["records_read"], o["events"], o["rejects"]) == (3, 1, 2)
    rejects = Case.open(case_dir).rejects().collect().sort("source_ref")
    assert rejects.select("source_ref", "reason").rows() == [
        ("messages[1]", "no usable timestamp"), ("messages[2]", "not a message object")]


def test_truncated_json_names_the_file_and_the_place(tmp_path: Path) -> None:
    path = tmp_path / "message_1.json"
    path.write_text('{"participants": [{"name": "D"}], "messages": [{"sender_name": "D", "timestamp_ms": 17')
    with pytest.raises(FormatError, match=r"message_1.json: not valid JSON .* line 1, column \d+\).*truncated"):
        meta_dyi_json.parse(path, ParseContext(source_id="s", path=path))


# --- posts, comments, profile -------------------------------------------------------------------


def test_facebook_posts_keep_title_text_and_place(tmp_path: Path) -> None:
    posts = [{"timestamp": 1772359200, "data": [{"post": mojibake("You’ll regret this")}],
              "title": "Daniel Sample wrote on Alice Example's timeline.",
              "attachments": [{"data": [{"place": {"name": "Cafe", "coordinate": {"latitude": 51.53, "longitude": -0.12}}}]}]},
             {"timestamp": 1772359300, "attachments": [{"data": [{"media": {"uri": "posts/media/1.jpg"}}]}]}]
    result = parse_json(posts, tmp_path, name="your_posts_1.json", owner="facebook:daniel.sample.9")
    first, second = result.events.iter_rows(named=True)
    assert first["text"] == "Daniel Sample wrote on Alice Example's timeline.\nYou’ll regret this"
    assert (first["kind"], first["lat"], first["lon"], first["sender"]) == ("note", 51.53, -0.12, "facebook:daniel.sample.9")
    assert first["ts_utc"] == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert (second["kind"], second["attachments"]) == ("media", ["posts/media/1.jpg"])


def test_facebook_and_instagram_comments(tmp_path: Path) -> None:
    fb = {"comments_v2": [{"timestamp": 1772359200, "title": "Daniel Sample commented on Alice Example's post.",
                           "data": [{"comment": {"timestamp": 1772359200, "comment": "Nice coat", "author": "Daniel Sample"}}]}]}
    row = parse_json(fb, tmp_path, name="comments.json").events.row(0, named=True)
    assert (row["kind"], row["channel"], row["sender"]) == ("note", "facebook", "name:Daniel Sample")
    assert row["text"] == "Daniel Sample commented on Alice Example's post.\nNice coat"
    ig = [{"media_list_data": [{"uri": ""}], "string_map_data": {
        "Comment": {"value": "saw you"}, "Media Owner": {"value": "alice.example"}, "Time": {"timestamp": 1772359200}}}]
    row = parse_json(ig, tmp_path, name="post_comments_1.json", owner="instagram:d4n.watching").events.row(0, named=True)
    assert (row["channel"], row["sender"], row["recipients"], row["text"]) == (
        "instagram", "instagram:d4n.watching", ["instagram:alice.example"], "saw you")


def test_profile_documents_handle_name_email_and_phone(tmp_path: Path) -> None:
    doc = {"profile_user": [{"string_map_data": {
        "Username": {"value": "alice.example"}, "Name": {"value": mojibake("Alice Éxample")},
        "Email": {"value": "alice@example.org"}, "Phone Number": {"value": "+447700900001"}}}]}
    result = parse_json(doc, tmp_path, name="personal_information.json")
    assert result.owner == "instagram:alice.example"
    assert result.events.select("kind", "sender", "text").rows() == [("account", "instagram:alice.example", "Alice Éxample")]
    assert result.evidence is not None
    assert result.evidence.select("basis", "identifier", "related").rows() == [
        ("account-profile", "instagram:alice.example", "name:Alice Éxample"),
        ("account-profile", "instagram:alice.example", "email:alice@example.org"),
        ("account-profile", "instagram:alice.example", "phone:+447700900001"),
    ]


def test_detection_tells_meta_files_from_other_json(tmp_path: Path, samples: Path) -> None:
    tg = samples / "chat-miner" / "telegram" / "test_single_export.json"
    assert meta_dyi_json.detect(Probe(tg)) == 0
    assert meta_dyi_json.detect(Probe(samples / "chat-miner" / "instagram" / "test_export.json")) == 90
    other = tmp_path / "x.json"
    other.write_text('{"messages": [{"from": "x", "date": "2020-01-01T00:00:00"}]}')
    assert meta_dyi_json.detect(Probe(other)) == 0


# --- HTML --------------------------------------------------------------------------------------

BOX = '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'


def _page(*blocks: str) -> str:
    return ('<html><head><meta charset="utf-8"><base href="../../../../" /></head><body><main>'
            + "".join(blocks) + "</main></body></html>")


def test_html_2022_layout_with_participants_media_reactions_and_local_times(tmp_path: Path, case_dir: Path,
                                                                            atlas: Callable[..., object]) -> None:
    page = _page(
        f'{BOX}<div class="_a6-p">Participants: D and Alice Example</div></div>',
        f'{BOX}<h2 class="_3-95 _2pim _a6-h _a6-i">D</h2><div class="_3-95 _a6-p"><div><div></div>'
        '<div>I saw you today<br />in the blue coat</div><div></div><div><ul class="_a6-q"><li><span>😢Alice Example'
        '<span> (Jun 15, 2026 1:01 pm)</span></span></li></ul></div></div></div><div class="_3-94 _a6-o">Jun 15, 2026 12:31 pm</div></div>',
        f'{BOX}<h2 class="_3-95 _2pim _a6-h _a6-i">D</h2><div class="_3-95 _a6-p"><div><div></div><div></div><div>'
        '<a href="your_instagram_activity/messages/inbox/d_1/photos/1.jpg"><img src="your_instagram_activity/messages/inbox/d_1/photos/1.jpg" /></a>'
        '</div></div></div><div class="_3-94 _a6-o">Jan 02, 2026 9:05 am</div></div>',
    )
    path = tmp_path / "message_1.html"
    path.write_text(page, encoding="utf-8")
    assert parsers.detect(path).INFO.name == "meta-dyi-html"
    result = meta_dyi_html.parse(path, ParseContext(source_id="s", path=path))
    first, second = result.events.iter_rows(named=True)
    assert (first["source_ref"], first["sender"], first["recipients"]) == ("block 2", "name:D", ["name:Alice Example"])
    assert first["text"] == "I saw you today\nin the blue coat"
    assert first["ts_local"] == datetime(2026, 6, 15, 12, 31)
    assert (second["text"], second["attachments"]) == (None, ["your_instagram_activity/messages/inbox/d_1/photos/1.jpg"])
    assert second["channel"] == "instagram"
    assert result.extra["reactions"].rows() == [("block 2", "name:Alice Example", "😢")]
    # Through the ingest: June is BST (12:31 local = 11:31 UTC), January GMT.
    run = atlas("ingest", case_dir, path, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    [o] = json.loads(run.out)  # type: ignore[attr-defined]
    assert (o["records_read"], o["events"], o["rejects"]) == (2, 2, 0)
    assert any("HTML page times have no zone" in a for a in o["assumptions"])
    ts = Case.open(case_dir).events().collect().sort("source_ref").get_column("ts_utc").to_list()
    assert ts == [datetime(2026, 6, 15, 11, 31, tzinfo=UTC), datetime(2026, 1, 2, 9, 5, tzinfo=UTC)]


def test_html_older_facebook_layout(tmp_path: Path) -> None:
    old = '<div class="pam _3-95 _2pi0 _2lej uiBoxWhite noborder">'
    page = _page(
        f'{old}<div class="_3-96 _2pio _2lek _2lel">Daniel Sample</div><div class="_3-96 _2let"><div><div></div>'
        '<div>Tell your daughter to answer me</div><div></div><div></div></div></div>'
        '<div class="_3-94 _2lem">Feb 03, 2026, 7:15 PM</div></div>',
        f'{old}<div class="_3-96 _2pio _2lek _2lel">Margaret Example</div><div class="_3-96 _2let"><div><div></div>'
        '<div>Leave us alone https://www.facebook.com/help</div><div><a href="https://www.facebook.com/help">https://www.facebook.com/help</a></div>'
        '</div></div><div class="_3-94 _2lem">Feb 03, 2026, 7:20 PM</div></div>',
    )
    path = tmp_path / "message_1.html"
    path.write_text(page, encoding="utf-8")
    result = meta_dyi_html.parse(path, ParseContext(source_id="s", path=path))
    rows = result.events.select("sender", "recipients", "text", "ts_local", "channel").rows()
    assert rows == [
        ("name:Daniel Sample", ["name:Margaret Example"], "Tell your daughter to answer me", datetime(2026, 2, 3, 19, 15), "facebook"),
        ("name:Margaret Example", ["name:Daniel Sample"], "Leave us alone https://www.facebook.com/help",
         datetime(2026, 2, 3, 19, 20), "facebook"),
    ]


def test_html_without_message_boxes_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    path.write_text(_page('<div class="uiBoxWhite noborder">Your information</div>'))
    with pytest.raises(FormatError, match="no Meta message boxes with a time"):
        meta_dyi_html.parse(path, ParseContext(source_id="s", path=path))
