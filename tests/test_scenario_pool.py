"""Every scenario in a process of its own, forked from one that imported everything once
(`reporting.scenario_pool`): each scenario run and reported exactly once, a process that dies named by its
exit code, the JUnit joined per feature, and a run against an environment with many scenarios in flight
judged as the same run in one process is (the sandbox started from a copy of `sandbox-to-be.toml` on free
ports stands for the environment)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from reporting import run
from reporting.sandbox_runs import on_free_ports, sandbox_from
from reporting.scenario_pool import MIB, PoolSpec, join_junit, run_pool, workers_within
from reporting.scenarios import collect_scenarios, feature_files
from tests.reporting_project import RESULTS, env, write_project

ROOT = Path(__file__).resolve().parents[1]
TO_BE = ROOT / "support" / "environments" / "sandbox-to-be.toml"
CONTENDED = "@unchanged or @SRPD-6.2.d"
"""Scenarios that contend for the same few meters of the to-be file (SMETS1 meters on S1SP1)."""


def _spec(root: Path, locations: list[str], workers: int = 3) -> PoolSpec:
    results = root / "reports" / "allure-results"
    return PoolSpec(
        root=str(root),
        locations=locations,
        behave_args=run.behave_arguments(results, [], []),
        junit_root=str(root / "reports" / "junit"),
        workers=workers,
        memory_budget=4096 * MIB,
    )


def test_each_scenario_runs_once_in_its_own_process_and_its_evidence_is_joined(tmp_path: Path):
    root = write_project(tmp_path)
    cases = collect_scenarios(feature_files(root / "features"), root)
    ended: list[str] = []
    report = run_pool(_spec(root, [case.location for case in cases]), env(), on_ended=ended.append, say=lambda _: None)
    assert len(report.codes) == len(cases) == RESULTS == len(set(ended))
    failing = {case.location for case in cases if case.name == "The certificate-owner check stays"}
    assert {case.location for case, code in zip(cases, report.codes, strict=True) if code != 0} == failing
    results = [json.loads(path.read_text()) for path in (root / "reports" / "allure-results").glob("*-result.json")]
    assert len(results) == RESULTS  # the other scenarios of a feature are left out of a child's run, not skipped
    assert all(result["status"] in ("passed", "failed") for result in results)
    join_junit(root / "reports" / "junit")
    folders = sorted(path.name for path in (root / "reports" / "junit").iterdir())
    assert folders == ["p1"]
    suites = [ElementTree.parse(path).getroot() for path in (root / "reports" / "junit" / "p1").glob("*.xml")]
    assert len(suites) == 2  # one file per feature, as one behave process writes them
    assert sum(int(suite.get("tests", "0")) for suite in suites) == RESULTS
    assert sum(len(suite.findall("testcase")) for suite in suites) == RESULTS
    assert sum(int(suite.get("failures", "0")) for suite in suites) == 1


def test_a_scenario_whose_process_dies_is_reported_with_its_exit_code(tmp_path: Path):
    root = write_project(tmp_path)
    steps = root / "features" / "steps" / "steps.py"
    steps.write_text(steps.read_text() + '\n@then("the process dies")\ndef _(context):\n    import os, signal\n'
                     "    os.kill(os.getpid(), signal.SIGKILL)\n")  # fmt: skip
    (root / "features" / "gaps" / "dies.feature").write_text(
        "Feature: A worker that dies\n  Scenario: It dies\n    Then the process dies\n"
    )
    lines: list[str] = []
    report = run_pool(_spec(root, ["features/gaps/dies.feature:2"]), env(), say=lines.append)
    assert report.codes == [-signal.SIGKILL]
    assert "[features/gaps/dies.feature:2] behave exited with code -9" in lines


def test_the_workers_are_the_runners_number_within_the_memory_budget():
    spec = PoolSpec("/", ["a", "b", "c", "d"], [], "/", workers=30, memory_budget=300 * MIB, why="auto: because")
    assert workers_within(spec, 100 * MIB) == (3, "auto: because; memory for 3 of 100 MiB each in a budget of 300 MiB")
    assert workers_within(spec, 10 * MIB)[0] == 4  # never more than there are scenarios
    assert workers_within(spec, 1000 * MIB)[0] == 1  # one at least, whatever the budget


def _environment_run(tmp_path: Path, processes: str, *options: str) -> tuple[dict, str, Path]:
    folder = tmp_path / processes
    folder.mkdir()
    path = on_free_ports(TO_BE, folder)
    reports = folder / "reports"
    with sandbox_from(path, *options):
        result = subprocess.run(
            [sys.executable, "-m", "reporting.run", "--environment", str(path), "--reports", str(reports),
             "--processes", processes, "--tags", CONTENDED, "--no-html", "--no-pack"],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    return json.loads((reports / "verdict.json").read_text()), result.stdout, reports


def test_many_scenarios_in_flight_are_judged_as_the_same_run_in_one_process(tmp_path: Path):
    one, _, _ = _environment_run(tmp_path, "1")
    many, out, reports = _environment_run(tmp_path, "auto")
    assert (many["verdict"], many["counts"]) == (one["verdict"], one["counts"]), out[-3000:]
    assert one["verdict"] == "PASSED" and int(one["counts"]["passed"]) > 0
    picked = [line for line in out.splitlines() if line.startswith("Workers: ") and "at a time (auto:" in line]
    assert len(picked) == 1 and "the environment file offers 30 installations" in picked[0], out[-3000:]
    assert re.search(r"memory for \d+ of \d+ MiB each in a budget of [\d,]+ MiB", picked[0])
    assert sorted(path.name for path in (reports / "junit").iterdir()) == ["mp107-verdict.xml", "p1"]
    run_count = sum(int(count) for count in many["counts"].values())
    assert len(list((reports / "allure-results").glob("*-result.json"))) == run_count


def _pool_children(runner: subprocess.Popen[str]) -> list[int]:
    """The scenario pool's children (the scenarios' processes), found through /proc."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            parent = int(fields["PPid"].strip())
            if b"reporting.scenario_pool" in Path(f"/proc/{parent}/cmdline").read_bytes():
                if int(Path(f"/proc/{parent}/status").read_text().split("PPid:\t")[1].split()[0]) == runner.pid:
                    found.append(int(status.parent.name))
        except (OSError, ValueError, KeyError, IndexError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="finds the pool's processes through /proc")
def test_a_scenario_process_that_dies_fails_the_run(tmp_path: Path):
    """One scenario's process is killed while it waits for the DCC (its S1SP answering after a second):
    the run says so, the verdict is FAILED, and the scenario has no result."""
    path = on_free_ports(TO_BE, tmp_path)
    reports = tmp_path / "reports"
    with sandbox_from(path, "--s1sp-latency", "1"):
        runner = subprocess.Popen(
            [sys.executable, "-m", "reporting.run", "--environment", str(path), "--reports", str(reports),
             "--processes", "2", "--tags", "@DUIS-anti-replay or @DUIS-schema or @DUIS-signature", "--no-html",
             "--no-pack"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not (children := _pool_children(runner)):
            assert runner.poll() is None and time.monotonic() < deadline, "no scenario process was seen"
            time.sleep(0.05)
        time.sleep(0.5)  # into its scenario
        os.kill(children[0], signal.SIGKILL)
        out, _ = runner.communicate(timeout=600)
    assert runner.returncode == 1, out[-3000:]
    assert "behave exited with code -9" in out, out[-3000:]
    verdict = json.loads((reports / "verdict.json").read_text())
    assert verdict["verdict"] == "FAILED"
    found = " ".join(finding["text"] for finding in verdict["findings"])
    assert "ended with exit code -9" in found, found


def test_auto_against_the_embedded_sandbox_is_one_process_per_core(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    root = write_project(tmp_path)
    run.main(["--root", str(root), "--processes", "auto", "--no-html", "--no-pack"])
    cores = os.cpu_count() or 1
    assert f"Processes: {cores} behave processes (auto: one per core;" in capsys.readouterr().out
