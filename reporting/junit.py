"""behave's JUnit XML as CI and a test manager's tools read it: each test suite carries the run identity
and the run's verdict as ``<properties>``, each test case is named as the report names it (no ``-- @1.1
<Examples>``) and carries its clause, location and UIT test case as properties. One more file,
``mp107-verdict.xml``, carries the verdict as a test case of its own, failed with the findings when the run
failed: a CI tool that reads JUnit alone then sees a run that failed on a finding no scenario shows (a clause
not covered, missing evidence, a target that stopped answering)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path

from reporting.identity import RunIdentity
from reporting.prose import OUTLINE_ANNOTATION, tidy
from reporting.scenarios import ScenarioCase
from reporting.test_cases import TestCaseMap
from reporting.verdict import VERDICT_SUITE, Verdict

VERDICT_JUNIT = "mp107-verdict.xml"

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


def write_verdict_case(junit_dir: Path, verdict: Verdict, properties: Mapping[str, str]) -> Path:
    """``mp107-verdict.xml``: the verdict as one test case, failed (with every finding) when the run failed."""
    suite = ElementTree.Element(
        "testsuite", name=VERDICT_SUITE, tests="1", failures="0" if verdict.passed else "1", errors="0", skipped="0"
    )
    _properties(suite, properties)
    case = ElementTree.SubElement(suite, "testcase", classname=VERDICT_SUITE, name=f"The run's verdict: {verdict.word}")
    if not verdict.passed:
        failure = ElementTree.SubElement(case, "failure", message=verdict.headline, type="verdict")
        failure.text = "\n".join(str(finding) for finding in verdict.findings)
    path = Path(junit_dir) / VERDICT_JUNIT
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    return path


def annotate_junit(
    junit_dir: Path,
    identity: RunIdentity | None,
    cases: list[ScenarioCase],
    test_cases: TestCaseMap,
    verdict: Verdict | None = None,
) -> int:
    """Rewrite every JUnit file under `junit_dir` (and write the verdict's own); returns how many scenario
    test cases were named."""
    named = 0
    run_properties = (identity.properties() if identity else {}) | (verdict.properties() if verdict else {})
    for stale in Path(junit_dir).rglob(VERDICT_JUNIT):
        stale.unlink()
    for path in sorted(Path(junit_dir).rglob("*.xml")):
        tree = ElementTree.parse(path)
        root = tree.getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            if run_properties:
                _properties(suite, run_properties)
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
    if verdict is not None:
        write_verdict_case(junit_dir, verdict, run_properties)
    return named
