"""The MG11 of every generated scenario: it converts with LibreOffice to PDF, has the MG11's
sections, a chronology row per relied-on contact with its exhibit record and full text, and no
advice, candidate or internal id (the rejected-ex case, the demo's scenario, is checked in
``test_reports_statement`` and ``test_reports_office``).

Tiny scales: the chronology and the counts do not depend on the background volume.
"""

from __future__ import annotations

import csv
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _report_cases import artifacts_dir, office_to_pdf
from docx import Document
from test_reports_statement import ADVICE, HEX_ID, MG11_SECTIONS

pytestmark = pytest.mark.office

SCENARIOS = ("time-limit", "third-parties", "covert", "clean")
SCALE = 0.02


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from datetime import date

    from atlas.demo import ingest_generated
    from atlas.store import Case
    from reports.build import build_reports
    from tests._generated import generate_copy as generate

    out: dict[str, Path] = {}
    root = tmp_path_factory.mktemp("scenarios")
    for name in SCENARIOS:
        generate(name, 1, SCALE, root / name)
        ingest_generated(root / name)
        build_reports(Case.open(root / name), root / name / "out", as_of=date(2026, 11, 22))
        out[name] = root / name / "out"
    return out


OTHER_PDFS = {"annex": ("time-limit", "technical-annex.docx"), "note": ("covert", "reviewer-note.docx")}
"""Documents besides the statements converted in the same LibreOffice run (key → scenario, file)."""


@pytest.fixture(scope="module")
def pdfs(reported: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each scenario's statement.docx, and :data:`OTHER_PDFS`, as LibreOffice converts them to PDF: one start for all."""
    work = tmp_path_factory.mktemp("scenario-pdfs")
    docs: dict[str, Path] = {}
    for name, out in reported.items():
        docs[name] = work / f"statement-{name}.docx"
        shutil.copyfile(out / "statement.docx", docs[name])
    for key, (name, doc) in OTHER_PDFS.items():
        docs[key] = work / f"{key}-{name}-{doc}"
        shutil.copyfile(reported[name] / doc, docs[key])
    run = office_to_pdf(list(docs.values()), work)
    assert run.returncode == 0, run.stderr
    found = {key: doc.with_suffix(".pdf") for key, doc in docs.items()}
    for key, pdf in found.items():
        assert pdf.exists(), f"{key}: {run.stdout}\n{run.stderr}"
        if key in reported:
            shutil.copyfile(pdf, artifacts_dir() / pdf.name)
    return found


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_mg11_of_each_scenario_converts_to_pdf_with_its_page_count(pdfs: dict[str, Path], name: str) -> None:
    pdfinfo, pdftotext = shutil.which("pdfinfo"), shutil.which("pdftotext")
    if pdfinfo is None or pdftotext is None:
        pytest.skip("poppler-utils not installed")
    info = subprocess.run([pdfinfo, str(pdfs[name])], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    first = subprocess.run([pdftotext, "-f", "1", "-l", "1", "-layout", str(pdfs[name]), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "WITNESS STATEMENT" in first and f"Page 1 of {pages}" in first
    assert re.search(rf"consisting\s+of\s+{pages}\s+page\(s\)", first)


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_mg11_has_its_sections_a_full_chronology_and_no_advice(reported: dict[str, Path],
                                                                            name: str) -> None:
    doc = Document(str(reported[name] / "statement.docx"))
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    expected = [h for h in MG11_SECTIONS if h != "Places and orders" or h in headings]
    assert headings == expected
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for phrase in ADVICE:
        assert phrase.lower() not in text.lower(), (name, phrase)
    assert not HEX_ID.findall(text)
    chron = next(t for t in doc.tables if t.rows[0].cells[0].text == "Date and time")
    with (reported[name] / "chronology.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (reported[name] / "contacts.csv").open(encoding="utf-8") as fh:
        assert len(rows) == sum(1 for _ in csv.DictReader(fh))
    assert len(chron.rows) - 1 == len(rows)
    for row, want in zip(list(chron.rows)[1:], rows, strict=True):
        cells = [c.text for c in row.cells]
        assert cells[0] == want["uk_time"] and cells[3] == want["content"]
        assert re.match(r"JA/\d+, \S", cells[4]) and cells[4].startswith(want["exhibit"])


def _split(cell: str) -> list[str]:
    return next(csv.reader([cell], delimiter=";", skipinitialspace=True)) if cell else []


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_mg11_day_count_accounts_for_every_contact_it_leaves_out_or_adds(reported: dict[str, Path],
                                                                              name: str) -> None:
    """The days paragraph agrees with the contacts above it: contacts from the suspect it leaves out
    (two-way weeks, the clean scenario: '0 such days' after '... contacts on N days' read as a
    contradiction) are counted and said, and calls to a police number it includes (third-parties: a
    day resting on a 101 call, in no contact table) are named with their dates."""
    doc = Document(str(reported[name] / "statement.docx"))
    para = next(p.text for p in doc.paragraphs if "Taking each UK calendar day" in p.text)
    with (reported[name] / "contacts.csv").open(encoding="utf-8") as fh:
        contacts = list(csv.DictReader(fh))
    with (reported[name] / "incidents.csv").open(encoding="utf-8") as fh:
        incidents = list(csv.DictReader(fh))
    counted = {c for i in incidents for c in _split(i["contact_ids"])}
    listed = {c["contact_id"] for c in contacts}
    left_out = [c for c in contacts if c["way"] == "from-suspect" and c["contact_id"] not in counted]
    added = [(i["uk_date"], c) for i in incidents for c in _split(i["contact_ids"]) if c not in listed]
    if left_out:
        assert f"leaving out the {len(left_out):,} contacts described next" in para, para
        assert f"The {len(left_out):,} contacts from " in para and "two-way" not in para
    else:
        assert "leaving out" not in para
    if added:
        assert f"These days include {len(added)} call" in para and "the police number 101" in para, para
        for day, _ in added:
            assert day in para
        # s17 (third-parties 63031): the definition said 'a contact from him or a recorded presence', then that a day
        # rested on a call to 101 alone, which is neither: the definition names the calls it counts
        definition = para.split(", there are ", 1)[0]
        assert "a call from him to the police number 101 or a recorded presence" in definition, para
    else:
        assert "police number" not in para
    if incidents:
        assert f"there are {len(incidents)} such day" in para
    else:
        assert "there are no such days." in para and "listed in exhibit" not in para
    if name in ("third-parties", "clean"):  # the cases that have each
        assert added if name == "third-parties" else left_out


def test_the_mg11_longest_quiet_period_has_no_day_of_the_count_in_it(reported: dict[str, Path]) -> None:
    """time-limit: the longest period 'with no such contact or presence' was given from the last day
    before it to the first day after it, both days with contact, and its length was the days from one
    to the other (one more than the quiet days). Its first and last days, and its length, must hold
    against the days exhibited."""
    from datetime import date, timedelta

    doc = Document(str(reported["time-limit"] / "statement.docx"))
    para = next(p.text for p in doc.paragraphs if "The longest period with no such contact" in p.text)
    m = re.search(r"from (\d\d)/(\d\d)/(\d{4}) to (\d\d)/(\d\d)/(\d{4}) \((\d+) days\)", para)
    assert m, para
    first = date(int(m[3]), int(m[2]), int(m[1]))
    last = date(int(m[6]), int(m[5]), int(m[4]))
    with (reported["time-limit"] / "incidents.csv").open(encoding="utf-8") as fh:
        days = sorted(date.fromisoformat(r["date"]) for r in csv.DictReader(fh))
    assert first - timedelta(days=1) in days and last + timedelta(days=1) in days
    assert not [d for d in days if first <= d <= last]
    assert int(m[7]) == (last - first).days + 1
    longest = max(b - a for a, b in itertools.pairwise(days)).days - 1
    assert int(m[7]) == longest


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_annex_accounts_for_the_time_of_every_event(reported: dict[str, Path], name: str) -> None:
    """Each exhibit's 'How times were read' adds up to its events: a handset report's records with no
    time (accounts, contacts) were left out ('1832 given by the source with a UTC offset' beside 1844
    events, rejected-ex seed 6203)."""
    doc = Document(str(reported[name] / "technical-annex.docx"))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Exhibit")
    head = [c.text for c in table.rows[0].cells]
    events, how = head.index("Events"), head.index("How times were read")
    checked = 0
    for row in list(table.rows)[1:]:
        cells = [c.text for c in row.cells]
        if cells[how].startswith("none"):
            continue
        said = sum(int(n.replace(",", "")) for n in re.findall(r"(?:^|; |\. )([\d,]+) ", cells[how]))
        assert said == int(cells[events]), (cells[0], cells[how], cells[events])
        checked += 1
    assert checked


def _pdf_text(pdf: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("poppler-utils not installed")
    return subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _heading(text: str, first: str, second: str) -> str:
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(first) and second in line)
    return " ".join(lines[at:at + 2])


def test_the_annex_exhibit_table_headings_are_not_broken_in_pdf(pdfs: dict[str, Path]) -> None:
    """The per-exhibit table's columns were too narrow for their headings in the PDF ('Exhi|bit',
    'Rea|d', 'Eve|nts', 'Set asid|e', 'Clock correctio|n')."""
    text = _pdf_text(pdfs["annex"])  # time-limit's technical-annex.docx
    heading = _heading(text, "Exhi", "Parser")
    for word in ("Exhibit", "Read", "Events", "aside", "Measured", "clock", "difference"):
        assert re.search(rf"\b{word}\b", heading), (word, heading)


def test_the_reviewer_note_possible_items_headings_are_not_broken_in_pdf(pdfs: dict[str, Path]) -> None:
    """The possible co-locations table (covert) printed 'Close|st' (and the possible breaches table 'Clos|est')."""
    text = _pdf_text(pdfs["note"])  # covert's reviewer-note.docx
    heading = _heading(text, "From", "Place")
    assert re.search(r"\bClosest\b", heading), heading


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_sentence_of_the_statement_or_note_has_an_empty_date(reported: dict[str, Path], name: str) -> None:
    """The clean case's note read '0 incidents (occasions: ...) from  to . Rule: ...'."""
    for doc_name in ("statement.docx", "reviewer-note.docx"):
        doc = Document(str(reported[name] / doc_name))
        text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
        empty = r"\b(from\s+to|between\s+and|to\s+\.|on\s+\.)(\s|$)"
        assert not re.search(empty, text), (doc_name, re.search(r".{60}" + empty, text))


@pytest.mark.parametrize("name", ("third-parties", "time-limit"))
def test_incidents_csv_names_each_target_beside_its_key(reported: dict[str, Path], name: str) -> None:
    """incidents.csv's targets are the analysis's keys ("victim", "authority:tel-short:101"), which no other
    output shows a person: target_names beside them names each as the other outputs do (the party's name in
    case.toml, a police number as "police non-emergency 101"), in the same order; the annex says which is which."""
    from atlas.store import Case

    case_dir = reported[name].parent
    names = {p.id: p.name for p in Case.open(case_dir).manifest.parties}
    with (reported[name] / "incidents.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    assert rows and header.index("target_names") + 1 == header.index("targets"), header
    police = 0
    for r in rows:
        keys, shown = _split(r["targets"]), _split(r["target_names"])
        assert len(keys) == len(shown), r
        for key, said in zip(keys, shown, strict=True):
            if key == "authority:tel-short:101":
                police += 1
                assert said == "police non-emergency 101"
            else:
                assert said == names[key] and said != key, (key, said)
    assert (police > 0) == (name == "third-parties")
    annex = Document(str(reported[name] / "technical-annex.docx"))
    assert any("target_names column beside it" in p.text for p in annex.paragraphs)
