"""The parallel Cellebrite reader gives the sequential reader's result on every fixture.

:mod:`parsers._cellebrite_parallel` is a speed path: the plain rule is
:func:`parsers.cellebrite_xml.parse_sequential`. Each fixture is read both ways, the
parallel one cutting as finely as it can (every top-level model its own piece, the stream
read in blocks of a few dozen bytes so tags straddle them) with real worker processes,
and every part of the two results must be equal. Inputs built to fool the byte scan
(model tags in CDATA and comments, models without ids, a DTD, odd nesting, damage) must
still give the sequential answer, by falling back to it.
"""

from __future__ import annotations

import multiprocessing
import random
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from test_cellebrite_xml import REPORT, f, m, multi, party, ts

from atlas.errors import FormatError
from bench.bench_cellebrite import write_report
from fixtures.scenarios import SCENARIOS, build
from fixtures.writers import cellebrite_xml as writer
from parsers import _cellebrite_parallel, cellebrite_xml
from parsers.base import ParseContext, ParseResult

NS = "http://pa.cellebrite.com/report/2.0"


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Two real worker processes, started once for the module (as the reader starts them: spawn)."""
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def ctx(path: Path) -> ParseContext:
    return ParseContext(source_id="src", path=path)


def parallel(path: Path, pool: ProcessPoolExecutor, **options: Any) -> tuple[ParseResult, dict[str, Any]]:
    stats: dict[str, Any] = {}
    settings = {"chunk_bytes": 1, "block_bytes": 61, "max_model_bytes": 1 << 30} | options
    report, raw = _cellebrite_parallel.read(path, ctx(path), n_workers=1, stats=stats, pool=pool, **settings)
    return cellebrite_xml.result(report, raw, ctx(path)), stats


def assert_same(a: ParseResult, b: ParseResult) -> None:
    for spec in fields(ParseResult):
        x, y = getattr(a, spec.name), getattr(b, spec.name)
        if isinstance(x, pl.DataFrame):
            assert x.schema == y.schema and x.equals(y), spec.name
        elif isinstance(x, dict) and any(isinstance(v, pl.DataFrame) for v in x.values()):
            assert x.keys() == y.keys(), spec.name
            for key in x:
                assert x[key].equals(y[key]), f"{spec.name}[{key}]"
        else:
            assert x == y, spec.name


def same_both_ways(path: Path, pool: ProcessPoolExecutor, **options: Any) -> dict[str, Any]:
    sequential = cellebrite_xml.parse_sequential(path, ctx(path))
    result, stats = parallel(path, pool, **options)
    assert_same(sequential, result)
    return stats


def write(tmp_path: Path, text: str, name: str = "report.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_hand_written_report_bare_and_in_a_ufdr(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    path = write(tmp_path, REPORT)
    stats = same_both_ways(path, pool)
    assert stats["fallback"] is None and stats["pieces"] == 16  # every top-level model, file and extraInfo: a worker's
    ufdr = tmp_path / "handset.ufdr"
    with zipfile.ZipFile(ufdr, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("files/a.jpg", b"\xff\xd8")
        zf.writestr("report.xml", REPORT.encode("utf-8"))
    assert same_both_ways(ufdr, pool)["pieces"] == 16
    # bigger pieces and blocks cut the same report differently, with the same result
    assert same_both_ways(path, pool, chunk_bytes=2000, block_bytes=4096)["pieces"] < 14


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenarios_handset_download(scenario: str, tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    world = build(scenario, 3, 0.2)
    [written] = writer.write(world, tmp_path, random.Random(f"{scenario}:3:cellebrite"))
    stats = same_both_ways(tmp_path / written.path, pool, chunk_bytes=4096, block_bytes=1000)
    assert stats["fallback"] is None and stats["pieces"] > 1


def test_a_chat_bigger_than_a_piece_may_be_is_read_here_in_order(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    path = tmp_path / "report.xml"
    write_report(path, 7_000_000)  # the benchmark's layout: chats of 2,000 messages, SMS, calls, locations
    stats = same_both_ways(path, pool, chunk_bytes=200_000, block_bytes=65_536, max_model_bytes=100_000)
    assert stats["fallback"] is None and stats["pieces"] > 2


def _doc(body: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<project id="p" name="x" xmlns="{NS}">\n'
            '<metadata section="Device Info"><item name="MSISDN"><![CDATA[+447700900001]]></item></metadata>\n'
            f"<decodedData>\n{body}\n</decodedData>\n</project>\n")


def _sms(mid: str, text: str, minute: int = 0) -> str:
    return m("SMS", mid, ts(f"2026-03-03T08:{minute:02d}:00.000+00:00") + f("Folder", "Inbox") + f("Body", text)
             + multi("Parties", party(f"p-{mid}", "+447700900002", "From")))


def _chat(mid: str, *bodies: str) -> str:
    me, them = "447700900001@s.whatsapp.net", "447700900002@s.whatsapp.net"
    messages = [m("InstantMessage", f"{mid}-{i}", f("Source", "WhatsApp") + ts(f"2026-03-04T12:{i:02d}:00.000+00:00")
                  + f("Body", body) + f'<modelField name="From" type="Party">{party(f"{mid}-p{i}", them, "From")}</modelField>')
                for i, body in enumerate(bodies)]
    return m("Chat", mid, f("Source", "WhatsApp") + multi("Participants", party(f"{mid}-me", me, None, owner=True),
                                                        party(f"{mid}-them", them, None)) + multi("Messages", *messages))


HOSTILE = {
    "model tags inside CDATA": _doc('<modelType type="SMS">' + _sms("s1", '</model></modelType><model type="SMS" id="x">')
                                    + _sms("s2", "<model >") + "</modelType>"
                                    + '<modelType type="Chat">' + _chat("c1", "</model>", "<model>", "ok") + "</modelType>"),
    "model tags inside comments": _doc('<modelType type="SMS"><!-- <model type="SMS"> -->' + _sms("s1", "a")
                                       + "<!-- </model></model> -->" + _sms("s2", "b") + "</modelType>"),
    "models without ids": _doc('<modelType type="SMS">'
                               + _sms("s1", "a").replace(' id="s1"', "") + _sms("s2", "b").replace(' id="s2"', "")
                               + "</modelType>"),
    "the same id twice": _doc('<modelType type="SMS">' + _sms("s1", "a") + _sms("s1", "b", 1) + "</modelType>"
                              + '<modelType type="Call">' + _sms("s1", "c", 2) + "</modelType>"),
    "a DTD with an entity": _doc('<modelType type="SMS">' + _sms("s1", "a &amp; b") + _sms("s2", "b") + "</modelType>",
                                 prolog='<!DOCTYPE project [<!ENTITY who "Bob">]>\n'),
    "models in a wrapper inside a modelType": _doc('<modelType type="SMS"><wrapper>' + _sms("s1", "a") + "</wrapper>"
                                                   + _sms("s2", "b") + "</modelType>"),
    "a modelType inside a model": _doc('<modelType type="SMS">' + _sms("s1", "a").replace(
        "</model>", '<modelType type="X">' + _sms("s9", "z") + "</modelType></model>", 1) + _sms("s2", "b") + "</modelType>"),
    "a namespace declared on decodedData": _doc('<modelType type="SMS">' + _sms("s1", "a") + "</modelType>").replace(
        "<decodedData>", '<decodedData xmlns:x="urn:x">').replace('<field name="Body"', '<field x:note="1" name="Body"'),
    "self-closing and spaced model tags": _doc('<modelType type="SMS"><model type="SMS" id="e1"/>'
                                               + _sms("s1", "a").replace("</model>", "</model  >") + "</modelType>"),
    "a fake piece marker": _doc('<modelType type="SMS">' + _sms("s1", "a")
                                + '<piece xmlns="urn:x-atlas:cellebrite-piece" n="0"/>' + _sms("s2", "b") + "</modelType>"),
    "no modelType at all": _doc(""),
    "files and extra infos, some odd": _doc(
        '<modelType type="SMS">' + _sms("s1", "a") + "</modelType>").replace(
        "<decodedData>", '<taggedFiles><file id="f1"><metadata section="File"><item name="Local Path">'
        '<![CDATA[</file></taggedFiles>]]></item></metadata></file><file id="f2"/>'
        '<file id="f3"><model type="SMS" id="inside-a-file"/></file></taggedFiles><decodedData>').replace(
        "</decodedData>", '</decodedData><extraInfos><extraInfo id="e1"><nodeInfos><nodeInfo id="n1"/></nodeInfos>'
        '</extraInfo><extraInfo id="e2"><extraInfos/></extraInfo></extraInfos>'),
    "a file inside a model": _doc('<modelType type="SMS">' + _sms("s1", "a").replace(
        "</model>", '<taggedFiles><file id="f"/></taggedFiles></model>', 1) + _sms("s2", "b") + "</modelType>"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_inputs_made_to_fool_the_byte_scan_still_give_the_sequential_result(name: str, tmp_path: Path,
                                                                            pool: ProcessPoolExecutor) -> None:
    path = write(tmp_path, HOSTILE[name])
    stats = same_both_ways(path, pool)
    if name == "models without ids":  # their references are ordinals in the whole stream: only a whole read knows
        assert "ordinal" in str(stats["fallback"])
    if name == "a DTD with an entity":
        assert stats["pieces"] == 0


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9])
def test_a_damaged_report_gives_the_sequential_error(cut: float, tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    path = write(tmp_path, REPORT[: int(len(REPORT) * cut)])
    with pytest.raises(FormatError) as sequential:
        cellebrite_xml.parse_sequential(path, ctx(path))
    with pytest.raises(FormatError) as split:
        parallel(path, pool)
    assert str(split.value) == str(sequential.value)
    assert "XML error at line" in str(split.value)
    broken = write(tmp_path, REPORT.replace("</field>", "</fieldx>", 7), "broken.xml")
    with pytest.raises(FormatError) as sequential:
        cellebrite_xml.parse_sequential(broken, ctx(broken))
    with pytest.raises(FormatError) as split:
        parallel(broken, pool)
    assert str(split.value) == str(sequential.value)


def test_parse_reads_a_large_report_in_parallel_and_a_small_one_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, REPORT)
    calls: list[int] = []
    real = _cellebrite_parallel.read

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_cellebrite_parallel, "read", spy)
    monkeypatch.setenv(_cellebrite_parallel.WORKERS_ENV, "1")
    assert_same(cellebrite_xml.parse(path, ctx(path)), cellebrite_xml.parse_sequential(path, ctx(path)))
    assert calls == []  # far below PARALLEL_MIN_BYTES
    monkeypatch.setattr(cellebrite_xml, "PARALLEL_MIN_BYTES", 1)
    assert_same(cellebrite_xml.parse(path, ctx(path)), cellebrite_xml.parse_sequential(path, ctx(path)))
    assert calls == [1]
    monkeypatch.setenv(_cellebrite_parallel.WORKERS_ENV, "0")  # e.g. inside a Dask worker: one process
    assert not _cellebrite_parallel.worth_it(path, 1)


def test_the_idle_cores_are_measured_from_the_cpu_times() -> None:
    assert 0.0 <= _cellebrite_parallel.idle_cores(0.05) <= (multiprocessing.cpu_count() or 1) + 0.01


def test_a_busy_machine_reads_sequentially_unless_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, REPORT)
    monkeypatch.delenv(_cellebrite_parallel.WORKERS_ENV, raising=False)
    monkeypatch.setattr(_cellebrite_parallel, "workers", lambda: 1)
    monkeypatch.setattr(_cellebrite_parallel.os, "sched_getaffinity", lambda _pid: {0, 1})
    idle = {"cores": 1.9}
    monkeypatch.setattr(_cellebrite_parallel, "idle_cores", lambda _seconds: idle["cores"])
    monkeypatch.setattr(_cellebrite_parallel.os, "getloadavg", lambda: (12.0, 12.0, 12.0))
    assert not _cellebrite_parallel.worth_it(path, 1)  # no idle core: cutting only adds work
    monkeypatch.setattr(_cellebrite_parallel.os, "getloadavg", lambda: (2.5, 2.5, 2.5))
    assert not _cellebrite_parallel.worth_it(path, 1)  # more runnable work than cores over the last minute
    monkeypatch.setattr(_cellebrite_parallel.os, "getloadavg", lambda: (1.4, 1.4, 1.4))
    assert _cellebrite_parallel.worth_it(path, 1)  # the ingest's own process and a little more: quiet enough
    monkeypatch.setattr(_cellebrite_parallel.os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert _cellebrite_parallel.worth_it(path, 1)
    idle["cores"] = 1.0  # quiet for the last minute, but busy now: only this process's own core is free
    assert not _cellebrite_parallel.worth_it(path, 1)
    monkeypatch.setattr(_cellebrite_parallel, "workers", lambda: 3)  # a bigger machine: as many workers as idle cores
    monkeypatch.setattr(_cellebrite_parallel.os, "sched_getaffinity", lambda _pid: set(range(8)))
    for cores, expected in ((1.7, 1), (2.4, 1), (3.2, 2), (7.5, 3)):
        idle["cores"] = cores
        assert _cellebrite_parallel.workers_for(path, 1) == expected, cores
    monkeypatch.setattr(_cellebrite_parallel, "workers", lambda: 1)
    monkeypatch.setattr(_cellebrite_parallel.os, "sched_getaffinity", lambda _pid: {0, 1})
    idle["cores"] = 1.9
    assert not _cellebrite_parallel.worth_it(path, path.stat().st_size + 1)  # too small to be worth a worker
    monkeypatch.setattr(_cellebrite_parallel.os, "getloadavg", lambda: (12.0, 12.0, 12.0))
    monkeypatch.setenv(_cellebrite_parallel.WORKERS_ENV, "1")
    assert _cellebrite_parallel.worth_it(path, 1)  # asked for: parallel whatever the load
