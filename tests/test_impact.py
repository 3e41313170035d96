"""The impact matrix (`reporting.impact`): two runs' scenarios paired by situation, what changed
listed first, what one run could not exercise said with why, and a gate over both runs together."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest

from catalogue import CLAUSES
from reporting import impact

METER = "Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power"
HOLDS = "And the meter holds Eastern Networks' Network Operator certificates"
CORRECTION = "When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's"
READ = "When Western Power reads the meter's import registers"


def write_result(
    folder: Path,
    name: str,
    clause: str,
    steps: list[str],
    status: str = "passed",
    outcome: dict[str, str] | None = None,
    reason: str = "",
) -> None:
    results = folder / "allure-results"
    results.mkdir(parents=True, exist_ok=True)
    step_results = [{"name": step, "status": status} for step in steps]
    if outcome is not None:
        source = f"{uuid.uuid4()}-attachment.json"
        (results / source).write_text(json.dumps(outcome))
        step_results[-1]["attachments"] = [{"name": "Outcome", "source": source, "type": "application/json"}]
    result = {
        "name": name,
        "status": status,
        "labels": [
            {"name": "location", "value": f"features/x.feature:{abs(hash(name)) % 1000}"},
            {"name": "clause", "value": f"{CLAUSES[clause].display} — {CLAUSES[clause].title}"},
        ],
        "steps": step_results,
    }
    if reason:
        result["statusDetails"] = {"message": reason}
    (results / f"{uuid.uuid4()}-result.json").write_text(json.dumps(result))


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    before, after = tmp_path / "as-is", tmp_path / "to-be"
    refused = {
        "answer": "refused by the DCC (E4): not registered [SRPD 6.1(f)]",
        "meter holds (Network Operator)": "Eastern Networks",
    }
    corrected = {"answer": "succeeded", "meter holds (Network Operator)": "Western Power"}
    write_result(
        before,
        "The owner is refused today",
        "SRPD-6.1.f",
        [METER, HOLDS, "Given MP107 is not enabled", CORRECTION, "Then x"],
        outcome=refused,
    )
    write_result(
        after,
        "The owner corrects it",
        "SRPD-6.2.d",
        ["Given MP107 is enabled", METER, HOLDS, CORRECTION, "Then y"],
        outcome=corrected,
    )
    write_result(
        after,
        "The owner is refused today",
        "SRPD-6.1.f",
        [METER, HOLDS, "Given MP107 is not enabled", CORRECTION],
        status="skipped",
        reason="not in this environment: the switch is on",
    )
    for folder, state in ((before, "not enabled"), (after, "enabled")):
        write_result(
            folder,
            f"Western Power reads, MP107 {state}",
            "PIA-2.3.2.A",
            [f"Given MP107 is {state}", METER, HOLDS, READ, "Then z"],
            outcome={"answer": "succeeded"},
        )
    write_result(
        after,
        "Only with MP107",
        "PIA-3.B",
        ["Given MP107 is enabled", METER, "When Northern Grid asks"],
        outcome={"answer": "refused by the S1SP"},
    )
    write_result(
        before,
        "Only with MP107",
        "PIA-3.B",
        ["Given MP107 is enabled", METER, "When Northern Grid asks"],
        status="skipped",
        reason="not in this environment: the switch is off",
    )
    return before, after


# fmt: skip


def test_the_situation_leaves_out_mp107_and_the_cast_and_keeps_given_and_when():
    steps = [
        "Given these organisations take part:",
        "Given MP107 is enabled",
        METER,
        HOLDS,
        CORRECTION,
        "Then it works",
        "And more",
    ]
    assert impact.situation_of(steps) == (METER, HOLDS.replace("And", "Given", 1), CORRECTION)  # fmt: skip


def test_rows_that_change_come_first_then_the_unchanged_then_one_run_only(runs: tuple[Path, Path], tmp_path: Path):
    before, after = (impact.load_run(folder) for folder in runs)
    rows = impact.pair(before, after)
    assert [row.verdict for row in rows] == [impact.CHANGED, impact.UNCHANGED, impact.ONE_SIDED]
    changed = rows[0]
    assert changed.clauses == ["SRPD 6.1(f)", "SRPD 6.2(d)"]
    assert "refused by the DCC" in impact.outcome_words(changed.before)
    assert impact.outcome_words(changed.after) == "answer: succeeded; meter holds (Network Operator): Western Power"
    assert impact.outcome_words(rows[2].before) == "not run: the switch is off"


def test_the_matrix_is_written_and_its_gate_judges_both_runs_together(runs: tuple[Path, Path], tmp_path: Path):
    out = tmp_path / "reports"
    (out / "allure-report").mkdir(parents=True)
    (out / "allure-report" / "index.html").write_text("<html><body><div id=app></div></body></html>")
    assert impact.main([str(runs[0]), str(runs[1]), "--out", str(out)]) == 1  # few clauses covered here
    markdown = (out / "impact.md").read_text()
    assert "**1 changed**, 1 unchanged, 1 exercised by one run only" in markdown
    assert "catalogued clause(s) with no passing scenario in either run" in markdown
    rows = list(csv.DictReader((out / "impact.csv").open()))
    assert [row["verdict"] for row in rows] == ["changed", "unchanged", "one run only"]
    page = (out / "allure-report" / "index.html").read_text()
    # on the report's own bar, in the page's flow (never fixed over Allure's toolbar), linking ../impact.html
    assert page.count('id="mp107-impact"') == 1 and 'href="../impact.html"' in page and "position:fixed" not in page
    assert page.index('id="mp107-bar"') < page.index("id=app")
    impact.main([str(runs[0]), str(runs[1]), "--out", str(out)])
    assert (out / "allure-report" / "index.html").read_text().count('id="mp107-impact"') == 1
    assert "<h1>What MP107 changes</h1>" in (out / "impact.html").read_text()


def test_a_failed_scenario_in_either_run_fails_the_gate(runs: tuple[Path, Path], tmp_path: Path):
    write_result(runs[1], "Broken", "SRPD-6.2.d", [METER, CORRECTION], status="failed", outcome={"answer": "succeeded"})
    before, after = (impact.load_run(folder) for folder in runs)
    assert [run.name for run in impact.failed(after)] == ["Broken"]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert impact.main([str(tmp_path), str(tmp_path)]) == 2
    assert "no allure-results folder" in capsys.readouterr().err
