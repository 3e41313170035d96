"""Clause → scenario → outcome matrix: ``traceability.md`` for a test manager, ``traceability.csv`` for tools.

The matrix shows the run's verdict (`reporting.verdict`); it decides nothing itself. Each clause is
covered, failed, not covered or not run, as the verdict says; each scenario passed, failed or not run (with
the reason), counted apart.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue import CLAUSES, Clause, is_clause_tag
from reporting.identity import RunIdentity
from reporting.kill_matrix import caught_of_clause, strength_words
from reporting.scenarios import ScenarioCase, collect_scenarios, feature_files
from reporting.test_cases import TestCaseMap
from reporting.verdict import (
    ClauseState,
    Evidence,
    Finding,
    Outcome,
    ScenarioVerdict,
    Verdict,
    decide,
    read_evidence,
)

__all__ = ["Traceability", "collect_scenarios", "feature_files", "trace", "write_matrix"]

DEFAULT_MAPPING = "uit-test-cases.toml"
STATE_WORDS = {
    ClauseState.COVERED: "covered",
    ClauseState.FAILED: "**FAILED**",
    ClauseState.NOT_COVERED: "**NOT COVERED**",
    ClauseState.NOT_RUN: "not run here",
}


@dataclass(frozen=True)
class Traceability:
    """The matrix as written, the verdict it shows and where both went."""

    verdict: Verdict
    evidence: Evidence
    markdown: Path
    csv: Path

    @property
    def scenarios(self) -> list[ScenarioCase]:
        return [scenario.case for scenario in self.verdict.scenarios]

    @property
    def failures(self) -> list[str]:
        return [str(finding) for finding in self.verdict.findings]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _identity_lines(identity: RunIdentity | None) -> list[str]:
    if identity is None:
        return ["*Run identity not recorded (the matrix was built outside the runner).*", ""]
    rows = [(label.replace(" (UTC)", ""), value) for label, value in identity.rows()]
    rows[0] = ("Run started (UTC)", identity.started)
    return ["| Run | |", "|---|---|", *(f"| {_cell(label)} | {_cell(value)} |" for label, value in rows), ""]


def _scenario_cell(scenario: ScenarioVerdict) -> str:
    why = f" ({_cell(scenario.reason)})" if scenario.reason and scenario.outcome != Outcome.PASSED else ""
    return f"{_cell(scenario.case.shown)} (`{scenario.case.location}`): **{scenario.outcome}**{why}"


def _clause_title(clause: Clause) -> str:
    title = _cell(clause.title)
    return f"{title} *({_cell(clause.basis_note)})*" if clause.basis_note else title


def _findings_lines(findings: Sequence[Finding]) -> list[str]:
    return [f"- {_cell(str(finding))}" for finding in findings]


def render_markdown(
    verdict: Verdict,
    identity: RunIdentity | None = None,
    test_cases: TestCaseMap | None = None,
    strength: dict[str, Any] | None = None,
) -> str:
    """The matrix as a test manager reads it: the verdict, who ran what and when, then clause by clause in
    the catalogue's order, the findings, the scenarios not run with their reasons, and those no UIT test
    case maps."""
    test_cases = test_cases or TestCaseMap()
    states = ", ".join(f"{len(verdict.clauses_in(s))} {s}" for s in ClauseState if verdict.clauses_in(s))
    lines = [
        "# SECMP0107 traceability matrix",
        "",
        f"**Verdict: {verdict.word}**. Scenarios: {verdict.counts}. Clauses: {len(verdict.clauses)} catalogued, "
        f"{states or 'none'}.",
        "",
        *_identity_lines(identity),
        "A clause is covered when at least one of its scenarios passed and none failed; a clause with a failed "
        "scenario is failed."
        + ("" if verdict.coverage_required else " This run was not asked to cover every clause (a shard or an "
           "environment run): clauses it could not exercise are \"not run here\"."),
        "",
        "| Clause | Document and section | Scenarios | UIT test case | Status |",
        "|---|---|---|---|---|",
    ]
    for row in verdict.clauses:
        tested = "<br>".join(_scenario_cell(scenario) for scenario in row.scenarios) or "—"
        found = [test_cases.lookup(s.case.shown, s.case.location, s.case.clause_tags) for s in row.scenarios]
        ids = "<br>".join(_cell(test_case or "—") for test_case in found) if any(found) else "—"
        lines.append(
            f"| [{_cell(row.clause.display)}]({row.clause.link}) — {_clause_title(row.clause)} | "
            f"{_cell(row.clause.citation)} | {tested} | {ids} | {STATE_WORDS[row.state]} |"
        )
    lines += ["", "## Verdict", "", f"**{verdict.headline}**", ""]
    lines += _findings_lines(verdict.findings) or [
        "Passed: no scenario failed, every clause the run had to prove has a passing scenario, and the "
        "evidence is complete."
    ]
    lines += ["", "## The suite's strength", "", f"{strength_words(strength)}."]
    if strength is not None:
        lines += [""] + [
            f"- {row.clause.display}: {caught} of {count} wrong implementations caught"
            for row in verdict.clauses
            for caught, count in [caught_of_clause(strength, row.clause.tag)]
            if count
        ]
    groups = verdict.not_run_by_reason()
    lines += ["", "## Scenarios not run", ""]
    if not groups:
        lines.append("None: every scenario ran.")
    for reason, scenarios in groups.items():
        lines.append(f"- {_cell(reason)} ({len(scenarios)}):")
        lines += [f"  - {_cell(s.case.shown)} (`{s.case.location}`)" for s in scenarios]
    unmapped = [
        s.case for s in verdict.scenarios if not test_cases.lookup(s.case.shown, s.case.location, s.case.clause_tags)
    ]
    lines += ["", "## Scenarios without a UIT test case", ""]
    if not test_cases:
        lines.append(
            f"No test-case mapping was given (`{DEFAULT_MAPPING}`): none of the {len(verdict.scenarios)} is mapped."
        )
        lines.append("")
    lines += [f"- {_cell(case.shown)} (`{case.location}`)" for case in unmapped] or ["None: every scenario is mapped."]
    return "\n".join(lines) + "\n"


CSV_FIELDS = (
    "clause_tag",
    "clause",
    "title",
    "basis",
    "source",
    "citation",
    "link",
    "clause_status",
    "clause_deviations_caught",
    "feature",
    "rule",
    "scenario",
    "location",
    "outcome",
    "status",
    "reason",
    "uit_test_case",
    "run_verdict",
    "run_commit",
)


def csv_rows(
    verdict: Verdict,
    catalogue: Mapping[str, Clause],
    test_cases: TestCaseMap | None = None,
    identity: RunIdentity | None = None,
    strength: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    """One row per clause × scenario; clauses without scenarios and scenarios without a catalogued clause
    get a row each too, so the CSV is a complete inventory. Every row carries the run's verdict and commit."""
    test_cases = test_cases or TestCaseMap()
    run = {"run_verdict": verdict.word, "run_commit": identity.commit if identity else ""}

    def scenario_fields(scenario: ScenarioVerdict) -> dict[str, str]:
        case = scenario.case
        return {
            "feature": case.feature,
            "rule": case.rule or "",
            "scenario": case.shown,
            "location": case.location,
            "outcome": str(scenario.outcome),
            "status": scenario.status or "no result",
            "reason": scenario.reason if scenario.outcome != Outcome.PASSED else "",
            "uit_test_case": test_cases.lookup(case.shown, case.location, case.clause_tags) or "",
            **run,
        }

    rows: list[dict[str, str]] = []
    for row in verdict.clauses:
        clause = {
            "clause_tag": row.clause.tag,
            "clause": row.clause.display,
            "title": row.clause.title,
            "basis": row.clause.basis,
            "source": row.clause.source,
            "citation": row.clause.citation,
            "link": row.clause.link,
            "clause_status": str(row.state),
            "clause_deviations_caught": _caught(strength, row.clause.tag),
            **run,
        }
        rows += [{**clause, **scenario_fields(scenario)} for scenario in row.scenarios] or [clause]
    for scenario in verdict.scenarios:
        if not any(tag in catalogue for tag in scenario.case.tags):
            unknown = ",".join(tag for tag in scenario.case.tags if is_clause_tag(tag))
            rows.append({"clause_tag": unknown, **scenario_fields(scenario)})
    return rows


def _caught(strength: dict[str, Any] | None, tag: str) -> str:
    """``3 of 3``: the wrong implementations of the clause the suite caught ("" when not measured)."""
    if strength is None:
        return ""
    caught, count = caught_of_clause(strength, tag)
    return f"{caught} of {count}" if count else "none catalogued"


def write_matrix(
    out_dir: Path,
    verdict: Verdict,
    evidence: Evidence,
    catalogue: Mapping[str, Clause] = CLAUSES,
    *,
    identity: RunIdentity | None = None,
    test_cases: TestCaseMap | None = None,
    strength: dict[str, Any] | None = None,
) -> Traceability:
    """Write ``traceability.md`` and ``traceability.csv`` for a verdict already decided (with the kill matrix
    of this commit, `strength`, when one was measured)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / "traceability.md"
    markdown.write_text(render_markdown(verdict, identity, test_cases, strength), encoding="utf-8")
    table = out_dir / "traceability.csv"
    with table.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(csv_rows(verdict, catalogue, test_cases, identity, strength))
    return Traceability(verdict, evidence, markdown, table)


def trace(
    features_dir: Path,
    allure_dir: Path,
    junit_dir: Path | None,
    out_dir: Path,
    catalogue: Mapping[str, Clause] = CLAUSES,
    base_dir: Path | None = None,
    *,
    identity: RunIdentity | None = None,
    test_cases: TestCaseMap | None = None,
    feature_paths: Sequence[Path] | None = None,
    coverage_required: bool = True,
    tags: str = "",
    run_findings: Sequence[Finding] = (),
) -> Traceability:
    """Read what a run left, decide its verdict and write the matrix (for tools and tests that want the
    matrix alone; the runner decides once in `reporting.publish`)."""
    scenarios = collect_scenarios(feature_paths if feature_paths is not None else features_dir, base_dir)
    evidence = read_evidence(allure_dir, junit_dir, base_dir)
    verdict = decide(
        scenarios, evidence, catalogue, coverage_required=coverage_required, tags=tags, run_findings=run_findings
    )
    return write_matrix(out_dir, verdict, evidence, catalogue, identity=identity, test_cases=test_cases)
