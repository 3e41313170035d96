"""What the runner does around behave when the run is against an environment file: load the file, run
preflight (keys, the DSP, the callback) and, only if all is well, hold the run's one receiver and its
coordinator while the behave processes run (`support.coordinator`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from environment_file import load_environment
from support.coordinator import coordinating
from support.preflight import Preflight, ready_user_system


@contextmanager
def environment_run(path: Path) -> Iterator[tuple[Preflight, list[str]]]:
    """Preflight, then the coordinator; yields preflight's result (its notes) and the behave userdata that
    points each process at the coordinator. Raises EnvironmentFileError or PreflightFailed."""
    user_system, result = ready_user_system(load_environment(path))
    try:
        with coordinating(user_system.receiver, user_system.duis.counters) as coordinator:
            yield result, [f"coordinator={coordinator.url}"]
    finally:
        user_system.close()
