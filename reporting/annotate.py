"""What a reader sees first on a scenario's page: its UIT test case, its clause with the document and
section, its example values in words, the trust anchors before and after as one table, and each DUIS
exchange as a sequence with the decisions. Written into the Allure results after the run (so a merge of
several runs gets the same), as the result's ``descriptionHtml``; the raw evidence stays attached to the
steps beneath.

Trust anchors attached as JSON lists ("Trust anchors before" / "... after") are turned into the table
too, so a step that has not moved to ``attach_anchor_change`` still reads well.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from catalogue import CLAUSES, Clause, clause_for_tags
from reporting.anchor_view import learn_names, render_anchor_change
from reporting.names import ANCHORS_PREFIX, EXCHANGE_PREFIX, LOCATION_LABEL, NOT_COUNTED_PREFIX
from reporting.scenarios import ScenarioCase
from reporting.test_cases import LABEL, TestCaseMap

NOT_MAPPED = "not mapped"


def _attachments(node: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every attachment of a result, in step order (a step's before its sub-steps')."""
    yield from node.get("attachments", [])
    for step in node.get("steps", []):
        yield from _attachments(step)


def _read(results_dir: Path, attachment: Mapping[str, Any]) -> str | None:
    path = results_dir / attachment.get("source", "")
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def _anchor_lists(results_dir: Path, attachments: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, str]]]]:
    found = []
    for attachment in attachments:
        if attachment.get("type") == "application/json" and attachment.get("name", "").startswith(ANCHORS_PREFIX):
            text = _read(results_dir, attachment)
            try:
                data = json.loads(text) if text else None
            except json.JSONDecodeError:
                data = None
            if isinstance(data, list) and all(isinstance(item, dict) and "key_use" in item for item in data):
                found.append((attachment["name"], data))
    return found


def evidence_html(results_dir: Path, result: Mapping[str, Any]) -> list[str]:
    """The result's readable evidence, in the order it was attached."""
    attachments = list(_attachments(result))
    pieces = [
        text
        for attachment in attachments
        if attachment.get("type") == "text/html"
        and attachment.get("name", "").startswith((EXCHANGE_PREFIX, ANCHORS_PREFIX, NOT_COUNTED_PREFIX))
        and (text := _read(results_dir, attachment))
    ]
    has_table = any(a.get("name", "").startswith(ANCHORS_PREFIX) and a.get("type") == "text/html" for a in attachments)
    lists = _anchor_lists(results_dir, attachments)
    if not has_table and len(lists) >= 2:
        names = learn_names([anchor for _, anchors in lists for anchor in anchors])
        befores = [anchors for name, anchors in lists if "after" not in name.lower()]
        afters = [anchors for name, anchors in lists if "after" in name.lower()]
        before = befores[-1] if befores else lists[0][1]
        after = afters[-1] if afters else lists[-1][1]
        pieces.insert(0, render_anchor_change(before, after, names, "Trust anchors before and after"))
    return pieces


def _clause_line(clause: Clause) -> str:
    note = f' <b style="color:#a60">{html.escape(clause.basis_note)}</b>' if clause.basis_note else ""
    return (
        f'<a href="{html.escape(clause.link)}">{html.escape(clause.display)}</a> — {html.escape(clause.title)} '
        f"<i>({html.escape(clause.citation)})</i>{note}"
    )


def summary_html(result: Mapping[str, Any], evidence: list[str], test_case: str | None, clauses: list[Clause]) -> str:
    """The page's opening: test case, clauses, example in words, then the evidence."""
    parts = [
        f"<p><b>UIT test case:</b> {html.escape(test_case or NOT_MAPPED)}</p>",
        "<p><b>Clause:</b> " + ("<br>".join(_clause_line(clause) for clause in clauses) or "none tagged") + "</p>",
    ]
    if result.get("description"):
        parts.append("".join(f"<p>{html.escape(line)}</p>" for line in result["description"].split("\n\n")))
    parts += evidence
    return '<div class="mp107-summary" style="font:13px/1.4 system-ui,sans-serif">' + "".join(parts) + "</div>"


def annotate_results(
    results_dir: Path,
    cases: list[ScenarioCase],
    test_cases: TestCaseMap,
    catalogue: Mapping[str, Clause] = CLAUSES,
) -> int:
    """Write each result's summary and UIT test-case label; returns how many results were annotated."""
    by_location = {case.location: case for case in cases}
    count = 0
    for path in sorted(results_dir.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        labels = result.get("labels", [])
        location = next((label["value"] for label in labels if label["name"] == LOCATION_LABEL), "")
        case = by_location.get(location)
        tags = case.tags if case else tuple(label["value"] for label in labels if label["name"] == "tag")
        test_case = test_cases.lookup(result.get("name", ""), location, tags) if test_cases else None
        result["labels"] = [label for label in result.get("labels", []) if label["name"] != LABEL]
        result["labels"].append({"name": LABEL, "value": test_case or NOT_MAPPED})
        result["descriptionHtml"] = summary_html(
            result, evidence_html(results_dir, result), test_case, clause_for_tags(tags, catalogue)
        )
        path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        count += 1
    return count
