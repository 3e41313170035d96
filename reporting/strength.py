"""The suite's strength: does it catch a DCC that built MP107 wrong?

    python -m reporting.strength [--processes N] [--only NAME ...] [--no-environments] [--reports reports]

For each deviation of the catalogue (`catalogue.deviations`: a named wrong implementation of one of the
DCC's rules), the sandbox is switched to deviate and the suite is run against it: first the scenarios tagged
with the clause the deviation breaks; only if none of them fails, the rest (stopping at the first failure).
A deviation is *caught* when a scenario fails, *survived* when none does. The same is done against the
sandbox started from the as-is and from the to-be environment file (DUIS only, as against a DCC test
environment), to say which deviations one environment run alone would miss and only the pair catches.

Writes the kill matrix to ``REPORTS/strength.json``, ``strength.md`` and ``strength.html`` (deviation → the
clause it breaks → the scenarios that caught it, or "survived"); the report, the traceability matrix and the
sign-off sheet of a later run of the same commit show it. Exits 1 when a deviation survives the embedded
run with no reason given in the catalogue (or is marked equivalent yet caught: the mark is then wrong).

Each stage of an attempt is a behave run of its own (the sandbox deviates in one way per process), forked
from one process that imported behave and the project once (`reporting.behave_forks`), N at a time; an
environment's sandbox is started, deviating, in that run's process (the suite still reaches it only through
the file's DUIS interfaces). Answers are awaited at most a few seconds (the sandbox answers in milliseconds),
and an alert no longer than the sandbox has something to deliver, so a deviation that only a waiting
scenario catches costs that wait, not the suite's usual timeout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from catalogue import CLAUSES
from catalogue.deviations import DEVIATIONS, Deviation
from reporting.allure_report import PROJECT_ROOT
from reporting.behave_forks import BehaveForks
from reporting.identity import git_output
from reporting.kill_matrix import AS_IS, EMBEDDED, STRENGTH_FILE, STRENGTH_PAGE, TO_BE, render_html, render_markdown
from reporting.sandbox_runs import DEFAULT_FILES, SandboxDidNotStart, on_free_ports
from reporting.scenarios import ScenarioCase, collect_scenarios

ANSWER_SECONDS = 3.0
"""How long a scenario waits for an answer in a strength run (the sandbox answers in milliseconds)."""
STAGE_SECONDS = 900.0
"""How long one stage's behave run may take before it is stopped (a stage takes seconds)."""


@dataclass(frozen=True)
class Catch:
    """A scenario that failed against the deviating sandbox."""

    scenario: str
    location: str


@dataclass
class Attempt:
    """One deviation against one target: what caught it, and at which stage."""

    target: str
    caught_by: list[Catch] = field(default_factory=list)
    stage: str = ""
    """"its clause's scenarios", "the rest", or "" when nothing caught it."""
    seconds: float = 0.0
    problem: str = ""
    """Why the target could not be run (then nothing is said of the deviation there)."""

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


@dataclass
class Result:
    deviation: str
    breaks: str
    attempts: dict[str, Attempt] = field(default_factory=dict)

    @property
    def embedded(self) -> Attempt:
        return self.attempts[EMBEDDED]

    @property
    def only_the_pair(self) -> str:
        """Which single environment run would miss the deviation that the other catches ("" when neither
        or both catch it, or environments were not run)."""
        as_is, to_be = self.attempts.get(AS_IS), self.attempts.get(TO_BE)
        if as_is is None or to_be is None or as_is.problem or to_be.problem or as_is.caught == to_be.caught:
            return ""
        return "the to-be run alone misses it" if as_is.caught else "the as-is run alone misses it"


# --- running the suite against a deviating sandbox -----------------------------------------------------------
FAILED = ("failed", "error", "undefined")


def _failed(scenario: dict) -> bool:
    """Whether behave's JSON report says the scenario failed: by its status, or by a step's where the report
    gives it none (behave 1.3 leaves the last scenario of a Rule without one, its status on the next Rule's
    Background)."""
    if scenario.get("status") in FAILED:
        return True
    return scenario.get("status") is None and any(
        step.get("result", {}).get("status") in FAILED for step in scenario.get("steps", [])
    )


def _scenarios(report: Path) -> list[dict]:
    try:
        features = json.loads(report.read_text(encoding="utf-8") or "[]")
    except (OSError, json.JSONDecodeError):
        return []
    return [e for feature in features for e in feature.get("elements", []) if e.get("type") == "scenario"]


def _failures(report: Path, titles: dict[str, str]) -> list[Catch]:
    """The scenarios behave's JSON report says failed, named as the report names them."""
    return [
        Catch(titles.get(element.get("location", ""), element.get("name", "")), element.get("location", ""))
        for element in _scenarios(report)
        if _failed(element)
    ]


class StageNotRun(RuntimeError):
    """A stage's behave run that says nothing of its scenarios: it outlived its time, or reported none of them
    (its hooks failed: the target did not start). Nothing is then said of the deviation there."""


def _run_behave(
    forks: BehaveForks, userdata: Sequence[str], selection: Sequence[str], stop: bool, report: Path
) -> None:
    """behave on `selection` (a tag expression as ``--tags=…``, or scenario locations ``file:line``), in a
    child of `forks`; what it prints goes to a file beside `report`. Raises StageNotRun when the run
    outlived its time or reported no scenario."""
    args = ["--no-summary", "--no-capture", "-f", "json", "-o", str(report), *selection, *(["--stop"] if stop else [])]
    for item in [*userdata, f"answer_timeout={ANSWER_SECONDS:g}"]:
        args += ["-D", item]
    output = report.with_suffix(".out")
    if forks.run(args, output, timeout=STAGE_SECONDS) is None:
        raise StageNotRun(f"behave outlived {STAGE_SECONDS:g} s and was stopped")
    if not _scenarios(report):
        said = output.read_text(errors="replace").strip().splitlines() if output.is_file() else []
        why = next((line for line in said if line.startswith("HOOK-ERROR")), said[-1] if said else "")
        raise StageNotRun("behave reported no scenario" + (f": {why}" if why else ""))


PORT_TAKEN = "Address already in use"
"""What a sandbox's hook says when a port chosen for it was taken before it could listen there."""
PORT_ATTEMPTS = 3
"""How many times a stage is started, each on newly chosen ports, while its ports are taken."""

T = TypeVar("T")


def on_fresh_ports(stage: Callable[[], T]) -> T:
    """`stage` (which chooses its target's ports each time it is called) run again on other ports when its
    sandbox could not listen: another process took a port between its choosing and its binding. Up to
    PORT_ATTEMPTS times; any other failure, or the last, is raised as it is."""
    for _ in range(PORT_ATTEMPTS - 1):
        try:
            return stage()
        except StageNotRun as problem:
            if PORT_TAKEN not in str(problem):
                raise
            print(f"strength: a port chosen for a sandbox was taken ({problem}); started again on other ports")
    return stage()


def _behave(
    forks: BehaveForks, userdata: Sequence[str], selection: Sequence[str], stop: bool, titles: dict[str, str]
) -> list[Catch]:
    with tempfile.TemporaryDirectory(prefix="mp107-strength-") as folder:
        report = Path(folder) / "behave.json"
        _run_behave(forks, userdata, selection, stop, report)
        return _failures(report, titles)


def _passed(scenario: dict) -> bool:
    """Whether behave's JSON report says the scenario passed (a Rule's last scenario by its steps)."""
    if scenario.get("status") is not None:
        return scenario.get("status") == "passed"
    steps = scenario.get("steps", [])
    return bool(steps) and all(step.get("result", {}).get("status") == "passed" for step in steps)


@dataclass(frozen=True)
class Plan:
    """Which scenarios of a target can tell a deviation at all, from the faithful target's run: those it ran
    (against an environment, a scenario skipped because the environment cannot meet a Given is skipped whatever
    the DCC does) and, of those, the ones that called a rule the deviation replaces (until its first call of
    such a rule a scenario runs exactly as against the faithful sandbox, so no other can catch it)."""

    cases: tuple[ScenarioCase, ...]
    calls: dict[str, frozenset[str]]
    """Scenario location → the sandbox's rules it called (the faithful run's rule trace)."""

    def stage(self, deviation: Deviation, replaces: frozenset[str], tagged: bool) -> list[str]:
        """The scenarios of a stage: those tagged (or not) with the deviation's clause that can tell it."""
        return [
            case.location
            for case in self.cases
            if case.location in self.calls
            and self.calls[case.location] & replaces
            and (deviation.breaks in case.tags) == tagged
        ]


def baseline(forks: BehaveForks, target: str, source: Path | None, cases: Sequence[ScenarioCase]) -> Plan:
    """The faithful target's run, its rules traced: the embedded sandbox, or the sandbox an environment file
    describes, started in behave's own process so that its rules are traced too."""
    with tempfile.TemporaryDirectory(prefix="mp107-strength-baseline-") as folder:
        report, trace = Path(folder) / "behave.json", Path(folder) / "rules.json"

        def run() -> None:
            userdata = [f"rule_trace={trace}"]
            if source is not None:
                path = on_free_ports(source, Path(folder), answer_timeout=int(ANSWER_SECONDS))
                userdata += [f"environment={path}", "sandbox_in_process=yes"]
            _run_behave(forks, userdata, ["features"], False, report)

        try:
            on_fresh_ports(run)
        except StageNotRun as problem:
            raise SandboxDidNotStart(f"the faithful {target} could not be run: {problem}") from None
        passed = {element.get("location", "") for element in _scenarios(report) if _passed(element)}
        traced = json.loads(trace.read_text(encoding="utf-8")) if trace.is_file() else {}
    if not passed:
        raise SandboxDidNotStart(f"the faithful {target} ran no scenario: is it usable?")
    return Plan(tuple(cases), {location: frozenset(traced.get(location, ())) for location in passed})


def replaced_rules() -> dict[str, frozenset[str]]:
    """Each deviation's replaced rules, as the sandbox says (`serve`'s `deviations --json`)."""
    done = subprocess.run(
        [sys.executable, "-m", "fake_services", "deviations", "--json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return {name: frozenset(row["replaces"]) for name, row in json.loads(done.stdout).items()}


Stage = Callable[[], AbstractContextManager[Sequence[str]]]
"""A target made ready for one stage of an attempt: the behave userdata that reaches it."""


def _attempt(
    forks: BehaveForks,
    target: str,
    deviation: Deviation,
    replaces: frozenset[str],
    stage: Stage,
    plan: Plan,
    titles: dict[str, str],
) -> Attempt:
    """The deviation's clause's scenarios first; the rest only when none of them failed. Each stage against
    a target of its own, so that what one stage's scenarios used up (an environment's meters awaiting
    enrolment) never fails the next's: only the deviation may. A stage with no scenario the target can run
    costs nothing."""
    started = time.monotonic()
    attempt = Attempt(target)
    caught: list[Catch] = []

    def run(selection: Sequence[str], stop: bool) -> list[Catch]:
        with stage() as userdata:
            return _behave(forks, userdata, selection, stop=stop, titles=titles)

    try:
        first = plan.stage(deviation, replaces, tagged=True)
        if first:
            caught = on_fresh_ports(lambda: run(first, False))
        attempt.stage = "its clause's scenarios" if caught else ""
        rest = plan.stage(deviation, replaces, tagged=False)
        if not caught and rest:
            caught = on_fresh_ports(lambda: run(rest, True))
            attempt.stage = "the rest" if caught else ""
    except StageNotRun as problem:
        attempt.problem, caught, attempt.stage = str(problem), [], ""
    attempt.caught_by = caught
    attempt.seconds = time.monotonic() - started
    return attempt


def _against_environment(
    forks: BehaveForks,
    target: str,
    source: Path,
    deviation: Deviation,
    replaces: frozenset[str],
    plan: Plan,
    titles: dict[str, str],
) -> Attempt:
    @contextmanager
    def fresh_sandbox() -> Iterator[Sequence[str]]:
        """The sandbox the environment file describes, deviating, as it is before any scenario ran: started
        in the behave run's own process (the suite still reaches it only through the file's DUIS
        interfaces, as it would a DCC test environment), so that a stage costs no process of its own."""
        with tempfile.TemporaryDirectory(prefix="mp107-strength-env-") as folder:
            path = on_free_ports(source, Path(folder), answer_timeout=int(ANSWER_SECONDS))
            yield [f"environment={path}", "sandbox_in_process=yes", f"deviate={deviation.name}"]

    return _attempt(forks, target, deviation, replaces, fresh_sandbox, plan, titles)


def measure(
    forks: BehaveForks,
    deviation: Deviation,
    replaces: frozenset[str],
    plans: dict[str, Plan],
    environments: Sequence[Path],
    titles: dict[str, str],
) -> Result:
    result = Result(deviation.name, deviation.breaks)
    embedded = [f"deviate={deviation.name}"]  # each behave run starts its own sandbox
    result.attempts[EMBEDDED] = _attempt(
        forks, EMBEDDED, deviation, replaces, lambda: nullcontext(embedded), plans[EMBEDDED], titles
    )
    for target, source in zip((AS_IS, TO_BE), environments, strict=False):
        result.attempts[target] = _against_environment(
            forks, target, source, deviation, replaces, plans[target], titles
        )
    return result


# --- judging and writing the kill matrix -----------------------------------------------------------------------
def findings(results: Iterable[Result]) -> list[str]:
    """Why the suite's strength is not proved: an unexplained survivor, or a deviation marked equivalent
    that a scenario catches after all (its mark is wrong)."""
    found = []
    for result in results:
        deviation = DEVIATIONS[result.deviation]
        if result.embedded.problem:
            found.append(f"{result.deviation} could not be measured: {result.embedded.problem}")
            continue
        if not result.embedded.caught and not deviation.equivalent:
            found.append(f"{result.deviation} ({deviation.clause.display}) survived: no scenario catches it")
        if result.embedded.caught and deviation.equivalent:
            found.append(f"{result.deviation} is marked equivalent but is caught: remove the mark")
    return found


def summary(results: Sequence[Result]) -> str:
    caught = sum(result.embedded.caught for result in results)
    return f"This suite catches {caught} of {len(results)} wrong implementations of MP107"


def write(results: Sequence[Result], out: Path, seconds: float, environments: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "commit": git_output(PROJECT_ROOT, "rev-parse", "HEAD") or "unknown",
        "measured": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "seconds": round(seconds, 1),
        "summary": summary(results),
        "environments": environments,
        "findings": findings(results),
        "deviations": [
            {
                "name": result.deviation,
                "breaks": result.breaks,
                "clause": DEVIATIONS[result.deviation].clause.display,
                "does": DEVIATIONS[result.deviation].does,
                "misreads": DEVIATIONS[result.deviation].misreads,
                "distinction": DEVIATIONS[result.deviation].distinction,
                "equivalent": DEVIATIONS[result.deviation].equivalent,
                "only_the_pair": result.only_the_pair,
                "attempts": {target: asdict(attempt) for target, attempt in result.attempts.items()},
            }
            for result in results
        ],
    }
    path = out / STRENGTH_FILE
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "strength.md").write_text(render_markdown(data), encoding="utf-8")
    (out / STRENGTH_PAGE).write_text(render_html(data), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.strength", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--processes",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="deviations measured at a time (default: twice the CPUs, as a stage waits on its sandbox's threads "
        "as long as it computes: on 2 CPUs 4 take 158 s for what 2 take in 205 s, 6 no less than 4)",
    )
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="measure only these deviations")
    parser.add_argument("--no-environments", action="store_true", help="the embedded sandbox only")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="where the kill matrix goes")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(DEVIATIONS))
    if unknown:
        parser.error(f"no deviation named {', '.join(unknown)}; the catalogue has: {', '.join(sorted(DEVIATIONS))}")
    chosen = [DEVIATIONS[name] for name in (args.only or sorted(DEVIATIONS))]
    environments = [] if args.no_environments else list(DEFAULT_FILES)
    cases = collect_scenarios(PROJECT_ROOT / "features", PROJECT_ROOT)
    titles = {case.location: case.shown for case in cases}
    started = time.monotonic()
    print(f"Strength: {len(chosen)} deviations, {args.processes} at a time"
          + ("" if environments else " (embedded sandbox only)"), flush=True)  # fmt: skip
    results: list[Result] = []
    with BehaveForks(PROJECT_ROOT) as forks, ThreadPoolExecutor(max_workers=max(args.processes, 1)) as pool:
        rules = replaced_rules()
        targets: list[tuple[str, Path | None]] = [(EMBEDDED, None), *zip((AS_IS, TO_BE), environments, strict=False)]
        plans: dict[str, Plan] = {}
        try:
            for (target, _), plan in zip(
                targets, pool.map(lambda t: baseline(forks, t[0], t[1], cases), targets), strict=True
            ):
                plans[target] = plan
                print(f"  baseline: the faithful {target} runs {len(plan.calls)} scenarios", flush=True)
        except SandboxDidNotStart as unusable:  # nothing can be said of any deviation there
            print(f"Strength: not measured: {unusable}", file=sys.stderr)
            return 2
        for result in pool.map(lambda d: measure(forks, d, rules[d.name], plans, environments, titles), chosen):
            results.append(result)
            attempt = result.embedded
            words = "caught" if attempt.caught else "NOT RUN" if attempt.problem else "SURVIVED"
            by = f" by {attempt.caught_by[0].scenario} ({attempt.stage})" if attempt.caught else ""
            print(f"  {words:8} {result.deviation} [{CLAUSES[result.breaks].display}]{by}", flush=True)
    seconds = time.monotonic() - started
    reports = args.reports if args.reports.is_absolute() else PROJECT_ROOT / args.reports
    path = write(results, reports, seconds, bool(environments))
    problems = findings(results)
    for problem in problems:
        print(f"  - {problem}")
    print(f"Strength: {summary(results)}; {seconds:.0f} s; kill matrix {path.with_suffix('.md')} (and .html)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
