"""From results to evidence, the same for one run and for a merge of several: the report's summaries
and labels, the Environment panel, the JUnit properties, the matrix and its gate, the HTML report in
the SEC's order, the sign-off sheet and the evidence pack; then the lines that say where each is and
whether the gate passed."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalogue import CLAUSES, Clause
from support.reporting import allure_report, pack
from support.reporting.annotate import annotate_results
from support.reporting.identity import RunIdentity, redact
from support.reporting.junit import annotate_junit
from support.reporting.signoff import write_signoff
from support.reporting.test_cases import TestCaseMap
from support.reporting.traceability import PASSED, SKIPPED, Traceability, collect_scenarios, trace


@dataclass(frozen=True)
class Published:
    """What was written, and whether the evidence holds."""

    matrix: Traceability
    report: Path | None
    signoff: Path
    pack: Path | None
    failed: bool


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def publish(
    *,
    root: Path,
    reports: Path,
    features: Path | Sequence[Path],
    identity: RunIdentity,
    test_cases: TestCaseMap,
    target_values: Mapping[str, object],
    coverage_required: bool = True,
    html: bool = True,
    pack_path: Path | None = None,
    pack_inputs: Sequence[Path] = (),
    test_cases_file: Path | None = None,
    scenarios_run_failed: bool = False,
    catalogue: Mapping[str, Clause] = CLAUSES,
) -> Published:
    """Everything after behave; prints the closing lines."""
    results_dir, junit_root = reports / "allure-results", reports / "junit"
    identity.write(reports)
    allure_report.write_environment(results_dir, identity.properties() | redact(dict(target_values)))
    allure_report.write_categories(results_dir)
    cases = collect_scenarios(features, root)
    annotate_results(results_dir, cases, test_cases, catalogue)
    annotate_junit(junit_root, identity, cases, test_cases)
    feature_paths = None if isinstance(features, Path) else list(features)
    matrix = trace(
        features if isinstance(features, Path) else root,
        results_dir,
        junit_root,
        reports,
        catalogue,
        root,
        identity=identity,
        test_cases=test_cases,
        feature_paths=feature_paths,
        coverage_required=coverage_required,
    )
    evidence = matrix.evidence
    statuses = Counter(evidence.statuses.values())
    tally = ", ".join(f"{count} {status}" for status, count in statuses.most_common())
    covered = sum(row.covered for row in matrix.coverage)
    print(
        f"\nScenarios: {len(matrix.scenarios)} written, {evidence.scenarios_run or 0} run by behave, "
        f"{evidence.allure_results} Allure results ({tally or 'none'})"
    )
    print(
        f"Clauses: {len(matrix.coverage)} catalogued, {covered} covered"
        + (
            ""
            if coverage_required
            else " (judged across runs: shards by support.reporting.merge, an as-is and a to-be environment run "
            "by support.reporting.impact)"
        )
    )
    for failure in matrix.failures:
        print(f"  - {failure}")

    report = None
    html_failed = False
    if html:
        html_dir = reports / "allure-report"
        try:
            report = allure_report.generate_html(
                results_dir, html_dir, group_order=[clause.heading for clause in catalogue.values()]
            )
        except allure_report.ReportError as error:
            html_failed = True
            print(f"Report: not generated: {error}", file=sys.stderr)

    built = None
    signoff = write_signoff(reports, matrix, identity, test_cases, pack_path.name if pack_path else "")
    if pack_path is not None:
        entries = pack.collect(reports, environment_files=pack_inputs, test_cases=test_cases_file)
        built = pack.build(entries, pack_path)
        pack.write_digest(built)

    passed = statuses.get(PASSED, 0)
    failed = scenarios_run_failed or bool(matrix.failures) or html_failed
    if report is not None:
        print(f"Report:   {_shown(report, root)}")
    print(f"Matrix:   {_shown(matrix.markdown, root)} (and {matrix.csv.name})")
    print(f"Sign-off: {_shown(signoff, root)}")
    if built is not None:
        print(
            f"Pack:     {_shown(built, root)} (SHA-256 {pack.digest(built)[:16]}…; check it with "
            f"python -m support.reporting.verify {_shown(built, root)})"
        )
    print(f"Run:      {identity.started}, commit {identity.short_commit}, {identity.target}, by {identity.operator}")
    print(
        "Gate: "
        + (
            "passed"
            if not failed
            else f"FAILED ({len(matrix.failures)} finding(s)"
            + (", failed scenarios" if scenarios_run_failed else "")
            + ")"
        )
    )
    skipped = statuses.get(SKIPPED, 0)
    print(
        f"Scenarios: {passed} passed"
        + (f", {skipped} skipped (not in this environment)" if skipped else "")
        + f", {len(matrix.scenarios) - passed - skipped} failed"
    )
    return Published(matrix, report, signoff, built, failed)


def target_values(results_dir: Path, pattern: str) -> dict[str, object]:
    """What the hooks recorded about the target (one file per behave process; they agree)."""
    values: dict[str, object] = {}
    for path in sorted(results_dir.glob(pattern)):
        values.update(json.loads(path.read_text()))
        path.unlink()  # not an Allure result
    return values
