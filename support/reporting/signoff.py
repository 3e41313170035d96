"""The sign-off sheet: one page a UIT test manager prints (A4), reads and signs. It carries the run's
identity, the counts, the gate's verdict, the clause matrix (clause, document and section, scenarios
passed of run, UIT test cases, verdict) and a signature block; the evidence behind it is the pack named
on the sheet with its SHA-256."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from support.reporting.identity import RunIdentity
from support.reporting.test_cases import TestCaseMap
from support.reporting.traceability import NOT_RUN, PASSED, Traceability

SHEET = "sign-off.html"
MAX_FINDINGS = 6
"""The gate's findings the sheet lists before it refers to the matrix (so that the sheet stays one page)."""

_CSS = """
@page { size: A4 portrait; margin: 10mm 12mm; }
* { box-sizing: border-box; }
body { font: 7.1pt/1.2 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
main { max-width: 186mm; margin: 0 auto; }
h1 { font-size: 13pt; margin: 0 0 1mm; }
h2 { font-size: 9pt; margin: 1.8mm 0 0.8mm; }
p { margin: 0.5mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.2mm solid #888; padding: 0.2mm 1mm; text-align: left; vertical-align: top; }
td.clause { overflow-wrap: anywhere; }
p.documents { font-size: 6.8pt; color: #333; }
th { background: #eee; }
table.identity th { width: 38mm; }
td.num { text-align: right; white-space: nowrap; }
.verdict { font-weight: bold; }
.fail { color: #a00; }
.sign td { height: 7mm; }
td.verdict, td.num { white-space: nowrap; }
.keep { break-inside: avoid; }
.sign th { width: 34mm; }
tr { break-inside: avoid; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_signoff(
    matrix: Traceability,
    identity: RunIdentity | None,
    test_cases: TestCaseMap,
    pack_name: str = "",
    pack_sha256: str = "",
) -> str:
    """The sheet as one self-contained HTML page (no script, no external resource)."""
    statuses = Counter(matrix.evidence.statuses.get(case.key, NOT_RUN) for case in matrix.scenarios)
    passed = statuses.get(PASSED, 0)
    covered = sum(row.covered for row in matrix.coverage)
    verdict = "PASSED" if not matrix.failures else f"FAILED ({len(matrix.failures)} finding(s))"
    identity_rows = identity.rows() if identity else [("Run identity", "not recorded")]
    if pack_name:
        identity_rows.append(("Evidence pack", f"{pack_name}" + (f" (SHA-256 {pack_sha256})" if pack_sha256 else "")))
    rows = []
    documents = {row.clause.document.short: row.clause.document for row in matrix.coverage}
    for row in matrix.coverage:
        run = len(row.scenarios)
        ok = sum(status == PASSED for _, status in row.scenarios)
        ids = sorted({test_cases.lookup(c.shown, c.location, c.clause_tags) or "—" for c, _ in row.scenarios})
        verdict_cell = (
            "<td class='verdict'>covered</td>" if row.covered else "<td class='verdict fail'>NOT COVERED</td>"
        )
        rows.append(
            f"<tr><td class='clause'>{_e(row.clause.display)}</td><td>{_e(row.clause.title)}</td>"
            f"<td class='num'>{ok} / {run}</td><td>{_e(', '.join(ids) or '—')}</td>{verdict_cell}</tr>"
        )
    shown = matrix.failures[:MAX_FINDINGS]
    more = len(matrix.failures) - len(shown)
    findings = "".join(f"<li>{_e(failure)}</li>" for failure in shown) + (
        f"<li>… and {more} more: see traceability.md</li>" if more > 0 else ""
    )
    cited = "; ".join(f"{short}: {document.cited}" for short, document in documents.items())
    tally = ", ".join(f"{count} {status}" for status, count in statuses.most_common())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SECMP0107 UIT sign-off</title><style>{_CSS}</style></head>
<body><main>
<h1>SECMP0107 (MP107) acceptance — UIT sign-off sheet</h1>
<p>Network Operator correction of a wrong Network Operator certificate on SMETS1 meters.</p>
<h2>Run</h2>
<table class="identity">{"".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in identity_rows)}</table>
<h2>Result</h2>
<p class="verdict{"" if not matrix.failures else " fail"}">Gate: {verdict}. {passed} of {len(matrix.scenarios)}
scenarios passed ({_e(tally or "none run")}); {covered} of {len(matrix.coverage)} clauses covered.</p>
{f"<ul>{findings}</ul>" if findings else ""}
<h2>Clauses (in the order the SEC reads)</h2>
<table style="table-layout:fixed"><tr><th style="width:20%">Clause</th><th style="width:50%">Title</th>
<th style="width:7%">Passed / run</th><th style="width:11%">UIT test case</th><th style="width:12%">Verdict</th></tr>
{"".join(rows)}</table>
<p class="documents">Documents (each clause's section and link: traceability.md): {_e(cited)}.</p>
<div class="keep"><h2>Sign-off</h2>
<p>I have reviewed the evidence named above and accept / do not accept (delete one) the change for UIT.</p>
<table class="sign"><tr><th></th><th>Name</th><th>Organisation and role</th><th>Signature</th><th>Date</th></tr>
<tr><th>UIT test manager</th><td></td><td></td><td></td><td></td></tr>
<tr><th>Witness</th><td></td><td></td><td></td><td></td></tr></table></div>
</main></body></html>
"""


def write_signoff(out_dir: Path, *args: object, **kwargs: object) -> Path:
    path = Path(out_dir) / SHEET
    path.write_text(render_signoff(*args, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return path
