"""What the runner does around behave when the run is against an environment file: load the file, run
preflight (keys, the DSP, the callback) and, only if all is well, hold the run's one receiver and its
coordinator while the run's workers run (`support.coordinator`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from environment_file import Environment, load_environment
from support.coordinator import Coordinator, coordinating
from support.preflight import Preflight, ready_user_system


@dataclass(frozen=True)
class EnvironmentRun:
    """The environment the run is against, what preflight found, and the coordinator its workers follow."""

    environment: Environment
    preflight: Preflight
    coordinator: Coordinator

    @property
    def userdata(self) -> list[str]:
        """The behave userdata that points a worker at the coordinator."""
        return [f"coordinator={self.coordinator.url}"]


@contextmanager
def environment_run(path: Path, workers: int = 8) -> Iterator[EnvironmentRun]:
    """Preflight, then the coordinator for at most `workers` processes at once. Raises EnvironmentFileError
    or PreflightFailed."""
    env = load_environment(path)
    user_system, result = ready_user_system(env)
    try:
        with coordinating(user_system.receiver, user_system.duis.counters, workers) as coordinator:
            yield EnvironmentRun(env, result, coordinator)
    finally:
        user_system.close()
