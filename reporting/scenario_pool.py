"""Many scenarios in flight against a slow environment: each scenario in a process of its own, started
cheaply, as many at once as the environment's meters and the machine's memory allow.

A DCC test environment answers in seconds, so a scenario spends its time waiting for the DCC, not working.
The pool is one process that imports behave and the project once, then forks a child per scenario
(``features/x.feature:LINE``), at most `workers` at a time: a child shares its parent's memory
copy-on-write (the imported code and data, frozen out of the garbage collector's reach so that it is not
written to), and runs behave's main on its one scenario, with the run's formatters, its own JUnit folder and
its own output file. Each child is a whole behave run (its hooks open the run's share, follow the runner's
coordinator for its receiver, counters and meter leases, and close it), so the evidence is what one behave
process would have written for that scenario; the runner joins it (one Allure results folder, one JUnit
file per feature, one verdict).

    python -m reporting.scenario_pool SPEC.json     (started by `reporting.run`; one JSON line per event)

The runner's side is `run_pool`: it starts the pool, prints what each scenario printed when it ends, tells
the coordinator when a worker's process has ended (whatever it held is free), and returns each scenario's
exit code in order (a scenario whose process never reported gets the pool's exit code, or -1).
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from xml.etree import ElementTree

EVENT = "@pool "
"""A line of the pool's output that the runner reads (JSON after it); every other line is for the reader."""
WARM = (
    "behave.__main__",
    "behave.runner",
    "behave.reporter.junit",
    "reporting.allure_formatter",
    "reporting.progress",
    "environment_file.reading",
    "cryptography.hazmat.backends.openssl",
    "signxml.schemas",
    "netrc",
    "zoneinfo",
)
"""What every child needs and the pool imports once: behave and the run's formatters, and what the hooks,
the steps and the libraries they call import only when first used (found by comparing a child's modules
with the pool's). The hooks' and the steps' own imports are read from their files (`warm`)."""
MIB = 1024 * 1024
WORKER_NICENESS = 5
"""How much less of the processor the pool and its children ask for than the runner: the runner receives
every answer the DCC delivers and hands each to its worker, turns and meters to all of them; with ~100
scenarios starting at once, workers at its own priority delayed each answer on its way (against the to-be
sandbox at 2 s: 29.0 s where, niced by 5, the same run took 27.5 s; a worker mostly waits, so it loses
nothing it needs)."""
PROGRESS_LINES = ("ok     ", "FAILED ", "         - ")
"""The progress formatter's lines (`reporting.progress`): they name their scenario, so they need no label."""


@dataclass(frozen=True)
class PoolSpec:
    """What the runner asks of the pool."""

    root: str
    """The working directory behave runs in (the project root)."""
    locations: list[str]
    """Each child's scenario, ``features/x.feature:LINE``, in the order they are started (a child may be
    given several, separated by spaces: the scenarios a tag expression leaves out, which behave reports as
    skipped, as one behave process over the feature files does)."""
    behave_args: list[str]
    """behave's arguments for every scenario (formatters, results folder, userdata, tags)."""
    junit_root: str
    """Each scenario's JUnit goes to a folder of its own under this one (`join_junit` joins them)."""
    workers: int
    """At most this many scenarios at a time (before the memory budget)."""
    memory_budget: int
    """Bytes the workers may take together; a worker is counted at the pool's own size (`worker_size`)."""
    why: str = ""
    """Why `workers` (for the line that says what was picked)."""
    start_order: list[int] = field(default_factory=list)
    """The order in which the children are started, as indices into `locations` (empty: as they are given);
    each child keeps its index (its JUnit folder, its worker's name), so the evidence keeps the given order."""


def worker_label(index: int) -> str:
    """The name a scenario's process goes by at the coordinator (its leases, its originator turns)."""
    return f"worker {index + 1}"


# --- the pool process -----------------------------------------------------------------------------------


def _event(**fields: object) -> None:
    sys.stdout.write(EVENT + json.dumps(fields) + "\n")
    sys.stdout.flush()


def warm_modules(root: Path) -> list[str]:
    """What a process that forks behave runs imports once: behave and the formatters (`WARM`), and what the
    hooks and the step modules import at their top (the step modules themselves are loaded by behave)."""
    names = list(WARM)
    for path in [root / "environment.py", *sorted((root / "steps").glob("*.py"))]:
        names += [name for name in imports_of(path) if name not in names]
    return names


def warm(root: Path, behave_args: Sequence[str] = ()) -> None:
    """Import behave, the formatters, and whatever the hooks (``environment.py``) and the step modules
    import; read the run's environment file and the DUIS schema once (both are kept for the process's
    life); load the step definitions once (behave takes a step defined again at the same place for the
    same one, and the patterns' regular expressions stay compiled in `re`'s cache); then freeze what
    exists out of the garbage collector's reach (a collection writes to every object it visits, copying
    the pages the children share)."""
    for name in warm_modules(root):
        importlib.import_module(name)
    from behave.runner_util import load_step_modules

    from duis.schema import duis_schema
    from support.environment_run import prepare

    duis_schema()
    prepare(dict(item.partition("=")[::2] for item in _userdata(behave_args)))
    if (root / "steps").is_dir():
        load_step_modules([str(root / "steps")])  # their patterns compiled (and cached by re) once
    gc.collect()
    gc.freeze()


def _userdata(behave_args: Sequence[str]) -> list[str]:
    return [value for option, value in zip(behave_args, behave_args[1:], strict=False) if option == "-D"]


def imports_of(path: Path) -> list[str]:
    """The modules a file imports at its top level (never the file itself: behave executes the step
    modules and the hooks in each child, where their definitions register)."""
    if not path.is_file():
        return []
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module != "__future__":
            names.append(node.module)
    return names


def only_the_selected_scenarios() -> None:
    """Make behave leave out of the run the scenarios a ``file:LINE`` location does not select, instead of
    marking them skipped: a child runs one scenario of its feature, and the others are other children's
    (marked skipped, every formatter would report them as skipped, again and again)."""
    from behave import runner_util

    collector = runner_util.FeatureScenarioLocationCollector
    if getattr(collector.build_feature, "only_selected", False):
        return
    build = collector.build_feature

    def build_feature(self: Any) -> Any:
        feature = build(self)
        if feature is not None and self.selected_scenarios:
            _keep_only(feature, self.selected_scenarios)
        return feature

    build_feature.only_selected = True  # type: ignore[attr-defined]  # a marker, so that it is patched once
    collector.build_feature = build_feature


def _keep_only(container: Any, selected: set) -> bool:
    """Remove from a feature (or rule) every scenario, outline row, outline and rule with nothing selected in
    it; True when something is left."""
    from behave.model import Rule, ScenarioOutline

    kept = []
    for item in container.run_items:
        if isinstance(item, Rule):
            if _keep_only(item, selected):
                kept.append(item)
        elif isinstance(item, ScenarioOutline):
            rows = [row for row in item.scenarios if row in selected]
            if rows:
                item._scenarios = rows  # built once (its tables are not modified again): stays so
                kept.append(item)
        elif item in selected:
            kept.append(item)
    container.run_items[:] = kept
    container.scenarios[:] = [item for item in container.scenarios if item in kept]
    return bool(kept)


def join_junit(junit_root: Path, folder: str = "p1") -> None:
    """The scenarios' JUnit files joined into one per feature, as one behave process writes them (its test
    cases in the order the scenarios were started, its counts and time the sums), in `folder`; the
    scenarios' own folders removed."""
    parts = sorted(path for path in Path(junit_root).glob("s[0-9]*") if path.is_dir())
    if not parts:
        return
    joined: dict[str, ElementTree.Element] = {}
    for part in parts:
        for path in sorted(part.glob("*.xml")):
            more = ElementTree.parse(path).getroot()
            suite = joined.setdefault(path.name, more)
            if suite is more:
                continue
            for counted in ("tests", "errors", "failures", "skipped"):
                suite.set(counted, str(int(suite.get(counted, "0")) + int(more.get(counted, "0"))))
            suite.set("time", f"{float(suite.get('time', '0')) + float(more.get('time', '0')):.6f}")
            suite.extend(more.findall("testcase"))
    target = Path(junit_root) / folder
    target.mkdir(parents=True, exist_ok=True)
    for name, suite in joined.items():
        ElementTree.ElementTree(suite).write(target / name, encoding="UTF-8", xml_declaration=True)
    for part in parts:
        shutil.rmtree(part)


def resident_bytes(pid: int | str = "self") -> int:
    """A process's resident memory (VmRSS), 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def default_memory_budget() -> int:
    """Half of the memory the machine has available now (MemAvailable; the machine may be shared)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 // 2
    except (OSError, ValueError):
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 4


def worker_size() -> int:
    """What a worker is counted at against the memory budget: the pool's own resident size once it has
    imported everything. A child starts at that size, all of it shared with the pool; what it then writes
    becomes its own. So the count errs on the safe side (the real cost of a worker is what it writes)."""
    return resident_bytes() or 150 * MIB


def workers_within(spec: PoolSpec, size: int) -> tuple[int, str]:
    """How many scenarios at a time: the runner's number, within the memory budget; and why, in words."""
    by_memory = max(1, spec.memory_budget // max(size, 1))
    workers = max(1, min(spec.workers, by_memory, len(spec.locations)))
    memory = f"memory for {by_memory} of {size / MIB:.0f} MiB each in a budget of {spec.memory_budget / MIB:,.0f} MiB"
    why = f"{spec.why}; {memory}" if spec.why else memory
    return workers, why


def print_to(output: Path | str) -> None:
    """In a forked child: everything the process prints from now on (stdout and stderr) goes to `output`."""
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def _run_child(location: str, index: int, spec: PoolSpec, output: Path) -> NoReturn:
    """In the child: behave's main on one scenario, its output to its own file; never returns."""
    code = 3
    try:
        print_to(output)
        from behave.__main__ import main as behave_main

        junit = Path(spec.junit_root) / f"s{index + 1:03d}"
        args = [*spec.behave_args, "--junit-directory", str(junit), "-D", f"worker={worker_label(index)}"]
        args += location.split()
        code = int(behave_main(args) or 0)
    except SystemExit as stopped:  # a hook may end the process (behave alone against a dead environment)
        code = stopped.code if isinstance(stopped.code, int) else 1
    except BaseException:  # anything else is the worker's own failure, shown with the scenario's output
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def serve(spec: PoolSpec) -> int:
    """Fork a child per scenario, at most `workers` at once; report each as it ends. Returns 0."""
    root = Path(spec.root)
    os.chdir(root)
    warm(root, spec.behave_args)
    os.nice(WORKER_NICENESS)  # the children inherit it
    only_the_selected_scenarios()
    size = worker_size()
    workers, why = workers_within(spec, size)
    _event(workers=workers, why=why, worker_size=size, scenarios=len(spec.locations))
    order = spec.start_order or range(len(spec.locations))
    pending = deque((index, spec.locations[index]) for index in order)
    running: dict[int, tuple[int, str, Path]] = {}
    with tempfile.TemporaryDirectory(prefix="scenario-pool-") as scratch:
        while pending or running:
            while pending and len(running) < workers:
                index, location = pending.popleft()
                output = Path(scratch) / f"{index}.out"
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    _run_child(location, index, spec, output)
                running[pid] = (index, location, output)
            pid, status, usage = os.wait4(-1, 0)
            if pid not in running:
                continue
            index, location, output = running.pop(pid)
            text = output.read_text(errors="replace") if output.is_file() else ""
            output.unlink(missing_ok=True)
            code = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            _event(ended=index, location=location, code=code, output=text, peak_rss=usage.ru_maxrss * 1024, cpu=cpu)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m reporting.scenario_pool SPEC.json (started by reporting.run)", file=sys.stderr)
        return 2
    return serve(PoolSpec(**json.loads(Path(args[0]).read_text())))


# --- the runner's side ----------------------------------------------------------------------------------


@dataclass
class PoolReport:
    """What the pool did: each scenario's exit code (in the order given) and the workers' memory."""

    codes: list[int]
    workers: int = 0
    why: str = ""
    worker_size: int = 0
    peak_worker_rss: int = 0
    cpu_seconds: float = 0.0
    """The processor time the scenarios' processes took, together."""
    locations: list[str] = field(default_factory=list)
    """Each process's scenario (as `PoolSpec.locations`)."""
    s1sp_answers: dict[str, int] = field(default_factory=dict)
    """Scenario location → how many answers to its requests came through an S1SP (filled by the runner)."""
    installations: dict[str, str] = field(default_factory=dict)
    """Scenario location → the installation it ended up using, if any (filled by the runner)."""


def run_pool(
    spec: PoolSpec,
    env: Mapping[str, str],
    on_ended: Callable[[str], None] = lambda worker: None,
    say: Callable[[str], None] = print,
) -> PoolReport:
    """Start the pool for `spec` and follow it to its end: `say` what each scenario printed as it ends,
    and `on_ended(worker)` once a scenario's process has ended (the coordinator frees what it held)."""
    report = PoolReport(codes=[], locations=list(spec.locations))
    codes: dict[int, int] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="scenario-pool-", delete=False) as file:
        json.dump(asdict(spec), file)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "reporting.scenario_pool", file.name],
            cwd=spec.root,
            env=dict(env),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if not line.startswith(EVENT):
                if line.strip():
                    say(f"[scenario pool] {line.rstrip()}")
                continue
            event = json.loads(line[len(EVENT) :])
            if "workers" in event:
                report.workers, report.why, report.worker_size = event["workers"], event["why"], event["worker_size"]
                say(f"Workers: {report.workers} scenarios at a time ({report.why})")
                continue
            index, code = int(event["ended"]), int(event["code"])
            codes[index] = code
            report.peak_worker_rss = max(report.peak_worker_rss, int(event["peak_rss"]))
            report.cpu_seconds += float(event["cpu"])
            on_ended(worker_label(index))
            location = str(event["location"])
            label = f"[{location}]" if " " not in location else f"[{len(location.split())} scenarios left out]"
            for shown in event["output"].splitlines():
                if shown.strip() and not shown.startswith("USING RUNNER:"):
                    say(shown if shown.startswith(PROGRESS_LINES) else f"{label} {shown}")
            if code != 0:
                say(f"{label} behave exited with code {code}")
        pool_code = process.wait()
    finally:
        os.unlink(file.name)
    missing = [index for index in range(len(spec.locations)) if index not in codes]
    if missing:
        say(f"[scenario pool] ended with code {pool_code} before {len(missing)} scenario(s) reported")
    report.codes = [codes.get(index, pool_code or -1) for index in range(len(spec.locations))]
    return report


if __name__ == "__main__":
    sys.exit(main())
