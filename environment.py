"""Hooks: open the target once per run (the embedded sandbox by default, or the environment an
environment file describes), start the suite's own Receive Response Service (where the DCC delivers
asynchronous answers), and per scenario reset the sandbox (embedded only: an environment is never
reset) and start a fresh World; record the run's environment for the Allure report."""

from __future__ import annotations

import os
import sys

from behave.model import Scenario, Status, Step
from behave.runner import Context

from environment_file import Environment
from reporting.evidence import attach_json, attach_not_counted, record_environment
from reporting.names import OUTCOME_ATTACHMENT
from support.arrangement import EnvironmentArrangement, EnvironmentDirectory, SandboxArrangement
from support.control_client import ControlClient
from support.coordinator import CoordinatedCounters, CoordinatedLeases, Leases, LocalLeases, MirrorReceiver
from support.preflight import PreflightFailed, ready_user_system
from support.seeding import Roster
from support.targets import open_target
from support.world import World
from user_system.system import ANSWER_TIMEOUT_SECONDS, UserSystem, receive_url, user_system_for


def before_all(context: Context) -> None:
    userdata = context.config.userdata
    context.target = target = open_target(userdata)
    env = target.environment
    if env is not None:
        ControlClient.refused = f"the run is against the environment {env.run.name!r}: DUIS only"
        context.control = None
        coordinator = userdata.get("coordinator")
        if coordinator:  # one of the run's processes: the runner holds the receiver, turns and leases
            worker = userdata.get("worker", f"pid {os.getpid()}")
            context.user_system = user_system_for(
                env, MirrorReceiver(coordinator, receive_url(env)), CoordinatedCounters(coordinator, worker)
            ).start()
            leases: Leases = CoordinatedLeases(coordinator, worker)
        else:  # behave alone: preflight here (the runner has done it before starting its processes)
            context.user_system = _preflight(env)
            leases = LocalLeases()
        context.roster = EnvironmentDirectory(env)
        context.arrangement = EnvironmentArrangement(env, context.roster, leases)
        context.certification_path = env.certification_path_der()[0]
    else:
        context.control = ControlClient(target.urls["Control"])
        context.user_system = UserSystem(
            target.dsp_url,
            context.control.smki()["dcc_signers"],
            answer_timeout=float(userdata.get("answer_timeout", ANSWER_TIMEOUT_SECONDS)),
        ).start()
        context.roster = Roster(context.control, context.user_system.receive_url)
        context.arrangement = SandboxArrangement(
            context.control, context.roster, target.urls["MCC"], target.urls["Meters"]
        )
        context.certification_path = context.control.issuing_ca_der
    context.duis, context.receiver = context.user_system.duis, context.user_system.receiver


def _preflight(env: Environment) -> UserSystem:
    """The environment's user system, started, once preflight finds nothing wrong; else the run ends here
    with one line per problem and no scenario run."""
    try:
        user_system, result = ready_user_system(env)
    except PreflightFailed as failed:
        print(f"{failed}\nNo scenario was run.", file=sys.stderr, flush=True)
        os._exit(2)  # behave reports a SystemExit from a hook as an abort with a traceback: end quietly
    if result.notes:
        print(result.report(), file=sys.stderr)
    return user_system


def before_scenario(context: Context, scenario: Scenario) -> None:
    if context.control is not None:
        context.control.reset()
    context.world = World(
        context.arrangement, context.duis, context.roster, context.receiver, context.certification_path
    )


def after_step(context: Context, step: Step) -> None:
    """At the scenario's last step (or the one that failed), its outcome in words, for the impact matrix,
    and what the DCC delivered about its meter that counted for nothing (delivered again, or late)."""
    world = getattr(context, "world", None)
    if world is None or not (step.status == Status.failed or step is list(context.scenario.all_steps)[-1]):
        return
    attach_not_counted(world.deliveries_not_counted())
    if world.has_outcome:
        attach_json(world.outcome(), OUTCOME_ATTACHMENT)


def after_scenario(context: Context, scenario: Scenario) -> None:
    if isinstance(context.arrangement, EnvironmentArrangement):
        context.arrangement.end_scenario()


def after_all(context: Context) -> None:
    try:
        record_environment(context)
    finally:
        context.arrangement.close()
        context.user_system.close()
        if context.control is not None:
            context.control.close()
        context.target.stop()
