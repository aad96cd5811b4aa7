"""The ``same-messages`` discovery rule: a display name in one export (a 'Download your
information' thread names senders only by display name) is proposed as the account or
number that sent the same words minutes apart in another source; never on short texts,
one source, far-apart times, one repeated text, or a tie between two accounts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from atlas.identity.bases import strength_of
from atlas.identity.candidates import SAME_MESSAGE_WINDOW_S, same_message_proposals

T0 = datetime(2026, 6, 24, 10, 25, 22, tzinfo=UTC)
TEXTS = ("I miss you so much", "I saw you today in the blue coat", "We need to talk", "Pick up the phone")
NAME, ACCOUNT = "name:aaaaaaaaaaaaaaaa:not dan", "instagram:not.dan.2026"


def _rows(sender: str, source: str, texts: tuple[str, ...], *, lag_s: int = 0, channel: str = "instagram",
          start: int = 0) -> list[dict[str, object]]:
    return [{"source_id": source, "event_id": f"{source}/messages[{start + i}]", "kind": "message", "channel": channel,
             "sender": sender, "text": t, "ts_utc": T0 + timedelta(days=i, seconds=lag_s)} for i, t in enumerate(texts)]


def _propose(rows: list[dict[str, object]]) -> list[tuple[str, str, str, float]]:
    frame = pl.LazyFrame(rows, schema={"source_id": pl.String, "event_id": pl.String, "kind": pl.String,
                                       "channel": pl.String, "sender": pl.String, "text": pl.String,
                                       "ts_utc": pl.Datetime("us", "UTC")})
    return [(p.a, p.b, p.basis, p.score) for p in same_message_proposals(frame)]


def test_a_display_name_is_proposed_as_the_account_that_sent_the_same_words() -> None:
    rows = _rows(NAME, "aaaaaaaaaaaaaaaa", TEXTS) + _rows(ACCOUNT, "bbbbbbbbbbbbbbbb", TEXTS, lag_s=40)
    frame = pl.LazyFrame(rows)
    (p,) = same_message_proposals(frame)
    assert (p.a, p.b, p.basis, p.score) == (ACCOUNT, NAME, "same-messages", 1.0)
    assert strength_of(p.basis) == "inferred"
    assert "4 of the 4 messages sent as 'not dan' in aaaaaaaaaaaaaaaa (4 different texts)" in p.reason
    assert "instagram:not.dan.2026 in bbbbbbbbbbbbbbbb" in p.reason and "typically 40 s later there" in p.reason
    assert set(p.support) == {str(r["event_id"]) for r in rows}


def test_no_proposal_without_enough_evidence() -> None:
    name_src, other = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
    short = ("ok", "yes", "ring me", "k")
    assert _propose(_rows(NAME, name_src, short) + _rows(ACCOUNT, other, short)) == []  # short texts
    assert _propose(_rows(NAME, name_src, TEXTS) + _rows(ACCOUNT, name_src, TEXTS, start=10)) == []  # one source
    late = SAME_MESSAGE_WINDOW_S + 1
    assert _propose(_rows(NAME, name_src, TEXTS) + _rows(ACCOUNT, other, TEXTS, lag_s=late)) == []  # too far apart
    same = (TEXTS[0],) * 4
    assert _propose(_rows(NAME, name_src, same) + _rows(ACCOUNT, other, same)) == []  # one text again and again
    assert _propose(_rows(NAME, name_src, TEXTS[:2]) + _rows(ACCOUNT, other, TEXTS[:2])) == []  # two messages
    assert _propose(_rows(NAME, name_src, TEXTS) + _rows(ACCOUNT, other, TEXTS, channel="sms")) == []  # other channel
    # most of the name's messages must match: 3 of 8 is not enough
    many = TEXTS + tuple(f"something else entirely {i}" for i in range(5))
    assert _propose(_rows(NAME, name_src, many) + _rows(ACCOUNT, other, TEXTS[:3])) == []
    # as good a match with two accounts: a person decides
    assert _propose(_rows(NAME, name_src, TEXTS) + _rows(ACCOUNT, other, TEXTS)
                    + _rows("instagram:someone.else", "cccccccccccccccc", TEXTS)) == []
    # an account matched more often than another wins
    assert _propose(_rows(NAME, name_src, TEXTS) + _rows(ACCOUNT, other, TEXTS)
                    + _rows("instagram:someone.else", "cccccccccccccccc", TEXTS[:3])) == [(ACCOUNT, NAME, "same-messages", 1.0)]


def test_discovery_ties_the_instagram_threads_to_the_handset_accounts(small_demo_case: Path) -> None:
    """The generated case: the victim's Instagram 'Download your information' threads name the
    suspect's alias accounts only by display name; the suspect's handset (Cellebrite) holds the
    same messages under the accounts, its clock 40 s fast. With the proposals the breaches and
    incidents rest on the same records as the generator's truth."""
    from atlas.identity.candidates import discover
    from atlas.identity.ledger import read_links
    from atlas.store import Case

    case = Case.open(small_demo_case)
    discover(case)
    found = {(lk.a, lk.b) for lk in read_links(case) if lk.basis == "same-messages"}
    truth = json.loads((small_demo_case / "truth.json").read_text(encoding="utf-8"))
    meta = {s["source_id"] for s in truth["sources"] if s["parser"] == "meta-dyi-json"}
    assert found and all(b.split(":")[1] in meta and a.startswith("instagram:") for a, b in found)



def test_a_confirmed_name_is_relied_on_with_its_basis_in_words(small_demo_case: Path, tmp_path: Path) -> None:
    """Once an officer confirms a same-messages link, the MG11's 'Identifiers relied on' table
    gives the display name with the basis in words, as for every other confirmed identifier."""
    import html
    import re
    from datetime import date

    from atlas.identity.bases import describe
    from atlas.identity.candidates import discover
    from atlas.identity.ledger import decide, read_links
    from atlas.store import Case
    from reports.build import build_reports

    case = Case.open(small_demo_case)
    discover(case)
    links = [lk for lk in read_links(case) if lk.status == "proposed"
             and (lk.basis == "same-messages" or lk.strength == "proven")]  # as `atlas confirm --all-proven` and the two
    assert any(lk.basis == "same-messages" for lk in links)
    for lk in links:
        decide(case, lk.link_id, "confirmed", note="the same messages read in both exhibits")
    build_reports(case, tmp_path / "out", as_of=date(2026, 11, 22))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", (tmp_path / "out" / "statement.html").read_text(
        encoding="utf-8"))).split())
    relied = text.split("Identifiers relied on")[1].split("Contact between them")[0]
    assert re.search(r"display name '[^']+' in [A-Z]+/\d+ linked \(" + re.escape(describe("same-messages"))
                     + re.escape("); confirmed by an officer; recorded in the case's decisions ledger"), relied), relied


def test_with_the_proposals_the_records_of_each_breach_and_incident_are_the_truths(
        tmp_path: Path, atlas: object) -> None:
    """A whole generated case (seed 40, full scale): the suspect's messages from his alias
    accounts are in the victim's Instagram downloads under display names and in his handset
    under the accounts. With the proposed links, every breach and incident rests on exactly the
    records the generator's truth lists (location exports apart: which positions it lists for
    a presence is its own choice)."""
    from atlas.demo import ingest_generated
    from atlas.identity.candidates import discover
    from atlas.store import Case
    from fixtures.generate import generate

    truth = generate("rejected-ex", 40, 1.0, tmp_path / "case")
    ingest_generated(tmp_path / "case")
    discover(Case.open(tmp_path / "case"))
    run = atlas  # the CLI fixture
    out = run("conduct", tmp_path / "case", "--with-proposed", "--json", "--as-of", truth["s2a"]["charge_date"])  # type: ignore[operator]
    got = json.loads(out.out)["with_proposed"]
    located = {s["source_id"] for s in truth["sources"] if s["parser"].startswith("google-")}
    for key in ("breaches", "incidents"):
        want = {e for item in truth[key] for e in item["event_ids"] if e.split("/")[0] not in located}
        have = {e for item in got[key] for e in item["event_ids"] if e.split("/")[0] not in located}
        assert have == want, (key, sorted(want - have)[:5], sorted(have - want)[:5])


def test_the_reviewers_note_ties_a_lead_to_the_link_awaiting_a_decision(_small_cases_master: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    """rejected-ex 99991: Points to review said "D (name in JA/16): 17 contacts with her …, not attributed to
    anyone; behaves like Daniel Sample's identifiers (… not counted as the suspect's conduct; a lead for
    `atlas identity`)", while a link joining D to instagram:d4n.watching (already his) by the same messages was
    already awaiting a decision, and confirming it would change no count. The point now names that link."""
    import re
    import shutil

    from docx import Document

    from atlas.identity.candidates import discover
    from atlas.identity.ledger import decide, read_links
    from atlas.store import Case
    from reports.build import build_reports

    shutil.copytree(_small_cases_master[0], tmp_path / "demo")  # its own copy: another test here confirms the links
    case = Case.open(tmp_path / "demo")
    discover(case)
    for lk in read_links(case):
        if lk.status == "proposed" and lk.strength == "proven":  # as `atlas confirm --all-proven`
            decide(case, lk.link_id, "confirmed", note="checked")
    build_reports(case, tmp_path / "out", as_of=date(2026, 11, 22))
    text = "\n".join(p.text for p in Document(str(tmp_path / "out" / "reviewer-note.docx")).paragraphs)
    points = text.split("Points to review", 1)[1]
    leads = [p for p in points.splitlines() if "a lead for `atlas identity`" in p]
    pending = [lk for lk in read_links(case) if lk.status == "proposed" and lk.basis == "same-messages"]
    assert leads and pending
    for line in leads:
        name = line.split(":", 1)[0]
        if any(name.startswith(f"{lk.a.split(':', 2)[-1]} (name in") or name.startswith(f"{lk.b.split(':', 2)[-1]} (name in")
               for lk in pending):
            assert re.search(r"a link awaiting a decision joins it to \S+, already taken to be [^(]+'s \(", line), line
            assert "Identity links awaiting a decision" in line, line
