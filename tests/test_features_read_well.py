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


def test_no_scenario_states_the_same_step_twice():
    repeated = [
        f"{name}:{step.line} {step.keyword} {step.name}"
        for name, _, scenario in _scenarios()
        for number, step in enumerate(scenario.steps)
        if any(earlier.name == step.name for earlier in scenario.steps[:number])
    ]
    assert repeated == []


def test_the_enrolment_routes_run_in_order_and_each_names_its_box_of_figure_1():
    """Routes 1-8 of the PIA's Figure 1, in order, each once (Route 5 in two parts), each saying under its
    title which boxes of the figure it follows."""
    feature = parse_file(str(ROOT / "features" / "enrolment_routes.feature"))
    routes = [
        (int(match.group(1)), scenario)
        for scenario in feature.walk_scenarios()
        if (match := re.match(r"Route (\d)\b", scenario.name))
    ]
    assert [number for number, _ in routes] == [1, 2, 3, 4, 5, 5, 6, 7, 8]
    parts = [scenario.name.split(" – ")[0] for number, scenario in routes if number == 5]
    assert parts == ["Route 5, first part", "Route 5, second part"]
    for number, scenario in routes:
        said = " ".join(scenario.description)
        assert said.startswith("Figure 1: "), f"Route {number} does not name its box of Figure 1: {scenario.name}"
        assert f"Route {number}  " in " ".join(feature.description), f"the feature's map lacks Route {number}"


def test_where_a_check_of_the_pia_decides_the_then_names_it():
    """The PIA numbers the checks MP107 is about: #1 the DCC's Registration Data check, #2 the S1SP's, #3 the
    S1SP's certificate owner check. A Then in which one of them decides says which."""
    unnamed = [
        f"{name}:{step.line} {step.name}"
        for name, _, scenario in _scenarios()
        for step in scenario.steps
        if step.step_type == "then"
        and re.search(r"Registration Data|certificate owner|does not own the certificate", step.name)
        and not re.search(r"\(#[123]\)", step.name)
    ]
    assert unnamed == []
