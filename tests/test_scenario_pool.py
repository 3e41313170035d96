"""Every scenario in a process of its own, forked from one that imported everything once
(`reporting.scenario_pool`): each scenario run and reported exactly once, a process that dies named by its
exit code, the JUnit joined per feature, the number of workers within the memory budget; and what `auto`
picks against the embedded sandbox. End to end against an environment: `test_many_scenarios_in_flight`."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest

from reporting import run
from reporting.scenario_pool import MIB, PoolSpec, join_junit, run_pool, worker_label, workers_within
from reporting.scenarios import collect_scenarios, feature_files
from tests.reporting_project import RESULTS, env, write_project


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


def test_auto_against_the_embedded_sandbox_is_one_process_per_core(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    root = write_project(tmp_path)
    run.main(["--root", str(root), "--processes", "auto", "--no-html", "--no-pack"])
    cores = os.cpu_count() or 1
    assert f"Processes: {cores} behave processes (auto: one per core;" in capsys.readouterr().out


def test_scenarios_start_longest_first_and_their_evidence_keeps_the_feature_files_order(tmp_path: Path):
    root = write_project(tmp_path)
    cases = collect_scenarios(feature_files(root / "features"), root)
    order = run.longest_first(cases, len(cases))
    assert sorted(order) == list(range(len(cases)))
    assert [cases[index].steps for index in order] == sorted((case.steps for case in cases), reverse=True)
    assert cases[order[0]].steps > cases[order[-1]].steps, "the sample project's scenarios differ in length"
    started: list[str] = []
    spec = replace(_spec(root, [case.location for case in cases], workers=1), start_order=order)
    report = run_pool(spec, env(), on_ended=started.append, say=lambda _: None)
    assert started == [worker_label(index) for index in order]  # one at a time: they end in the order started
    assert len(report.codes) == len(cases)
    # each child wrote its JUnit under its own index, which `join_junit` joins in that order
    folders = sorted(path.name for path in (root / "reports" / "junit").iterdir())
    assert folders == [f"s{index + 1:03d}" for index in range(len(cases))]
