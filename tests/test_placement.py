"""Where a running sandbox's process runs: on one CPU of its own while a sandbox is up, given back after.
Each case runs in a fresh interpreter: the claim is its process's (a sandbox another test left running in
this one would hold it)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2, reason="needs two CPUs and Linux"
)

CLAIM_AND_GIVE_BACK = """
import os, sys
from pathlib import Path
from fake_services.core import placement
placement.LOCKS = Path(sys.argv[1])
os.sched_setaffinity(0, range(os.cpu_count()))  # not what the test's own process may have been kept on
before = os.sched_getaffinity(0)
cpu = placement.claim_a_cpu()
assert cpu in before and os.sched_getaffinity(0) == {cpu}, (cpu, os.sched_getaffinity(0))
assert placement.claim_a_cpu() == cpu  # a second sandbox of the process: the same CPU
placement.let_go()
assert os.sched_getaffinity(0) == {cpu}  # the first still runs
placement.let_go()
assert os.sched_getaffinity(0) == before
"""

ALL_HELD = """
import os, sys
from pathlib import Path
from fake_services.core import placement
placement.LOCKS = Path(sys.argv[1])
os.sched_setaffinity(0, range(os.cpu_count()))  # not what the test's own process may have been kept on
before = os.sched_getaffinity(0)
assert placement.claim_a_cpu() is None and os.sched_getaffinity(0) == before
placement.let_go()
"""


def _run(script: str, locks: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, str(locks)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_a_sandbox_keeps_its_process_on_one_cpu_and_gives_it_back(tmp_path: Path):
    done = _run(CLAIM_AND_GIVE_BACK, tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_cpu_another_sandbox_holds_is_not_taken(tmp_path: Path):
    held = []  # another process's sandboxes hold every CPU this one may use
    for cpu in range(os.cpu_count() or 1):
        descriptor = os.open(tmp_path / f"mp107-sandbox-cpu-{cpu}.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        held.append(descriptor)
    try:
        done = _run(ALL_HELD, tmp_path)
    finally:
        for descriptor in held:
            os.close(descriptor)
    assert done.returncode == 0, done.stderr


FAILED_START = """
import os, socket, sys
from pathlib import Path
from fake_services.core import placement
from fake_services.sandbox import Sandbox
placement.LOCKS = Path(sys.argv[1])
os.sched_setaffinity(0, range(os.cpu_count()))
before = os.sched_getaffinity(0)
taken = socket.socket()
taken.bind(("127.0.0.1", 0))
taken.listen()
sandbox = Sandbox()
try:
    sandbox.start(ports={"DSP": taken.getsockname()[1]})
except OSError:
    pass
else:
    raise AssertionError("the DSP started on a port already taken")
assert os.sched_getaffinity(0) == before, os.sched_getaffinity(0)
"""


def test_a_sandbox_that_fails_to_start_gives_its_cpu_back(tmp_path: Path):
    done = _run(FAILED_START, tmp_path)
    assert done.returncode == 0, done.stderr
