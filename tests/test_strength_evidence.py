"""The kill matrix in the evidence: a run of the commit a strength run measured shows the suite's strength on
the sign-off sheet, in the traceability matrix (per clause too), on the report's bar and in the pack; a kill
matrix of another commit is shown nowhere."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from reporting import run
from reporting.allure_report import PROJECT_ROOT
from reporting.identity import git_output
from reporting.kill_matrix import EMBEDDED, STRENGTH_FILE
from reporting.pack import PACK_NAME
from tests.test_verdict import CATALOGUE, _project

SUMMARY = "This suite catches 1 of 2 wrong implementations of MP107"


def _kill_matrix(reports: Path, commit: str) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    caught = {"target": EMBEDDED, "caught_by": [{"scenario": "x", "location": "features/x.feature:3"}],
              "stage": "its clause's scenarios", "seconds": 1.0, "problem": ""}  # fmt: skip
    rows = [
        {"name": name, "breaks": "SRPD-6.2.d", "attempts": {EMBEDDED: {**caught, "caught_by": by}}}
        for name, by in (("one", caught["caught_by"]), ("two", []))
    ]
    data = {"commit": commit, "measured": "2026-12-03T10:00:00Z", "summary": SUMMARY, "deviations": rows}
    (reports / STRENGTH_FILE).write_text(json.dumps(data))


@pytest.fixture(autouse=True)
def small_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "CLAUSES", CATALOGUE)


def test_the_strength_of_this_commit_is_on_every_surface(tmp_path: Path):
    root = _project(tmp_path, {})
    _kill_matrix(root / "reports", git_output(PROJECT_ROOT, "rev-parse", "HEAD") or "unknown")
    assert run.main(["--root", str(root), "--no-html"]) == 0
    reports = root / "reports"
    assert f"Strength of the suite: {SUMMARY}" in (reports / "sign-off.html").read_text()
    matrix = (reports / "traceability.md").read_text()
    assert SUMMARY in matrix and "- SRPD 6.2(d): 1 of 2 wrong implementations caught" in matrix
    assert "1 of 2" in (reports / "traceability.csv").read_text()
    with tarfile.open(reports / PACK_NAME) as archive:
        assert STRENGTH_FILE in archive.getnames()


def test_a_kill_matrix_of_another_commit_is_shown_nowhere(tmp_path: Path):
    root = _project(tmp_path, {})
    _kill_matrix(root / "reports", "0" * 40)
    assert run.main(["--root", str(root), "--no-html"]) == 0
    reports = root / "reports"
    assert "not measured for this commit" in (reports / "sign-off.html").read_text()
    assert SUMMARY not in (reports / "traceability.md").read_text()
    with tarfile.open(reports / PACK_NAME) as archive:
        assert STRENGTH_FILE not in archive.getnames()
