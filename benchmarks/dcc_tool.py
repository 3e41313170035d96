"""What DCC's DUIS tool (npm `@smartdcc/duis-sign-wrap`, `dist/tool.jar`) costs the tests, one line each,
beside its floor in the same run:

- N Validates of one signed message (DCC's 6.15.1 template, signed by DCC's Sign), one JVM each, as the tests
  ran them before (`java -cp tool.jar ...Validate FILE`);
- the same N Validates in one JVM (`tests/dcc_tool.py`'s session: the tool's own `main` per run), its start
  counted once;
- the floor: the same N Validates in a JVM that one Validate has already warmed (the tool's XSD loaded, its
  classes compiled);
- and, to say where a JVM per run spends its time: N JVMs that start and leave at once (Validate with no
  argument prints its usage): the start itself is cheap, loading the tool's schema and classes again each time
  is not.

Prints figures; asserts nothing (tests never assert wall-clock times).

    python -m benchmarks.dcc_tool [--runs N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lxml import etree

from duis.xml import compact, to_bytes
from smki import boxed_keystore
from tests.dcc_tool import DCCTool, ToolMissing, locate_dcc_tool

TEMPLATE = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
WIDTH = 52


def _signed_template(tool: DCCTool) -> bytes:
    path = boxed_keystore._npm_file(boxed_keystore.TEMPLATES, "DUIS_TEMPLATES_DIR") / TEMPLATE
    result = tool.run("Sign", "-", stdin=to_bytes(compact(etree.parse(str(path)).getroot())))
    if result.returncode != 0:
        raise SystemExit(f"DCC's Sign refused {TEMPLATE}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def _line(name: str, seconds: float, runs: int) -> None:
    print(f"{name:<{WIDTH}} {seconds:7.2f} s  {seconds / runs * 1000:7.0f} ms a run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Validates of each kind (default 20)")
    args = parser.parse_args(argv)
    try:
        tool = locate_dcc_tool()
    except ToolMissing as missing:
        print(f"DCC's tool cannot run: {missing}")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        message = Path(folder) / "signed.xml"
        message.write_bytes(_signed_template(tool))  # also compiles the session, outside the timings
        tool.close()

        start = time.perf_counter()
        for _ in range(args.runs):
            assert tool._run_in_own_jvm("Validate", str(message), stdin=None).returncode == 0
        own = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(args.runs):
            assert tool.run("Validate", str(message)).returncode == 0  # the first run starts the JVM
        shared = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(args.runs):
            assert tool.run("Validate", str(message)).returncode == 0
        warmed = time.perf_counter() - start
        tool.close()

        start = time.perf_counter()
        for _ in range(args.runs):
            tool._run_in_own_jvm("Validate", stdin=None)  # its usage line, exit 2: a JVM's start and end
        bare = time.perf_counter() - start

    print(f"DCC's tool: {args.runs} Validates of DCC's {TEMPLATE}, signed by DCC's Sign")
    _line("one JVM per run (as the tests were)", own, args.runs)
    _line("one JVM for all the runs (its start included)", shared, args.runs)
    _line("  floor: the same runs in a JVM already warmed", warmed, args.runs)
    _line("a JVM per run that starts and leaves (usage)", bare, args.runs)
    print(f"speed-up: {own / shared:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
