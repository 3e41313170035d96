"""What a behave process holds for the whole run, opened once by the hooks (`environment.py`): the target
(the embedded sandbox, or the environment an environment file describes), the User's system (its DUIS client
and Receive Response Service), the organisations by name, and the arrangement that makes each scenario's
Givens true. Each scenario gets a fresh World from it, and gives its meters back when it ends."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from environment_file import Environment
from support.arrangement import Arrangement
from support.control_client import ControlClient
from support.coordinator import CoordinatedCounters, CoordinatedLeases, Leases, LocalLeases, MirrorReceiver
from support.environment_arrangement import EnvironmentArrangement, EnvironmentDirectory
from support.environment_run import already_read
from support.preflight import PreflightFailed, ready_user_system
from support.sandbox_arrangement import SandboxArrangement
from support.seeding import Roster
from support.targets import Target, open_target
from support.world import World
from user_system.system import ANSWER_TIMEOUT_SECONDS, UserSystem, receive_url, user_system_for


@dataclass
class SuiteRun:
    """The run's target, User system, organisations and arrangement (one behave process's share of a run)."""

    target: Target
    user_system: UserSystem
    roster: Roster
    arrangement: Arrangement
    certification_path: bytes
    control: ControlClient | None = None
    """The embedded sandbox's Control API (None against an environment: DUIS only)."""
    notes: str = ""
    """What this process's own preflight noted (behave alone against an environment), for the console."""

    @classmethod
    def open(cls, userdata: Mapping[str, str]) -> SuiteRun:
        """Open the target `userdata` names (`-D environment=FILE`, else the embedded sandbox) and everything
        the scenarios share. Against an environment, a run's process follows the runner's coordinator (its
        receiver, counters and meter leases) when `-D coordinator=URL` says so; behave alone does its own
        preflight (`PreflightFailed` when the environment cannot be used)."""
        target = open_target(userdata, already_read(userdata))
        env = target.environment
        if env is not None:
            return cls._against(target, env, userdata)
        control = ControlClient(target.urls["Control"])
        user_system = UserSystem(
            target.dsp_url,
            control.smki()["dcc_signers"],
            answer_timeout=float(userdata.get("answer_timeout", ANSWER_TIMEOUT_SECONDS)),
        ).start()
        roster = Roster(control, user_system.receive_url)
        arrangement = SandboxArrangement(control, roster, target.urls["MCC"], target.urls["Meters"])
        return cls(target, user_system, roster, arrangement, control.issuing_ca_der, control)

    @classmethod
    def _against(cls, target: Target, env: Environment, userdata: Mapping[str, str]) -> SuiteRun:
        ControlClient.refused = f"the run is against the environment {env.run.name!r}: DUIS only"
        coordinator = userdata.get("coordinator")
        leases: Leases
        if coordinator:  # one of the run's processes: the runner holds the receiver, turns and leases
            worker = userdata.get("worker", f"pid {os.getpid()}")
            user_system = user_system_for(
                env, MirrorReceiver(coordinator, receive_url(env), worker), CoordinatedCounters(coordinator, worker)
            ).start()
            leases = CoordinatedLeases(coordinator, worker)
            notes = ""
        else:  # behave alone: preflight here (the runner has done it before starting its processes)
            user_system, result = ready_user_system(env)
            leases = LocalLeases()
            notes = result.report() if result.notes else ""
        directory = EnvironmentDirectory(env)
        arrangement = EnvironmentArrangement(env, directory, leases)
        return cls(target, user_system, directory, arrangement, env.certification_path_der()[0], notes=notes)

    def new_world(self) -> World:
        """A scenario's World: fresh state over the run's clients (the sandbox is reset for it)."""
        return World(
            self.arrangement,
            self.user_system.duis,
            self.roster,
            self.user_system.receiver,
            self.certification_path,
        )

    def close(self) -> None:
        try:
            self.arrangement.close()
            self.user_system.close()
            if self.control is not None:
                self.control.close()
        finally:
            self.target.stop()


__all__ = ["PreflightFailed", "SuiteRun"]
