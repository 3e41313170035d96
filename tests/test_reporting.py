"""The reporting half: Allure labels per clause, Rule scenarios in the evidence, names as written, the
traceability gate and matrix, the run identity, the team's test cases, the quiet console, shards and
their merge.

A throwaway behave project (``tests/reporting_project.py``) is run once; the tests read what it left.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from catalogue import CLAUSES, clause_for_tags, unknown_clause_tags
from reporting import allure_report, run
from reporting.identity import REDACTED, redact, run_identity
from reporting.merge import main as merge_main
from reporting.scenarios import collect_scenarios
from reporting.test_cases import MappingError, TestCaseMap, load
from reporting.traceability import trace
from reporting.verdict import ClauseState
from tests.reporting_project import RESULTS, behave, write_project

SMALL_CATALOGUE = {tag: CLAUSES[tag] for tag in ("SRPD-6.1.f", "SRPD-6.2.d", "S1SR-4.2", "PIA-3.B", "TMAD-4.42")}
GOOD_CATALOGUE = {tag: CLAUSES[tag] for tag in ("SRPD-6.1.f", "SRPD-6.2.d", "S1SR-4.2")}
IN_RULE = "The wrongly held Network Operator replaces the certificate"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The throwaway project after one behave run with our formatter."""
    root = write_project(tmp_path_factory.mktemp("suite"))
    done = behave(root, "reporting.allure_formatter:AllureFormatter")
    assert done.returncode == 1, done.stdout + done.stderr  # one scenario fails on purpose
    return root


def _results(root: Path, folder: str = "results") -> dict[str, dict]:
    results = [json.loads(path.read_text()) for path in (root / folder).glob("*-result.json")]
    return {result["name"]: result for result in results}


def _labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def _line(root: Path, name: str) -> int:
    return next(case.line for case in collect_scenarios(root / "features", root) if case.shown == name)


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
        "PIA-3.A",
        "PIA-3.B",
        "PIA-3.C",
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


def test_every_clause_links_to_its_document_and_names_document_version_and_section_never_a_search():
    for clause in CLAUSES.values():
        assert clause.link.startswith("https://") and "?s=" not in clause.link and "search" not in clause.link
        assert clause.document.title in clause.citation and clause.section in clause.citation
    srpd = CLAUSES["SRPD-6.2.d"]
    assert srpd.citation.endswith(", Clause 6.2(d)") and "SEC Appendix AB" in srpd.citation
    assert (
        srpd.heading
        == "SRPD 6.2(d) — New exception: SMETS1 SRV 6.15.1 from an Electricity Distributor or Gas Transporter"
    )
    assert (
        CLAUSES["PIA-3.2"].citation
        == "DCC Preliminary Impact Assessment for SECMP0107 v0.5 (25 June 2020), Section 3.2"
    )
    assert "sec-appendix-ad-dcc-user-interface-specification-duis" in CLAUSES["DUIS-schema"].link
    assert "V5.3" in CLAUSES["DUIS-schema"].citation


def test_clause_tags_resolve_whether_or_not_they_carry_the_at_sign():
    assert [c.tag for c in clause_for_tags(["wip", "SRPD-6.2.d", "@S1SR-4.2", "SRPD-6.2.d"])] == [
        "SRPD-6.2.d",
        "S1SR-4.2",
    ]
    assert unknown_clause_tags(["SRPD-6.2.d", "SRPD-6.2(d)", "PIA-9", "wip"]) == ["PIA-9", "SRPD-6.2(d)"]


# --- the Allure formatter -------------------------------------------------------------------------


def test_formatter_writes_one_result_per_scenario_including_those_under_a_rule(project: Path):
    results = _results(project)
    assert len(results) == RESULTS
    assert results[IN_RULE]["status"] == "passed"
    assert {
        "Northern cannot replace the certificate on an electricity meter",
        "Supplier cannot replace the certificate on a gas meter",
    } <= set(results)


def test_formatter_labels_each_result_by_epic_feature_story_and_clause_heading_with_a_link_to_the_section(
    project: Path,
):
    results = _results(project)
    in_rule = results[IN_RULE]
    assert _labels(in_rule, "epic") == ["SECMP0107"]
    assert _labels(in_rule, "feature") == ["Registration Data checks"]
    assert _labels(in_rule, "story") == ["A Network Operator may correct a certificate it wrongly holds"]
    assert _labels(in_rule, "clause") == [CLAUSES["SRPD-6.2.d"].heading]
    assert _labels(in_rule, "location") == [f"features/good/checks.feature:{_line(project, IN_RULE)}"]
    clause = CLAUSES["SRPD-6.2.d"]
    assert {"type": "link", "url": clause.link, "name": f"SRPD 6.2(d): {clause.citation}"} in in_rule["links"]

    outside_rule = results["A supplier that is not registered is rejected"]
    assert _labels(outside_rule, "story") == ["Registration Data checks"]
    assert _labels(outside_rule, "clause") == [CLAUSES["SRPD-6.1.f"].heading]

    untraced = results["A scenario nobody traced"]
    assert _labels(untraced, "clause") == [] and untraced.get("links", []) == []


def test_scenarios_are_named_once_as_written_with_their_example_values_in_words(project: Path):
    results = _results(project)
    assert not [name for name in results if " -- @" in name]
    row = results["Northern cannot replace the certificate on an electricity meter"]  # "a <meter>" read as English
    assert row["description"] == 'Examples "third parties", row 1.1: sender: Northern; meter: electricity meter.'
    assert {"name": "meter", "value": "electricity meter"} in row["parameters"]
    # an outline whose name has no placeholder: its rows are told apart by their values
    assert {
        "A reading from a supplier is refused (sender: Bright)",
        "A reading from a supplier is refused (sender: Flame)",
    } <= set(results)


def test_steps_read_as_english_and_a_step_table_is_attached_under_the_steps_words(project: Path):
    steps = _results(project)[IN_RULE]["steps"]
    names = [step["name"] for step in steps]
    assert "When Eastern Networks' certificates are replaced by Western Power's" in names
    table_step = next(step for step in steps if step["name"].startswith("Given the meter holds"))
    assert [a["name"] for a in table_step["attachments"]] == ["Table: the meter holds these certificates"]


def test_upstream_formatter_still_loses_rule_scenarios(tmp_path: Path):
    """allure-python #886. When this fails, upstream is fixed: drop our feature() override."""
    root = write_project(tmp_path)
    done = behave(root, "allure_behave.formatter:AllureFormatter")
    assert "KeyError" in done.stderr or len(_results(root)) < RESULTS


# --- the traceability matrix and its gate ---------------------------------------------------------


def test_gherkin_gives_each_outline_row_its_inherited_tags_and_the_name_the_report_shows(project: Path):
    cases = collect_scenarios(project / "features", project)
    rows = [case for case in cases if case.name.startswith(("Northern cannot", "Supplier cannot"))]
    assert [(case.shown, case.row_id) for case in rows] == [
        ("Northern cannot replace the certificate on an electricity meter", "1.1"),
        ("Supplier cannot replace the certificate on a gas meter", "1.2"),
    ]
    assert rows[0].line == rows[0].definition_line + 4
    assert rows[0].rule == "A Network Operator may correct a certificate it wrongly holds"
    assert rows[0].tags == ("S1SR-4.2",)
    assert rows[1].example == 'Examples "third parties", row 1.2: sender: Supplier; meter: gas meter.'


def test_gate_passes_when_every_clause_has_a_passing_scenario(project: Path, tmp_path: Path):
    matrix = trace(
        project / "features" / "good", project / "results", project / "junit", tmp_path, GOOD_CATALOGUE, project
    )
    assert matrix.failures == [] and matrix.verdict.passed
    assert all(row.state == ClauseState.COVERED for row in matrix.verdict.clauses)


def test_gate_fails_on_failed_scenarios_uncovered_clauses_and_unknown_clause_tags(project: Path, tmp_path: Path):
    matrix = trace(project / "features", project / "results", project / "junit", tmp_path, SMALL_CATALOGUE, project)
    line = _line(project, "The certificate-owner check stays")
    assert matrix.failures == [
        f"failed scenario: The certificate-owner check stays (features/gaps/gaps.feature:{line}; PIA 3 option B): "
        "AssertionError: S1SR 4.2: certificate owner is not the Business Originator ID",
        "coverage: TMAD 4.42 [TMAD-4.42] is not covered: no scenario is tagged with it",
        "traceability: features/gaps/gaps.feature:2 'A scenario nobody traced': no clause tag",
        "traceability: features/gaps/gaps.feature:6 'A scenario naming a clause nobody catalogued': "
        "clause tag @SRPD-9.9 is not in the catalogue",
    ]
    states = {row.clause.tag: row.state for row in matrix.verdict.clauses}
    assert states["PIA-3.B"] == ClauseState.FAILED  # its scenario failed: failed, not "not covered"


def test_a_shard_is_judged_on_what_it_ran_and_leaves_coverage_to_the_merge(project: Path, tmp_path: Path):
    matrix = trace(
        project / "features",
        project / "results",
        project / "junit",
        tmp_path,
        SMALL_CATALOGUE,
        project,
        coverage_required=False,
    )
    states = {row.clause.tag: row.state for row in matrix.verdict.clauses}
    assert states["TMAD-4.42"] == ClauseState.NOT_RUN  # no scenario here: the merge judges
    assert not any(failure.startswith("coverage:") for failure in matrix.failures)
    assert any(failure.startswith("failed scenario: The certificate-owner check stays") for failure in matrix.failures)


def test_gate_fails_when_allure_results_are_missing(project: Path, tmp_path: Path):
    partial = tmp_path / "results"
    shutil.copytree(project / "results", partial)
    next(partial.glob("*-result.json")).unlink()
    matrix = trace(project / "features" / "good", partial, project / "junit", tmp_path, GOOD_CATALOGUE, project)
    assert f"evidence: {RESULTS - 1} Allure results for {RESULTS} scenarios behave ran" in matrix.failures


def test_gate_fails_when_behave_left_no_junit_testcases(project: Path, tmp_path: Path):
    matrix = trace(
        project / "features" / "good", project / "results", tmp_path / "no-junit", tmp_path, GOOD_CATALOGUE, project
    )
    assert matrix.failures == ["evidence: behave wrote no JUnit test cases (it ran nothing or crashed)"]


def _identity(root: Path):
    return run_identity(root, target="embedded sandbox", userdata={"stage": "ci", "control_token": "s3cret"})


def test_traceability_markdown_carries_the_run_and_reads_clause_by_clause(project: Path, tmp_path: Path):
    identity = _identity(project)
    mapping = TestCaseMap(scenarios={IN_RULE: "UIT-107-001"}, clauses={"S1SR-4.2": "UIT-107-020"})
    matrix = trace(
        project / "features",
        project / "results",
        project / "junit",
        tmp_path,
        SMALL_CATALOGUE,
        project,
        identity=identity,
        test_cases=mapping,
    )
    text = matrix.markdown.read_text()
    assert f"| Run started (UTC) | {identity.started} |" in text
    assert f"| Commit | {identity.commit} (" in text and "| Target | embedded sandbox |" in text
    assert "| Run by | " in text and "s3cret" not in text
    assert (
        f"**Verdict: FAILED**. Scenarios: {RESULTS - 1} passed, 1 failed, 0 not run (of {RESULTS} scenarios). "
        "Clauses: 5 catalogued, 3 covered, 1 failed, 1 not covered." in text
    )
    clause = CLAUSES["SRPD-6.2.d"]
    assert (
        f"| [SRPD 6.2(d)]({clause.link}) — {clause.title} | {clause.citation} | {IN_RULE} "
        f"(`features/good/checks.feature:{_line(project, IN_RULE)}`): **passed** | UIT-107-001 | covered |"
    ) in text
    assert "| — | — | **NOT COVERED** |" in text  # TMAD 4.42 has no scenario
    why = "AssertionError: S1SR 4.2: certificate owner is not the Business Originator ID"
    assert f"**failed** ({why}) | — | **FAILED** |" in text
    assert "- traceability: features/gaps/gaps.feature:2 'A scenario nobody traced': no clause tag" in text
    unmapped = text.split("## Scenarios without a UIT test case")[1]
    assert "A supplier that is not registered is rejected (`features/good/checks.feature:6`)" in unmapped
    assert IN_RULE not in unmapped and "Northern cannot" not in unmapped  # mapped by name, and by its clause
    # the clauses read in the catalogue's order
    assert (
        text.index("[SRPD 6.1(f)]")
        < text.index("[SRPD 6.2(d)]")
        < text.index("[S1SR 4.2]")
        < text.index("[PIA 3 option B]")
    )


def test_traceability_csv_lists_every_clause_and_every_scenario_with_the_run_commit(project: Path, tmp_path: Path):
    identity = _identity(project)
    matrix = trace(
        project / "features",
        project / "results",
        project / "junit",
        tmp_path,
        SMALL_CATALOGUE,
        project,
        identity=identity,
    )
    rows = list(csv.DictReader(matrix.csv.open()))
    by_scenario = {row["scenario"]: row for row in rows}
    assert len(rows) == RESULTS + 1  # every scenario once, and the clause without any
    name = "Supplier cannot replace the certificate on a gas meter"
    assert by_scenario[name] | {"link": ""} == {
        "clause_tag": "S1SR-4.2",
        "clause": "S1SR 4.2",
        "title": CLAUSES["S1SR-4.2"].title,
        "source": "SEC Appendix AM – SMETS1 Supporting Requirements",
        "citation": CLAUSES["S1SR-4.2"].citation,
        "link": "",
        "basis": "stated",
        "clause_status": "covered",
        "clause_deviations_caught": "",  # no kill matrix measured for this throwaway project
        "feature": "Registration Data checks",
        "rule": "A Network Operator may correct a certificate it wrongly holds",
        "scenario": name,
        "location": f"features/good/checks.feature:{_line(project, name)}",
        "outcome": "passed",
        "status": "passed",
        "reason": "",
        "uit_test_case": "",
        "run_verdict": "FAILED",
        "run_commit": identity.commit,
    }
    failed = by_scenario["The certificate-owner check stays"]
    assert (failed["outcome"], failed["status"], failed["clause_status"]) == ("failed", "failed", "failed")
    assert failed["reason"] == "AssertionError: S1SR 4.2: certificate owner is not the Business Originator ID"
    assert by_scenario["A scenario naming a clause nobody catalogued"]["clause_tag"] == "SRPD-9.9"
    assert [row["clause_status"] for row in rows if row["clause_tag"] == "TMAD-4.42"] == ["not covered"]


# --- run identity and the team's test cases -------------------------------------------------------


def test_run_identity_records_the_environment_file_its_hash_and_operator_and_keeps_secrets_out(tmp_path: Path):
    environment = tmp_path / "uit.toml"
    environment.write_text('[run]\noperator = "A. Tester"\norganisation = "Western Power"\n[dsp]\ntoken = "abc"\n')
    identity = run_identity(tmp_path, environment_file=environment, userdata={"control_token": "abc", "stage": "x"})
    assert identity.operator == "A. Tester" and identity.organisation == "Western Power"
    assert identity.environment_file == str(environment) and len(identity.environment_sha256) == 64
    assert identity.commit.startswith("unknown")  # not a git work tree
    properties = identity.properties()
    assert properties["userdata.control_token"] == REDACTED and properties["userdata.stage"] == "x"
    assert "abc" not in json.dumps(identity.as_dict())
    assert redact({"api_key": 1, "nested": {"password": 2, "name": 3}}) == {
        "api_key": REDACTED,
        "nested": {"password": REDACTED, "name": 3},
    }


def test_operator_comes_from_the_environment_when_no_file_names_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MP107_OPERATOR", "B. Manager")
    assert run_identity(tmp_path).operator == "B. Manager"


def test_test_case_mapping_reads_scenarios_and_clauses_by_tag_or_display(tmp_path: Path):
    path = tmp_path / "uit-test-cases.toml"
    path.write_text('[scenarios]\n"A" = "UIT-1"\n"features/x.feature:3" = "UIT-2"\n[clauses]\n"S1SR 4.2" = "UIT-9"\n')
    mapping = load(path)
    assert mapping.lookup("A", "features/y.feature:1", ["S1SR-4.2"]) == "UIT-1"
    assert mapping.lookup("B", "features/x.feature:3", []) == "UIT-2"
    assert mapping.lookup("B", "features/y.feature:1", ["wip", "S1SR-4.2"]) == "UIT-9"
    assert mapping.lookup("B", "features/y.feature:1", ["SRPD-6.2.d"]) is None
    assert not load(tmp_path / "absent.toml")
    path.write_text('[clauses]\n"SRPD 9.9" = "UIT-0"\n')
    with pytest.raises(MappingError, match="not a catalogued clause"):
        load(path)


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


def _report_tree(index: Path) -> list[str]:
    files = dict(re.findall(r'd\("([^"]+)","([^"]*)"\)', index.read_text()))
    tree = json.loads(base64.b64decode(files["widgets/tree.json"]))
    groups = [tree["groupsById"][group_id] for group_id in tree["root"]["groups"]]
    order = {group["name"]: min(tree["leavesById"][leaf]["groupOrder"] for leaf in group["leaves"]) for group in groups}
    return sorted(order, key=order.get)


@pytest.mark.skipif(not allure_report.ALLURE_BIN.exists(), reason="Allure 3 not installed (npm ci)")
def test_html_report_is_one_file_grouped_by_clause_in_catalogue_order_without_analytics(project: Path, tmp_path: Path):
    results = tmp_path / "results"
    shutil.copytree(project / "results", results)
    allure_report.write_categories(results)
    headings = [clause.heading for clause in CLAUSES.values()]
    index = allure_report.generate_html(results, tmp_path / "report", group_order=headings)
    html = index.read_text()
    assert [path.name for path in index.parent.glob("*.html")] == ["index.html"]
    assert "googletagmanager" not in html and "gtag(" not in html
    assert '"reportName":"SECMP0107 acceptance"' in html and '"groupBy":["clause"]' in html
    assert _report_tree(index) == [
        CLAUSES["SRPD-6.1.f"].heading,
        CLAUSES["SRPD-6.2.d"].heading,
        CLAUSES["S1SR-4.2"].heading,
        CLAUSES["PIA-3.B"].heading,
    ]


# --- the one command ------------------------------------------------------------------------------


def test_run_splits_features_across_processes_and_fails_on_a_failed_scenario(tmp_path: Path):
    root = write_project(tmp_path)
    code = run.main(["--root", str(root), "--processes", "2", "--no-html", "--no-pack", "-D", "stage=ci"])
    assert code == 1
    assert sorted(path.name for path in (root / "reports" / "junit").iterdir()) == ["mp107-verdict.xml", "p1", "p2"]
    assert len(list((root / "reports" / "allure-results").glob("*-result.json"))) == RESULTS
    assert "userdata.stage=ci" in (root / "reports" / "allure-results" / "environment.properties").read_text()
    assert (root / "reports" / "traceability.md").is_file()
    assert (root / "reports" / "traceability.csv").is_file()


def test_run_is_quiet_and_honest_and_ends_saying_where_the_evidence_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    root = write_project(tmp_path)
    stale = root / "reports" / "allure-results" / "stale-result.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    monkeypatch.setattr(run, "CLAUSES", GOOD_CATALOGUE)
    assert run.main(["--root", str(root), "--features", "features/good", "--no-html"]) == 0
    assert not stale.exists()
    out = capsys.readouterr().out
    assert "USING RUNNER" not in out and "Took " not in out and "0.000s" not in out
    assert "[behave 1/1] ok     features/good/checks.feature: 6 scenarios: 6 passed" in out
    last = out.strip().splitlines()[-5:]
    assert [line.split(":")[0] for line in last] == ["Matrix", "Sign-off", "Pack", "Run", "Verdict"]
    assert last[-1] == "Verdict:  PASSED: 6 passed, 0 failed, 0 not run (of 6 scenarios)"
    assert any(line.startswith("Pack:     reports/mp107-evidence.tar.gz") for line in last)
    assert any(line.startswith("Matrix:   reports/traceability.md") for line in last)
    assert (root / "reports" / "sign-off.html").is_file() and (root / "reports" / "mp107-evidence.tar.gz").is_file()


def test_run_names_failures_in_words_and_junit_carries_the_run_and_the_names_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    root = write_project(tmp_path)
    assert run.main(["--root", str(root), "--no-html", "--no-pack"]) == 1
    out = capsys.readouterr().out
    assert "FAILED features/gaps/gaps.feature: 3 scenarios: 1 failed, 2 passed" in out
    assert (
        "- The certificate-owner check stays (features/gaps/gaps.feature:10; PIA 3 option B): Then the certificate "
        "owner matches:" in out
    )
    assert out.strip().splitlines()[-1].startswith(f"Verdict:  FAILED: {RESULTS - 1} passed, 1 failed, 0 not run")
    identity = json.loads((root / "reports" / "run-identity.json").read_text())
    names, commits = [], set()
    verdict_case = ElementTree.parse(root / "reports" / "junit" / "mp107-verdict.xml").getroot()
    assert verdict_case.find("testcase").get("name") == "The run's verdict: FAILED"
    assert "failed scenario: The certificate-owner check stays" in verdict_case.find("testcase/failure").text
    for path in (root / "reports" / "junit").rglob("p*/*.xml"):
        tree = ElementTree.parse(path)
        for suite in tree.getroot().iter("testsuite"):
            commits |= {p.get("value") for p in suite.iter("property") if p.get("name") == "run.commit"}
        names += [case.get("name") for case in tree.getroot().iter("testcase")]
        for case in tree.getroot().iter("testcase"):
            properties = {p.get("name"): p.get("value") for p in case.iter("property")}
            assert "location" in properties and properties["uit_test_case"] == "not mapped"
    assert commits == {identity["commit"]}
    properties = (root / "reports" / "allure-results" / "environment.properties").read_text()
    assert f"run.commit={identity['commit']}" in properties  # the report's Environment panel
    assert f"| Commit | {identity['commit']} (" in (root / "reports" / "traceability.md").read_text()
    assert len(names) == RESULTS and not [name for name in names if " -- @" in name]
    assert "Northern cannot replace the certificate on an electricity meter" in names


def test_an_incomplete_environment_file_is_refused_before_any_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    root = write_project(tmp_path)
    environment = root / "dcc-uit.toml"
    environment.write_text('[run]\noperator = "UIT Manager"\n[control]\ntoken = "do-not-leak"\n')
    assert run.main(["--root", str(root), "--no-html", "--environment", str(environment)]) == 2
    err = capsys.readouterr().err
    assert "[dsp]" in err and "No scenario was run." in err and "Traceback" not in err
    assert "do-not-leak" not in err
    assert not list((root / "reports" / "allure-results").glob("*-result.json"))
    assert f"-D environment={environment}" in " ".join(
        run.behave_command([], Path("r"), Path("j"), [f"environment={environment}"], [])
    )


def test_shards_partition_the_feature_files_stably():
    files = [Path(f"features/{name}.feature") for name in "edcba"]
    shards = [run.select_shard(files, number, 3) for number in (1, 2, 3)]
    assert sorted(path for shard in shards for path in shard) == sorted(files)
    assert shards[0] == [Path("features/a.feature"), Path("features/d.feature")]
    assert run.select_shard(list(reversed(files)), 1, 3) == shards[0]


def test_two_shards_merged_give_the_same_evidence_as_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = write_project(tmp_path)
    assert run.main(["--root", str(root), "--no-html", "--reports", "whole"]) == 1
    for number in (1, 2):
        run.main(
            ["--root", str(root), "--no-html", "--no-pack", "--shard", f"{number}/2", "--reports", f"shard-{number}"]
        )
    assert (
        merge_main([str(root / "shard-1"), str(root / "shard-2"), "--root", str(root), "--out", "merged", "--no-html"])
        == 1
    )
    out = capsys.readouterr().out
    assert "Merged 2 run(s): shard 1/2:" in out
    whole = (root / "whole" / "traceability.csv").read_text()
    merged = (root / "merged" / "traceability.csv").read_text()
    assert merged == whole
    verdict = (root / "whole" / "traceability.md").read_text().split("## Verdict")[1]
    assert (root / "merged" / "traceability.md").read_text().split("## Verdict")[1] == verdict
    assert len(list((root / "merged" / "allure-results").glob("*-result.json"))) == RESULTS
    assert "Merged from" in (root / "merged" / "sign-off.html").read_text()


def test_a_scenario_of_two_clauses_does_not_pull_the_later_clause_up_the_tree():
    """Allure sorts groups by their smallest leaf number: a scenario of clauses 1 and 3 must not put clause 3
    before clause 2 (as PIA 3.2 once stood second). Each group gets its own leaf, numbered in catalogue order."""
    tree = {
        "root": {"groups": ["g3", "g2", "g1"]},
        "groupsById": {
            "g1": {"nodeId": "g1", "name": "first", "leaves": ["shared", "own1"]},
            "g2": {"nodeId": "g2", "name": "second", "leaves": ["own2"]},
            "g3": {"nodeId": "g3", "name": "third", "leaves": ["shared"]},
        },
        "leavesById": {leaf: {"nodeId": leaf} for leaf in ("shared", "own1", "own2")},
    }
    locations = {"shared": ("a.feature", 1), "own1": ("a.feature", 5), "own2": ("b.feature", 1)}
    copies = allure_report._order_tree(tree, ["first", "second", "third"], locations)
    assert tree["root"]["groups"] == ["g1", "g2", "g3"]
    assert copies == {"shared~1": "shared"} and tree["groupsById"]["g3"]["leaves"] == ["shared~1"]
    smallest = [
        min(tree["leavesById"][leaf]["groupOrder"] for leaf in tree["groupsById"][group]["leaves"])
        for group in ("g1", "g2", "g3")
    ]
    assert smallest == sorted(smallest) and len(set(smallest)) == 3


def test_an_inference_of_the_suite_is_marked_as_such_wherever_its_clause_is_shown():
    clause = CLAUSES["PIA-3.A"]
    assert clause.inferred and "question for the SEC Working Group" in clause.basis_note
    assert clause.heading.endswith("(the suite's inference)")
    assert not any(other.inferred for tag, other in CLAUSES.items() if tag != "PIA-3.A")
