"""The kill matrix, as the strength run leaves it (`reporting.strength`) and every surface shows it: which wrong
DCCs (`catalogue.deviations`) the suite caught, by which scenarios, and which survived. Read here by the
report, the traceability matrix and the sign-off sheet of a run of the same commit."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from reporting.allure_report import PROJECT_ROOT
from reporting.identity import git_output

STRENGTH_FILE = "strength.json"
STRENGTH_PAGE = "strength.html"
EMBEDDED, AS_IS, TO_BE = "embedded sandbox", "as-is environment", "to-be environment"
TARGETS = (EMBEDDED, AS_IS, TO_BE)


def _caught_words(attempt: dict[str, Any]) -> str:
    if attempt.get("problem"):
        return f"not run: {attempt['problem']}"
    catches = attempt.get("caught_by") or []
    if not catches:
        return "survived"
    names = "; ".join(f"{c['scenario']} ({c['location']})" for c in catches[:3])
    more = f" and {len(catches) - 3} more" if len(catches) > 3 else ""
    return f"caught by {names}{more}" + (" [the rest]" if attempt.get("stage") == "the rest" else "")


def render_markdown(data: dict[str, Any]) -> str:
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


def render_html(data: dict[str, Any]) -> str:
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


def read_strength(reports: Path) -> dict[str, Any] | None:
    """The kill matrix a strength run left in `reports`, when it measured this very commit."""
    path = Path(reports) / STRENGTH_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if data.get("commit") == (git_output(PROJECT_ROOT, "rev-parse", "HEAD") or "unknown") else None




def caught_of_clause(data: dict[str, Any], tag: str) -> tuple[int, int]:
    """How many of the deviations breaking clause `tag` the embedded run caught, of how many."""
    rows = [row for row in data["deviations"] if row["breaks"] == tag]
    return sum(bool(row["attempts"][EMBEDDED]["caught_by"]) for row in rows), len(rows)


def strength_words(data: dict[str, Any] | None) -> str:
    """The suite's strength in one sentence, as the sheet and the matrix say it."""
    if data is None:
        return "not measured for this commit (make strength writes the kill matrix)"
    return f"{data['summary']} (kill matrix: {STRENGTH_PAGE}, measured {data['measured']})"


def strength_link(data: dict[str, Any] | None) -> str:
    """The report bar's item: the summary, linking the kill matrix page beside the report folder."""
    if data is None:
        return "<span>Strength: not measured for this commit</span>"
    return f'<a href="../{STRENGTH_PAGE}">{html.escape(data["summary"])} (kill matrix)</a>'
