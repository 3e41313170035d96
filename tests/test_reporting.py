"""The reporting half: Allure labels per clause, Rule scenarios in the evidence, the traceability gate.

A throwaway behave project (a Rule with a step table, a Scenario Outline, an untagged scenario, an
unknown clause tag and a failing scenario) is run once; the tests read what it left behind.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue import CLAUSES, clause_for_tags, unknown_clause_tags
from support.reporting import allure_report, run
from support.reporting.traceability import collect_scenarios, trace

PROJECT_ROOT = Path(__file__).resolve().parents[1]

GOOD_FEATURE = """\
Feature: Registration Data checks
  Background:
    Given a SMETS1 ESME

  @SRPD-6.1.f
  Scenario: A supplier that is not registered is rejected
    Then the request is rejected

  Rule: A Network Operator may correct a certificate it wrongly holds

    @SRPD-6.2.d
    Scenario: The wrongly held Network Operator replaces the certificate
      Given the meter holds these certificates
        | role            | owner   |
        | NetworkOperator | Eastern |
      Then the request is accepted

    @S1SR-4.2
    Scenario Outline: <sender> cannot replace the certificate
      Then the request from <sender> is rejected
      Examples: third parties
        | sender   |
        | Northern |
        | Supplier |
"""

GAPS_FEATURE = """\
Feature: Gaps in the evidence
  Scenario: A scenario nobody traced
    Given a SMETS1 ESME

  @SRPD-9.9
  Scenario: A scenario naming a clause nobody catalogued
    Given a SMETS1 ESME

  @PIA-3.B
  Scenario: The certificate-owner check stays
    Then the certificate owner matches
"""

STEPS = """\
from behave import given, then

@given("a SMETS1 ESME")
def _(context):
    pass

@given("the meter holds these certificates")
def _(context):
    assert context.table.rows

@then("the request is {outcome}")
def _(context, outcome):
    pass

@then("the request from {sender} is rejected")
def _(context, sender):
    pass

@then("the certificate owner matches")
def _(context):
    assert False, "S1SR 4.2: certificate owner is not the Business Originator ID"
"""

SMALL_CATALOGUE = {tag: CLAUSES[tag] for tag in ("SRPD-6.1.f", "SRPD-6.2.d", "S1SR-4.2", "PIA-3.B", "TMAD-4.42")}
GOOD_CATALOGUE = {tag: CLAUSES[tag] for tag in ("SRPD-6.1.f", "SRPD-6.2.d", "S1SR-4.2")}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


def _behave(root: Path, formatter: str, results: str = "results") -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "behave",
        "-f",
        formatter,
        "-o",
        results,
        "-f",
        "plain",
        "--junit",
        "--junit-directory",
        "junit",
        "features",
    ]
    return subprocess.run(command, cwd=root, env=_env(), capture_output=True, text=True, check=False)


def _write_project(root: Path) -> Path:
    (root / "features" / "good").mkdir(parents=True)
    (root / "features" / "gaps").mkdir()
    (root / "features" / "steps").mkdir()
    (root / "features" / "good" / "checks.feature").write_text(GOOD_FEATURE)
    (root / "features" / "gaps" / "gaps.feature").write_text(GAPS_FEATURE)
    (root / "features" / "steps" / "steps.py").write_text(STEPS)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The throwaway project after one behave run with our formatter."""
    root = _write_project(tmp_path_factory.mktemp("suite"))
    done = _behave(root, "support.allure_formatter:AllureFormatter")
    assert done.returncode == 1, done.stdout + done.stderr  # one scenario fails on purpose
    return root


def _results(root: Path, folder: str = "results") -> dict[str, dict]:
    results = [json.loads(path.read_text()) for path in (root / folder).glob("*-result.json")]
    return {result["name"]: result for result in results}


def _labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


# --- the clause catalogue -------------------------------------------------------------------------


def test_catalogue_has_every_clause_of_the_primer_table_and_the_srv_6_21_route_as_a_parseable_tag():
    assert set(CLAUSES) == {
        "SRPD-6.1.f",
        "SRPD-6.2.a",
        "SRPD-6.2.b",
        "SRPD-6.2.c",
        "SRPD-6.2.d",
        "SRPD-16.1",
        "S1SR-4.2",
        "TMAD-4.42",
        "TMAD-5.10.12",
        "TMAD-5.10.17",
        "PIA-3.2",
        "PIA-3.3",
        "PIA-2.3.2.A",
        "PIA-2.3.2.B",
        "PIA-2.2",
        "PIA-3.B",
        "SRV-6.21",
        # the DCC's standard checks before any of the above, and the certificate rule (DUIS, GBCS)
        "DUIS-schema",
        "DUIS-signature",
        "DUIS-user",
        "DUIS-eligibility",
        "DUIS-command-variant",
        "DUIS-anti-replay",
        "DUIS-device",
        "DUIS-S1SP-communication",
        "GBCS-replacement-certificates",
    }
    assert all("(" not in tag and " " not in tag for tag in CLAUSES)
    assert CLAUSES["SRPD-6.2.d"].display == "SRPD 6.2(d)"
    assert all(clause.link.startswith("https://") and clause.source for clause in CLAUSES.values())


def test_clause_tags_resolve_whether_or_not_they_carry_the_at_sign():
    assert [c.tag for c in clause_for_tags(["wip", "SRPD-6.2.d", "@S1SR-4.2", "SRPD-6.2.d"])] == [
        "SRPD-6.2.d",
        "S1SR-4.2",
    ]
    assert unknown_clause_tags(["SRPD-6.2.d", "SRPD-6.2(d)", "PIA-9", "wip"]) == ["PIA-9", "SRPD-6.2(d)"]


# --- the Allure formatter -------------------------------------------------------------------------


def test_formatter_writes_one_result_per_scenario_including_those_under_a_rule(project: Path):
    results = _results(project)
    assert len(results) == 7
    assert results["The wrongly held Network Operator replaces the certificate"]["status"] == "passed"
    outline_rows = [name for name in results if name.startswith(("Northern cannot", "Supplier cannot"))]
    assert len(outline_rows) == 2


def test_formatter_labels_each_result_by_epic_feature_story_and_clause_with_a_link(project: Path):
    results = _results(project)
    in_rule = results["The wrongly held Network Operator replaces the certificate"]
    assert _labels(in_rule, "epic") == ["SECMP0107"]
    assert _labels(in_rule, "feature") == ["Registration Data checks"]
    assert _labels(in_rule, "story") == ["A Network Operator may correct a certificate it wrongly holds"]
    assert _labels(in_rule, "clause") == ["SRPD 6.2(d)"]
    assert _labels(in_rule, "location") == ["features/good/checks.feature:12"]
    assert {"type": "link", "url": CLAUSES["SRPD-6.2.d"].link, "name": "SRPD 6.2(d)"} in in_rule["links"]

    outside_rule = results["A supplier that is not registered is rejected"]
    assert _labels(outside_rule, "story") == ["Registration Data checks"]
    assert _labels(outside_rule, "clause") == ["SRPD 6.1(f)"]

    untraced = results["A scenario nobody traced"]
    assert _labels(untraced, "clause") == [] and untraced.get("links", []) == []


def test_upstream_formatter_still_loses_rule_scenarios(tmp_path: Path):
    """allure-python #886. When this fails, upstream is fixed: drop our feature() override."""
    root = _write_project(tmp_path)
    done = _behave(root, "allure_behave.formatter:AllureFormatter")
    assert "KeyError" in done.stderr or len(_results(root)) < 7


# --- the traceability matrix and its gate ---------------------------------------------------------


def test_gherkin_gives_each_outline_row_its_inherited_tags(project: Path):
    cases = collect_scenarios(project / "features", project)
    rows = [case for case in cases if case.name.endswith("cannot replace the certificate")]
    assert [(case.name, case.line, case.definition_line) for case in rows] == [
        ("Northern cannot replace the certificate", 23, 19),
        ("Supplier cannot replace the certificate", 24, 19),
    ]
    assert rows[0].rule == "A Network Operator may correct a certificate it wrongly holds"
    assert rows[0].tags == ("S1SR-4.2",)


def test_gate_passes_when_every_clause_has_a_passing_scenario(project: Path, tmp_path: Path):
    matrix = trace(
        project / "features" / "good", project / "results", project / "junit", tmp_path, GOOD_CATALOGUE, project
    )
    assert matrix.failures == []
    assert all(row.covered for row in matrix.coverage)


def test_gate_fails_on_uncovered_clauses_missing_and_unknown_clause_tags(project: Path, tmp_path: Path):
    matrix = trace(project / "features", project / "results", project / "junit", tmp_path, SMALL_CATALOGUE, project)
    assert matrix.failures == [
        "PIA 3 option B [PIA-3.B]: no passing scenario (failed)",
        "TMAD 4.42 [TMAD-4.42]: no passing scenario",
        "features/gaps/gaps.feature:2 'A scenario nobody traced': no clause tag",
        "features/gaps/gaps.feature:6 'A scenario naming a clause nobody catalogued': "
        "clause tag @SRPD-9.9 is not in the catalogue",
    ]


def test_gate_fails_when_allure_results_are_missing(project: Path, tmp_path: Path):
    partial = tmp_path / "results"
    shutil.copytree(project / "results", partial)
    next(partial.glob("*-result.json")).unlink()
    matrix = trace(project / "features" / "good", partial, project / "junit", tmp_path, GOOD_CATALOGUE, project)
    assert "evidence incomplete: 6 Allure results for 7 scenarios behave ran" in matrix.failures


def test_gate_fails_when_behave_left_no_junit_testcases(project: Path, tmp_path: Path):
    matrix = trace(
        project / "features" / "good", project / "results", tmp_path / "no-junit", tmp_path, GOOD_CATALOGUE, project
    )
    assert matrix.failures == ["evidence incomplete: behave wrote no JUnit testcases (it ran nothing or crashed)"]


def test_traceability_markdown_reads_clause_by_clause(project: Path, tmp_path: Path):
    matrix = trace(project / "features", project / "results", project / "junit", tmp_path, SMALL_CATALOGUE, project)
    text = matrix.markdown.read_text()
    assert "**5 clauses, 3 covered**" in text
    assert "7 scenarios: 1 failed, 6 passed" in text
    assert (
        f"| [SRPD 6.2(d)]({CLAUSES['SRPD-6.2.d'].link}) | {CLAUSES['SRPD-6.2.d'].title} | "
        f"{CLAUSES['SRPD-6.2.d'].source} | The wrongly held Network Operator replaces the certificate "
        "(`features/good/checks.feature:12`): **passed** | covered |"
    ) in text
    assert "| — | **NOT COVERED** |" in text  # TMAD 4.42 has no scenario
    assert "- features/gaps/gaps.feature:2 'A scenario nobody traced': no clause tag" in text


def test_traceability_csv_lists_every_clause_and_every_scenario(project: Path, tmp_path: Path):
    matrix = trace(project / "features", project / "results", project / "junit", tmp_path, SMALL_CATALOGUE, project)
    rows = list(csv.DictReader(matrix.csv.open()))
    by_scenario = {row["scenario"]: row for row in rows}
    assert len(rows) == 8  # 5 traced scenarios, 1 clause without any, 2 untraced scenarios
    assert by_scenario["Supplier cannot replace the certificate"] | {"link": ""} == {
        "clause_tag": "S1SR-4.2",
        "clause": "S1SR 4.2",
        "title": CLAUSES["S1SR-4.2"].title,
        "source": "SEC Appendix AM – SMETS1 Supporting Requirements",
        "link": "",
        "clause_covered": "yes",
        "feature": "Registration Data checks",
        "rule": "A Network Operator may correct a certificate it wrongly holds",
        "scenario": "Supplier cannot replace the certificate",
        "location": "features/good/checks.feature:24",
        "status": "passed",
    }
    assert by_scenario["The certificate-owner check stays"]["status"] == "failed"
    assert by_scenario["The certificate-owner check stays"]["clause_covered"] == "no"
    assert by_scenario["A scenario naming a clause nobody catalogued"]["clause_tag"] == "SRPD-9.9"
    assert [row["clause_covered"] for row in rows if row["clause_tag"] == "TMAD-4.42"] == ["no"]


# --- Allure environment, categories and HTML ------------------------------------------------------


def test_environment_and_categories_are_written_for_allure(tmp_path: Path):
    allure_report.write_environment(tmp_path, {"suite": "SECMP0107 acceptance", "user data": "a=b\nc"})
    written = (tmp_path / "environment.properties").read_text()
    assert written == "suite=SECMP0107 acceptance\nuser\\ data=a=b\\nc\n"
    categories = json.loads(allure_report.write_categories(tmp_path).read_text())
    assert [category["name"] for category in categories] == [
        "Rejected by Registration Data check",
        "Rejected by certificate-owner check",
        "Product defects",
        "Test defects",
    ]


def test_analytics_tag_is_stripped_and_the_rest_of_the_page_kept(tmp_path: Path):
    page = tmp_path / "index.html"
    page.write_text(
        '<body><div id="app"></div>\n'
        '    <script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>\n'
        "    <script>\n        window.dataLayer = window.dataLayer || [];\n"
        "        function gtag(){dataLayer.push(arguments);}\n        gtag('js', new Date());\n"
        "    </script>\n    <script>window.allureReportOptions = {};</script></body>"
    )
    assert allure_report.strip_analytics(tmp_path) == 1
    assert page.read_text() == (
        '<body><div id="app"></div>\n    <script>window.allureReportOptions = {};</script></body>'
    )


@pytest.mark.skipif(not allure_report.ALLURE_BIN.exists(), reason="Allure 3 not installed (npm ci)")
def test_html_report_is_one_file_grouped_by_clause_without_analytics(project: Path, tmp_path: Path):
    results = tmp_path / "results"
    shutil.copytree(project / "results", results)
    allure_report.write_categories(results)
    index = allure_report.generate_html(results, tmp_path / "report")
    html = index.read_text()
    assert [path.name for path in index.parent.glob("*.html")] == ["index.html"]
    assert "googletagmanager" not in html and "gtag(" not in html
    assert '"reportName":"SECMP0107 acceptance"' in html and '"groupBy":["clause"]' in html


# --- the one command ------------------------------------------------------------------------------


def test_run_splits_features_across_processes_and_fails_on_a_failed_scenario(tmp_path: Path):
    root = _write_project(tmp_path)
    code = run.main(["--root", str(root), "--processes", "2", "--no-html", "-D", "stage=ci"])
    assert code == 1
    assert sorted(path.name for path in (root / "reports" / "junit").iterdir()) == ["p1", "p2"]
    assert len(list((root / "reports" / "allure-results").glob("*-result.json"))) == 7
    assert "userdata.stage=ci" in (root / "reports" / "allure-results" / "environment.properties").read_text()
    assert (root / "reports" / "traceability.md").is_file()
    assert (root / "reports" / "traceability.csv").is_file()


def test_run_passes_when_scenarios_pass_and_the_gate_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    root = _write_project(tmp_path)
    stale = root / "reports" / "allure-results" / "stale-result.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    monkeypatch.setattr(run, "CLAUSES", GOOD_CATALOGUE)
    assert run.main(["--root", str(root), "--features", "features/good", "--no-html"]) == 0
    assert not stale.exists()
    out = capsys.readouterr().out
    assert "[behave 1/1]" in out and "Gate: passed" in out and "traceability.md" in out
