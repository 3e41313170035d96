"""From results to evidence, the same for one run and for a merge of several: the verdict, decided once, then
every surface that shows it (the report's Environment panel and bar, the HTML report in the SEC's order, the
JUnit properties and verdict test case, the matrix, the sign-off sheet, the evidence pack, the console), and
the lines that say where each is."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalogue import CLAUSES, Clause
from reporting import allure_report, pack
from reporting.annotate import annotate_results
from reporting.identity import RunIdentity, redact
from reporting.junit import annotate_junit
from reporting.kill_matrix import read_strength, strength_link
from reporting.scenarios import collect_scenarios
from reporting.signoff import write_signoff
from reporting.test_cases import TestCaseMap
from reporting.traceability import Traceability, write_matrix
from reporting.verdict import (
    Finding,
    Kind,
    Verdict,
    decide,
    read_evidence,
    with_findings,
    write_verdict,
)

VERDICT_ITEM = "mp107-verdict"
STRENGTH_ITEM = "mp107-strength"
MAX_SHOWN = 12
"""The findings the console lists before it refers to the matrix for the rest."""
ANSWERING_AT_END = "target.answering_at_end"
"""What each behave process's hooks recorded about the target as the run ended: "yes", or "no: why"."""


@dataclass(frozen=True)
class Published:
    """What was written, and the verdict every piece shows."""

    matrix: Traceability
    report: Path | None
    signoff: Path
    pack: Path | None
    verdict: Verdict

    @property
    def failed(self) -> bool:
        return not self.verdict.passed


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def target_findings(target_values: Mapping[str, object]) -> list[Finding]:
    """A target that stopped answering, as a behave process's hooks found it at the end of the run."""
    answering = target_values.get(ANSWERING_AT_END)
    said = answering if isinstance(answering, list) else [answering] if answering else []
    return [
        Finding(Kind.TARGET, f"the target stopped answering during the run: {str(one).removeprefix('no: ')}")
        for one in dict.fromkeys(str(item) for item in said)
        if one != "yes"
    ]


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
    behave_codes: Sequence[int] = (),
    carried: Sequence[Finding] = (),
    tags: str = "",
    catalogue: Mapping[str, Clause] = CLAUSES,
) -> Published:
    """Everything after behave; prints the closing lines. `carried`: findings the joined runs recorded
    themselves (a merge's shards)."""
    results_dir, junit_root = reports / "allure-results", reports / "junit"
    identity.write(reports)
    cases = collect_scenarios(features, root)
    evidence = read_evidence(results_dir, junit_root, root)
    strength = read_strength(reports)
    verdict = decide(
        cases,
        evidence,
        catalogue,
        coverage_required=coverage_required,
        tags=tags,
        behave_codes=behave_codes,
        run_findings=[*target_findings(target_values), *carried],
    )
    panel = {key: value for key, value in target_values.items() if key != ANSWERING_AT_END}
    allure_report.write_categories(results_dir)
    annotate_results(results_dir, cases, test_cases, catalogue)

    report = None
    if html:
        allure_report.write_environment(results_dir, identity.properties() | verdict.properties() | redact(panel))
        findings = [str(finding) for finding in verdict.findings]
        bar = {VERDICT_ITEM: allure_report.verdict_html(verdict.word, verdict.headline, findings)}
        bar[STRENGTH_ITEM] = strength_link(strength)
        try:
            report = allure_report.generate_html(
                results_dir,
                reports / "allure-report",
                group_order=[clause.heading for clause in catalogue.values()],
                bar=bar,
            )
        except allure_report.ReportError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "allure generate failed"
            print(f"Report: not generated: {error}", file=sys.stderr)
            verdict = with_findings(verdict, [Finding(Kind.EVIDENCE, f"the HTML report was not generated: {first}")])
    allure_report.write_environment(results_dir, identity.properties() | verdict.properties() | redact(panel))
    annotate_junit(junit_root, identity, cases, test_cases, verdict)
    matrix = write_matrix(
        reports, verdict, evidence, catalogue, identity=identity, test_cases=test_cases, strength=strength
    )
    write_verdict(reports, verdict)

    pack_name = pack_path.name if pack_path is not None else ""
    signoff = write_signoff(reports, verdict, identity, test_cases, pack_name, strength=strength)  # the pack's copy
    built = None
    if pack_path is not None:
        entries = pack.collect(
            reports, environment_files=pack_inputs, test_cases=test_cases_file, strength=strength is not None
        )
        header = [
            f"SECMP0107 evidence pack of the run started {identity.started}, commit {identity.commit}",
            f"Target: {identity.target}" + (f" ({identity.evidence_banner})" if identity.evidence_banner else ""),
            f"Verdict: {verdict.headline}",
            *(f"Finding: {finding}" for finding in verdict.findings),
        ]
        built = pack.build(entries, pack_path, header)
        pack.write_digest(built)
        signoff = write_signoff(reports, verdict, identity, test_cases, pack_name, pack.digest(built), strength)

    _print_closing(root, verdict, matrix, report, signoff, built, identity, coverage_required)
    return Published(matrix, report, signoff, built, verdict)


def _print_closing(
    root: Path,
    verdict: Verdict,
    matrix: Traceability,
    report: Path | None,
    signoff: Path,
    built: Path | None,
    identity: RunIdentity,
    coverage_required: bool,
) -> None:
    evidence = matrix.evidence
    print(
        f"\nScenarios: {len(verdict.scenarios)} written, {evidence.scenarios_run or 0} run by behave, "
        f"{evidence.allure_results} Allure results"
    )
    states = ", ".join(f"{len(verdict.clauses_in(s))} {s}" for s in dict.fromkeys(r.state for r in verdict.clauses))
    print(
        f"Clauses: {len(verdict.clauses)} catalogued: {states or 'none'}"
        + (
            ""
            if coverage_required
            else " (coverage is judged across runs: shards by reporting.merge, an as-is and a to-be "
            "environment run by reporting.impact)"
        )
    )
    if report is not None:
        print(f"Report:   {_shown(report, root)}")
    print(f"Matrix:   {_shown(matrix.markdown, root)} (and {matrix.csv.name})")
    print(f"Sign-off: {_shown(signoff, root)}" + (f" ({identity.evidence_banner})" if identity.evidence_banner else ""))
    if built is not None:
        print(
            f"Pack:     {_shown(built, root)} (SHA-256 {pack.digest(built)}; check it with "
            f"python -m reporting.verify {_shown(built, root)})"
        )
    print(f"Run:      {identity.started}, commit {identity.short_commit}, {identity.target}, by {identity.operator}")
    for finding in verdict.findings[:MAX_SHOWN]:
        print(f"  - {finding}")
    if len(verdict.findings) > MAX_SHOWN:
        print(f"  - … and {len(verdict.findings) - MAX_SHOWN} more: see {_shown(matrix.markdown, root)}")
    print(f"Verdict:  {verdict.headline}")


def target_values(results_dir: Path, pattern: str) -> dict[str, object]:
    """What the hooks recorded about the target (one file per behave process; they agree, but for whether
    the target still answered at the end, which each process says for itself)."""
    values: dict[str, object] = {}
    answering: list[object] = []
    for path in sorted(results_dir.glob(pattern)):
        recorded = json.loads(path.read_text())
        if ANSWERING_AT_END in recorded:
            answering.append(recorded.pop(ANSWERING_AT_END))
        values.update(recorded)
        path.unlink()  # not an Allure result
    if answering:
        values[ANSWERING_AT_END] = answering
    return values
