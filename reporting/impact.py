"""The impact matrix: what MP107 changes, as a business analyst asks it first.

    python -m reporting.impact AS_IS TO_BE [--out reports]

AS_IS and TO_BE are the ``--reports`` folders of two runs of the same features: one against an
environment where MP107 is not in force (``support/environments/sandbox-as-is.toml``), one where it is
(``sandbox-to-be.toml``, or a DCC test environment after the change). Each scenario that ran left its
outcome in words (``support.outcome``: who asked for what, how the DCC answered and by which check,
what the meter held, where its alert went).

Scenarios are paired by their **situation**: the Given and When steps, leaving out those that set
MP107's switches and the table of who takes part. A scenario written for today's refusal and one
written for MP107's correction that start from the same meter and make the same request are the same
situation, before and after. Each row gives the situation, the outcome before and after, and whether it
changed; rows that change come first, then those MP107 leaves alone, then situations only one run could
exercise (with why the other skipped it).

Writes ``impact.md``, ``impact.csv`` and ``impact.html`` (linked from the Allure report when there is
one). Exits 1 when the two runs together leave a catalogued clause without a passing scenario, or when
either run has a failed scenario: the matrix is only as good as the runs under it.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from catalogue import CLAUSES, Clause
from reporting.allure_report import put_on_bar
from reporting.identity import RunIdentity
from reporting.names import OUTCOME_ATTACHMENT

SITUATION_STEPS = ("Given", "When")
LEFT_OUT = re.compile(r"MP107|these organisations take part", re.IGNORECASE)
"""Steps that are not part of the situation: MP107's switches (what differs between the runs) and the
Background's cast list (features name different casts for the same meter)."""
COMPARED = (
    "answer",
    "enrolment",
    "commissioning",
    "meter holds (Network Operator)",
    "meter holds (Supplier)",
    "alert went to",
)
"""The parts of an outcome compared between the runs (the request is the situation's own)."""

CHANGED, UNCHANGED, ONE_SIDED = "changed", "unchanged", "one run only"
ORDER = {CHANGED: 0, UNCHANGED: 1, ONE_SIDED: 2}


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario (or outline row) as one run left it."""

    name: str
    location: str
    status: str
    reason: str
    clauses: tuple[str, ...]
    situation: tuple[str, ...]
    outcome: Mapping[str, str]

    @property
    def ran(self) -> bool:
        return self.status not in ("skipped", "unknown")

    def compared(self) -> tuple[tuple[str, str], ...]:
        return tuple((key, self.outcome.get(key, "")) for key in COMPARED if self.outcome.get(key))


@dataclass
class Row:
    """One situation: what each run made of it."""

    situation: tuple[str, ...]
    before: list[ScenarioRun] = field(default_factory=list)
    after: list[ScenarioRun] = field(default_factory=list)

    @property
    def clauses(self) -> list[str]:
        """The clauses of the scenarios that ran (of all of them, when none did)."""
        everyone = [*self.before, *self.after]
        runs = [run for run in everyone if run.ran] or everyone
        return sorted({c for run in runs for c in run.clauses}, key=_catalogue_order)

    @property
    def verdict(self) -> str:
        before, after = _outcomes(self.before), _outcomes(self.after)
        if not before or not after:
            return ONE_SIDED
        return UNCHANGED if before == after else CHANGED


def _outcomes(runs: Iterable[ScenarioRun]) -> set[tuple[tuple[str, str], ...]]:
    return {run.compared() for run in runs if run.ran}


CATALOGUE_ORDER = {clause.display: number for number, clause in enumerate(CLAUSES.values())}


def _catalogue_order(display: str) -> tuple[int, str]:
    return (CATALOGUE_ORDER.get(display, len(CATALOGUE_ORDER)), display)


# --- reading a run -----------------------------------------------------------------------------------
def _steps(steps: Iterable[Mapping]) -> Iterator[Mapping]:
    for step in steps:
        yield step
        yield from _steps(step.get("steps", []))


def situation_of(step_names: Iterable[str]) -> tuple[str, ...]:
    """The Given and When steps (And/But take the kind before them), without MP107's switches."""
    kept, kind = [], ""
    for name in step_names:
        keyword, _, words = name.partition(" ")
        if keyword in ("Given", "When", "Then"):
            kind = keyword
        if kind in SITUATION_STEPS and not LEFT_OUT.search(words):
            kept.append(f"{kind} {words}" if keyword in ("And", "But") else name)
    return tuple(kept)


def load_run(folder: Path) -> list[ScenarioRun]:
    """Every scenario result of a run's ``--reports`` folder."""
    results = folder / "allure-results"
    if not results.is_dir():
        raise ImpactError(f"{folder}: no allure-results folder (is it a run's --reports folder?)")
    runs = []
    for path in sorted(results.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        labels = result.get("labels", [])
        location = next((label["value"] for label in labels if label["name"] == "location"), path.name)
        clauses = tuple(label["value"].split(" — ")[0] for label in labels if label["name"] == "clause")
        steps = list(_steps(result.get("steps", [])))
        outcome: dict[str, str] = {}
        for step in steps:
            for attachment in step.get("attachments", []):
                if attachment.get("name") == OUTCOME_ATTACHMENT:
                    outcome = json.loads((results / attachment["source"]).read_text(encoding="utf-8"))
        runs.append(
            ScenarioRun(
                name=result.get("name", ""),
                location=location,
                status=result.get("status", "unknown"),
                reason=(result.get("statusDetails") or {}).get("message", "")
                if result.get("status") == "skipped"
                else "",
                clauses=clauses,
                situation=situation_of(step["name"] for step in result.get("steps", [])),
                outcome=outcome,
            )
        )
    if not runs:
        raise ImpactError(f"{folder}: no scenario results")
    return runs


class ImpactError(RuntimeError):
    """The runs cannot be compared."""


def pair(before: Sequence[ScenarioRun], after: Sequence[ScenarioRun]) -> list[Row]:
    """One row per situation, changed rows first, then unchanged, then one-sided; by clause within."""
    rows: dict[tuple[str, ...], Row] = {}
    for side, runs in (("before", before), ("after", after)):
        for run in runs:
            row = rows.setdefault(run.situation, Row(run.situation))
            getattr(row, side).append(run)
    return sorted(
        (row for row in rows.values() if _outcomes(row.before) or _outcomes(row.after)),
        key=lambda row: (
            ORDER[row.verdict],
            _catalogue_order(row.clauses[0]) if row.clauses else (99, ""),
            row.situation,
        ),
    )


def uncovered(
    before: Sequence[ScenarioRun], after: Sequence[ScenarioRun], catalogue: Mapping[str, Clause]
) -> list[str]:
    """Catalogued clauses neither run has a passing scenario for (but those only the embedded sandbox can
    prove: `sandbox_only`)."""
    covered = {clause for run in [*before, *after] if run.status == "passed" for clause in run.clauses}
    return [
        clause.display
        for clause in catalogue.values()
        if clause.display not in covered and not clause.sandbox_only
    ]


def sandbox_only(
    before: Sequence[ScenarioRun], after: Sequence[ScenarioRun], catalogue: Mapping[str, Clause]
) -> list[str]:
    """Clauses no environment run can prove and neither run did, each with why (the embedded run proves them)."""
    covered = {clause for run in [*before, *after] if run.status == "passed" for clause in run.clauses}
    return [
        f"{clause.display}: {clause.sandbox_only}"
        for clause in catalogue.values()
        if clause.sandbox_only and clause.display not in covered
    ]


def failed(runs: Sequence[ScenarioRun]) -> list[ScenarioRun]:
    return [run for run in runs if run.status in ("failed", "broken")]


# --- writing -------------------------------------------------------------------------------------------
def outcome_words(runs: Sequence[ScenarioRun]) -> str:
    """What a side made of the situation, in words; why it did not run, when it did not."""
    ran = [run for run in runs if run.ran]
    if not ran:
        reasons = sorted({run.reason.removeprefix("not in this environment: ") for run in runs if run.reason})
        return "not run" + (f": {reasons[0]}" if reasons else "")
    seen: list[str] = []
    for run in ran:
        words = "; ".join(f"{key}: {value}" for key, value in run.compared()) or run.status
        if run.status != "passed":
            words += f" (scenario {run.status})"
        if words not in seen:
            seen.append(words)
    return " | ".join(seen)


def _names(runs: Sequence[ScenarioRun]) -> str:
    return "; ".join(sorted({f"{run.name} ({run.location})" for run in runs}))


def csv_rows(rows: Sequence[Row]) -> list[dict[str, str]]:
    return [
        {
            "verdict": row.verdict,
            "clauses": ", ".join(row.clauses),
            "situation": " / ".join(row.situation),
            "before": outcome_words(row.before),
            "after": outcome_words(row.after),
            "scenarios_before": _names(row.before),
            "scenarios_after": _names(row.after),
        }
        for row in rows
    ]


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    rows: Sequence[Row], names: tuple[str, str], missing: list[str], problems: list[str], left: Sequence[str] = ()
) -> str:
    counts = {verdict: sum(row.verdict == verdict for row in rows) for verdict in ORDER}
    lines = [
        "# What MP107 changes: the impact matrix",
        "",
        f"Before: **{names[0]}**. After: **{names[1]}**.",
        "",
        f"{len(rows)} situations: **{counts[CHANGED]} changed**, {counts[UNCHANGED]} unchanged, "
        f"{counts[ONE_SIDED]} exercised by one run only.",
        "",
        "| | Clauses | Situation | Before MP107 | After MP107 |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        mark = {CHANGED: "**changed**", UNCHANGED: "unchanged", ONE_SIDED: "one run only"}[row.verdict]
        lines.append(
            f"| {mark} | {_md(', '.join(row.clauses))} | {_md('<br>'.join(row.situation))} | "
            f"{_md(outcome_words(row.before))} | {_md(outcome_words(row.after))} |"
        )
    lines += ["", "## Gate", ""]
    lines += [f"- {_md(problem)}" for problem in problems] or [
        "Passed: no scenario failed in either run, and together they cover every catalogued clause."
    ]
    if missing:
        lines += ["", "Not covered by either run: " + ", ".join(missing)]
    if left:
        lines += ["", "Proved only in the embedded sandbox (no environment run can):", ""]
        lines += [f"- {_md(clause)}" for clause in left]
    return "\n".join(lines) + "\n"


def _report_links(reports: Sequence[tuple[str, str]]) -> str:
    links = " · ".join(f'<a href="{html.escape(href)}">{html.escape(name)}</a>' for name, href in reports)
    return f"<p>Each run's own report: {links}</p>" if links else ""


def render_html(
    rows: Sequence[Row], names: tuple[str, str], problems: list[str], reports: Sequence[tuple[str, str]] = ()
) -> str:
    body = []
    for row in rows:
        body.append(
            f'<tr class="{row.verdict.replace(" ", "-")}"><td>{html.escape(row.verdict)}</td>'
            f"<td>{html.escape(', '.join(row.clauses))}</td>"
            f"<td>{'<br>'.join(html.escape(step) for step in row.situation)}</td>"
            f"<td>{html.escape(outcome_words(row.before))}</td><td>{html.escape(outcome_words(row.after))}</td></tr>"
        )
    gate = "".join(f"<li>{html.escape(p)}</li>" for p in problems) or "<li>Passed</li>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What MP107 changes</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.4rem; vertical-align: top; text-align: left; }}
tr.changed td:first-child {{ background: #fde2b8; font-weight: bold; }}
tr.unchanged td:first-child {{ background: #e3f1e3; }}
tr.one-run-only td:first-child {{ background: #eee; }}
</style></head><body>
<h1>What MP107 changes</h1>
<p>Before: <strong>{html.escape(names[0])}</strong>. After: <strong>{html.escape(names[1])}</strong>.
Scenarios are paired by their situation (Given and When steps, MP107's switches left out).</p>
{_report_links(reports)}
<table><thead><tr><th></th><th>Clauses</th><th>Situation</th><th>Before MP107</th><th>After MP107</th></tr></thead>
<tbody>{"".join(body)}</tbody></table>
<h2>Gate</h2><ul>{gate}</ul>
</body></html>
"""


IMPACT_ITEM = "mp107-impact"


def link_from_report(report: Path, impact_page: Path) -> bool:
    """Put a link to the impact page on the report's own bar (above Allure's page, never over its toolbar)."""
    href = html.escape(os.path.relpath(impact_page, report.parent).replace(os.sep, "/"))
    return put_on_bar(report, IMPACT_ITEM, f'<a href="{href}">What MP107 changes (impact matrix)</a>')


def run_reports(folders: Sequence[Path], out: Path) -> list[tuple[str, str]]:
    """Each run's report, as a link from the impact page in `out`: (run name, relative href)."""
    found = []
    for folder in folders:
        report = folder / "allure-report" / "index.html"
        if report.is_file():
            found.append((_run_name(folder), os.path.relpath(report, out).replace(os.sep, "/")))
    return found


def _run_name(folder: Path) -> str:
    identity = RunIdentity.read(folder)
    return identity.target if identity else folder.name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.impact", description=__doc__.split("\n\n")[0])
    parser.add_argument("as_is", type=Path, metavar="AS_IS", help="the --reports folder of the run before MP107")
    parser.add_argument("to_be", type=Path, metavar="TO_BE", help="the --reports folder of the run after MP107")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="where to write impact.md/.csv/.html")
    args = parser.parse_args(argv)
    try:
        before, after = load_run(args.as_is), load_run(args.to_be)
    except ImpactError as error:
        print(f"impact: {error}", file=sys.stderr)
        return 2
    rows = pair(before, after)
    names = (_run_name(args.as_is), _run_name(args.to_be))
    missing = uncovered(before, after, CLAUSES)
    left = sandbox_only(before, after, CLAUSES)
    problems = [
        f"{name}: {run.name} ({run.location}) {run.status}"
        for name, runs in zip(names, (before, after), strict=True)
        for run in failed(runs)
    ]
    if missing:
        problems.append(f"{len(missing)} catalogued clause(s) with no passing scenario in either run")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "impact.md").write_text(render_markdown(rows, names, missing, problems, left), encoding="utf-8")
    with (args.out / "impact.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(csv_rows([Row(())])[0]))
        writer.writeheader()
        writer.writerows(csv_rows(rows))
    impact_page = args.out / "impact.html"
    impact_page.write_text(
        render_html(rows, names, problems, run_reports([args.as_is, args.to_be], args.out)), encoding="utf-8"
    )
    for folder in (args.as_is, args.to_be):
        link_from_report(folder / "allure-report" / "index.html", impact_page)
    linked = link_from_report(args.out / "allure-report" / "index.html", impact_page)
    counts = {verdict: sum(row.verdict == verdict for row in rows) for verdict in ORDER}
    print(
        f"Impact: {len(rows)} situations, {counts[CHANGED]} changed, {counts[UNCHANGED]} unchanged, "
        f"{counts[ONE_SIDED]} one run only; clauses covered by the two runs: "
        f"{len(CLAUSES) - len(missing) - len(left)} of {len(CLAUSES)}"
        + (f", and {len(left)} only the embedded sandbox can prove" if left else "")
    )
    print(
        f"Impact:   {args.out / 'impact.md'} (and impact.csv, impact.html"
        + (", linked from the report)" if linked else ")")
    )
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
