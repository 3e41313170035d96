"""Hooks: open the target once per run (embedded sandbox by default), start the suite's own Receive
Response Service (where the DCC delivers asynchronous answers), enrol organisations once, reset the
system per scenario, and record the run's environment for the Allure report."""

from __future__ import annotations

from behave.model import Scenario
from behave.runner import Context

from support.control_client import ControlClient
from support.evidence import record_environment
from support.seeding import Roster
from support.targets import open_target
from support.user_system import ANSWER_TIMEOUT_SECONDS, UserSystem
from support.world import World


def before_all(context: Context) -> None:
    context.target = open_target(context.config.userdata)
    context.control = ControlClient(context.target.control_url, context.target.control_token)
    context.user_system = UserSystem(
        context.target.dsp_url,
        context.control.smki()["dcc_signers"],
        answer_timeout=float(context.config.userdata.get("answer_timeout", ANSWER_TIMEOUT_SECONDS)),
    ).start()
    context.duis, context.receiver = context.user_system.duis, context.user_system.receiver
    context.roster = Roster(context.control, context.user_system.receive_url)


def before_scenario(context: Context, scenario: Scenario) -> None:
    context.control.reset()
    context.world = World(context.control, context.duis, context.roster, context.receiver)


def after_all(context: Context) -> None:
    try:
        record_environment(context)
    finally:
        context.user_system.close()
        context.control.close()
        context.target.stop()
