"""Measure what reading an environment file costs: the shipped to-be file (the largest the project has),
read and checked by `load_environment`, beside its floor in the same run (parsing the same bytes with
tomllib alone, which no reader can beat). Also the import of the package (once per process) and the
first load (which pays for whatever is built lazily). Prints figures; asserts nothing.

    python -m benchmarks.environment_loading [--rounds N] [FILE]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

TO_BE = Path(__file__).resolve().parents[1] / "support" / "environments" / "sandbox-to-be.toml"


def _ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=TO_BE)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    from environment_file import load_environment  # measured: the package's import is part of the cost

    imported = (time.perf_counter() - start) * 1000
    first = _ms(lambda: load_environment(args.file))
    loads = [_ms(lambda: load_environment(args.file)) for _ in range(args.rounds)]
    text = args.file.read_text()
    parses = [_ms(lambda: tomllib.loads(text)) for _ in range(args.rounds)]
    print(f"{args.file.name}: {len(text.splitlines())} lines, {args.rounds} rounds")
    print(f"  import environment_file      {imported:8.1f} ms (once per process)")
    print(f"  first load_environment       {first:8.1f} ms")
    print(f"  load_environment, median     {statistics.median(loads):8.2f} ms")
    print(f"  floor: tomllib.loads, median {statistics.median(parses):8.2f} ms")


if __name__ == "__main__":
    main()
