"""The one command that runs the MP107 acceptance suite and produces its evidence.

    python -m support.reporting.run [--processes N] [-D key=value ...] [--tags EXPR] [--no-html]

It cleans the previous results, runs ``python -m behave`` on ``features/`` (optionally split across
N processes: behave 1.3's ``-j`` is serial), writes the Allure environment and categories, the
traceability matrix (``reports/traceability.md`` / ``.csv``), runs the evidence gate, generates the
single-file HTML report, and exits non-zero on any failed scenario or gate failure.
"""

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from catalogue import CLAUSES
from support.evidence import TARGET_ENVIRONMENT
from support.reporting import allure_report
from support.reporting.traceability import collect_scenarios, trace

PROJECT_ROOT = allure_report.PROJECT_ROOT
FORMATTER = "support.allure_formatter:AllureFormatter"
SUITE = "SECMP0107 acceptance"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m support.reporting.run",
        description="Run the SECMP0107 acceptance suite with Allure evidence, the clause traceability "
        "matrix and its gate. Exits non-zero on any failed scenario or gate failure; a run "
        "narrowed with --tags leaves clauses uncovered, so its gate fails by design.",
    )
    parser.add_argument(
        "--features",
        type=Path,
        default=Path("features"),
        help="folder of .feature files, relative to --root (default: features)",
    )
    parser.add_argument(
        "--reports",
        type=Path,
        default=Path("reports"),
        help="folder for results, matrix and HTML, relative to --root (default: reports)",
    )
    parser.add_argument(
        "--root", type=Path, default=PROJECT_ROOT, help="working directory behave runs in (default: the project root)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="split the feature files across N behave processes (default: 1)",
    )
    parser.add_argument(
        "-D",
        "--define",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="behave userdata, passed through (repeatable)",
    )
    parser.add_argument(
        "--tags",
        action="append",
        default=[],
        metavar="EXPR",
        help="behave tag expression, passed through (repeatable: all must hold)",
    )
    parser.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    for item in args.define:
        if "=" not in item:
            parser.error(f"-D expects KEY=VALUE, got {item!r}")
    return args


def split_features(features_dir: Path, processes: int, root: Path) -> list[list[Path]]:
    """Feature files in at most N groups of about equal scenario count (largest files first)."""
    weights = Counter(case.path for case in collect_scenarios(features_dir, root))
    files = sorted(features_dir.resolve().rglob("*.feature"), key=lambda path: (-weights[path], path))
    groups: list[list[Path]] = [[] for _ in range(min(processes, len(files)) or 1)]
    loads = [0] * len(groups)
    for path in files:
        lightest = loads.index(min(loads))
        groups[lightest].append(path)
        loads[lightest] += max(weights[path], 1)
    return [sorted(group) for group in groups if group]


def behave_command(
    paths: Sequence[Path], results_dir: Path, junit_dir: Path, userdata: Sequence[str], tags: Sequence[str]
) -> list[str]:
    """Always ``python -m behave``: it puts the working directory (the project root) on sys.path."""
    command = [
        sys.executable,
        "-m",
        "behave",
        "-f",
        FORMATTER,
        "-o",
        str(results_dir),
        "-f",
        "progress",
        "--junit",
        "--junit-directory",
        str(junit_dir),
    ]
    for item in userdata:
        command += ["-D", item]
    for expression in tags:
        command.append(f"--tags={expression}")
    return command + [str(path) for path in paths]


def _relay(label: str, process: subprocess.Popen[str], lock: threading.Lock) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        with lock:
            print(f"[{label}] {line.rstrip()}", flush=True)


def run_behave(
    groups: Sequence[Sequence[Path]],
    results_dir: Path,
    junit_root: Path,
    userdata: Sequence[str],
    tags: Sequence[str],
    root: Path,
) -> list[int]:
    """Start one behave per group, relay each one's output under its label, return exit codes."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ALLURE_RESULTS_DIR": str(results_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    lock = threading.Lock()
    running = []
    for number, paths in enumerate(groups, start=1):
        label = f"behave {number}/{len(groups)}"
        junit_dir = junit_root / f"p{number}"
        command = behave_command(paths, results_dir, junit_dir, userdata, tags)
        print(f"[{label}] {len(paths)} path(s): {' '.join(_shown(path, root) for path in paths)}", flush=True)
        process = subprocess.Popen(
            command, cwd=root, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        relay = threading.Thread(target=_relay, args=(label, process, lock), daemon=True)
        relay.start()
        running.append((label, process, relay, time.monotonic()))
    codes = []
    for label, process, relay, started in running:
        code = process.wait()
        relay.join()
        print(f"[{label}] finished with exit code {code} in {time.monotonic() - started:.1f}s", flush=True)
        codes.append(code)
    return codes


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment(args: argparse.Namespace, processes: int) -> dict[str, object]:
    """What the report's Environment panel shows: enough to reproduce the run."""
    values: dict[str, object] = {
        "suite": SUITE,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "behave": _version("behave"),
        "allure-behave": _version("allure-behave"),
        "processes": processes,
        "tags": " and ".join(args.tags) or "(all scenarios)",
    }
    for key, _, value in (item.partition("=") for item in args.define):
        values[f"userdata.{key}"] = value
    return values


def target_environment(results_dir: Path) -> dict[str, object]:
    """What the hooks recorded about the target (one file per behave process; they agree)."""
    values: dict[str, object] = {}
    for path in sorted(results_dir.glob(TARGET_ENVIRONMENT)):
        values.update(json.loads(path.read_text()))
        path.unlink()  # not an Allure result
    return values


def _clean(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    root = args.root.resolve()
    features_dir = root / args.features
    reports = root / args.reports
    results_dir, junit_root = reports / "allure-results", reports / "junit"
    html_dir = reports / "allure-report"
    if not features_dir.is_dir():
        print(f"no features folder at {features_dir}", file=sys.stderr)
        return 2
    _clean(results_dir, junit_root)

    groups = split_features(features_dir, args.processes, root) if args.processes > 1 else [[features_dir]]
    codes = run_behave(groups, results_dir, junit_root, args.define, args.tags, root)

    allure_report.write_environment(results_dir, environment(args, len(groups)) | target_environment(results_dir))
    allure_report.write_categories(results_dir)
    matrix = trace(features_dir, results_dir, junit_root, reports, CLAUSES, root)
    evidence = matrix.evidence
    statuses = Counter(evidence.statuses.values())
    tally = ", ".join(f"{count} {status}" for status, count in statuses.most_common())
    covered = sum(row.covered for row in matrix.coverage)
    print(
        f"\nScenarios: {len(matrix.scenarios)} written, {evidence.scenarios_run or 0} run by behave, "
        f"{evidence.allure_results} Allure results ({tally or 'none'})"
    )
    print(f"Clauses: {len(matrix.coverage)} catalogued, {covered} covered")
    print("Gate: " + ("passed" if not matrix.failures else f"{len(matrix.failures)} failure(s)"))
    for failure in matrix.failures:
        print(f"  - {failure}")

    html_failed = False
    if not args.no_html:
        shutil.rmtree(html_dir, ignore_errors=True)
        try:
            index = allure_report.generate_html(results_dir, html_dir)
            print(f"Report: {index}")
        except allure_report.ReportError as error:
            html_failed = True
            print(f"Report: not generated: {error}", file=sys.stderr)
    print(f"Matrix: {matrix.markdown} and {matrix.csv}")
    print(f"Results: {results_dir} (JUnit: {junit_root})")

    behave_failed = any(code != 0 for code in codes)
    if behave_failed:
        print("behave reported failures (exit codes: " + ", ".join(map(str, codes)) + ")")
    passed = statuses.get("passed", 0)
    print(f"Scenarios: {passed} passed, {len(matrix.scenarios) - passed} failed")
    return 1 if behave_failed or matrix.failures or html_failed else 0


if __name__ == "__main__":
    sys.exit(main())
