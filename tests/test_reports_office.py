"""statement.docx converted by LibreOffice (headless) to PDF, as an office would print it.

The conversion must succeed, the page count Word/LibreOffice compute must be the one
the declaration and the footer show ("Page 1 of N"), and the first pages are rendered
to PNG under ``test-artifacts/`` for a person to look at. Skips with the reason when
LibreOffice or poppler is not installed (``scripts/test-tools.sh`` installs them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _report_cases import Reported, artifacts_dir, office_to_pdf, rejected_ex_reported

pytestmark = pytest.mark.office


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice not installed (Debian libreoffice-writer-nogui; scripts/test-tools.sh installs it)")
    reported: Reported = rejected_ex_reported()
    work = tmp_path_factory.mktemp("office")
    run = office_to_pdf([reported.out / "statement.docx"], work, timeout=240)
    out = work / "statement.pdf"
    assert run.returncode == 0 and out.exists(), f"LibreOffice failed: {run.stdout}\n{run.stderr}"
    shutil.copyfile(out, artifacts_dir() / "statement-rejected-ex.pdf")
    return out


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian poppler-utils)")
    return path


def test_docx_converts_to_pdf_with_libreoffice(pdf: Path) -> None:
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_page_count_fields_match_the_printed_pages(pdf: Path) -> None:
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert pages >= 3
    first = subprocess.run([_tool("pdftotext"), "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    last = subprocess.run([_tool("pdftotext"), "-f", str(pages), "-l", str(pages), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert f"Page 1 of {pages}" in first
    assert f"Page {pages} of {pages}" in last
    assert re.search(rf"consisting\s+of\s+{pages}\s+page\(s\)", first)
    assert "DRAFT" in first and "WITNESS STATEMENT" in first


def test_first_pages_are_rendered_for_review(pdf: Path) -> None:
    prefix = artifacts_dir() / "statement-page"
    subprocess.run([_tool("pdftoppm"), "-r", "70", "-png", "-f", "1", "-l", "3", str(pdf), str(prefix)],
                   check=True, capture_output=True, timeout=120)
    pngs = sorted(artifacts_dir().glob("statement-page*.png"))
    assert len(pngs) >= 3 and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
