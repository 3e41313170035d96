"""Clause → scenario → status matrix, and the gate that says whether the evidence is complete.

The scenarios come from the feature files (gherkin-official compiles each scenario and outline row
with the tags it inherits from its Feature, Rule and Examples); their statuses come from the Allure
results, joined on the ``location`` label our formatter writes; the number of scenarios behave ran
comes from its JUnit XML. A test manager reads ``traceability.md``; tools read ``traceability.csv``.
"""

import csv
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler

from catalogue import CLAUSES, Clause, is_clause_tag
from support.allure_formatter import LOCATION_LABEL
from support.reporting.identity import RunIdentity
from support.reporting.prose import example_in_words, scenario_title, tidy
from support.reporting.test_cases import TestCaseMap

PASSED = "passed"
SKIPPED = "skipped"
NOT_RUN = "not run"
_SEVERITY = {"failed": 0, "broken": 1, "unknown": 2, NOT_RUN: 3, "skipped": 4, PASSED: 5}
"""Worst first: when one scenario has several results the matrix shows the worst."""

Location = tuple[Path, int]
DEFAULT_MAPPING = "uit-test-cases.toml"


@dataclass(frozen=True)
class ScenarioCase:
    """One scenario, or one row of a Scenario Outline, as written in a feature file."""

    path: Path
    uri: str
    line: int
    definition_line: int
    feature: str
    rule: str | None
    name: str
    tags: tuple[str, ...]
    title: str = ""
    """The name a reader sees (as the report shows it): as written, read as English."""
    example: str = ""
    """For an outline row: which Examples row, and its values in words."""
    row_id: str = ""
    """For an outline row: ``1.2`` (Examples table 1, row 2), as behave numbers it."""

    @property
    def shown(self) -> str:
        return self.title or self.name

    @property
    def clause_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if is_clause_tag(tag))

    @property
    def key(self) -> Location:
        return (self.path, self.line)

    @property
    def location(self) -> str:
        return f"{self.uri}:{self.line}"


@dataclass(frozen=True)
class Evidence:
    """What the run left behind: a status per scenario location and how many results of each kind."""

    statuses: dict[Location, str]
    allure_results: int
    scenarios_run: int | None
    reasons: dict[Location, str] = field(default_factory=dict)
    """Why a scenario was skipped (a Given the environment cannot meet), by location."""


@dataclass(frozen=True)
class ClauseCoverage:
    """A catalogued clause with the scenarios tagged with it and their statuses."""

    clause: Clause
    scenarios: tuple[tuple[ScenarioCase, str], ...]

    @property
    def covered(self) -> bool:
        return any(status == PASSED for _, status in self.scenarios)


@dataclass(frozen=True)
class Traceability:
    """The matrix, the gate's verdict and where both were written."""

    coverage: list[ClauseCoverage]
    scenarios: list[ScenarioCase]
    evidence: Evidence
    failures: list[str]
    markdown: Path
    csv: Path


def _relative(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def feature_files(features: Path | Sequence[Path]) -> list[Path]:
    """The feature files of a folder (recursively), or the files given, in a stable order by path."""
    if isinstance(features, Path | str):
        return sorted(Path(features).resolve().rglob("*.feature"))
    return sorted(Path(path).resolve() for path in features)


def _examples_rows(scenario: dict) -> dict[str, tuple[str, str, list[tuple[str, str]]]]:
    """Row id → (Examples name, "1.2" numbering as behave gives it, the row's values)."""
    rows: dict[str, tuple[str, str, list[tuple[str, str]]]] = {}
    for table_number, examples in enumerate(scenario.get("examples", []), start=1):
        headings = [cell["value"] for cell in (examples.get("tableHeader") or {}).get("cells", [])]
        for row_number, row in enumerate(examples.get("tableBody", []), start=1):
            values = list(zip(headings, [cell["value"] for cell in row["cells"]], strict=False))
            rows[row["id"]] = (examples.get("name", ""), f"{table_number}.{row_number}", values)
    return rows


def collect_scenarios(features: Path | Sequence[Path], base_dir: Path | None = None) -> list[ScenarioCase]:
    """Every scenario and outline row under a folder (or in the files given), with its inherited tags
    (without '@') and the name a reader sees."""
    base = (base_dir or Path.cwd()).resolve()
    cases: list[ScenarioCase] = []
    for path in feature_files(features):
        document = Parser().parse(path.read_text(encoding="utf-8"))
        feature = document.get("feature")
        if not feature:
            continue
        rules: dict[str, str] = {}
        scenarios: dict[str, dict] = {}
        for child in feature["children"]:
            for inner in child["rule"]["children"] if "rule" in child else [child]:
                if "scenario" in inner:
                    scenario = inner["scenario"]
                    scenarios[scenario["id"]] = scenario
                    if "rule" in child:
                        rules[scenario["id"]] = child["rule"]["name"]
        uri = _relative(path, base)
        for pickle in Compiler().compile({**document, "uri": uri}):
            scenario_id = pickle["astNodeIds"][0]
            scenario = scenarios[scenario_id]
            row = _examples_rows(scenario).get(pickle["astNodeIds"][1]) if len(pickle["astNodeIds"]) > 1 else None
            template = scenario["name"] if row is not None else None
            cases.append(
                ScenarioCase(
                    path=path,
                    uri=uri,
                    line=pickle["location"]["line"],
                    definition_line=scenario["location"]["line"],
                    feature=feature["name"],
                    rule=rules.get(scenario_id),
                    name=pickle["name"],
                    tags=tuple(tag["name"].lstrip("@") for tag in pickle["tags"]),
                    title=scenario_title(pickle["name"], template, row[2] if row else ()),
                    example=example_in_words(tidy(row[0]), row[1], row[2]) if row else "",
                    row_id=row[1] if row else "",
                )
            )
    return cases


def _worst(first: str | None, second: str) -> str:
    if first is None:
        return second
    return min(first, second, key=lambda status: _SEVERITY.get(status, 0))


def read_allure_results(results_dir: Path, base_dir: Path | None = None) -> tuple[dict[Location, str], int]:
    """Status per scenario location from ``*-result.json``, and how many results there are."""
    statuses, _, count = read_allure_outcomes(results_dir, base_dir)
    return statuses, count


def read_allure_outcomes(
    results_dir: Path, base_dir: Path | None = None
) -> tuple[dict[Location, str], dict[Location, str], int]:
    """Status per scenario location, why each skipped one was skipped, and how many results there are."""
    base = (base_dir or Path.cwd()).resolve()
    statuses: dict[Location, str] = {}
    reasons: dict[Location, str] = {}
    files = sorted(Path(results_dir).glob("*-result.json")) if Path(results_dir).is_dir() else []
    for file in files:
        result = json.loads(file.read_text(encoding="utf-8"))
        for label in result.get("labels", []):
            if label.get("name") == LOCATION_LABEL:
                where, _, line = label["value"].rpartition(":")
                key = ((base / where).resolve(), int(line))
                statuses[key] = _worst(statuses.get(key), result.get("status") or "unknown")
                message = (result.get("statusDetails") or {}).get("message")
                if result.get("status") == SKIPPED and message:
                    reasons[key] = message
    return statuses, reasons, len(files)


def count_junit_testcases(junit_dir: Path) -> int:
    """How many scenarios behave ran: its JUnit testcases (0 when it wrote none)."""
    files = sorted(Path(junit_dir).rglob("*.xml")) if Path(junit_dir).is_dir() else []
    return sum(len(ElementTree.parse(file).getroot().findall(".//testcase")) for file in files)


def read_evidence(allure_dir: Path, junit_dir: Path | None, base_dir: Path | None = None) -> Evidence:
    """Gather the run's evidence from the Allure results and, when given, the JUnit folder."""
    statuses, reasons, count = read_allure_outcomes(allure_dir, base_dir)
    scenarios_run = count_junit_testcases(junit_dir) if junit_dir is not None else None
    return Evidence(statuses=statuses, allure_results=count, scenarios_run=scenarios_run, reasons=reasons)


def build_matrix(
    catalogue: Mapping[str, Clause], scenarios: Iterable[ScenarioCase], statuses: Mapping[Location, str]
) -> list[ClauseCoverage]:
    """Each catalogued clause, in catalogue order, with its tagged scenarios and their statuses."""
    scenarios = list(scenarios)
    return [
        ClauseCoverage(
            clause, tuple((case, statuses.get(case.key, NOT_RUN)) for case in scenarios if clause.tag in case.tags)
        )
        for clause in catalogue.values()
    ]


def gate(
    catalogue: Mapping[str, Clause],
    scenarios: Iterable[ScenarioCase],
    coverage: Iterable[ClauseCoverage],
    evidence: Evidence,
    coverage_required: bool = True,
) -> list[str]:
    """Why the evidence does not yet prove MP107; empty when it does. A shard, or a run against an
    environment, judges only what it ran (`coverage_required` False: a failed scenario still fails it, one
    skipped because the environment cannot meet a Given does not); coverage is judged across runs (the
    merge of shards; the impact matrix of an as-is and a to-be run)."""
    failures = [
        f"{row.clause.display} [{row.clause.tag}]: no passing scenario"
        + (f" ({', '.join(sorted({status for _, status in row.scenarios}))})" if row.scenarios else "")
        for row in coverage
        if not row.covered
        and (coverage_required or any(status not in (PASSED, SKIPPED) for _, status in row.scenarios))
    ]
    seen: set[tuple[str, int]] = set()
    for case in scenarios:
        if (case.uri, case.definition_line) in seen:
            continue
        seen.add((case.uri, case.definition_line))
        claimed = [tag for tag in case.tags if is_clause_tag(tag)]
        if not claimed:
            failures.append(f"{case.uri}:{case.definition_line} '{case.name}': no clause tag")
        failures.extend(
            f"{case.uri}:{case.definition_line} '{case.name}': clause tag @{tag} is not in the catalogue"
            for tag in claimed
            if tag not in catalogue
        )
    if evidence.scenarios_run == 0:
        failures.append("evidence incomplete: behave wrote no JUnit testcases (it ran nothing or crashed)")
    elif evidence.scenarios_run is not None and evidence.allure_results < evidence.scenarios_run:
        failures.append(
            f"evidence incomplete: {evidence.allure_results} Allure results for "
            f"{evidence.scenarios_run} scenarios behave ran"
        )
    return failures


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _identity_lines(identity: RunIdentity | None) -> list[str]:
    if identity is None:
        return ["*Run identity not recorded (the matrix was built outside the runner).*", ""]
    rows = [(label.replace(" (UTC)", ""), value) for label, value in identity.rows()]
    rows[0] = ("Run started (UTC)", identity.started)
    return ["| Run | |", "|---|---|", *(f"| {_cell(label)} | {_cell(value)} |" for label, value in rows), ""]


def render_markdown(
    coverage: list[ClauseCoverage],
    scenarios: list[ScenarioCase],
    statuses: Mapping[Location, str],
    failures: list[str],
    identity: RunIdentity | None = None,
    test_cases: TestCaseMap | None = None,
    reasons: Mapping[Location, str] | None = None,
) -> str:
    """The matrix as a table a test manager can read: who ran what and when, then clause by clause in the
    catalogue's order, the team's test-case IDs, the gate's verdict and the scenarios no test case maps."""
    test_cases = test_cases or TestCaseMap()
    covered = sum(row.covered for row in coverage)
    counts: dict[str, int] = {}
    for case in scenarios:
        status = statuses.get(case.key, NOT_RUN)
        counts[status] = counts.get(status, 0) + 1
    tally = ", ".join(f"{counts[status]} {status}" for status in sorted(counts, key=_SEVERITY.get))
    lines = [
        "# SECMP0107 traceability matrix",
        "",
        *_identity_lines(identity),
        f"**{len(coverage)} clauses, {covered} covered** (a clause is covered by at least one passing "
        f"scenario); {len(scenarios)} scenarios: {tally or 'none'}.",
        "",
        "| Clause | Document and section | Scenarios | UIT test case | Status |",
        "|---|---|---|---|---|",
    ]
    for row in coverage:
        tested = (
            "<br>".join(
                f"{_cell(case.shown)} (`{case.location}`): **{status}**"
                + (f" ({_cell(reasons[case.key])})" if reasons and case.key in reasons else "")
                for case, status in row.scenarios
            )
            or "—"
        )
        found = [test_cases.lookup(case.shown, case.location, case.clause_tags) for case, _ in row.scenarios]
        ids = "<br>".join(_cell(test_case or "—") for test_case in found) if any(found) else "—"
        verdict = "covered" if row.covered else "**NOT COVERED**"
        lines.append(
            f"| [{_cell(row.clause.display)}]({row.clause.link}) — {_cell(row.clause.title)} | "
            f"{_cell(row.clause.citation)} | {tested} | {ids or '—'} | {verdict} |"
        )
    lines += ["", "## Gate", ""]
    lines += [f"- {_cell(failure)}" for failure in failures] or [
        "Passed: every clause has a passing scenario and the evidence is complete."
    ]
    unmapped = [case for case in scenarios if not test_cases.lookup(case.shown, case.location, case.clause_tags)]
    lines += ["", "## Scenarios without a UIT test case", ""]
    if not test_cases:
        lines.append(f"No test-case mapping was given (`{DEFAULT_MAPPING}`): none of the {len(scenarios)} is mapped.")
        lines.append("")
    lines += [f"- {_cell(case.shown)} (`{case.location}`)" for case in unmapped] or ["None: every scenario is mapped."]
    return "\n".join(lines) + "\n"


CSV_FIELDS = (
    "clause_tag",
    "clause",
    "title",
    "source",
    "citation",
    "link",
    "clause_covered",
    "feature",
    "rule",
    "scenario",
    "location",
    "status",
    "uit_test_case",
    "run_commit",
    "skip_reason",
)


def csv_rows(
    catalogue: Mapping[str, Clause],
    coverage: list[ClauseCoverage],
    scenarios: list[ScenarioCase],
    statuses: Mapping[Location, str],
    test_cases: TestCaseMap | None = None,
    identity: RunIdentity | None = None,
    reasons: Mapping[Location, str] | None = None,
) -> list[dict[str, str]]:
    """One row per clause × scenario; clauses without scenarios and scenarios without a catalogued
    clause get a row each too, so the CSV is a complete inventory. Every row carries the run's commit."""
    test_cases = test_cases or TestCaseMap()
    commit = identity.commit if identity else ""

    def scenario_fields(case: ScenarioCase) -> dict[str, str]:
        return {
            "feature": case.feature,
            "rule": case.rule or "",
            "scenario": case.shown,
            "location": case.location,
            "status": statuses.get(case.key, NOT_RUN),
            "uit_test_case": test_cases.lookup(case.shown, case.location, case.clause_tags) or "",
            "run_commit": commit,
            "skip_reason": (reasons or {}).get(case.key, ""),
        }

    rows: list[dict[str, str]] = []
    for row in coverage:
        clause = {
            "clause_tag": row.clause.tag,
            "clause": row.clause.display,
            "title": row.clause.title,
            "source": row.clause.source,
            "citation": row.clause.citation,
            "link": row.clause.link,
            "clause_covered": "yes" if row.covered else "no",
            "run_commit": commit,
        }
        rows += [{**clause, **scenario_fields(case)} for case, _ in row.scenarios] or [clause]
    for case in scenarios:
        if not any(tag in catalogue for tag in case.tags):
            unknown = ",".join(tag for tag in case.tags if is_clause_tag(tag))
            rows.append({"clause_tag": unknown, **scenario_fields(case)})
    return rows


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
) -> Traceability:
    """Build the matrix, run the gate and write ``traceability.md`` and ``traceability.csv``. With
    `feature_paths` only those files are traced (a shard), and `coverage_required` False leaves coverage
    to the merge."""
    scenarios = collect_scenarios(feature_paths if feature_paths is not None else features_dir, base_dir)
    evidence = read_evidence(allure_dir, junit_dir, base_dir)
    coverage = build_matrix(catalogue, scenarios, evidence.statuses)
    failures = gate(catalogue, scenarios, coverage, evidence, coverage_required)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / "traceability.md"
    markdown.write_text(
        render_markdown(coverage, scenarios, evidence.statuses, failures, identity, test_cases, evidence.reasons),
        encoding="utf-8",
    )
    table = out_dir / "traceability.csv"
    with table.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(
            csv_rows(catalogue, coverage, scenarios, evidence.statuses, test_cases, identity, evidence.reasons)
        )
    return Traceability(coverage, scenarios, evidence, failures, markdown, table)
