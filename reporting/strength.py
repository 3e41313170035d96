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

Each deviation's runs are processes of their own (the sandbox deviates in one way per process), run N at a
time. Answers are awaited at most a few seconds (the sandbox answers in milliseconds), so a deviation that
only a waiting scenario catches costs that wait, not the suite's usual timeout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from catalogue import CLAUSES
from catalogue.deviations import DEVIATIONS, Deviation
from reporting.allure_report import PROJECT_ROOT
from reporting.identity import _git
from reporting.sandbox_runs import DEFAULT_FILES, SandboxDidNotStart, on_free_ports, sandbox_from
from reporting.scenarios import collect_scenarios

STRENGTH_FILE = "strength.json"
ANSWER_SECONDS = 3.0
"""How long a scenario waits for an answer in a strength run (the sandbox answers in milliseconds)."""
EMBEDDED, AS_IS, TO_BE = "embedded sandbox", "as-is environment", "to-be environment"
TARGETS = (EMBEDDED, AS_IS, TO_BE)


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


def _failures(report: Path, titles: dict[str, str]) -> list[Catch]:
    """The scenarios behave's JSON report says failed, named as the report names them."""
    try:
        features = json.loads(report.read_text(encoding="utf-8") or "[]")
    except (OSError, json.JSONDecodeError):
        return []
    return [
        Catch(titles.get(element.get("location", ""), element.get("name", "")), element.get("location", ""))
        for feature in features
        for element in feature.get("elements", [])
        if element.get("type") == "scenario" and _failed(element)
    ]


def _behave(userdata: Sequence[str], tags: str, stop: bool, titles: dict[str, str]) -> list[Catch]:
    with tempfile.TemporaryDirectory(prefix="mp107-strength-") as folder:
        report = Path(folder) / "behave.json"
        command = [sys.executable, "-m", "behave", "--no-summary", "--no-capture", "-f", "json", "-o", str(report)]
        command += [f"--tags={tags}", *(["--stop"] if stop else [])]
        for item in [*userdata, f"answer_timeout={ANSWER_SECONDS:g}"]:
            command += ["-D", item]
        subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=900)
        return _failures(report, titles)


def _attempt(target: str, deviation: Deviation, userdata: Sequence[str], titles: dict[str, str]) -> Attempt:
    """The deviation's clause's scenarios first; the rest only when none of them failed."""
    started = time.monotonic()
    attempt = Attempt(target)
    tag = f"@{deviation.breaks}"
    caught = _behave(userdata, tag, stop=False, titles=titles)
    attempt.stage = "its clause's scenarios" if caught else ""
    if not caught:
        caught = _behave(userdata, f"not {tag}", stop=True, titles=titles)
        attempt.stage = "the rest" if caught else ""
    attempt.caught_by = caught
    attempt.seconds = time.monotonic() - started
    return attempt


def _against_environment(target: str, source: Path, deviation: Deviation, titles: dict[str, str]) -> Attempt:
    with tempfile.TemporaryDirectory(prefix="mp107-strength-env-") as folder:
        path = on_free_ports(source, Path(folder), answer_timeout=int(ANSWER_SECONDS))
        try:
            with sandbox_from(path, "--deviate", deviation.name):
                return _attempt(target, deviation, [f"environment={path}"], titles)
        except SandboxDidNotStart as problem:
            return Attempt(target, problem=str(problem))


def measure(deviation: Deviation, environments: Sequence[Path], titles: dict[str, str]) -> Result:
    result = Result(deviation.name, deviation.breaks)
    result.attempts[EMBEDDED] = _attempt(EMBEDDED, deviation, [f"deviate={deviation.name}"], titles)
    for target, source in zip((AS_IS, TO_BE), environments, strict=False):
        result.attempts[target] = _against_environment(target, source, deviation, titles)
    return result


# --- judging and writing the kill matrix -----------------------------------------------------------------------
def findings(results: Iterable[Result]) -> list[str]:
    """Why the suite's strength is not proved: an unexplained survivor, or a deviation marked equivalent
    that a scenario catches after all (its mark is wrong)."""
    found = []
    for result in results:
        deviation = DEVIATIONS[result.deviation]
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
        "commit": _git(PROJECT_ROOT, "rev-parse", "HEAD") or "unknown",
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
    (out / "strength.html").write_text(render_html(data), encoding="utf-8")
    return path


def _caught_words(attempt: dict) -> str:
    if attempt.get("problem"):
        return f"not run: {attempt['problem']}"
    catches = attempt.get("caught_by") or []
    if not catches:
        return "survived"
    names = "; ".join(f"{c['scenario']} ({c['location']})" for c in catches[:3])
    more = f" and {len(catches) - 3} more" if len(catches) > 3 else ""
    return f"caught by {names}{more}" + (" [the rest]" if attempt.get("stage") == "the rest" else "")


def render_markdown(data: dict) -> str:
    lines = [
        "# The suite's strength: the kill matrix",
        "",
        f"**{data['summary']}** (commit {data['commit'][:12]}, measured {data['measured']}, {data['seconds']} s).",
        "",
        "Each row is a DCC that built one rule wrong (`catalogue/deviations.py`); the suite ran against the sandbox "
        "deviating so, the scenarios of the clause it breaks first.",
        "",
        "| Deviation | Clause | What the wrong DCC does | Embedded sandbox | As-is | To-be |",
        "|---|---|---|---|---|---|",
    ]
    for row in data["deviations"]:
        cells = [_caught_words(row["attempts"].get(target, {"problem": "not measured"})) for target in TARGETS]
        if row["equivalent"]:
            cells[0] += f" (equivalent: {row['equivalent']})"
        if row["only_the_pair"]:
            cells[2] += f" — {row['only_the_pair']}"
        shown = " | ".join(cell.replace("|", "\\|") for cell in cells)
        lines.append(f"| {row['name']} | {row['clause']} | {row['does']} | {shown} |")
    lines += ["", "## Findings", ""]
    lines += [f"- {finding}" for finding in data["findings"]] or ["None: every deviation is caught or justified."]
    return "\n".join(lines) + "\n"


def render_html(data: dict) -> str:
    rows = []
    for row in data["deviations"]:
        cells = "".join(
            f"<td class=\"{'survived' if 'survived' in words else 'caught'}\">{html.escape(words)}</td>"
            for words in (_caught_words(row["attempts"].get(t, {"problem": "not measured"})) for t in TARGETS)
        )
        note = f"<br><i>equivalent: {html.escape(row['equivalent'])}</i>" if row["equivalent"] else ""
        pair = f"<br><b>{html.escape(row['only_the_pair'])}</b>" if row["only_the_pair"] else ""
        rows.append(
            f"<tr><td>{html.escape(row['name'])}</td><td>{html.escape(row['clause'])}</td>"
            f"<td>{html.escape(row['does'])}<br><small>misreads: {html.escape(row['misreads'])}</small>"
            f"{note}{pair}</td>"
            f"{cells}</tr>"
        )
    found = "".join(f"<li>{html.escape(f)}</li>" for f in data["findings"]) or "<li>None</li>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The suite's strength</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.85rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.35rem; vertical-align: top; text-align: left; }}
td.caught {{ background: #e3f1e3; }} td.survived {{ background: #fde2b8; font-weight: bold; }}
</style></head><body>
<h1>The suite's strength: the kill matrix</h1>
<p><strong>{html.escape(data['summary'])}</strong> (commit {html.escape(data['commit'][:12])}, measured
{html.escape(data['measured'])}). Each row is a DCC that built one rule wrong; the suite ran against the sandbox
deviating so, the scenarios of the clause it breaks first.</p>
<table><thead><tr><th>Deviation</th><th>Clause</th><th>What the wrong DCC does</th><th>Embedded sandbox</th>
<th>As-is environment</th><th>To-be environment</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>Findings</h2><ul>{found}</ul>
</body></html>
"""


def read_strength(reports: Path) -> dict | None:
    """The kill matrix a strength run left in `reports`, when it measured this very commit."""
    path = Path(reports) / STRENGTH_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if data.get("commit") == (_git(PROJECT_ROOT, "rev-parse", "HEAD") or "unknown") else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.strength", description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="deviations measured at a time (default: 2)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="measure only these deviations")
    parser.add_argument("--no-environments", action="store_true", help="the embedded sandbox only")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="where the kill matrix goes")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(DEVIATIONS))
    if unknown:
        parser.error(f"no deviation named {', '.join(unknown)}; the catalogue has: {', '.join(sorted(DEVIATIONS))}")
    chosen = [DEVIATIONS[name] for name in (args.only or sorted(DEVIATIONS))]
    environments = [] if args.no_environments else list(DEFAULT_FILES)
    titles = {case.location: case.shown for case in collect_scenarios(PROJECT_ROOT / "features", PROJECT_ROOT)}
    started = time.monotonic()
    print(f"Strength: {len(chosen)} deviations, {args.processes} at a time"
          + ("" if environments else " (embedded sandbox only)"), flush=True)  # fmt: skip
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=max(args.processes, 1)) as pool:
        for result in pool.map(lambda d: measure(d, environments, titles), chosen):
            results.append(result)
            attempt = result.embedded
            words = "caught" if attempt.caught else "SURVIVED"
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
