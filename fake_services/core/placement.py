"""Where a running sandbox's process runs: on one CPU, claimed from the machine's, while a sandbox is up.

Every request crosses several of the sandbox's threads (a server's loop and a worker, the DSP's routing, the
delivery to the User, the User's own receiver when the suite hosts it), and the interpreter lock lets only one
of them run at a time: a second CPU gives the process nothing but hand-offs from one CPU to the other, and
those cost more than the work handed over (measured on two CPUs: the suite's DUIS exchanges take a fifth
longer alone, and half as long again when two such processes share both CPUs, than with each process on its
own CPU; `benchmarks/embedded_suite.py`, `benchmarks/loopback.py`).

So a started sandbox keeps its process (every thread of it, those it starts later too) on one CPU that no
other sandbox on the machine holds: a lock file per CPU in the temporary folder, held while the process has a
sandbox up and let go when its last one stops (or the process ends). When every CPU is held, or the process
may use only one, or the system cannot pin threads (not Linux), the process stays where the system puts it.
Nothing a sandbox decides depends on where it runs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

LOCKS = Path(tempfile.gettempdir())
"""Where the per-CPU lock files are (`mp107-sandbox-cpu-<n>.lock`), shared by every sandbox on the machine."""


@dataclass(frozen=True)
class _Claim:
    cpu: int
    descriptor: int
    before: frozenset[int]
    """The CPUs the process could use before: given back when the claim ends."""


_lock = threading.Lock()
_claim: _Claim | None = None
_holders = 0


def claim_a_cpu() -> int | None:
    """Keep this process on a CPU no other sandbox holds (the one it holds already, for a second sandbox of
    the process); returns that CPU, or None when the process stays where it is. Pair with `let_go`."""
    global _claim, _holders
    with _lock:
        _holders += 1
        if _claim is None:
            _claim = _first_free_cpu()
            if _claim is not None:
                _pin_every_thread({_claim.cpu})
        return _claim.cpu if _claim else None


def let_go() -> None:
    """One sandbox of the process has stopped; after the last, the process may run anywhere again."""
    global _claim, _holders
    with _lock:
        _holders = max(_holders - 1, 0)
        if _holders or _claim is None:
            return
        claim, _claim = _claim, None
        _pin_every_thread(set(claim.before))
        os.close(claim.descriptor)  # the lock goes with the descriptor


def _first_free_cpu() -> _Claim | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = frozenset(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    for cpu in sorted(allowed):
        try:
            descriptor = os.open(LOCKS / f"mp107-sandbox-cpu-{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another sandbox holds this CPU
            os.close(descriptor)
            continue
        return _Claim(cpu, descriptor, allowed)
    return None


def _pin_every_thread(cpus: set[int]) -> None:
    """Every thread of the process, and so every thread they start (a thread inherits its starter's CPUs)."""
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):  # a thread that has just ended
            os.sched_setaffinity(int(task), cpus)
