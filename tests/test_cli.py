"""`python -m fake_services serve`: the sandbox standalone, as a developer or CI starts it."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from serving.local_access import local_token

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("DSP", "S1SP1", "S1SP2", "S1SP3", "Control", "MCC", "Meters")
LINE = re.compile(r"^(?P<name>\S+) (?P<url>http://127\.0\.0\.1:(?P<port>\d+))$")
START_SECONDS = 20
STOP_SECONDS = 5


def _sandbox(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "fake_services", "serve", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_lines(process: subprocess.Popen, count: int, timeout: float) -> list[str]:
    """`count` lines from stdout, or fewer if the deadline passes or the process ends. A thread reads,
    so a line already buffered is never missed (select on a buffered pipe would miss it)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        for _ in range(count):
            line = process.stdout.readline()
            lines.put(line.rstrip("\n") if line else None)
            if not line:
                return

    threading.Thread(target=reader, daemon=True).start()
    found: list[str] = []
    deadline = time.monotonic() + timeout
    while len(found) < count:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        found.append(line)
    return found


@pytest.fixture
def running() -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    process = _sandbox()
    try:
        lines = _read_lines(process, len(SERVICES), START_SECONDS)
        assert len(lines) == len(SERVICES), f"got {lines!r}; stderr: {process.stderr.read() if process.poll() else ''}"
        urls = {}
        for line in lines:
            match = LINE.match(line)
            assert match, f"not 'NAME http://127.0.0.1:PORT': {line!r}"
            urls[match["name"]] = match["url"]
        yield process, urls
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
        process.stdout.close()
        process.stderr.close()


def test_serve_help_exits_0_and_describes_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_services", "serve", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: mp107-sandbox serve")
    for option in ("--host", "--dsp-port", "--control-port", "--s1sp1-port", "--s1sp3-port", "--database"):
        assert option in result.stdout


def test_no_command_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_services"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "usage: mp107-sandbox" in result.stderr


def test_serve_prints_one_line_per_service_answers_and_stops_on_sigterm(running) -> None:
    process, urls = running
    assert list(urls) == list(SERVICES)
    assert len({url for url in urls.values()}) == len(SERVICES)  # each on its own port

    health = requests.get(urls["Control"] + "/health", headers={"Authorization": f"Bearer {local_token()}"}, timeout=5)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "services": urls}
    not_duis = requests.post(
        urls["DSP"] + "/api/v1/serviceS", data=b"hello", headers={"Content-Type": "application/xml"}, timeout=5
    )
    assert not_duis.status_code == 400

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_SECONDS) == 0
    assert time.monotonic() - started < STOP_SECONDS
    assert process.stdout.read().strip() == "stopped"
    with pytest.raises(requests.ConnectionError):
        requests.get(urls["Control"] + "/health", timeout=2)


def test_serve_stops_on_sigint_too(running) -> None:
    process, _ = running
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=STOP_SECONDS) == 0


def test_a_port_in_use_is_reported_and_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _sandbox("--dsp-port", str(port))
        try:
            _, stderr = process.communicate(timeout=START_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 2
    assert "cannot listen" in stderr


@pytest.mark.parametrize("latency", ["-1", "61", "30"])
def test_an_s1sp_latency_out_of_range_or_beyond_the_dsps_patience_is_refused(latency: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_services", "serve", "--s1sp-latency", latency, "--s1sp-timeout", "20"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--s1sp-latency is 0 to 60 seconds and less than --s1sp-timeout" in result.stderr
