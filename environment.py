"""Hooks: open the target once per run (embedded sandbox by default), enrol organisations once,
reset the system per scenario, and record the run's environment for the Allure report."""

from __future__ import annotations

from behave.model import Scenario
from behave.runner import Context

from support.control_client import ControlClient
from support.duis_client import DUISClient
from support.evidence import record_environment
from support.seeding import Roster
from support.targets import open_target
from support.world import World


def before_all(context: Context) -> None:
    context.target = open_target(context.config.userdata)
    context.control = ControlClient(context.target.control_url, context.target.control_token)
    context.duis = DUISClient(context.target.dsp_url)
    context.roster = Roster(context.control)


def before_scenario(context: Context, scenario: Scenario) -> None:
    context.control.reset()
    context.world = World(context.control, context.duis, context.roster)


def after_all(context: Context) -> None:
    try:
        record_environment(context)
    finally:
        context.duis.close()
        context.control.close()
        context.target.stop()
