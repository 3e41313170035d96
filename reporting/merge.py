"""Join several runs (the shards of a CI matrix) into one body of evidence:

    python -m reporting.merge reports-1 reports-2 ... [--out reports]

Each folder is the ``--reports`` folder of a run (``python -m reporting.run --shard K/N
--reports reports-K``): its Allure results, JUnit XML, DUIS messages and run identity. The merge copies
them into one folder and then does what a single run does after behave: the summaries, the matrix and
the gate over every feature file (so coverage is judged on the whole), the HTML report, the sign-off
sheet and the evidence pack. Two shards merged give the same matrix as one run of all the features.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from catalogue import CLAUSES
from reporting import publish
from reporting.allure_report import PROJECT_ROOT
from reporting.identity import RunIdentity
from reporting.junit import VERDICT_JUNIT
from reporting.pack import PACK_NAME
from reporting.test_cases import DEFAULT_FILE, MappingError, load
from reporting.verdict import Finding, read_run_findings

RUN_KEYS = ("run.", "tool.", "userdata.")
"""Environment-panel keys that come from the run identity; the rest describe the target."""


class MergeError(RuntimeError):
    """The folders cannot be joined (missing results, a name used twice, the output among the inputs)."""


def _properties(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.replace("\\ ", " ")] = value
    return values


def merged_identity(identities: Sequence[RunIdentity]) -> RunIdentity:
    """One identity for the joined runs: the first run's, started at the earliest, listing every run."""
    if not identities:
        raise MergeError("no run identity found: were these folders written by reporting.run?")
    first = min(identities, key=lambda identity: identity.started)
    commits = sorted({identity.commit for identity in identities})
    return replace(
        first,
        commit=commits[0] if len(commits) == 1 else "mixed: " + ", ".join(commits),
        shard="",
        shards=tuple(
            f"shard {run.shard or 'all'}: {run.started}, commit {run.short_commit}, by {run.operator}"
            for run in sorted(identities, key=lambda run: run.shard)
        ),
    )


def gather(inputs: Sequence[Path], out: Path) -> tuple[list[RunIdentity], dict[str, str], list[Finding]]:
    """Copy every input's results, JUnit and messages under `out`; returns the identities, the target values
    and the findings each run recorded itself (a behave process that ended badly, a target that stopped
    answering), which the joined verdict carries. A run's own verdict test case is not copied: the merge
    writes the joined one."""
    if any(folder.resolve() == out.resolve() for folder in inputs):
        raise MergeError(f"the output folder {out} is one of the inputs")
    results, junit, messages = out / "allure-results", out / "junit", out / "messages"
    for folder in (results, junit, messages, out / "allure-report"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    identities: list[RunIdentity] = []
    target: dict[str, str] = {}
    carried: list[Finding] = []
    for number, folder in enumerate(inputs, start=1):
        source = folder / "allure-results"
        if not source.is_dir():
            raise MergeError(f"{folder}: no allure-results folder")
        for path in sorted(source.iterdir()):
            if path.name in ("environment.properties", "categories.json") or not path.is_file():
                continue
            if (results / path.name).exists():
                raise MergeError(f"{path.name} is in more than one input")
            shutil.copy2(path, results / path.name)
        if (folder / "junit").is_dir():
            shutil.copytree(
                folder / "junit", junit / f"{number}-{folder.name}", ignore=shutil.ignore_patterns(VERDICT_JUNIT)
            )
        carried += [
            Finding(finding.kind, f"{folder.name}: {finding.text}") for finding in read_run_findings(folder)
        ]
        if (folder / "messages").is_dir():
            shutil.copytree(folder / "messages", messages, dirs_exist_ok=True)
        identity = RunIdentity.read(folder)
        if identity is not None:
            identities.append(identity)
        properties = _properties(source / "environment.properties")
        target |= {key: value for key, value in properties.items() if not key.startswith(RUN_KEYS)}
    return identities, target, carried


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.merge", description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path, metavar="DIR", help="a run's --reports folder")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder for the joined evidence")
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the project root (default: this one)")
    parser.add_argument("--features", type=Path, default=Path("features"), help="feature folder, relative to --root")
    parser.add_argument("--test-cases", type=Path, metavar="FILE", help=f"UIT test-case IDs (default: {DEFAULT_FILE})")
    parser.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    parser.add_argument("--no-pack", action="store_true", help="skip the evidence pack")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = args.out if args.out.is_absolute() else root / args.out
    mapping_file = args.test_cases or (root / DEFAULT_FILE)
    try:
        test_cases = load(mapping_file if mapping_file.is_file() else None)
        identities, target, carried = gather([path.resolve() for path in args.inputs], out)
    except (MergeError, MappingError) as error:
        print(f"merge: {error}", file=sys.stderr)
        return 2
    identity = merged_identity(identities)
    print(f"Merged {len(args.inputs)} run(s): {'; '.join(identity.shards)}")
    published = publish.publish(
        root=root,
        reports=out,
        features=root / args.features,
        identity=identity,
        test_cases=test_cases,
        target_values=target,
        coverage_required=True,
        html=not args.no_html,
        pack_path=None if args.no_pack else out / PACK_NAME,
        test_cases_file=mapping_file if test_cases else None,
        carried=carried,
        catalogue=CLAUSES,
    )
    return 1 if published.failed else 0


if __name__ == "__main__":
    sys.exit(main())
