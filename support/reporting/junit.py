"""behave's JUnit XML as CI and a test manager's tools read it: each test suite carries the run identity
as ``<properties>``, each test case is named as the report names it (no ``-- @1.1 <Examples>``) and
carries its clause, location and UIT test case as properties."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path

from support.reporting.identity import RunIdentity
from support.reporting.prose import OUTLINE_ANNOTATION, tidy
from support.reporting.test_cases import TestCaseMap
from support.reporting.traceability import ScenarioCase

_ROW = r"--\s+@(\d+(?:\.\d+)*)"


def _find_case(name: str, classname: str, cases: list[ScenarioCase]) -> ScenarioCase | None:
    """The written scenario behind a JUnit test case (behave's classname ends with the feature's name; an
    outline row is found by its ``@1.2``)."""
    row = re.search(_ROW, name)
    base = tidy(OUTLINE_ANNOTATION.sub("", name))
    candidates = [case for case in cases if classname == case.feature or classname.endswith("." + case.feature)]
    if row:
        for case in candidates:
            if case.row_id == row.group(1) and case.shown.startswith(base):
                return case
    return next((case for case in candidates if case.shown == base and not case.row_id), None)


def _properties(parent: ElementTree.Element, values: Mapping[str, str], first: bool = True) -> None:
    for old in parent.findall("properties"):
        parent.remove(old)
    properties = ElementTree.Element("properties")
    for key, value in values.items():
        ElementTree.SubElement(properties, "property", name=key, value=str(value))
    if first:
        parent.insert(0, properties)
    else:
        parent.append(properties)


def annotate_junit(
    junit_dir: Path, identity: RunIdentity | None, cases: list[ScenarioCase], test_cases: TestCaseMap
) -> int:
    """Rewrite every JUnit file under `junit_dir`; returns how many test cases were named."""
    named = 0
    for path in sorted(Path(junit_dir).rglob("*.xml")):
        tree = ElementTree.parse(path)
        root = tree.getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            if identity is not None:
                _properties(suite, identity.properties())
            by_location = {case.location: case for case in cases}
            for testcase in suite.findall("testcase"):
                original = testcase.get("name", "")
                known = next((p.get("value") for p in testcase.iter("property") if p.get("name") == "location"), None)
                case = by_location.get(known or "") or _find_case(
                    original, testcase.get("classname", suite.get("name", "")), cases
                )
                testcase.set("name", case.shown if case else tidy(OUTLINE_ANNOTATION.sub("", original)))
                if case is not None:
                    clauses = ", ".join(case.clause_tags)
                    uit = test_cases.lookup(case.shown, case.location, case.clause_tags) or "not mapped"
                    _properties(testcase, {"clause": clauses, "location": case.location, "uit_test_case": uit})
                named += 1
        tree.write(path, encoding="utf-8", xml_declaration=True)
    return named
