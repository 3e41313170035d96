"""The kill matrix reads behave's JSON report right: a scenario that failed is a catch, wherever it stands in
its feature (behave 1.3 leaves the status of a Rule's last scenario empty; its steps still say it failed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reporting.strength import _failures

ROOT = Path(__file__).resolve().parents[1]

FEATURE = """Feature: Rules and their last scenarios
  Rule: the first rule
    Scenario: passes
      Given a step that passes
    Scenario: fails last in its rule
      Given a step that fails

  Rule: the second rule
    Background:
      Given a step that passes
    Scenario: fails first in its rule
      Given a step that fails
    Scenario: passes last in its rule
      Given a step that passes
"""

STEPS = """from behave import given


@given("a step that passes")
def passes(context):
    pass


@given("a step that fails")
def fails(context):
    raise AssertionError("it fails")
"""


def test_every_failed_scenario_is_a_catch_even_the_last_of_a_rule(tmp_path):
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "steps.py").write_text(STEPS)
    (tmp_path / "rules.feature").write_text(FEATURE)
    report = tmp_path / "behave.json"
    subprocess.run(
        [sys.executable, "-m", "behave", "--no-summary", "-f", "json", "-o", str(report), str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    caught = _failures(report, {})
    assert sorted(catch.scenario for catch in caught) == ["fails first in its rule", "fails last in its rule"]
