"""The catalogue of wrong DCCs and the switchboard that makes the sandbox one: every deviation is documented
and implemented, replaces only declared rules, is on only while its sandbox runs, and `serve --deviate`
says so. The kill matrix's judgement: an unexplained survivor fails it, a wrong "equivalent" mark too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue import CLAUSES
from catalogue.deviations import DEVIATIONS, DISTINCTIONS
from fake_services.core import rules
from fake_services.deviations import WRONG
from fake_services.registration import checks as registration
from fake_services.sandbox import Sandbox
from reporting.strength import EMBEDDED, Attempt, Catch, Result, findings

ROOT = Path(__file__).resolve().parents[1]


def test_every_deviation_is_documented_and_implemented_and_nothing_else_is():
    assert set(WRONG) == set(DEVIATIONS)
    for deviation in DEVIATIONS.values():
        assert deviation.breaks in CLAUSES, deviation.name
        assert deviation.distinction in DISTINCTIONS, deviation.name
        assert deviation.misreads and deviation.does, deviation.name
        assert deviation.name == deviation.name.lower() and " " not in deviation.name


def test_a_deviation_replaces_only_rules_the_sandbox_declares():
    for name, replacements in WRONG.items():
        assert replacements, name
        assert set(replacements) <= set(rules.RULES), name


def test_a_sandbox_deviates_only_while_it_runs():
    exception = registration.srpd_6_2_d_smets1_krp_from_network_operator
    with Sandbox(deviation="no-6-2-d"):
        assert rules.active() == "no-6-2-d"
        with pytest.raises(rules.DeviationError, match="already on"):
            rules.activate("owner-check-skipped", WRONG["owner-check-skipped"])
    assert rules.active() is None
    assert exception is registration.srpd_6_2_d_smets1_krp_from_network_operator  # the rule itself never changes


def test_an_unknown_deviation_is_refused_naming_those_there_are():
    with pytest.raises(rules.DeviationError, match="no deviation named 'nope'.*no-6-2-d"):
        Sandbox(deviation="nope")
    done = subprocess.run(
        [sys.executable, "-m", "fake_services", "serve", "--deviate", "nope"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "invalid choice: 'nope'" in done.stderr and "Traceback" not in done.stderr


def test_serve_deviate_says_it_is_a_wrong_dcc():
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_services", "serve", "--deviate", "owner-check-skipped"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("DSP http://127.0.0.1:")
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("deviating (owner-check-skipped), a wrong DCC: "), line
    finally:
        process.terminate()
        process.wait(10)


def _result(name: str, caught: bool) -> Result:
    result = Result(name, DEVIATIONS[name].breaks)
    result.attempts[EMBEDDED] = Attempt(EMBEDDED, [Catch("a scenario", "features/x.feature:3")] if caught else [])
    return result


def test_an_unexplained_survivor_fails_the_kill_matrix_and_a_caught_one_does_not():
    name = next(iter(DEVIATIONS))
    assert findings([_result(name, caught=True)]) == []
    assert findings([_result(name, caught=False)]) == [
        f"{name} ({DEVIATIONS[name].clause.display}) survived: no scenario catches it"
    ]


def test_a_failed_scenario_last_in_its_rule_is_a_catch(tmp_path):
    """behave 1.3's JSON report gives the last scenario of a Rule no status (its failure lands on the next
    Rule's Background): its failed step still makes it a catch, and a scenario whose steps all passed does not."""
    from reporting.strength import _failures

    def scenario(line: int, status: str | None, steps: list[str]) -> dict:
        return {
            "type": "scenario", "status": status, "location": f"features/x.feature:{line}", "name": f"s{line}",
            "steps": [{"result": {"status": s}} for s in steps],
        }  # fmt: skip

    report = tmp_path / "behave.json"
    elements = [
        scenario(3, "passed", ["passed"]),
        scenario(9, None, ["passed", "failed", "skipped"]),
        {"type": "background", "status": "failed", "location": "features/x.feature:12", "steps": []},
        scenario(14, None, ["passed"]),
    ]
    report.write_text(json.dumps([{"elements": elements}]))
    assert _failures(report, {"features/x.feature:9": "the last of its Rule"}) == [
        Catch("the last of its Rule", "features/x.feature:9")
    ]
