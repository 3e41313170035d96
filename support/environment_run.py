"""What the runner does around behave when the run is against an environment file: load the file, run
preflight (keys, the DSP, the callback) and, only if all is well, hold the run's one receiver and its
coordinator while the run's workers run (`support.coordinator`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from environment_file import Environment, load_environment
from support.coordinator import Coordinator, coordinating
from support.preflight import Preflight, ready_user_system

_READ: dict[Path, Environment] = {}
"""Environment files read before this process's run began (`prepare`)."""


def prepare(userdata: Mapping[str, str]) -> None:
    """Read the environment file `userdata` names now, for the runs this process (or a process forked from
    it: `reporting.scenario_pool`) opens later: each takes it as read here instead of reading it again."""
    path = userdata.get("environment")
    if path:
        _READ[Path(path).resolve()] = load_environment(path)


def already_read(userdata: Mapping[str, str]) -> Environment | None:
    """The environment file `userdata` names, if `prepare` has read it."""
    path = userdata.get("environment")
    return _READ.get(Path(path).resolve()) if path else None


@dataclass(frozen=True)
class EnvironmentRun:
    """What preflight found, and the coordinator the run's workers follow."""

    preflight: Preflight
    coordinator: Coordinator

    @property
    def userdata(self) -> list[str]:
        """The behave userdata that points a worker at the coordinator."""
        return [f"coordinator={self.coordinator.url}"]


@contextmanager
def environment_run(env: Environment, workers: int = 8) -> Iterator[EnvironmentRun]:
    """Preflight against `env` (the environment file, read), then the coordinator for at most `workers`
    processes at once. Raises PreflightFailed."""
    user_system, result = ready_user_system(env)
    try:
        with coordinating(user_system.receiver, user_system.duis.counters, workers) as coordinator:
            yield EnvironmentRun(result, coordinator)
    finally:
        user_system.close()
