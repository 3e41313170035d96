"""The suite in environment mode, proved on this machine: for each sandbox environment file, start the
sandbox from the file with its Control API off, run the suite against it as against a DCC test
environment (DUIS only), stop it; then the impact matrix of the two runs.

    python -m reporting.sandbox_runs                 # as-is and to-be, then the impact matrix
    python -m reporting.sandbox_runs --processes 2 --reports reports

Each run's evidence goes to ``REPORTS/<file name>/`` (e.g. ``reports/sandbox-as-is/``, its report at
``allure-report/index.html``), the matrix to ``REPORTS/impact.md`` / ``.csv`` / ``.html``, which links each
run's report (and each report links back to it). Exits non-zero if a run fails (a failed scenario, preflight)
or if the two runs together leave a catalogued clause uncovered.

Against a real DCC environment the same is two runner calls and one impact call:

    python -m reporting.run --environment before.toml --reports reports/before
    python -m reporting.run --environment after.toml --reports reports/after
    python -m reporting.impact reports/before reports/after
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from environment_file import load_environment
from reporting import impact, run
from reporting.allure_report import PROJECT_ROOT
from support.preflight import dsp_answers

ENVIRONMENTS = PROJECT_ROOT / "support" / "environments"
DEFAULT_FILES = (ENVIRONMENTS / "sandbox-as-is.toml", ENVIRONMENTS / "sandbox-to-be.toml")
START_SECONDS = 60.0
"""How long the sandbox may take to create its keys and listen."""


class SandboxDidNotStart(RuntimeError):
    """The sandbox process ended, or did not answer in time; its own words are in the message."""


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


LISTENING_PORTS_FROM = 20_000
"""The lowest port `on_free_ports` hands a sandbox; it chooses below the system's ephemeral range."""
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_ports_from() -> int:
    """Where the system's ephemeral ports begin: every outgoing connection and every bind to port 0 takes
    one from there (Linux says where; elsewhere the IANA range, 49152, is assumed)."""
    try:
        return int(EPHEMERAL_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152


class _HandedOut:
    """The ports this process has handed out lately, none handed out again while it is remembered: a port
    handed to a sandbox is free until the sandbox listens there, a moment later, and a strength run hands
    out ports from four threads at once. The last `REMEMBERED` are remembered (a strength run hands out
    some 2,500; a stage's sandbox listens within seconds of its ports being chosen)."""

    REMEMBERED = 4096

    def __init__(self) -> None:
        self._ports: OrderedDict[int, None] = OrderedDict()
        self.lock = threading.Lock()

    def __contains__(self, port: int) -> bool:
        return port in self._ports

    def add(self, port: int) -> None:
        self._ports[port] = None
        while len(self._ports) > self.REMEMBERED:
            self._ports.popitem(last=False)


_HANDED_OUT = _HandedOut()


def _free_ports(count: int) -> list[int]:
    """`count` ports free now, all different, for a sandbox to listen on a moment later.

    They are drawn at random from below the system's ephemeral range: a port drawn from that range (a bind
    to port 0) can be taken, between its choosing and the sandbox's binding, by any outgoing connection of
    the run, and a strength run makes thousands while it starts sandboxes four at a time. A port this
    process handed out lately is not drawn again (`_HandedOut`), and each probe is held until every port is
    chosen. Where the ephemeral range leaves no room below it, the system chooses."""
    below = range(LISTENING_PORTS_FROM, _ephemeral_ports_from())
    draw = random.SystemRandom()
    with _HANDED_OUT.lock, ExitStack() as probes:
        ports: list[int] = []
        tries = 0
        while len(ports) < count:
            tries += 1
            port = draw.choice(below) if len(below) >= 10 * count and tries <= 100 * count else 0
            if port in _HANDED_OUT:
                continue
            probe = probes.enter_context(socket.socket())
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # taken: draw again
                continue
            ports.append(probe.getsockname()[1])
            _HANDED_OUT.add(ports[-1])
    return ports


def on_free_ports(source: Path, folder: Path, answer_timeout: int = 10) -> Path:
    """A copy of a shipped sandbox environment file in `folder`, its keys under `folder` and every port it names
    a free one, so that its sandbox can run beside anything else (a test, another strength run)."""
    text = source.read_text().replace(f"../../.sandbox/keys/{source.stem}", str(folder / "keys"))
    ports = sorted(set(re.findall(r"127\.0\.0\.1:(\d{5})", text)) | set(re.findall(r"port = (\d{5})", text)))
    for port, fresh in zip(ports, map(str, _free_ports(len(ports))), strict=True):
        text = text.replace(f":{port}", f":{fresh}").replace(f"port = {port}", f"port = {fresh}")
    text = re.sub(r"answer_timeout_seconds = \d+", f"answer_timeout_seconds = {answer_timeout}", text)
    path = folder / source.name
    path.write_text(text)
    return path



@contextmanager
def sandbox_from(path: Path, *options: str) -> Iterator[subprocess.Popen[str]]:
    """`python -m fake_services serve --environment FILE --no-control`, until its DSP answers and its
    declared interfaces listen; stopped
    (SIGTERM, then SIGKILL) however the block ends."""
    env = load_environment(path)
    command = [sys.executable, "-m", "fake_services", "serve", "--environment", str(path), "--no-control", *options]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        interfaces = [url for url in (env.interfaces.migration_control_centre, env.interfaces.meter_events) if url]
        while dsp_answers(env) is not None or not all(_listening(url) for url in interfaces):
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise SandboxDidNotStart(f"the sandbox for {path.name} exited ({process.returncode}): {output.strip()}")
            if time.monotonic() > deadline:
                raise SandboxDidNotStart(f"the sandbox for {path.name} did not answer within {START_SECONDS:g} s")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reporting.sandbox_runs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "files", nargs="*", type=Path, default=list(DEFAULT_FILES), help="as-is then to-be environment file"
    )
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="where the runs and the matrix go")
    parser.add_argument("--processes", type=int, default=2, help="behave processes per run (default: 2)")
    parser.add_argument("--no-html", action="store_true", help="skip each run's Allure HTML report")
    args = parser.parse_args(argv)
    if len(args.files) != 2:
        parser.error("give two environment files: as-is, then to-be")
    reports = args.reports if args.reports.is_absolute() else PROJECT_ROOT / args.reports
    codes, folders = [], []
    for path in args.files:
        folder = reports / path.stem
        folders.append(folder)
        print(f"\n== {path.name}: the sandbox from this file, Control API off; evidence in {folder}", flush=True)
        try:
            with sandbox_from(path.resolve()):
                options = ["--environment", str(path.resolve()), "--reports", str(folder)]
                options += ["--processes", str(args.processes)] + (["--no-html"] if args.no_html else [])
                codes.append(run.main(options))
        except SandboxDidNotStart as problem:
            print(problem, file=sys.stderr)
            codes.append(2)
    if any(code == 2 for code in codes):
        return 2
    print("\n== impact of MP107", flush=True)
    codes.append(impact.main([str(folders[0]), str(folders[1]), "--out", str(reports)]))
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
