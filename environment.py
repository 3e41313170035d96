"""behave's hooks: open the run once (`support.suite_run`: the embedded sandbox by default, or the environment
an environment file describes, with the suite's own Receive Response Service), give each scenario a fresh
World (the sandbox reset for it; an environment is never reset), record its outcome and what the DCC
delivered that counted for nothing, and record the run's environment for the report. Everything else is in
`support/`; the steps reach the World through `support.stepping.world_of`."""

from __future__ import annotations

import os
import sys

from behave.model import Scenario, Status, Step
from behave.runner import Context

from reporting.allure_formatter import scenario_location
from reporting.evidence import attach_json, attach_not_counted, record_environment
from reporting.names import OUTCOME_ATTACHMENT
from support.rule_trace import RuleTrace
from support.suite_run import PreflightFailed, SuiteRun


def before_all(context: Context) -> None:
    try:
        context.run = SuiteRun.open(context.config.userdata)
    except PreflightFailed as failed:  # behave alone against an environment that cannot be used
        print(f"{failed}\nNo scenario was run.", file=sys.stderr, flush=True)
        os._exit(2)  # behave reports a SystemExit from a hook as an abort with a traceback: end quietly
    if context.run.notes:
        print(context.run.notes, file=sys.stderr)
    context.rule_trace = RuleTrace.asked_for(context.config.userdata)


def before_scenario(context: Context, scenario: Scenario) -> None:
    if context.rule_trace is not None:
        context.rule_trace.begin()
    context.world = context.run.new_world()


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
    world = getattr(context, "world", None)
    if world is not None:
        world.end()
    if context.rule_trace is not None:
        context.rule_trace.end(scenario_location(scenario))


def after_all(context: Context) -> None:
    try:
        record_environment(context.run.target)
        if context.rule_trace is not None:
            context.rule_trace.write()
    finally:
        context.run.close()
