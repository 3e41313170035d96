"""What many scenarios in flight buy against a slow environment: the whole suite in environment mode against
the sandbox started from (a copy on free ports of) `sandbox-to-be.toml`, its S1SPs answering after a delay
as a real environment's take seconds, run with ``--processes auto`` (every scenario in a process of its own,
as many at a time as the file offers installations and meters of none: `reporting.scenario_pool`), and the
same with no delay.

    python -m benchmarks.environment_run [--latency 2] [--processes auto] [--also 1 4]

It prints, last, the ratio of the delayed run to its floor, and the run's peak memory. The floor is the
larger of two things the run cannot beat however many scenarios are in flight:

- **the run with no delay** (the same work, with nothing to wait for);
- **the longest scenario's own chain of waits**: the delay times the number of answers to that scenario's
  requests that came through an S1SP (an S1SP-signed SMETS1 response or an S1SP's alert, counted by the run's
  coordinator from what its one receiver accepted, by the worker each request's counter was handed to). A
  scenario sends its requests one after another, each waiting for the one before, so its own waits add up;
  what it waits for a meter another scenario holds, or for the sandbox, is not its own.

Beside them it prints a third floor, which the environment file sets: scenarios that need the same kind of
meter hold its installations one after another (`support.coordinator`), so the chains of the scenarios that
used the busiest installation add up too (each scenario counted at the installation it ended up using).
Only more installations of that kind in the file lower it; the ratio is not taken against it.

Peak memory is that of the run's processes together (the runner, the scenario pool and its workers; not the
sandbox, which stands for the DCC), sampled twice a second as their proportional set size (PSS: a page shared
by several processes counted once, in shares), beside the sum of their resident sizes (RSS: each shared page
counted in every process that maps it). ``--also N ...`` runs the delayed suite with N processes too (1 is one
behave process over every scenario in turn, the way a run went before scenarios were forked; at 2 s it takes
about 12 minutes). Each run gets a fresh sandbox (a run uses up the meters awaiting enrolment). Figures are
wall-clock seconds of `reporting.run` (preflight, the scenarios, the evidence), printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from reporting import run
from reporting.sandbox_runs import DEFAULT_FILES, on_free_ports, sandbox_from
from reporting.scenario_pool import MIB, PoolReport

TO_BE = DEFAULT_FILES[1]
SAMPLE_SECONDS = 0.5
TARGET = 1.3
"""The issue's target for the ratio of the delayed run to its floor."""


@dataclass
class Measured:
    """One run: its seconds, its last line, what the pool did (when it used one) and its peak memory."""

    seconds: float
    last: str
    pool: PoolReport | None = None
    peak_pss: int = 0
    peak_rss: int = 0
    picked: str = ""


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of a process in bytes, (0, 0) once it has gone."""
    values = {"Pss:": 0, "Rss:": 0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in values:
                values[parts[0]] = int(parts[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values["Pss:"], values["Rss:"]


class PeakMemory:
    """The peak, over the block, of the memory of this process and its descendants but `excluded`'s tree."""

    def __init__(self, excluded: int) -> None:
        self.excluded = excluded
        self.pss = self.rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory sampler", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            pss = rss = 0
            pending = [os.getpid()]
            while pending:
                pid = pending.pop()
                if pid == self.excluded:
                    continue
                process_pss, process_rss = _memory(pid)
                pss, rss = pss + process_pss, rss + process_rss
                pending += _children(pid)
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)


def timed_run(latency: float, processes: str, reports: Path) -> Measured:
    """One environment run against a fresh sandbox of its own (`latency`: each S1SP's answer delay)."""
    options = ["--s1sp-latency", str(latency)] if latency else []
    (reports / "environment").mkdir(parents=True)
    path = on_free_ports(TO_BE, reports / "environment")
    observed: list[PoolReport] = []
    with sandbox_from(path, *options) as sandbox:
        output = io.StringIO()
        with PeakMemory(excluded=sandbox.pid) as memory:
            started = time.perf_counter()
            with contextlib.redirect_stdout(output):
                argv = ["--environment", str(path), "--processes", processes, "--reports", str(reports / "run")]
                code = run.main([*argv, "--no-html", "--no-pack"], observe=observed.append)
            elapsed = time.perf_counter() - started
    lines = output.getvalue().strip().splitlines()
    picked = next((line for line in lines if line.startswith("Workers: ") and "at a time (" in line), "")
    pool = observed[0] if observed else None
    return Measured(elapsed, f"{lines[-1]} (exit {code})", pool, memory.pss, memory.rss, picked)


def longest_chain(measured: Measured, latency: float) -> tuple[float, str]:
    """The longest scenario's own chain of waits, in seconds, and which scenario it is (in words)."""
    answers = measured.pool.s1sp_answers if measured.pool else {}
    if not answers:
        return 0.0, "no answer came through an S1SP"
    location, count = max(answers.items(), key=lambda item: (item[1], item[0]))
    return count * latency, f"{location}: {count} answers through an S1SP x {latency:g} s"


def busiest_installation(measured: Measured, latency: float) -> tuple[float, str]:
    """The installation whose scenarios' chains add up to most (they hold it one after another), in
    seconds, and which it is: a floor set by the environment file's meters, not by the runner."""
    if measured.pool is None:
        return 0.0, "no scenario pool"
    loads = installations_by_load(measured)
    if not loads:
        return 0.0, "no installation leased"
    installation, scenarios = loads[0]
    answers = sum(count for _, count in scenarios)
    return answers * latency, (
        f"{installation}: {len(scenarios)} scenarios, {answers} answers through an S1SP x {latency:g} s"
    )


def installations_by_load(measured: Measured) -> list[tuple[str, list[tuple[str, int]]]]:
    """Each installation with the scenarios that held it and their answers through an S1SP, busiest first:
    what to give more meters of in the environment file."""
    if measured.pool is None:
        return []
    load: dict[str, list[tuple[str, int]]] = {}
    for location, installation in measured.pool.installations.items():
        load.setdefault(installation, []).append((location, measured.pool.s1sp_answers.get(location, 0)))
    return sorted(load.items(), key=lambda item: (sum(count for _, count in item[1]), item[0]), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.environment_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds each S1SP takes to answer (default 2)")
    parser.add_argument("--processes", default="auto", help="the runner's --processes for both runs (default auto)")
    parser.add_argument("--also", nargs="*", default=[], metavar="N", help="the delayed run with N processes too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        floor = timed_run(0.0, args.processes, Path(folder) / "floor")
        delayed = timed_run(args.latency, args.processes, Path(folder) / "delayed")
        others = [(n, timed_run(args.latency, n, Path(folder) / f"also-{n}")) for n in args.also]
    chain, which = longest_chain(delayed, args.latency)
    rows = [
        (f"no S1SP latency, --processes {args.processes}", floor),
        (f"S1SP latency {args.latency:g} s, --processes {args.processes}", delayed),
        *((f"S1SP latency {args.latency:g} s, --processes {n}", measured) for n, measured in others),
    ]
    if delayed.picked:
        print(delayed.picked)
    for name, measured in rows:
        memory = f"peak {measured.peak_pss / MIB:,.0f} MiB PSS ({measured.peak_rss / MIB:,.0f} MiB RSS summed)"
        print(f"{name:<44} {measured.seconds:7.1f} s   {memory}   {measured.last}")
    print(f"{'the longest scenario' + chr(39) + 's own chain of waits':<44} {chain:7.1f} s   ({which})")
    meters, busiest = busiest_installation(delayed, args.latency)
    print(f"{'the busiest installation' + chr(39) + 's chains, end to end':<44} {meters:7.1f} s   ({busiest})")
    for installation, scenarios in installations_by_load(delayed)[:3]:
        print(f"  {installation}: " + ", ".join(f"{where} ({count})" for where, count in scenarios))
    bound = max(floor.seconds, chain)
    print(
        f"ratio: {delayed.seconds:.1f} s / max({floor.seconds:.1f} s, {chain:.1f} s) = {delayed.seconds / bound:.2f} "
        f"(target <= {TARGET:g}); peak memory {delayed.peak_pss / MIB:,.0f} MiB PSS "
        f"({delayed.peak_rss / MIB:,.0f} MiB RSS summed)"
    )


if __name__ == "__main__":
    main()
