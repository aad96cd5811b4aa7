"""``atlas search-cases``: one identifier across small hand-built cases: counts and date
ranges, its party and the orders there, confirmed links only with --linked, a case that
excluded itself never opened, a tampered or broken case reported, every search audited."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from _conduct_cases import MOTHER, NEW_NUMBER, SUSPECT, VICTIM, call, make_case, msg
from conftest import Run

from atlas.errors import AtlasError
from atlas.identity.ledger import ensure_schema, officer_link, propose
from atlas.search.cases import Query, case_dirs, identifier_of, search, search_case
from atlas.store import Case

ORDER = {"type": "restraining-order", "start": "2026-05-01T09:00:00Z", "reference": "RO-1"}
OTHER_VICTIM = "tel:+447700900555"
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def _exclude(root: Path) -> None:
    toml = root / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[case]\n", "[case]\ncross_case_search = false\n", 1),
                    encoding="utf-8")


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """a: the suspect's number, an order; b: only his new number, confirmed-linked to him
    there; c: the new number with only a proposed link; d: nothing of his; e: excluded."""
    root = tmp_path_factory.mktemp("search") / "cases"
    make_case(root / "a", {VICTIM: [msg("2026-05-06 20:00", SUSPECT, VICTIM), call("2026-05-07 21:00", SUSPECT, VICTIM),
                                    msg("2026-05-08 07:00", VICTIM, SUSPECT, "stop")]}, orders=[ORDER])
    b = make_case(root / "b", {OTHER_VICTIM: [msg("2026-03-01 12:00", NEW_NUMBER, OTHER_VICTIM),
                                              msg("2026-03-02 12:00", NEW_NUMBER, OTHER_VICTIM)]})
    officer_link(b, NEW_NUMBER, "suspect", "same-imei", note="test: subscriber check")
    c = make_case(root / "c", {OTHER_VICTIM: [msg("2026-04-01 12:00", NEW_NUMBER, OTHER_VICTIM)]})
    with c.db() as con:
        ensure_schema(con)
        propose(c, con, "party:suspect", NEW_NUMBER, "temporal-succession", reason="test", support=[], score=0.8,
                origin="test")
    make_case(root / "d", {VICTIM: [msg("2026-05-06 20:00", MOTHER, VICTIM)]})
    make_case(root / "e", {VICTIM: [msg("2026-05-06 20:00", SUSPECT, VICTIM)]})
    _exclude(root / "e")
    return root


@pytest.fixture
def root(cases: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "cases"
    shutil.copytree(cases, dst)
    return dst


def _by_dir(report_json: dict[str, object]) -> dict[str, dict[str, object]]:
    return {Path(str(r["dir"])).name: r for r in report_json["results"]}  # type: ignore[attr-defined]


def test_finds_the_identifier_with_counts_dates_party_and_orders(root: Path) -> None:
    report = search(root, Query(SUSPECT, as_of=AS_OF))
    data = report.to_json()
    assert (data["cases"], data["found"], data["not_found"], data["excluded_themselves"]) == (5, 1, 3, 1)
    got = _by_dir(data)
    assert set(got) == {"a", "b", "c", "d"}           # the excluded case is counted, never named
    a = got["a"]
    assert a["status"] == "found" and a["records"] == 3 and a["reference"] == "OP-CONDUCT-TEST"
    assert (a["first_utc"], a["last_utc"]) == ("2026-05-06T20:00:00+00:00", "2026-05-08T07:00:00+00:00")
    assert (a["first_uk"], a["last_uk"]) == ("06/05/2026 21:00 BST", "08/05/2026 08:00 BST")
    [hit] = a["identifiers"]  # type: ignore[misc]
    assert (hit["records"], hit["as_sender"], hit["as_recipient"]) == (3, 2, 1)
    assert (hit["party"], hit["party_role"], hit["party_basis"]) == ("suspect", "suspect", "attributed")
    [order] = a["orders"]  # type: ignore[misc]
    assert order["order"] == "restraining-order RO-1" and order["in_force_on_search_date"] is True
    assert order["records_in_order_period"] == 3  # all three after its start on 01/05/2026
    assert got["b"]["records"] == 0 and got["b"]["status"] == "not-found"


def test_linked_follows_confirmed_links_only_and_says_why(root: Path) -> None:
    got = _by_dir(search(root, Query(SUSPECT, linked=True, as_of=AS_OF)).to_json())
    b = got["b"]
    assert b["status"] == "found" and b["records"] == 2 and b["searched"] == [SUSPECT, NEW_NUMBER]
    [hit] = b["identifiers"]  # type: ignore[misc]
    assert hit["identifier"] == NEW_NUMBER and hit["party"] == "suspect" and hit["party_basis"] == "confirmed"
    assert "confirmed link" in hit["how"] and "same-imei" in hit["how"]
    assert got["c"]["records"] == 0 and got["c"]["searched"] == [SUSPECT]   # a proposed link is not followed
    # From the new number: in b it is the suspect's (confirmed), so his attributed number is searched too.
    got = _by_dir(search(root, Query(NEW_NUMBER, linked=True, as_of=AS_OF)).to_json())
    assert got["b"]["searched"] == [SUSPECT, NEW_NUMBER] and got["a"]["records"] == 0
    assert got["c"]["records"] == 1 and got["c"]["identifiers"][0]["party"] is None  # type: ignore[index]


def test_every_searched_case_audits_the_search_and_the_excluded_one_is_not_opened(root: Path) -> None:
    store = root / "e" / "store"
    kept = {p: p.read_bytes() for p in (store / "sources.parquet", store / "atlas.sqlite")}
    for p in kept:
        p.write_bytes(b"not a store")   # opening the excluded case would make it unreadable
    report = search(root, Query(SUSPECT, as_of=AS_OF))
    assert report.excluded == 1 and report.count("unreadable") == 0
    assert all(p.read_bytes() == b"not a store" for p in kept)
    for p, data in kept.items():
        p.write_bytes(data)
    for name in "abcd":
        rows = [r for r in Case.open(root / name).audit_log() if r["action"] == "search-cases"]
        assert len(rows) == 1 and rows[0]["detail"]["identifier"] == SUSPECT  # type: ignore[index]
    assert not [r for r in Case.open(root / "e").audit_log() if r["action"] == "search-cases"]


def test_tampered_and_broken_cases_are_reported_and_the_search_goes_on(root: Path) -> None:
    partition = sorted((root / "a" / "store" / "events").glob("*.parquet"))[0]
    pl.read_parquet(partition).head(1).write_parquet(partition)
    (root / "d" / "case.toml").write_text("[case\nbroken", encoding="utf-8")
    (root / "junk").mkdir()
    (root / "junk" / "case.toml").write_bytes(b"\xff\xfe not a manifest")
    got = _by_dir(search(root, Query(SUSPECT, as_of=AS_OF)).to_json())
    assert got["a"]["status"] == "unverified" and "changed since it was committed" in str(got["a"]["reason"])
    assert got["a"]["records"] == 1        # what the tampered file holds, flagged as such
    assert got["d"]["status"] == "unreadable" and "case.toml" in str(got["d"]["reason"])
    assert got["junk"]["status"] == "unreadable"


def test_batch_manifest_as_root_and_identifier_normalised(root: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "batch.toml"
    manifest.write_text(f'[[case]]\ndir = "{root / "a"}"\n\n[[case]]\ndir = "{root / "e"}"\n', encoding="utf-8")
    assert case_dirs(manifest).dirs == (root / "a", root / "e")
    assert identifier_of("07700 900102") == SUSPECT
    with pytest.raises(AtlasError, match="not an identifier"):
        identifier_of("Simon")
    data = search(manifest, Query(identifier_of("07700900102"), as_of=AS_OF)).to_json()
    assert (data["cases"], data["found"], data["excluded_themselves"]) == (2, 1, 1)


def test_search_case_equals_itself_and_dask_engine_gives_the_same(root: Path) -> None:
    query = Query(SUSPECT, linked=True, as_of=AS_OF)
    local = search(root, query).to_json()
    dask = search(root, query, engine="dask", workers=1).to_json()
    assert dask.pop("engine") == "dask" and local.pop("engine") == "local"
    assert dask == local
    assert search_case(root / "a", query).records == 3


def test_cli_search_cases(root: Path, atlas: Callable[..., Run]) -> None:
    run = atlas("search-cases", root, "--identifier", SUSPECT, "--linked", "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["found"] == 2 and data["excluded_themselves"] == 1 and data["linked"] is True
    run = atlas("search-cases", root, "--identifier", SUSPECT)
    assert run.code == 0, run.err
    text = " ".join(run.out.split())
    assert "found in 1" in text and "excluded themselves 1" in text and "restraining-order RO-1" in text
    run = atlas("search-cases", root, "--identifier", SUSPECT, "--officer", "DS 5678 B. Reviewer", "--json")
    assert run.code == 0, run.err
    last = Case.open(root / "d").audit_log()[-1]
    assert last["action"] == "search-cases" and "5678" in str(last["actor"])
    (root / "d" / "case.toml").write_text("[case\nbroken", encoding="utf-8")
    run = atlas("search-cases", root, "--identifier", SUSPECT)
    assert run.code == 1 and "unreadable 1" in " ".join(run.out.split())
    run = atlas("search-cases", root / "nowhere", "--identifier", SUSPECT)
    assert run.code == 2 and "no such folder" in run.err


def test_the_bench_runs_at_a_tiny_scale_and_agrees_with_its_reference(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import bench_search_cases
    from bench.common import SCALE_ENV, STAGE_KEYS

    monkeypatch.setenv(SCALE_ENV, "0.001")
    numbers = bench_search_cases.run(tmp_path)
    assert numbers["cases"] == 3 and numbers["cases_found"] == 1 and numbers["same_records"] is True
    assert numbers["records_found"] == 1   # row 0 of case 0 (one row in fifty is the suspect's)
    [stage] = numbers["stages"]  # type: ignore[misc]
    assert set(stage) == STAGE_KEYS and stage["reference_seconds"] > 0


def test_cross_case_search_key_is_a_boolean_defaulting_to_true(root: Path) -> None:
    from atlas.errors import ManifestError
    from atlas.store.manifest import load_manifest, parse_manifest

    assert load_manifest(root / "a" / "case.toml").cross_case_search is True
    assert load_manifest(root / "e" / "case.toml").cross_case_search is False
    text = (root / "a" / "case.toml").read_text(encoding="utf-8").replace("[case]\n", '[case]\ncross_case_search = "no"\n', 1)
    with pytest.raises(ManifestError, match="cross_case_search"):
        parse_manifest(text, root / "a" / "case.toml")


def test_the_walk_says_what_it_did_not_look_into(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "linked").symlink_to(root / "a", target_is_directory=True)
    found = case_dirs(root)
    assert [p.name for p in found.dirs] == ["a", "b", "c", "d", "e"]
    assert found.skipped == ((str(root / "linked"), "symbolic link, not followed (search its target instead)"),)
    import os

    real = os.walk

    def walk(top: str, **kw: object) -> object:   # a folder that cannot be listed (tests run as root: no chmod)
        kw["onerror"](PermissionError(13, "Permission denied", str(root / "locked")))  # type: ignore[operator]
        return real(top, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr("atlas.search.cases.os.walk", walk)
    data = search(root, Query(SUSPECT, as_of=AS_OF)).to_json()
    assert {"path": str(root / "locked"), "why": "cannot be listed (Permission denied)"} in data["not_searched"]


def test_an_unexpected_error_in_one_case_is_named_and_the_others_are_searched(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import atlas.search.cases as cases

    real = cases._search_case

    def flaky(case_dir: Path, query: Query) -> cases.CaseResult:
        if case_dir.name == "b":
            raise KeyError("boom")
        return real(case_dir, query)

    monkeypatch.setattr(cases, "_search_case", flaky)
    got = _by_dir(search(root, Query(SUSPECT, as_of=AS_OF)).to_json())
    assert got["b"]["status"] == "unreadable" and "unexpected KeyError" in str(got["b"]["reason"])
    assert got["a"]["status"] == "found"


def test_each_order_counts_the_records_found_within_its_period_not_on_the_search_date(tmp_path: Path) -> None:
    """An order that ended before the search is 'not in force' on the search date, but a
    contact dated while it ran is what an officer needs to see; one dated after it ended is not."""
    ended = {**ORDER, "reference": "RO-2"}
    later = {**ORDER, "reference": "RO-3", "start": "2026-05-08T00:00:00Z"}
    make_case(tmp_path / "cases" / "a", {VICTIM: [msg("2026-05-06 20:00", SUSPECT, VICTIM),
                                                  call("2026-05-07 21:00", SUSPECT, VICTIM),
                                                  msg("2026-05-08 07:00", VICTIM, SUSPECT, "stop")]},
              orders=[ended, later])
    toml = tmp_path / "cases" / "a" / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('reference = "RO-2"\n',
                                                             'reference = "RO-2"\nend = 2026-05-07T00:00:00Z\n'),
                    encoding="utf-8")
    [a] = search(tmp_path / "cases", Query(SUSPECT, as_of=AS_OF)).to_json()["results"]  # type: ignore[misc]
    got = {o["order"]: (o["in_force_on_search_date"], o["records_in_order_period"]) for o in a["orders"]}
    assert got == {"restraining-order RO-2": (False, 1), "restraining-order RO-3": (True, 1)}
