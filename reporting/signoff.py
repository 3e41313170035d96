"""The sign-off sheet: the page a UIT test manager prints (A4), reads and signs, often with no technician
beside them. So it says first what kind of evidence it is (a run against anything but a DCC test environment
is plainly "not UIT evidence") and the verdict, then exactly what is signed: the evidence pack by file name
and SHA-256, the run's identity and the MP107 switch states it ran under; then the findings, the clause
matrix with passed, failed and not run counted apart, the scenarios not run with their reasons, and a
signature block.

The verdict is the one `reporting.verdict` decided; the sheet judges nothing itself.

The pack holds a copy of the sheet, which cannot name the pack's own SHA-256 (the digest covers that copy);
it says so, and the sheet beside the pack, the one to print, names it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from reporting.identity import RunIdentity
from reporting.kill_matrix import strength_words
from reporting.test_cases import TestCaseMap
from reporting.verdict import ClauseState, Outcome, Verdict

SHEET = "sign-off.html"
MAX_FINDINGS = 5
"""The findings the sheet lists before it refers to the matrix for the rest."""
INSIDE_PACK = (
    "this copy is inside the pack, which cannot name its own digest: the sheet printed from beside the pack names it"
)

_CSS = """
@page { size: A4 portrait; margin: 10mm 12mm; }
* { box-sizing: border-box; }
body { font: 6.8pt/1.15 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
main { max-width: 186mm; margin: 0 auto; }
h1 { font-size: 12pt; margin: 0 0 0.5mm; }
h2 { font-size: 8.5pt; margin: 1.4mm 0 0.6mm; }
p { margin: 0.5mm 0; }
ul { margin: 0.5mm 0; padding-left: 4mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.2mm solid #888; padding: 0.1mm 0.8mm; text-align: left; vertical-align: top; }
table.clauses td, table.clauses th { font-size: 6.3pt; }
td.clause { overflow-wrap: anywhere; }
p.documents { font-size: 6.8pt; color: #333; }
th { background: #eee; }
table.identity th { width: 38mm; }
td.num { text-align: right; white-space: nowrap; }
.banner { border: 0.6mm solid #a60; background: #fff3dd; padding: 0.6mm 2mm; font-size: 9.5pt; font-weight: bold;
  margin: 0.8mm 0; }
.verdict { border: 0.6mm solid; padding: 0.6mm 2mm; font-size: 9.5pt; font-weight: bold; margin: 0.8mm 0; }
.verdict.pass { border-color: #161; background: #e6f4e6; }
.verdict.fail { border-color: #a00; background: #fde8e8; color: #a00; }
.fail { color: #a00; font-weight: bold; }
.notrun { color: #555; }
.sign td { height: 7mm; }
td.state { white-space: nowrap; }
.keep { break-inside: avoid; }
.sign th { width: 34mm; }
tr { break-inside: avoid; }
.small { font-size: 6.6pt; }
"""

_STATE_CLASS = {
    ClauseState.COVERED: "",
    ClauseState.FAILED: "fail",
    ClauseState.NOT_COVERED: "fail",
    ClauseState.NOT_RUN: "notrun",
}
_STATE_WORDS = {
    ClauseState.COVERED: "covered",
    ClauseState.FAILED: "FAILED",
    ClauseState.NOT_COVERED: "NOT COVERED",
    ClauseState.NOT_RUN: "not run here",
}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _signed_rows(identity: RunIdentity | None, pack_name: str, pack_sha256: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if pack_name:
        rows.append(("Evidence pack", f"{pack_name}, SHA-256 {pack_sha256 or '(' + INSIDE_PACK + ')'}"))
    else:
        rows.append(("Evidence pack", "none written for this run (--no-pack)"))
    rows += identity.rows() if identity else [("Run identity", "not recorded")]
    return rows


def _clause_rows(verdict: Verdict, test_cases: TestCaseMap) -> str:
    rows = []
    for row in verdict.clauses:
        ids = sorted(
            {test_cases.lookup(s.case.shown, s.case.location, s.case.clause_tags) or "—" for s in row.scenarios}
        )
        note = f"<br><i>{_e(row.clause.basis_note)}</i>" if row.clause.basis_note else ""
        rows.append(
            f"<tr><td class='clause'>{_e(row.clause.display)}</td><td>{_e(row.clause.title)}{note}</td>"
            f"<td class='num'>{row.count(Outcome.PASSED)}</td><td class='num'>{row.count(Outcome.FAILED)}</td>"
            f"<td class='num'>{row.count(Outcome.NOT_RUN)}</td><td>{_e(', '.join(ids) or '—')}</td>"
            f"<td class='state {_STATE_CLASS[row.state]}'>{_STATE_WORDS[row.state]}</td></tr>"
        )
    return "".join(rows)


def _not_run(verdict: Verdict) -> str:
    groups = verdict.not_run_by_reason()
    if not groups:
        return "<p>None: every scenario ran.</p>"
    items = "".join(
        f"<li><b>{_e(reason)}</b> ({len(scenarios)}): {_e('; '.join(s.case.shown for s in scenarios))}</li>"
        for reason, scenarios in groups.items()
    )
    return f"<ul class='small'>{items}</ul>"


def render_signoff(
    verdict: Verdict,
    identity: RunIdentity | None,
    test_cases: TestCaseMap,
    pack_name: str = "",
    pack_sha256: str = "",
    strength: dict[str, Any] | None = None,
) -> str:
    """The sheet as one self-contained HTML page (no script, no external resource). `strength`: the kill
    matrix of this commit, when one was measured (`reporting.kill_matrix`)."""
    uit = identity is not None and identity.uit_evidence
    banner = identity.evidence_banner if identity else "Run identity not recorded: not UIT evidence"
    shown = verdict.findings[:MAX_FINDINGS]
    more = len(verdict.findings) - len(shown)
    findings = "".join(f"<li>{_e(finding)}</li>" for finding in shown) + (
        f"<li>… and {more} more: see traceability.md</li>" if more > 0 else ""
    )
    documents = {row.clause.document.short: row.clause.document for row in verdict.clauses}
    cited = "; ".join(f"{short}: {document.cited}" for short, document in documents.items())
    title = "UIT sign-off sheet" if uit else "sign-off sheet"
    rows = _signed_rows(identity, pack_name, pack_sha256)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SECMP0107 {title}</title><style>{_CSS}</style></head>
<body><main>
<h1>SECMP0107 (MP107) acceptance — {title}</h1>
<p>Network Operator correction of a wrong Network Operator certificate on SMETS1 meters.</p>
{f'<p class="banner">{_e(banner)}</p>' if banner else ""}
<p class="verdict {"pass" if verdict.passed else "fail"}">Verdict: {_e(verdict.headline)}</p>
<p>Strength of the suite: {_e(strength_words(strength))}.</p>
<h2>What is signed</h2>
<table class="identity">{"".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)}</table>
<h2>Findings</h2>
{f"<ul>{findings}</ul>" if findings else "<p>None.</p>"}
<h2>Clauses (in the order the SEC reads)</h2>
<table class="clauses" style="table-layout:fixed"><tr><th style="width:15%">Clause</th><th style="width:48%">Title</th>
<th style="width:6%">Passed</th><th style="width:6%">Failed</th><th style="width:6%">Not run</th>
<th style="width:9%">UIT test case</th><th style="width:10%">Status</th></tr>
{_clause_rows(verdict, test_cases)}</table>
<p class="documents">Documents (each clause's section and link: traceability.md): {_e(cited)}.</p>
<h2>Scenarios not run</h2>
{_not_run(verdict)}
<div class="keep"><h2>Sign-off</h2>
<p>I have reviewed the evidence named above and accept / do not accept (delete one) the change for UIT.</p>
<table class="sign"><tr><th></th><th>Name</th><th>Organisation and role</th><th>Signature</th><th>Date</th></tr>
<tr><th>UIT test manager</th><td></td><td></td><td></td><td></td></tr>
<tr><th>Witness</th><td></td><td></td><td></td><td></td></tr></table></div>
</main></body></html>
"""


def write_signoff(
    out_dir: Path,
    verdict: Verdict,
    identity: RunIdentity | None,
    test_cases: TestCaseMap,
    pack_name: str = "",
    pack_sha256: str = "",
    strength: dict[str, Any] | None = None,
) -> Path:
    path = Path(out_dir) / SHEET
    path.write_text(render_signoff(verdict, identity, test_cases, pack_name, pack_sha256, strength), encoding="utf-8")
    return path
