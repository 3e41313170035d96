"""Allure formatter for behave that reports Rule scenarios and labels each result by its clause.

Run behave as::

    python -m behave -f reporting.allure_formatter:AllureFormatter -o reports/allure-results features/

What upstream allure-behave 2.16 does not do, and this does:

* allure-python #886: ``AllureFormatter.feature()`` wraps only ``feature.scenarios``, so scenarios
  inside a Gherkin ``Rule:`` produce no result and a step table under a Rule crashes the listener
  (``KeyError: None``: the table is attached while no test is open). We wrap
  ``feature.walk_scenarios()``, which includes Rule scenarios and the rows of outlines.
* allure-behave ignores ``allure.dynamic.label``, and a label value such as ``SRPD 6.2(d)`` cannot
  be written as a tag. So the listener adds the labels when it creates the test result: epic
  ``SECMP0107``, story (the Rule, else the feature), ``clause`` (the clause's heading, "SRPD 6.2(d) —
  New exception: …"), a link to the clause's document named by document, version and section, and
  ``location`` (file:line, which the traceability matrix joins on).
* Names read as written: an outline row is named once, without behave's ``-- @1.1 <Examples>``, its
  example values in words in the description; "a electricity meter" and "Networks's" read as English;
  a step table is attached under the step's own words, not as ".table".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import uuid4

import allure_commons
from allure_behave.formatter import AllureFormatter as UpstreamAllureFormatter
from allure_behave.listener import AllureListener
from allure_behave.utils import step_table
from allure_commons.model2 import Label, Link, StatusDetails, TestStepResult
from allure_commons.types import AttachmentType, LabelType, LinkType
from allure_commons.utils import now
from behave.model import Feature, Rule, Scenario, ScenarioOutline

from catalogue import CLAUSES, Clause, clause_for_tags
from reporting.evidence import MESSAGES, begin_scenario
from reporting.names import CLAUSE_LABEL, LOCATION_LABEL, UNDEFINED_STEP
from reporting.prose import example_in_words, scenario_title, tidy

EPIC = "SECMP0107"


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


def _row_values(scenario: Scenario) -> list[tuple[str, str]]:
    row = getattr(scenario, "_row", None)
    return list(zip(row.headings, row.cells, strict=False)) if row is not None else []


def _outline(scenario: Scenario) -> ScenarioOutline | None:
    return scenario.parent if isinstance(scenario.parent, ScenarioOutline) else None


def scenario_name(scenario: Scenario) -> str:
    """The scenario's name as written (an outline row's with its values), read as English."""
    outline = _outline(scenario)
    return scenario_title(scenario.name, outline.name if outline else None, _row_values(scenario))


def example_description(scenario: Scenario) -> str:
    """For an outline row, which Examples row it is and its values in words; "" for a plain scenario."""
    outline, row = _outline(scenario), getattr(scenario, "_row", None)
    if outline is None or row is None:
        return ""
    examples = next((example for example in outline.examples if row in (example.table.rows or [])), None)
    number = f"{getattr(examples, 'index', '') or ''}.{(examples.table.rows.index(row) + 1) if examples else ''}"
    return example_in_words(tidy(examples.name) if examples else "", number.strip("."), _row_values(scenario))


def clause_labels(scenario: Scenario, catalogue: Mapping[str, Clause] = CLAUSES) -> tuple[list[Label], list[Link]]:
    """Labels and links the report is browsed by: the regulation's structure, not file names."""
    rule = rule_of(scenario)
    labels = [
        Label(name=LabelType.EPIC, value=EPIC),
        Label(name=LabelType.STORY, value=tidy(rule.name) if rule is not None else tidy(scenario.feature.name)),
        Label(name=LOCATION_LABEL, value=scenario_location(scenario)),
    ]
    links = []
    for clause in clause_for_tags(sorted(scenario.effective_tags), catalogue):
        labels.append(Label(name=CLAUSE_LABEL, value=clause.heading))
        links.append(Link(type=LinkType.LINK, url=clause.link, name=f"{clause.display}: {clause.citation}"))
    return labels, links


class ClauseListener(AllureListener):
    """allure-behave's listener, adding the clause labels to each test result it opens and naming
    scenarios and steps as a reader reads them."""

    def __init__(self, behave_config: Any, catalogue: Mapping[str, Clause] = CLAUSES) -> None:
        super().__init__(behave_config)
        self.catalogue = catalogue
        self._skip_reason: str | None = None
        self._undefined: str | None = None
        close_test = self.logger.close_test

        def close_with_reason(uuid: Any) -> None:
            """A scenario skipped with a reason (a Given this environment cannot meet) keeps it as its
            status message: upstream keeps only a failed step's. A scenario with an undefined step says
            which step, first, with upstream's snippet after it."""
            test = self.logger.get_test(uuid)
            if self._skip_reason:
                test.statusDetails = StatusDetails(message=self._skip_reason)
            elif self._undefined:
                snippet = (test.statusDetails.message or "") if test.statusDetails else ""
                test.statusDetails = StatusDetails(message=f"{self._undefined}\n{snippet}".rstrip())
            close_test(uuid)

        self.logger.close_test = close_with_reason

    def stop_scenario(self, scenario: Scenario) -> None:
        self._skip_reason = scenario.skip_reason if scenario.status.name == "skipped" else None
        undefined = next((step for step in scenario.all_steps if step.status.name == "undefined"), None)
        self._undefined = (
            f"{UNDEFINED_STEP}: {undefined.keyword} {undefined.name} (no step definition matches it)"
            if undefined is not None
            else None
        )
        super().stop_scenario(scenario)
        self._skip_reason = self._undefined = None

    def start_scenario(self, scenario: Scenario) -> None:
        super().start_scenario(scenario)
        result = self.logger.get_test(self.current_scenario_uuid)
        labels, links = clause_labels(scenario, self.catalogue)
        result.labels.extend(labels)
        known = {(link.url, link.name) for link in result.links}
        result.links.extend(link for link in links if (link.url, link.name) not in known)
        result.name = scenario_name(scenario)
        result.fullName = f"{tidy(scenario.feature.name)}: {result.name}"
        example = example_description(scenario)
        result.description = "\n\n".join(part for part in (result.description, example) if part) or None
        begin_scenario()
        MESSAGES.begin(
            scenario_location(scenario),
            result.name,
            [clause.display for clause in clause_for_tags(sorted(scenario.effective_tags), self.catalogue)],
        )

    def start_behave_step(self, step: Any) -> None:
        """As upstream, with the step read as English and its table attached under the step's words."""
        self.current_step_uuid = uuid4()
        name = tidy(f"{step.keyword} {step.name}")
        self.logger.start_step(None, self.current_step_uuid, TestStepResult(name=name, start=now()))
        words = tidy(step.name).rstrip(":")
        if step.text:
            self.logger.attach_data(uuid4(), step.text, name=f"Text: {words}", attachment_type=AttachmentType.TEXT)
        if step.table:
            table = step_table(step)
            self.logger.attach_data(uuid4(), table, name=f"Table: {words}", attachment_type=AttachmentType.CSV)


class AllureFormatter(UpstreamAllureFormatter):
    """allure-behave's formatter with the Rule fix (#886) and the clause-aware listener."""

    catalogue: Mapping[str, Clause] = CLAUSES
    listener: AllureListener

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        allure_commons.plugin_manager.unregister(self.listener)
        self.listener = ClauseListener(config, self.catalogue)
        allure_commons.plugin_manager.register(self.listener)

    def feature(self, feature: Feature) -> None:
        self._wrap_scenario(feature.walk_scenarios())
