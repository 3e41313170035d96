"""The sandbox in its own process (`python -m fake_services serve`), as a user runs it: for tests of the
command line and of durability, and for benchmarks that must not share a GIL with their clients."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from support.seeding import S1SPS

SERVICE_LINE = re.compile(r"^(?P<name>\S+) (?P<url>https?://\S+)$")
SANDBOX_SERVICES = ("DSP", *S1SPS, "Control")


@dataclass
class SandboxProcess:
    """A standalone sandbox: its process and the base URL of each service it printed."""

    process: subprocess.Popen
    urls: dict[str, str]

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or a pulled plug."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._close_output()

    def terminate(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=10)
        self._close_output()
        return code

    def _close_output(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_sandbox_process(*args: str, stderr=subprocess.DEVNULL, env: dict | None = None, timeout: float = 20):
    """Start `python -m fake_services serve ARGS` and read its `NAME URL` lines. Returns a
    SandboxProcess, or the finished Popen if the command exited instead of serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_services", "serve", *args],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    output = process.stdout
    assert output is not None  # stdout=PIPE

    def reader() -> None:  # a thread, so a line already buffered is never missed
        for _ in SANDBOX_SERVICES:
            line = output.readline()
            lines.put(line.rstrip("\n") if line else None)
            if not line:
                return

    threading.Thread(target=reader, daemon=True).start()
    urls: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(urls) < len(SANDBOX_SERVICES):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise TimeoutError(f"the sandbox printed {urls} in {timeout} s") from None
        if line is None:
            process.wait(timeout=10)
            return process
        match = SERVICE_LINE.match(line)
        if not match:
            process.kill()
            raise AssertionError(f"not 'NAME URL': {line!r}")
        urls[match["name"]] = match["url"]
    return SandboxProcess(process, urls)
