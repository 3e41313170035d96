"""A run against an environment with many scenarios in flight (`reporting.run --processes auto`), end to
end: judged as the same run in one process is, and failed when a scenario's process dies. The sandbox started
from a copy of `sandbox-to-be.toml` on free ports stands for the environment."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from environment_file import load_environment
from reporting.sandbox_runs import on_free_ports, sandbox_from

ROOT = Path(__file__).resolve().parents[1]
TO_BE = ROOT / "support" / "environments" / "sandbox-to-be.toml"
CONTENDED = "@SRPD-6.2.d"
"""Scenarios that want the same kinds of meter of the to-be file (SMETS1 meters on S1SP1)."""


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
    sites = len(load_environment(TO_BE).sites())  # the file's installations and meters of none
    offered = f"the environment file offers {sites} installations and meters of none"
    assert len(picked) == 1 and offered in picked[0], out[-3000:]
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
    """One scenario's process is killed while it waits for the DCC (its S1SP answering after half a second):
    the run says so, the verdict is FAILED, and the scenario has no result."""
    path = on_free_ports(TO_BE, tmp_path)
    reports = tmp_path / "reports"
    with sandbox_from(path, "--s1sp-latency", "0.5"):
        runner = subprocess.Popen(
            [sys.executable, "-m", "reporting.run", "--environment", str(path), "--reports", str(reports),
             "--processes", "2", "--tags", "@DUIS-anti-replay", "--no-html",
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
