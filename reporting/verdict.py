"""The run's verdict, decided once: every surface (the console and the exit code, the sign-off sheet, the
matrix, JUnit, the report's Environment panel and banner, the evidence pack) shows what `decide` returns and
judges nothing itself.

A run passes only when nothing went wrong: no scenario failed or errored, no step was undefined, the target
still answered at the end, every scenario behave ran left its result, every clause the run must prove has a
passing scenario, every scenario names a catalogued clause, and the run's own machinery (behave's processes,
the HTML report) did its job. Anything else is a finding, and one finding fails the run.

Each scenario counts once, as one of three outcomes, everywhere: passed, failed, or not run (with the reason:
a Given this environment cannot meet, or not selected by the run's tags). A clause is covered only when a
scenario of it passed and none failed; a clause with a failed scenario is failed, never covered.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from catalogue import Clause, clause_for_tags, is_clause_tag
from reporting.names import LOCATION_LABEL, UNDEFINED_STEP
from reporting.scenarios import Location, ScenarioCase

PASSED, FAILED = "PASSED", "FAILED"
VERDICT_FILE = "verdict.json"
"""Written into each run's reports folder: the verdict, and the findings only the run itself could see
(its processes, its target), which a merge of shards carries into the joined verdict."""
VERDICT_SUITE = "MP107 evidence verdict"
"""The JUnit test suite that carries the verdict as a test case, so that a CI tool reading JUnit alone sees
a run that failed on a finding no scenario shows (a clause not covered, missing evidence)."""


class Outcome(StrEnum):
    """A scenario's outcome as a reader counts it."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"


class Kind(StrEnum):
    """What went wrong, in the words a test manager reads."""

    FAILED_SCENARIO = "failed scenario"
    ERRORED_SCENARIO = "errored scenario"
    UNDEFINED_STEP = "undefined step"
    TARGET = "target"
    COVERAGE = "coverage"
    TRACEABILITY = "traceability"
    EVIDENCE = "evidence"
    RUN = "run"


_PLURALS = {
    Kind.FAILED_SCENARIO: ("{n} failed scenario", "{n} failed scenarios"),
    Kind.ERRORED_SCENARIO: ("{n} errored scenario", "{n} errored scenarios"),
    Kind.UNDEFINED_STEP: ("{n} undefined step", "{n} undefined steps"),
    Kind.TARGET: ("{n} target finding", "{n} target findings"),
    Kind.COVERAGE: ("{n} clause not covered", "{n} clauses not covered"),
    Kind.TRACEABILITY: ("{n} traceability finding", "{n} traceability findings"),
    Kind.EVIDENCE: ("{n} evidence finding", "{n} evidence findings"),
    Kind.RUN: ("{n} run finding", "{n} run findings"),
}


class ClauseState(StrEnum):
    COVERED = "covered"
    FAILED = "failed"
    NOT_COVERED = "not covered"
    NOT_RUN = "not run"
    """The run was not asked to cover it (a shard, an environment run) and nothing of it failed."""


@dataclass(frozen=True)
class Finding:
    kind: Kind
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "text": self.text}

    @classmethod
    def from_dict(cls, values: Mapping[str, str]) -> Finding:
        return cls(Kind(values["kind"]), values["text"])


@dataclass(frozen=True)
class Evidence:
    """What the run left behind: each scenario's Allure status and message, and how many results of each
    kind (Allure results; JUnit test cases, i.e. scenarios behave ran)."""

    statuses: dict[Location, str]
    allure_results: int
    scenarios_run: int | None
    reasons: dict[Location, str] = field(default_factory=dict)
    """The status message per location: why a scenario was skipped, or why it failed."""


@dataclass(frozen=True)
class ScenarioVerdict:
    case: ScenarioCase
    status: str | None
    """The Allure status (passed, failed, broken, skipped, unknown), None when the run left no result."""
    outcome: Outcome
    reason: str = ""
    """Why it did not pass: the skip reason, or the first line of the failure."""


@dataclass(frozen=True)
class ClauseVerdict:
    clause: Clause
    scenarios: tuple[ScenarioVerdict, ...]
    state: ClauseState

    def count(self, outcome: Outcome) -> int:
        return sum(scenario.outcome == outcome for scenario in self.scenarios)

    @property
    def covered(self) -> bool:
        return self.state == ClauseState.COVERED


@dataclass(frozen=True)
class Verdict:
    scenarios: tuple[ScenarioVerdict, ...]
    clauses: tuple[ClauseVerdict, ...]
    findings: tuple[Finding, ...]
    coverage_required: bool = True

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def word(self) -> str:
        return PASSED if self.passed else FAILED

    def count(self, outcome: Outcome) -> int:
        return sum(scenario.outcome == outcome for scenario in self.scenarios)

    @property
    def counts(self) -> str:
        """``83 passed, 3 failed, 0 not run (of 86 scenarios)``: the three counted apart, always all three."""
        parts = ", ".join(f"{self.count(outcome)} {outcome}" for outcome in Outcome)
        return f"{parts} (of {len(self.scenarios)} scenarios)"

    @property
    def kinds(self) -> str:
        """``3 failed scenarios, 1 clause not covered``."""
        tally = Counter(finding.kind for finding in self.findings)
        return ", ".join(_PLURALS[kind][n != 1].format(n=n) for kind, n in tally.items())

    @property
    def headline(self) -> str:
        """The verdict in one line, as every surface opens with it."""
        if self.passed:
            return f"{PASSED}: {self.counts}"
        return f"{FAILED}: {self.counts}; {len(self.findings)} finding(s): {self.kinds}"

    def clauses_in(self, state: ClauseState) -> list[ClauseVerdict]:
        return [row for row in self.clauses if row.state == state]

    @property
    def not_run(self) -> list[ScenarioVerdict]:
        return [scenario for scenario in self.scenarios if scenario.outcome == Outcome.NOT_RUN]

    def not_run_by_reason(self) -> dict[str, list[ScenarioVerdict]]:
        """The scenarios not run, grouped by their reason, largest group first."""
        groups: dict[str, list[ScenarioVerdict]] = {}
        for scenario in self.not_run:
            groups.setdefault(scenario.reason or "no reason given", []).append(scenario)
        return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))

    def properties(self) -> dict[str, str]:
        """Flat ``run.verdict*`` keys for the report's Environment panel and the JUnit properties."""
        values = {
            "run.verdict": self.word,
            "run.verdict.counts": self.counts,
            "run.verdict.clauses": ", ".join(
                f"{len(self.clauses_in(state))} {state}" for state in ClauseState if self.clauses_in(state)
            ),
        }
        for number, finding in enumerate(self.findings, start=1):
            values[f"run.verdict.finding.{number}"] = str(finding)
        return values


# --- reading what a run left ---------------------------------------------------------------------------------
def _worst(first: str | None, second: str) -> str:
    """When one scenario has several results (a retry, a merge), the worst counts."""
    severity = {"failed": 0, "broken": 1, "unknown": 2, "skipped": 3, "passed": 4}
    if first is None:
        return second
    return min(first, second, key=lambda status: severity.get(status, 0))


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def read_allure_outcomes(
    results_dir: Path, base_dir: Path | None = None
) -> tuple[dict[Location, str], dict[Location, str], int]:
    """Status per scenario location, its status message, and how many results there are."""
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
                status = result.get("status") or "unknown"
                statuses[key] = _worst(statuses.get(key), status)
                message = _first_line((result.get("statusDetails") or {}).get("message") or "")
                if message and statuses[key] == status:
                    reasons[key] = message
    return statuses, reasons, len(files)


def count_junit_testcases(junit_dir: Path) -> int:
    """How many scenarios behave ran: its JUnit test cases (0 when it wrote none); the verdict's own suite
    is not a scenario."""
    files = sorted(Path(junit_dir).rglob("*.xml")) if Path(junit_dir).is_dir() else []
    count = 0
    for file in files:
        root = ElementTree.parse(file).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        count += sum(len(suite.findall(".//testcase")) for suite in suites if suite.get("name") != VERDICT_SUITE)
    return count


def read_evidence(allure_dir: Path, junit_dir: Path | None, base_dir: Path | None = None) -> Evidence:
    statuses, reasons, count = read_allure_outcomes(allure_dir, base_dir)
    scenarios_run = count_junit_testcases(junit_dir) if junit_dir is not None else None
    return Evidence(statuses=statuses, allure_results=count, scenarios_run=scenarios_run, reasons=reasons)


# --- deciding ------------------------------------------------------------------------------------------------
def _where(case: ScenarioCase, catalogue: Mapping[str, Clause]) -> str:
    clauses = ", ".join(clause.display for clause in clause_for_tags(case.tags, catalogue))
    return f"{case.shown} ({case.location}" + (f"; {clauses})" if clauses else ")")


def _judge(
    case: ScenarioCase, evidence: Evidence, tags: str, catalogue: Mapping[str, Clause]
) -> tuple[ScenarioVerdict, Finding | None]:
    status = evidence.statuses.get(case.key)
    reason = evidence.reasons.get(case.key, "")
    if status == "passed":
        return ScenarioVerdict(case, status, Outcome.PASSED), None
    if status == "skipped":
        if reason:
            return ScenarioVerdict(case, status, Outcome.NOT_RUN, reason), None
        if tags:
            return ScenarioVerdict(case, status, Outcome.NOT_RUN, f"not selected by the run's tags ({tags})"), None
        found = Finding(Kind.EVIDENCE, f"{_where(case, catalogue)} was skipped with no reason given")
        return ScenarioVerdict(case, status, Outcome.NOT_RUN, "skipped with no reason given"), found
    if status is None:
        why = "the run left no result for it (behave did not reach it, or ended early)"
        missing = Finding(Kind.EVIDENCE, f"{_where(case, catalogue)}: {why}")
        return ScenarioVerdict(case, None, Outcome.NOT_RUN, why), missing
    if status == "failed":
        kind = Kind.FAILED_SCENARIO
    elif reason.startswith(UNDEFINED_STEP):
        kind = Kind.UNDEFINED_STEP
    else:
        kind = Kind.ERRORED_SCENARIO
    shown = reason or status
    return ScenarioVerdict(case, status, Outcome.FAILED, shown), Finding(kind, f"{_where(case, catalogue)}: {shown}")


def _clause_state(scenarios: Sequence[ScenarioVerdict], coverage_required: bool) -> ClauseState:
    outcomes = {scenario.outcome for scenario in scenarios}
    if Outcome.FAILED in outcomes:
        return ClauseState.FAILED
    if Outcome.PASSED in outcomes:
        return ClauseState.COVERED
    return ClauseState.NOT_COVERED if coverage_required else ClauseState.NOT_RUN


def _coverage_finding(row: ClauseVerdict) -> Finding:
    why = "no scenario is tagged with it"
    if row.scenarios:
        reasons = sorted({scenario.reason for scenario in row.scenarios if scenario.reason})
        why = f"none of its {len(row.scenarios)} scenario(s) passed"
        why += f" ({'; '.join(reasons[:2])})" if reasons else ""
    return Finding(Kind.COVERAGE, f"{row.clause.display} [{row.clause.tag}] is not covered: {why}")


def _traceability_findings(scenarios: Iterable[ScenarioCase], catalogue: Mapping[str, Clause]) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for case in scenarios:
        if (case.uri, case.definition_line) in seen:
            continue
        seen.add((case.uri, case.definition_line))
        claimed = [tag for tag in case.tags if is_clause_tag(tag)]
        if not claimed:
            found.append(Finding(Kind.TRACEABILITY, f"{case.uri}:{case.definition_line} '{case.name}': no clause tag"))
        found.extend(
            Finding(
                Kind.TRACEABILITY,
                f"{case.uri}:{case.definition_line} '{case.name}': clause tag @{tag} is not in the catalogue",
            )
            for tag in claimed
            if tag not in catalogue
        )
    return found


def _evidence_findings(evidence: Evidence, written: int) -> list[Finding]:
    if evidence.scenarios_run == 0 and written:
        return [Finding(Kind.EVIDENCE, "behave wrote no JUnit test cases (it ran nothing or crashed)")]
    if evidence.scenarios_run is not None and evidence.allure_results < evidence.scenarios_run:
        return [
            Finding(
                Kind.EVIDENCE,
                f"{evidence.allure_results} Allure results for {evidence.scenarios_run} scenarios behave ran",
            )
        ]
    return []


def decide(
    scenarios: Sequence[ScenarioCase],
    evidence: Evidence,
    catalogue: Mapping[str, Clause],
    *,
    coverage_required: bool = True,
    tags: str = "",
    behave_codes: Sequence[int] = (),
    run_findings: Iterable[Finding] = (),
) -> Verdict:
    """The one verdict. `coverage_required`: the run must prove every catalogued clause (a whole run in the
    embedded sandbox, a merge of shards); False for a shard or an environment run, which judge only what they
    ran. `tags`: the run's tag expression, when it selected scenarios. `behave_codes`: each behave process's
    exit code (1 means a scenario failed, which the results must then show). `run_findings`: what the run
    saw that the results cannot show (a target that stopped answering), including those the shards a merge
    joins recorded."""
    judged = [_judge(case, evidence, tags, catalogue) for case in scenarios]
    verdicts = tuple(scenario for scenario, _ in judged)
    clauses = tuple(
        ClauseVerdict(clause, tagged, _clause_state(tagged, coverage_required))
        for clause in catalogue.values()
        for tagged in [tuple(s for s in verdicts if clause.tag in s.case.tags)]
    )
    findings = [finding for _, finding in judged if finding is not None and finding.kind != Kind.EVIDENCE]
    findings += [_coverage_finding(row) for row in clauses if row.state == ClauseState.NOT_COVERED]
    findings += _traceability_findings(scenarios, catalogue)
    findings += _evidence_findings(evidence, len(scenarios))
    findings += [finding for _, finding in judged if finding is not None and finding.kind == Kind.EVIDENCE]
    findings += _process_findings(behave_codes, any(s.outcome == Outcome.FAILED for s in verdicts))
    for finding in run_findings:
        if finding not in findings:
            findings.append(finding)
    return Verdict(verdicts, clauses, tuple(findings), coverage_required)


def _process_findings(codes: Sequence[int], a_scenario_failed: bool) -> list[Finding]:
    found = []
    for number, code in enumerate(codes, start=1):
        if code == 1 and not a_scenario_failed:
            why = "reported a failure that no scenario result shows"
            found.append(Finding(Kind.RUN, f"behave process {number} of {len(codes)} {why}"))
        elif code not in (0, 1):
            found.append(Finding(Kind.RUN, f"behave process {number} of {len(codes)} ended with exit code {code}"))
    return found


def with_findings(verdict: Verdict, more: Iterable[Finding]) -> Verdict:
    """The same verdict with findings made after it was first decided (the HTML report could not be
    generated)."""
    extra = [finding for finding in more if finding not in verdict.findings]
    return Verdict(verdict.scenarios, verdict.clauses, (*verdict.findings, *extra), verdict.coverage_required)


# --- carrying it between runs and surfaces -------------------------------------------------------------------
CARRIED = (Kind.RUN, Kind.TARGET)
"""The findings only a run itself can see, which a merge of its results must carry."""


def write_verdict(folder: Path, verdict: Verdict) -> Path:
    """``verdict.json``: the verdict as decided, and the run's own findings (which a merge carries)."""
    path = Path(folder) / VERDICT_FILE
    data: dict[str, Any] = {
        "verdict": verdict.word,
        "headline": verdict.headline,
        "counts": {str(outcome): verdict.count(outcome) for outcome in Outcome},
        "findings": [finding.as_dict() for finding in verdict.findings],
        "run_findings": [finding.as_dict() for finding in verdict.findings if finding.kind in CARRIED],
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_run_findings(folder: Path) -> list[Finding]:
    """The findings a run's runner recorded itself (empty when it recorded none)."""
    path = Path(folder) / VERDICT_FILE
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Finding.from_dict(item) for item in data.get("run_findings", [])]
