"""What the runner does around behave when the run is against an environment file: load the file, run
preflight (keys, the DSP, the callback) and, only if all is well, hold the run's one receiver and its
coordinator while the behave processes run (`support.coordinator`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.coordinator import coordinating
from support.environment_file import load_environment
from support.preflight import Preflight, called_back, run_preflight
from support.user_system import user_system_for


class PreflightFailed(Exception):
    """The environment is not ready: no scenario runs. Its text is one short line per problem."""

    def __init__(self, result: Preflight) -> None:
        super().__init__(result.report())
        self.result = result


@contextmanager
def environment_run(path: Path) -> Iterator[tuple[Preflight, list[str]]]:
    """Preflight, then the coordinator; yields preflight's result (its notes) and the behave userdata that
    points each process at the coordinator. Raises EnvironmentFileError or PreflightFailed."""
    env = load_environment(path)
    result = run_preflight(env, None)
    if not result.ok:
        raise PreflightFailed(result)
    with user_system_for(env) as user_system:
        called_back(env, user_system, result)
        if not result.ok:
            raise PreflightFailed(result)
        with coordinating(user_system.receiver, user_system.duis.counters) as coordinator:
            yield result, [f"coordinator={coordinator.url}"]
