"""What MP107 changes, measured: the suite against the sandbox started from copies of the as-is and to-be
environment files (their Control API off, on free ports), then the impact matrix of the two runs. The
corrections (6.2(d)) and the rollout change; the 6.2(a)-(c) exceptions, the Supplier's requests and SMETS2
do not.

The runs take only the scenarios of the clauses asserted here (ASSERTED): the whole suite's two runs and their
matrix are `make environments`' (python -m reporting.sandbox_runs), which `make test` runs, and which fails
on any clause the two runs leave uncovered."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reporting import impact, run, sandbox_runs
from reporting.sandbox_runs import on_free_ports

ENVIRONMENTS = Path(__file__).resolve().parents[1] / "support" / "environments"
ASSERTED = (
    "@SRPD-6.2.d or @PIA-3.2 or @SRPD-6.2.a or @SRPD-6.2.b or @SRPD-6.2.c or @PIA-2.2 or @PIA-2.3.2.A or @PIA-3.C"
    " or @SRPD-6.1.f"  # the Supplier's request (and the refusals the corrections replace)
)


@pytest.fixture(scope="module")
def impact_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    folder = tmp_path_factory.mktemp("impact")
    runs = []
    for name in ("sandbox-as-is", "sandbox-to-be"):
        (folder / name).mkdir()
        path = on_free_ports(ENVIRONMENTS / f"{name}.toml", folder / name)
        runs.append(folder / "reports" / name)
        with sandbox_runs.sandbox_from(path):
            options = ["--environment", str(path), "--reports", str(runs[-1]), "--processes", "2"]
            assert run.main([*options, "--tags", ASSERTED, "--no-html", "--no-pack"]) == 0
    impact.main([str(runs[0]), str(runs[1]), "--out", str(folder / "reports")])  # 1: clauses left out by --tags
    assert [impact.failed(impact.load_run(folder)) for folder in runs] == [[], []]
    with (folder / "reports" / "impact.csv").open() as handle:
        return list(csv.DictReader(handle))


def _verdicts(rows: list[dict[str, str]], clause: str) -> set[str]:
    return {row["verdict"] for row in rows if clause in row["clauses"].split(", ")}


def test_the_correction_and_the_rollout_change(impact_rows):
    assert "changed" in _verdicts(impact_rows, "SRPD 6.2(d)")
    assert "changed" in _verdicts(impact_rows, "PIA 3.2")
    changed = [row for row in impact_rows if row["verdict"] == "changed"]
    assert impact_rows[: len(changed)] == changed  # what changes comes first
    assert any(
        "refused by the DCC (E4)" in row["before"] and row["after"].startswith("answer: succeeded") for row in changed
    )


@pytest.mark.parametrize(
    "clause", ["SRPD 6.2(a)", "SRPD 6.2(b)", "SRPD 6.2(c)", "PIA 2.2", "PIA 2.3.2 A", "PIA 3 option C"]
)
def test_what_mp107_leaves_is_unchanged(impact_rows, clause: str):
    assert _verdicts(impact_rows, clause) == {"unchanged"}


def test_a_suppliers_request_is_unchanged(impact_rows):
    supplier = [
        row
        for row in impact_rows
        if row["situation"].endswith("When Flame Energy asks to replace the meter's Supplier certificates with its own")
    ]
    assert supplier and {row["verdict"] for row in supplier} == {"unchanged"}
