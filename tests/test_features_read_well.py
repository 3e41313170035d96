"""The features as a business analyst reads them alone: one behaviour per scenario (one When), values (not
sentences) in Examples cells, and every party a Then names stated by the scenario's own Givens or When,
not only by the cast list of the Background."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from behave.parser import parse_file
from behave.step_registry import registry

ROOT = Path(__file__).resolve().parents[1]
FEATURES = sorted((ROOT / "features").glob("*.feature"))
CAST = "these organisations take part"
DCC_OWN = {"Access Control Broker"}
"""The DCC's own party: its certificate is the default the SEC names (TMAD), not one a scenario chooses."""


def _scenarios():
    for path in FEATURES:
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            yield path.name, feature, scenario


def _cast(feature) -> set[str]:
    names: set[str] = set()
    for step in feature.background.steps if feature.background else []:
        if CAST in step.name and step.table:
            names |= {row["organisation"] for row in step.table}
    for rule in feature.rules:
        for step in rule.background.steps if rule.background else []:
            if CAST in step.name and step.table:
                names |= {row["organisation"] for row in step.table}
    return names


@pytest.fixture(scope="module")
def step_patterns():
    for module in sorted((ROOT / "steps").glob("*.py")):
        importlib.import_module(f"steps.{module.stem}")
    patterns = [matcher for kind in ("given", "when", "then") for matcher in registry.steps[kind]]
    assert len(patterns) > 40 and any(m.match("MP107 is enabled") for m in patterns)  # the check can see steps
    return patterns


def test_no_scenario_has_more_than_one_when():
    crowded = [
        f"{name}:{scenario.line} {scenario.name}"
        for name, _, scenario in _scenarios()
        if sum(step.keyword == "When" for step in scenario.steps) > 1
    ]
    assert crowded == []


def test_no_then_hides_a_when():
    hidden = [
        f"{name}:{step.line} {step.name}"
        for name, _, scenario in _scenarios()
        for step in scenario.steps
        if step.step_type == "then" and re.match(r"when\b", step.name)
    ]
    assert hidden == []


def test_examples_cells_hold_values_not_step_sentences(step_patterns):
    sentences = []
    for path in FEATURES:
        feature = parse_file(str(path))
        for outline in (s for s in feature.walk_scenarios(with_outlines=True) if hasattr(s, "examples")):
            for examples in outline.examples:
                for row in examples.table:
                    for cell in row.cells:
                        if any(matcher.match(cell) for matcher in step_patterns):
                            sentences.append(f"{path.name}:{row.line} {cell!r}")
    assert sentences == []


def test_every_party_a_then_names_is_stated_by_the_scenario():
    unstated = []
    for name, feature, scenario in _scenarios():
        cast = _cast(feature)
        stated = " ".join(step.name for step in scenario.all_steps if step.step_type in ("given", "when"))
        for step in scenario.steps:
            if step.step_type != "then":
                continue
            for party in cast - DCC_OWN:
                if party in step.name and party not in stated:
                    unstated.append(f"{name}:{step.line} '{step.name}' names {party}, which no Given or When states")
    assert unstated == []
