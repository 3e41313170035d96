"""The one command that runs the MP107 acceptance suite and produces its evidence.

    python -m reporting.run [--processes N|auto] [--shard K/N] [--environment FILE] [-D key=value ...]
                            [--memory-budget MIB] [--tags EXPR] [--test-cases FILE] [--no-html] [--no-pack]

It cleans the previous results, runs ``python -m behave`` on the feature files, then writes the run's
verdict (`reporting.verdict`: one function decides it) and every surface that shows it:
the report's summaries and Environment panel, the JUnit properties, the traceability matrix
(``reports/traceability.md`` / ``.csv``), the single-file HTML report, the sign-off sheet and the evidence
pack (``reports/mp107-evidence.tar.gz``). It exits 1 when the verdict is FAILED (2 when no scenario could
be run). The console says one line per feature file (per scenario against an environment), then where each
piece of evidence is and the verdict.

How the scenarios run (behave 1.3's ``-j`` is serial; optionally only shard K of N, for a CI matrix):

- **against the embedded sandbox**, the feature files are split across N behave processes, each with an
  embedded sandbox of its own; the work is the CPU's, so ``auto`` is one process per core.
- **against an environment** (``--environment FILE``), a scenario spends its time waiting for the DCC, so
  with N above 1 every scenario runs in a process of its own, forked from one that imported everything once
  (`reporting.scenario_pool`), N at a time, all following the run's coordinator (its one receiver, its
  originator counters, its meter leases). ``auto`` is as many as the environment file offers installations
  and meters of none (a scenario holds its meter's while it runs: more would only queue), within a memory budget
  (``--memory-budget``, by default half the memory the machine has free). With 1, one behave process runs
  them all in turn, following the coordinator all the same.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from behave.tag_expression import make_tag_expression

from catalogue import CLAUSES
from environment_file import EnvironmentFileError, load_environment
from reporting import allure_report, publish
from reporting.bytecode import compile_project
from reporting.identity import read_environment_file, run_identity
from reporting.names import MESSAGES_ENV, TARGET_ENVIRONMENT
from reporting.pack import PACK_NAME
from reporting.scenario_pool import (
    MIB,
    PoolReport,
    PoolSpec,
    default_memory_budget,
    join_junit,
    run_pool,
    worker_label,
)
from reporting.scenarios import ScenarioCase, collect_scenarios, feature_files
from reporting.test_cases import DEFAULT_FILE, MappingError, load
from support.environment_run import EnvironmentRun, environment_run
from support.preflight import PreflightFailed

PROJECT_ROOT = allure_report.PROJECT_ROOT
FORMATTER = "reporting.allure_formatter:AllureFormatter"
PROGRESS = "reporting.progress:FeatureProgress"
SUITE = "SECMP0107 acceptance"
QUIET = ("USING RUNNER:",)
"""Lines behave prints that say nothing to the reader (the runner class)."""
Observer = Callable[[PoolReport], None]
AUTO = 0
"""``--processes auto``: the runner picks the number (and says why)."""


def _processes(text: str) -> int:
    if text == "auto":
        return AUTO
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, or auto, got {text!r}")
    return int(text)


def _shard(text: str) -> tuple[int, int]:
    number, _, total = text.partition("/")
    if not (number.isdigit() and total.isdigit()) or not 1 <= int(number) <= int(total):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, got {text!r}")
    return int(number), int(total)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reporting.run",
        description="Run the SECMP0107 acceptance suite with Allure evidence, the clause traceability "
        "matrix, the sign-off sheet and the evidence pack, all showing one verdict. Exits 1 when it is FAILED "
        "(a failed scenario, a clause not covered, missing evidence); a run narrowed with --tags leaves clauses "
        "uncovered, so it fails by design.",
    )
    parser.add_argument(
        "--features", type=Path, default=Path("features"), help="folder of .feature files, relative to --root"
    )
    parser.add_argument(
        "--reports", type=Path, default=Path("reports"), help="folder for the evidence, relative to --root"
    )
    parser.add_argument(
        "--root", type=Path, default=PROJECT_ROOT, help="working directory behave runs in (default: the project root)"
    )
    parser.add_argument(
        "--processes",
        type=_processes,
        default=1,
        metavar="N|auto",
        help="against the embedded sandbox: split the feature files across N behave processes (auto: one per "
        "core); against an environment: N scenarios at a time, each in a process of its own (auto: as many as "
        "the environment file offers installations and meters of none, within --memory-budget)",
    )
    parser.add_argument(
        "--memory-budget",
        type=int,
        metavar="MIB",
        help="against an environment: the memory the scenarios' processes may take together, in MiB (default: "
        "half of what the machine has available)",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="run only shard K of N: the feature files sorted by path, every N-th from the K-th (for a CI "
        "matrix; join the shards with python -m reporting.merge, which judges coverage)",
    )
    parser.add_argument(
        "--environment",
        type=Path,
        metavar="FILE",
        help="a DCC test environment description (TOML), passed to behave as -D environment=FILE; its path and "
        "SHA-256, and its [run] operator, are recorded in the run identity",
    )
    parser.add_argument(
        "-D", "--define", action="append", default=[], metavar="KEY=VALUE", help="behave userdata (repeatable)"
    )
    parser.add_argument(
        "--tags", action="append", default=[], metavar="EXPR", help="behave tag expression (repeatable: all hold)"
    )
    parser.add_argument(
        "--test-cases",
        type=Path,
        metavar="FILE",
        help=f"the team's UIT test-case IDs (TOML; default: {DEFAULT_FILE} at the root, when it exists)",
    )
    parser.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    parser.add_argument("--no-pack", action="store_true", help="skip the evidence pack")
    args = parser.parse_args(argv)
    if args.memory_budget is not None and args.memory_budget < 1:
        parser.error("--memory-budget must be at least 1 MiB")
    for item in args.define:
        if "=" not in item:
            parser.error(f"-D expects KEY=VALUE, got {item!r}")
    if args.environment is not None and not args.environment.is_file():
        parser.error(f"--environment: no such file: {args.environment}")
    return args


def select_shard(files: Sequence[Path], number: int, total: int) -> list[Path]:
    """Shard `number` of `total`: the files sorted by path, every `total`-th from the `number`-th. Every file
    is in exactly one shard, and the same files always give the same shards."""
    return sorted(files)[number - 1 :: total]


def split_features(files: Sequence[Path], processes: int, root: Path) -> list[list[Path]]:
    """Feature files in at most N groups of about equal scenario count (largest files first)."""
    weights = Counter(case.path for case in collect_scenarios(list(files), root))
    ordered = sorted(files, key=lambda path: (-weights[path], path))
    groups: list[list[Path]] = [[] for _ in range(min(processes, len(ordered)) or 1)]
    loads = [0] * len(groups)
    for path in ordered:
        lightest = loads.index(min(loads))
        groups[lightest].append(path)
        loads[lightest] += max(weights[path], 1)
    return [sorted(group) for group in groups if group]


def evidence_folders(reports: Path) -> tuple[Path, Path, Path]:
    """Where a run's behave processes write their evidence under `reports`: the Allure results, the JUnit
    files and the DUIS messages."""
    return reports / "allure-results", reports / "junit", reports / "messages"


def behave_arguments(results_dir: Path, userdata: Sequence[str], tags: Sequence[str]) -> list[str]:
    """behave's options for every process of a run (the JUnit folder is each process's own)."""
    arguments = ["-f", FORMATTER, "-o", str(results_dir), "-f", PROGRESS, "--no-summary", "--junit"]
    for item in userdata:
        arguments += ["-D", item]
    return arguments + [f"--tags={expression}" for expression in tags]


def behave_command(
    paths: Sequence[Path], results_dir: Path, junit_dir: Path, userdata: Sequence[str], tags: Sequence[str]
) -> list[str]:
    """Always ``python -m behave``: it puts the working directory (the project root) on sys.path."""
    command = [sys.executable, "-m", "behave", *behave_arguments(results_dir, userdata, tags)]
    return command + ["--junit-directory", str(junit_dir), *(str(path) for path in paths)]


def behave_environment(results_dir: Path, messages_dir: Path | None) -> dict[str, str]:
    """The environment variables behave runs with: where its hooks write the evidence."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ALLURE_RESULTS_DIR": str(results_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    if messages_dir is not None:
        env[MESSAGES_ENV] = str(messages_dir)
    return env


def _relay(label: str, process: subprocess.Popen[str], lock: threading.Lock) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(QUIET) or not line.strip():
            continue
        with lock:
            print(f"[{label}] {line.rstrip()}", flush=True)


def run_behave(
    groups: Sequence[Sequence[Path]],
    results_dir: Path,
    junit_root: Path,
    userdata: Sequence[str],
    tags: Sequence[str],
    root: Path,
    messages_dir: Path | None = None,
) -> list[int]:
    """Start one behave per group, relay each one's lines under its label, return exit codes."""
    env = behave_environment(results_dir, messages_dir)
    lock = threading.Lock()
    running = []
    for number, paths in enumerate(groups, start=1):
        label = f"behave {number}/{len(groups)}"
        command = behave_command(paths, results_dir, junit_root / f"p{number}", userdata, tags)
        print(f"[{label}] {len(paths)} feature file(s): {' '.join(_shown(path, root) for path in paths)}", flush=True)
        process = subprocess.Popen(
            command, cwd=root, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        relay = threading.Thread(target=_relay, args=(label, process, lock), daemon=True)
        relay.start()
        running.append((label, process, relay))
    codes = []
    for label, process, relay in running:
        code = process.wait()
        relay.join()
        if code != 0:
            print(f"[{label}] behave exited with code {code}", flush=True)
        codes.append(code)
    return codes


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _clean(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)


def _environment_name(path: Path) -> str:
    """The file's [run] name, before the file is checked (a broken file is reported by the run)."""
    try:
        name = read_environment_file(path).get("run", {}).get("name")
    except (OSError, ValueError):
        name = None
    return str(name) if name else path.name


def _target_description(recorded: dict[str, object]) -> str:
    if str(recorded.get("target", "")).startswith("embedded"):
        return "embedded sandbox"
    if recorded.get("target"):
        dsp = recorded.get("target.dsp")
        return f"{recorded['target']}" + (f" (DSP {dsp})" if dsp else "")
    return "embedded sandbox"


def _embedded_processes(requested: int) -> int:
    """The embedded sandbox's processes: as asked, or (auto) one per core, its work being the CPU's."""
    if requested != AUTO:
        return requested
    cores = os.cpu_count() or 1
    print(f"Processes: {cores} behave processes (auto: one per core; each runs an embedded sandbox of its own)")
    return cores


def selected_scenarios(files: Sequence[Path], root: Path, tags: Sequence[str]) -> tuple[list[ScenarioCase], list[str]]:
    """The scenarios of `files` that the run's tag expressions select (as behave reads them), and the
    locations of those they leave out."""
    expression = make_tag_expression(list(tags))
    cases = collect_scenarios(list(files), root)
    return [c for c in cases if expression.check(c.tags)], [c.location for c in cases if not expression.check(c.tags)]


def _against_environment(
    args: argparse.Namespace,
    path: Path,
    files: Sequence[Path],
    reports: Path,
    defines: list[str],
    target: str,
    observe: Observer | None = None,
) -> list[int]:
    """The run against an environment: preflight and the coordinator, then one behave process over every
    scenario (``--processes 1``), or every scenario in a process of its own, N at a time (`run_pool`; those
    the tags leave out in one more, which reports them skipped). Returns the exit code of each process."""
    root = args.root.resolve()
    results_dir, junit_root, messages_dir = evidence_folders(reports)
    cases, left_out = selected_scenarios(files, root, args.tags)
    env = load_environment(path)
    sites = len(env.sites())
    if args.processes == AUTO:
        workers = max(1, min(sites, len(cases)))
        why = (
            f"auto: the environment file offers {sites} installations and meters of none, and a scenario holds "
            f"one while it runs; {len(cases)} scenarios to run"
        )
    else:
        workers, why = args.processes, f"--processes {args.processes}"
    with environment_run(env, workers) as run:
        print(f"Preflight: {target} is ready" + "".join(f"\n  note: {n}" for n in run.preflight.notes), flush=True)
        if workers == 1 or not cases:
            return run_behave([files], results_dir, junit_root, defines + run.userdata, args.tags, root, messages_dir)
        locations = [case.location for case in cases] + ([" ".join(left_out)] if left_out else [])
        order = longest_first(cases, len(locations))
        return _pool(args, run, locations, order, reports, defines, workers, why, observe)


def longest_first(cases: Sequence[ScenarioCase], count: int) -> list[int]:
    """The order to start the scenarios in: those with the most steps first (each step may wait for the DCC,
    and a run lasts at least as long as its longest scenario, so that one should not start last nor queue
    behind shorter ones for an originator's turn); then anything else the pool is given (`count`)."""
    by_steps = sorted(range(len(cases)), key=lambda index: -cases[index].steps)
    return by_steps + list(range(len(cases), count))


def _pool(
    args: argparse.Namespace,
    run: EnvironmentRun,
    locations: list[str],
    start_order: list[int],
    reports: Path,
    defines: list[str],
    workers: int,
    why: str,
    observe: Observer | None = None,
) -> list[int]:
    results_dir, junit_root, messages_dir = evidence_folders(reports)
    spec = PoolSpec(
        root=str(args.root.resolve()),
        locations=locations,
        behave_args=behave_arguments(results_dir, defines + run.userdata, args.tags),
        junit_root=str(junit_root),
        workers=workers,
        memory_budget=(args.memory_budget * MIB) if args.memory_budget else default_memory_budget(),
        why=why,
        start_order=start_order,
    )
    run.coordinator.rank({worker_label(index): rank for rank, index in enumerate(start_order)})
    report = run_pool(
        spec,
        behave_environment(results_dir, messages_dir),
        on_ended=run.coordinator.worker_ended,
        say=lambda line: print(line, flush=True),
    )
    join_junit(junit_root)
    through_s1sp = run.coordinator.answers_through_s1sp()
    used = run.coordinator.installations_used()
    for index, location in enumerate(locations):
        report.s1sp_answers[location] = through_s1sp.get(worker_label(index), 0)
        if worker_label(index) in used:
            report.installations[location] = used[worker_label(index)]
    if observe is not None:
        observe(report)
    print(
        f"Workers: {len(locations)} processes, {report.workers} at a time, {report.cpu_seconds:.1f} s of processor "
        f"time together; the largest one's peak resident memory {report.peak_worker_rss / MIB:.0f} MiB (of it "
        f"shared with the pool from its start: up to {report.worker_size / MIB:.0f} MiB)",
        flush=True,
    )
    return report.codes


def main(argv: Sequence[str] | None = None, observe: Observer | None = None) -> int:
    """The run; `observe`: given what the scenario pool did, when the run used one (for a benchmark)."""
    args = parse_args(argv)
    root = args.root.resolve()
    features_dir = root / args.features
    reports = root / args.reports
    results_dir, junit_root, messages_dir = evidence_folders(reports)
    if not features_dir.is_dir():
        print(f"no features folder at {features_dir}", file=sys.stderr)
        return 2
    mapping_file = args.test_cases or (root / DEFAULT_FILE)
    try:
        test_cases = load(mapping_file if mapping_file.is_file() else None)
    except MappingError as error:
        print(f"--test-cases: {error}", file=sys.stderr)
        return 2
    if args.test_cases is not None and not args.test_cases.is_file():
        print(f"--test-cases: no such file: {args.test_cases}", file=sys.stderr)
        return 2
    userdata = dict(item.partition("=")[::2] for item in args.define)
    defines = list(args.define)
    environment_file = args.environment.resolve() if args.environment else None
    if environment_file is not None:
        defines.append(f"environment={environment_file}")
    shard = f"{args.shard[0]}/{args.shard[1]}" if args.shard else ""
    identity = run_identity(
        root,
        environment_file=environment_file,
        target=_environment_name(environment_file) if environment_file else _target_description({}),
        tags=args.tags,
        shard=shard,
        userdata=userdata,
    )
    print(
        f"{SUITE}: {identity.started}, commit {identity.short_commit} ({identity.work_tree}), "
        f"{identity.target}, run by {identity.operator}" + (f", shard {shard}" if shard else ""),
        flush=True,
    )
    _clean(results_dir, junit_root, messages_dir, reports / "allure-report")

    compile_project()  # every behave process then reads the project's modules compiled (`reporting.bytecode`)
    files = feature_files(features_dir)
    if args.shard:
        files = select_shard(files, *args.shard)
    if not files:
        print("no feature files to run" + (f" in shard {shard}" if shard else ""), file=sys.stderr)
        return 2
    if environment_file is None:
        processes = _embedded_processes(args.processes)
        groups = split_features(files, processes, root) if processes > 1 else [files]
        codes = run_behave(groups, results_dir, junit_root, defines, args.tags, root, messages_dir)
    else:
        try:
            codes = _against_environment(args, environment_file, files, reports, defines, identity.target, observe)
        except (EnvironmentFileError, PreflightFailed) as problem:
            print(problem, file=sys.stderr)
            print("No scenario was run.", file=sys.stderr)
            return 2

    recorded = publish.target_values(results_dir, TARGET_ENVIRONMENT)
    identity = replace(identity, target=_target_description(recorded))
    published = publish.publish(
        root=root,
        reports=reports,
        features=files if args.shard else features_dir,
        identity=identity,
        test_cases=test_cases,
        target_values=recorded,
        coverage_required=not args.shard and environment_file is None,
        html=not args.no_html,
        pack_path=None if args.no_pack else reports / PACK_NAME,
        pack_inputs=[environment_file] if environment_file else [],
        test_cases_file=mapping_file if test_cases else None,
        behave_codes=codes,
        tags=" and ".join(args.tags),
        catalogue=CLAUSES,
    )
    return 1 if published.failed else 0


if __name__ == "__main__":
    sys.exit(main())
