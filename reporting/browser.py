"""Headless Chromium (Debian's ``chromium``), to read the report as its readers see it: the DOM after the
page's own scripts ran, a screenshot, the printed PDF. No browser is downloaded; each call starts a fresh
profile with the network features that would phone home switched off.

    python -m reporting.browser [REPORT_DIR]     # screenshots of the clause tree and one scenario
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from catalogue import CLAUSES

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
_REPORT_FILE = re.compile(r'd\("([^"]+)","([^"]*)"\)')


class BrowserError(RuntimeError):
    """Chromium is missing or did not do what was asked."""


def find_chromium() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def _run(arguments: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    executable = find_chromium()
    if executable is None:
        raise BrowserError("no Chromium on this machine (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="mp107-chromium-") as profile:
        command = [executable, *FLAGS, f"--user-data-dir={profile}", *arguments]
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise BrowserError(f"chromium failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    return done


def url_of(page: Path, fragment: str = "") -> str:
    return page.resolve().as_uri() + (f"#{fragment}" if fragment else "")


def dump_dom(url: str, budget_ms: int = 10000) -> str:
    """The page's DOM once its scripts have run (an iframe's ``srcdoc`` is part of it)."""
    return _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", url]).stdout.decode("utf-8", errors="replace")


def screenshot(url: str, out: Path, width: int = 1400, height: int = 1800, budget_ms: int = 10000) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--virtual-time-budget={budget_ms}", f"--window-size={width},{height}", f"--screenshot={out}", url])
    if not out.is_file():
        raise BrowserError(f"chromium wrote no screenshot to {out}")
    return out


def print_pdf(url: str, out: Path) -> Path:
    """The page as the browser prints it (A4 when the page says so), without header or footer."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _run(["--no-pdf-header-footer", f"--print-to-pdf={out}", url])
    if not out.is_file():
        raise BrowserError(f"chromium wrote no PDF to {out}")
    return out


def pdf_pages(pdf: Path) -> int:
    """How many pages a PDF has (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def report_results(index: Path) -> list[dict]:
    """The test results a single-file Allure report carries."""
    files = dict(_REPORT_FILE.findall(index.read_text(encoding="utf-8")))
    prefix = "data/test-results/"
    return [json.loads(base64.b64decode(value)) for name, value in files.items() if name.startswith(prefix)]


def result_id(index: Path, name: str) -> str:
    """The report's id of the result named `name` (its page is ``index.html#/<id>``)."""
    for result in report_results(index):
        if result["name"] == name:
            return result["id"]
    raise BrowserError(f"no result named {name!r} in {index}")


def evidence_scenario(index: Path) -> str:
    """A scenario worth showing: one whose summary has both an anchor table and an exchange sequence, where
    a trust anchor changed when there is one; the first in the catalogue's order, then by location."""
    candidates = [
        result
        for result in report_results(index)
        if "mp107-anchor-table" in (result.get("descriptionHtml") or "")
        and "mp107-sequence" in (result.get("descriptionHtml") or "")
    ]
    if not candidates:
        raise BrowserError(f"no scenario in {index} shows trust anchors and an exchange")

    headings = [clause.heading for clause in CLAUSES.values()]

    def order(result: dict) -> tuple[int, str]:
        labels = {label["name"]: label["value"] for label in result.get("labels", [])}
        clause = labels.get("clause", "")
        return (headings.index(clause) if clause in headings else len(headings), labels.get("location", ""))

    changed = [result for result in candidates if "(marked ▲)" in result["descriptionHtml"]]
    return min(changed or candidates, key=order)["name"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.browser", description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="?", type=Path, default=Path("reports"), help="the reports folder")
    args = parser.parse_args(argv)
    index = args.reports / "allure-report" / "index.html"
    out = args.reports / "screenshots"
    try:
        tree = screenshot(url_of(index), out / "clause-tree.png", height=1500)
        name = evidence_scenario(index)
        evidence = screenshot(url_of(index, "/" + result_id(index, name)), out / "scenario-evidence.png", height=2600)
        sheet = args.reports / "sign-off.html"
        printed = print_pdf(url_of(sheet), out / "sign-off.pdf") if sheet.is_file() else None
    except BrowserError as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    print(f"Screenshots: {tree} and {evidence} ({name})")
    if printed is not None:
        print(f"Sign-off printed: {printed} ({pdf_pages(printed)} page(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
