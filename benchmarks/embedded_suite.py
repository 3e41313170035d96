"""What the embedded suite costs beyond its own work: `make report`'s suite run beside its floor, in one run.

    python -m benchmarks.embedded_suite [--processes 2]

Three measurements, in this order, each of the same feature files split into the same groups
(`reporting.run.split_features`, one behave process per group, as `make report` splits them):

(a) **the suite** as `make report` runs it: one ``python -m behave`` per group, all at once, with the
    runner's own command (`reporting.run.behave_command`: the Allure and progress formatters, JUnit) and
    environment (results, JUnit and DUIS messages written, here into a temporary folder); each process timed
    from its start to its exit (Python's start-up, the embedded sandbox's, every scenario, the sandbox's stop).
    The install and the evidence written afterwards (`reporting.publish`) are not part of it.
(b) **behave with steps that do nothing**: the same feature files, copied into a temporary folder beside a
    ``steps`` folder whose one step matches every step and does nothing, and no hooks; the same command,
    the groups run at once as in (a). What behave and the formatters cost for these scenarios whatever
    the steps do.
(c) **the DUIS exchanges those scenarios make, each measured alone**: every group is run again, alone, in one
    behave process whose DUIS client times each exchange it makes (`DUISClient.send` and `post`: a request
    and everything that answers it, the asynchronous answer delivered to the User's Receive Response Service
    included), one at a time against the running sandbox. Exchanges are grouped by kind (the SRV and the
    legs it took: ``6.15.1: CV 4 request, Pre-Command, ..., Response (I0)``); each kind costs its median,
    and a group's exchanges cost the sum over kinds of count x median.

The floor of a process is (b) + (c) for its group: behave running its scenarios, plus the DCC work they
ask for. Whatever else a process spends (starting and stopping the sandbox, enrolling organisations,
seeding and resetting it through the Control API, waiting for what does not come, writing evidence beyond
what the formatters write for a scenario anyway) is the suite's own overhead. The processes run at once, so
the run's floor is its slowest process's floor, and the ratio is (a)'s wall time over it.

Prints figures; asserts nothing (tests never assert wall-clock times). Run it under the shared lock.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting.bytecode import compile_project
from reporting.run import PROJECT_ROOT, behave_command, behave_environment, split_features
from reporting.scenarios import collect_scenarios, feature_files

WIDTH = 64
NO_OP_STEPS = r'''"""Every step matches and does nothing (benchmarks.embedded_suite): behave's own cost."""

from behave import step, use_step_matcher

use_step_matcher("re")


@step(r"[\s\S]*")
def nothing(context):
    pass
'''


@dataclass(frozen=True)
class Processes:
    """One run of every group at once: each process's wall time and exit code, and the run's."""

    seconds: list[float]
    codes: list[int]
    wall: float


def run_at_once(groups: Sequence[Sequence[Path]], root: Path, reports: Path) -> Processes:
    """One behave per group, all at once, as the runner starts them (output read and dropped, as the
    runner relays it); each process timed from its start to its exit."""
    env = behave_environment(reports / "allure-results", reports / "messages")  # as `reporting.run` gives it
    (reports / "allure-results").mkdir(parents=True, exist_ok=True)
    seconds = [0.0] * len(groups)
    codes = [0] * len(groups)

    def one(number: int, paths: Sequence[Path]) -> None:
        command = behave_command(paths, reports / "allure-results", reports / "junit" / f"p{number}", [], [])
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=root, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert process.stdout is not None
        tail = [line for line in process.stdout][-5:]
        codes[number] = process.wait()
        seconds[number] = time.perf_counter() - started
        if codes[number]:
            print(f"  behave {number + 1} exited {codes[number]}: {''.join(tail).strip()}", file=sys.stderr)

    threads = [threading.Thread(target=one, args=(n, paths)) for n, paths in enumerate(groups)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Processes(seconds, codes, time.perf_counter() - started)


def no_op_copy(groups: Sequence[Sequence[Path]], folder: Path) -> list[list[Path]]:
    """The groups' feature files copied into `folder`/features, beside a steps folder that does nothing."""
    (folder / "features").mkdir(parents=True)
    (folder / "steps").mkdir()
    (folder / "steps" / "nothing.py").write_text(NO_OP_STEPS)
    copied = []
    for paths in groups:
        copied.append([Path(shutil.copy(path, folder / "features" / path.name)) for path in paths])
    return copied


# --- (c): the exchanges, each timed as it is made ------------------------------------------------------------


def kind_of(exchange: Any) -> str:
    """An exchange's kind: its SRV and the legs it took (what the DCC did with it)."""
    return f"{exchange.request.srv.variant}: " + ", ".join(leg.name for leg in exchange.legs)


def census(output: str, paths: Sequence[str]) -> int:
    """Run `paths` in this process with every DUIS exchange timed (the outermost `send` or `post`: `send`
    posts through `post`); writes [kind, milliseconds] per exchange to `output` as JSON."""
    from behave.__main__ import main as behave_main

    from user_system.client import DUISClient

    records: list[tuple[str, float]] = []
    depth = threading.local()

    def timed(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def measured(self: DUISClient, *args: Any, **kwargs: Any) -> Any:
            outermost = not getattr(depth, "calls", 0)
            depth.calls = getattr(depth, "calls", 0) + 1
            started = time.perf_counter()
            try:
                exchange = method(self, *args, **kwargs)
            finally:
                depth.calls -= 1
            if outermost:
                records.append((kind_of(exchange), (time.perf_counter() - started) * 1000))
            return exchange

        return measured

    DUISClient.send = timed(DUISClient.send)  # type: ignore[method-assign]  # the census's own instrument
    DUISClient.post = timed(DUISClient.post)  # type: ignore[method-assign]
    code = behave_main(["-f", "null", "--no-summary", *paths])
    Path(output).write_text(json.dumps(records))
    return int(code or 0)


def exchanges_alone(groups: Sequence[Sequence[Path]], root: Path, folder: Path) -> list[list[tuple[str, float]]]:
    """Each group run alone in a census process: its exchanges, each with its kind and time."""
    found = []
    for number, paths in enumerate(groups):
        output = folder / f"census-{number}.json"
        script = "import sys; from benchmarks.embedded_suite import census; sys.exit(census(sys.argv[1], sys.argv[2:]))"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run(
            [sys.executable, "-c", script, str(output), *map(str, paths)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            print(f"  census of group {number + 1} exited {done.returncode}: {done.stdout[-500:]}", file=sys.stderr)
        found.append([(kind, ms) for kind, ms in json.loads(output.read_text())])
    return found


def kind_costs(found: Sequence[Sequence[tuple[str, float]]]) -> dict[str, float]:
    """Each kind's median time (ms) over every exchange of that kind in the run."""
    times: dict[str, list[float]] = defaultdict(list)
    for group in found:
        for kind, ms in group:
            times[kind].append(ms)
    return {kind: statistics.median(samples) for kind, samples in times.items()}


# --- the report -----------------------------------------------------------------------------------------------


def _line(name: str, value: str) -> None:
    print(f"{name:<{WIDTH}} {value}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.embedded_suite", description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="behave processes, as the Makefile says (2)")
    parser.add_argument("--features", type=Path, default=PROJECT_ROOT / "features")
    parser.add_argument("--kinds", action="store_true", help="list every kind of exchange with its count and median")
    args = parser.parse_args(argv)
    root = PROJECT_ROOT
    files = feature_files(args.features)
    groups = split_features(files, args.processes, root)
    scenarios = Counter(case.path for case in collect_scenarios(files, root))
    compile_project()  # as `reporting.run` does before its processes start
    with tempfile.TemporaryDirectory(prefix="mp107-embedded-suite-") as temporary:
        folder = Path(temporary)
        suite = run_at_once(groups, root, folder / "suite")
        copied = no_op_copy(groups, folder / "no-op")
        no_op = run_at_once(copied, folder / "no-op", folder / "no-op-reports")
        found = exchanges_alone(groups, root, folder)
    costs = kind_costs(found)
    if any(suite.codes) or any(no_op.codes):
        print("a run did not pass: the figures below measure something else", file=sys.stderr)

    print(f"make report's suite run, {len(groups)} behave processes, beside its floor (seconds):")
    floors = []
    for number, paths in enumerate(groups):
        count = sum(scenarios[path] for path in paths)
        exchanges = found[number]
        duis = sum(costs[kind] for kind, _ in exchanges) / 1000
        floor = no_op.seconds[number] + duis
        floors.append(floor)
        print(f"  process {number + 1}: {len(paths)} feature files, {count} scenarios, {len(exchanges)} DUIS exchanges")
        _line("    (a) the suite", f"{suite.seconds[number]:7.2f} s")
        _line("    (b) behave with steps that do nothing", f"{no_op.seconds[number]:7.2f} s")
        _line("    (c) its DUIS exchanges, each kind at its median alone", f"{duis:7.2f} s")
        _line("    floor (b) + (c)", f"{floor:7.2f} s   (a) / floor = {suite.seconds[number] / floor:.2f}")
    alone = sum(ms for group in found for _, ms in group) / 1000
    _line("  (c) as measured, every exchange at its own time (all groups)", f"{alone:7.2f} s")
    floor = max(floors)
    _line(
        f"embedded suite ({sum(scenarios.values())} scenarios, {len(groups)} processes) vs floor",
        f"{suite.wall:7.2f} s vs {floor:7.2f} s   (a) / floor = {suite.wall / floor:.2f}",
    )
    if args.kinds:
        print("kinds of DUIS exchange (count, median ms):")
        counts = Counter(kind for group in found for kind, _ in group)
        for kind, count in counts.most_common():
            print(f"  {count:4d} x {costs[kind]:7.2f} ms  {kind}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
