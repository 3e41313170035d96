"""What several behave processes buy against a slow environment: the whole suite in environment mode
against the sandbox started from `sandbox-to-be.toml`, its S1SPs answering after a delay as a real
environment's take time, run with 1 process and with N; beside it the floor, the same run with no delay.

    python -m benchmarks.environment_run [--latency 0.25] [--processes 4]

Each run gets a fresh sandbox (a run uses up the meters awaiting enrolment). Figures are wall-clock
seconds of `reporting.run` (behave, the coordinator, the evidence), printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from reporting import run
from reporting.sandbox_runs import DEFAULT_FILES, sandbox_from

TO_BE = DEFAULT_FILES[1]


def timed_run(latency: float, processes: int, reports: Path) -> tuple[float, str]:
    """Seconds for one environment run, and its last line (the scenario counts)."""
    options = ["--s1sp-latency", str(latency)] if latency else []
    with sandbox_from(TO_BE, *options):
        output = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(output):
            code = run.main(
                [
                    "--environment",
                    str(TO_BE),
                    "--processes",
                    str(processes),
                    "--reports",
                    str(reports),
                    "--no-html",
                    "--no-pack",
                ]
            )
        elapsed = time.perf_counter() - started
    last = output.getvalue().strip().splitlines()[-1]
    return elapsed, f"{last} (exit {code})"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.environment_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.25, help="seconds each S1SP takes to answer")
    parser.add_argument("--processes", type=int, default=4, help="behave processes for the concurrent run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            ("floor: no S1SP latency, 1 process", *timed_run(0.0, 1, Path(folder) / "floor")),
            (f"S1SP latency {args.latency:g} s, 1 process", *timed_run(args.latency, 1, Path(folder) / "one")),
            (
                f"S1SP latency {args.latency:g} s, {args.processes} processes",
                *timed_run(args.latency, args.processes, Path(folder) / "many"),
            ),
        ]
    for name, seconds, last in rows:
        print(f"{name:<40} {seconds:7.1f} s   {last}")
    print(f"speed-up with {args.processes} processes: {rows[1][1] / rows[2][1]:.2f}x")


if __name__ == "__main__":
    main()
