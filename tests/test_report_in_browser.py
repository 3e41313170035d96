"""The report as its readers see it: the generated single-file HTML opened in headless Chromium (Debian's
``chromium``, which ``.ci/run`` installs), after the page's own scripts ran. The clause groups show their
titles in the SEC's order; a scenario's page shows its UIT test case, its trust anchors as one table with
the changed cells marked, and its DUIS exchange as a sequence with the decisions; the sign-off sheet
prints on one A4 page.

Without Chromium (or Allure) these tests skip, except under CI (env ``CI`` set), where they fail."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from catalogue import CLAUSES
from reporting import allure_report, run
from reporting.browser import dump_dom, find_chromium, pdf_pages, print_pdf, result_id, screenshot, url_of
from tests.reporting_project import write_project

IN_RULE = "The wrongly held Network Operator replaces the certificate"


def _require(available: bool, what: str) -> None:
    if not available:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing under CI: .ci/run installs it")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The throwaway project's evidence, after a full run (report, matrix, sign-off sheet, pack)."""
    _require(find_chromium() is not None, "Chromium (Debian: apt-get install chromium)")
    _require(allure_report.ALLURE_BIN.exists(), "Allure 3 (npm ci)")
    root = write_project(tmp_path_factory.mktemp("browser"))
    (root / "uit-test-cases.toml").write_text(f'[scenarios]\n"{IN_RULE}" = "UIT-107-001"\n')
    assert run.main(["--root", str(root)]) == 1  # the project fails one scenario on purpose
    return root / "reports"


def test_the_clause_groups_render_with_their_titles_in_the_order_the_sec_reads(reports: Path):
    index = reports / "allure-report" / "index.html"
    page = html.unescape(dump_dom(url_of(index)))
    headings = [CLAUSES[tag].heading for tag in ("SRPD-6.1.f", "SRPD-6.2.d", "S1SR-4.2", "PIA-3.B")]
    positions = [page.find(heading) for heading in headings]
    assert all(position >= 0 for position in positions), dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions)
    assert " -- @" not in page


def test_a_scenario_page_shows_its_test_case_anchor_table_and_exchange_sequence(reports: Path, tmp_path: Path):
    index = reports / "allure-report" / "index.html"
    url = url_of(index, "/" + result_id(index, IN_RULE))
    frame = re.search(r'data-testid="test-result-description-frame"[^>]*?srcdoc="([^"]*)"', dump_dom(url))
    assert frame is not None, "the scenario's summary was not rendered"
    summary = html.unescape(frame.group(1))
    assert "<b>UIT test case:</b> UIT-107-001" in summary
    assert "mp107-anchor-table" in summary and "2 of 6 cells changed (marked ▲)" in summary
    assert "▲ Western Power" in summary
    assert "mp107-sequence" in summary
    for leg in (
        "CV 4 request (Transform)",
        "CV 5 request (Signed Pre-Command)",
        "Acknowledgement (I99)",
        "Response (I0)",
    ):
        assert leg in summary
    assert "S1SP1" in summary and "S1SR 4.2</a> — Certificate-owner check" in summary
    shot = screenshot(url, tmp_path / "scenario.png", height=2400)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


def test_the_sign_off_sheet_prints_on_one_a4_page(reports: Path, tmp_path: Path):
    printed = print_pdf(url_of(reports / "sign-off.html"), tmp_path / "sign-off.pdf")
    assert pdf_pages(printed) == 1
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", printed.read_bytes())
    assert box is not None and (round(float(box.group(1))), round(float(box.group(2)))) == (595, 842)
