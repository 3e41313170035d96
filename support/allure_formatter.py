"""Allure formatter for behave that reports Rule scenarios and labels each result by its clause.

Run behave as::

    python -m behave -f support.allure_formatter:AllureFormatter -o reports/allure-results features/

Two things upstream allure-behave 2.16 does not do:

* allure-python #886: ``AllureFormatter.feature()`` wraps only ``feature.scenarios``, so scenarios
  inside a Gherkin ``Rule:`` produce no result and a step table under a Rule crashes the listener
  (``KeyError: None``: the table is attached while no test is open). We wrap
  ``feature.walk_scenarios()``, which includes Rule scenarios and the rows of outlines.
* allure-behave ignores ``allure.dynamic.label``, and a label value such as ``SRPD 6.2(d)`` cannot
  be written as a tag. So the listener adds the labels when it creates the test result: epic
  ``SECMP0107``, story (the Rule, else the feature), ``clause`` (display form), a link to the
  clause's document, and ``location`` (file:line, which the traceability matrix joins on).
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter as UpstreamAllureFormatter
from allure_behave.listener import AllureListener
from allure_commons.model2 import Label, Link
from allure_commons.types import LabelType, LinkType
from behave.model import Feature, Rule, Scenario

from catalogue import CLAUSES, Clause, clause_for_tags

EPIC = "SECMP0107"
CLAUSE_LABEL = "clause"
LOCATION_LABEL = "location"


def rule_of(scenario: Scenario) -> Rule | None:
    """The Rule a scenario (or an outline row) sits in, if any."""
    parent = scenario.parent
    while parent is not None and not isinstance(parent, Feature):
        if isinstance(parent, Rule):
            return parent
        parent = getattr(parent, "parent", None)
    return None


def scenario_location(scenario: Scenario) -> str:
    """``path:line`` of the scenario or outline row, the path relative to the working directory."""
    path = Path(scenario.location.filename)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            pass
    return f"{path.as_posix()}:{scenario.location.line}"


def clause_labels(scenario: Scenario, catalogue: Mapping[str, Clause] = CLAUSES) -> tuple[list[Label], list[Link]]:
    """Labels and links the report is browsed by: the regulation's structure, not file names."""
    rule = rule_of(scenario)
    labels = [
        Label(name=LabelType.EPIC, value=EPIC),
        Label(name=LabelType.STORY, value=rule.name if rule is not None else scenario.feature.name),
        Label(name=LOCATION_LABEL, value=scenario_location(scenario)),
    ]
    links = []
    for clause in clause_for_tags(sorted(scenario.effective_tags), catalogue):
        labels.append(Label(name=CLAUSE_LABEL, value=clause.display))
        links.append(Link(type=LinkType.LINK, url=clause.link, name=clause.display))
    return labels, links


class ClauseListener(AllureListener):
    """allure-behave's listener, adding the clause labels to each test result it opens."""

    def __init__(self, behave_config: Any, catalogue: Mapping[str, Clause] = CLAUSES) -> None:
        super().__init__(behave_config)
        self.catalogue = catalogue

    def start_scenario(self, scenario: Scenario) -> None:
        super().start_scenario(scenario)
        result = self.logger.get_test(self.current_scenario_uuid)
        labels, links = clause_labels(scenario, self.catalogue)
        result.labels.extend(labels)
        known = {(link.url, link.name) for link in result.links}
        result.links.extend(link for link in links if (link.url, link.name) not in known)


class AllureFormatter(UpstreamAllureFormatter):
    """allure-behave's formatter with the Rule fix (#886) and the clause-aware listener."""

    catalogue: Mapping[str, Clause] = CLAUSES

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        allure_commons.plugin_manager.unregister(self.listener)
        self.listener = ClauseListener(config, self.catalogue)
        allure_commons.plugin_manager.register(self.listener)

    def feature(self, feature: Feature) -> None:
        self._wrap_scenario(feature.walk_scenarios())
