"""Where a running sandbox's process runs: on one CPU of its own while a sandbox is up, given back after."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from fake_services.core import placement

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs and Linux"
)


def test_a_sandbox_keeps_its_process_on_one_cpu_and_gives_it_back(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(placement, "LOCKS", tmp_path)
    before = os.sched_getaffinity(0)
    cpu = placement.claim_a_cpu()
    try:
        assert cpu in before and os.sched_getaffinity(0) == {cpu}
        assert placement.claim_a_cpu() == cpu  # a second sandbox of the process: the same CPU
        placement.let_go()
        assert os.sched_getaffinity(0) == {cpu}  # the first still runs
    finally:
        placement.let_go()
    assert os.sched_getaffinity(0) == before


def test_a_cpu_another_sandbox_holds_is_not_taken(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(placement, "LOCKS", tmp_path)
    allowed = os.sched_getaffinity(0)
    held = []  # another sandbox's locks on every CPU (flock is per open file, so this process's own count)
    for cpu in sorted(allowed):
        descriptor = os.open(tmp_path / f"mp107-sandbox-cpu-{cpu}.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        held.append(descriptor)
    try:
        assert placement.claim_a_cpu() is None and os.sched_getaffinity(0) == allowed
        placement.let_go()
    finally:
        for descriptor in held:
            os.close(descriptor)
