"""What every step module uses: behave's step decorators, with one addition every step needs (a Given that
this run's environment cannot meet, `NotInThisEnvironment`, skips the scenario with the reason, which the
report and the matrix show, instead of failing it), and `world_of(context)`, the scenario's World typed, so
that a reader and the type checker can follow a step into `support/`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import behave

from support.arrangement import NotInThisEnvironment
from support.world import World


def _skipping(step: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(step)
    def run(context: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return step(context, *args, **kwargs)
        except NotInThisEnvironment as reason:
            context.scenario.skip(reason=f"not in this environment: {reason}")
            return None

    return run


def _decorator(register: Callable[[str], Callable[[Callable[..., Any]], Any]]) -> Callable[..., Any]:
    def pattern(text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(step: Callable[..., Any]) -> Callable[..., Any]:
            register(text)(_skipping(step))
            return step

        return decorate

    return pattern


given = _decorator(behave.given)
when = _decorator(behave.when)
then = _decorator(behave.then)
use_step_matcher = behave.use_step_matcher


def world_of(context: Any) -> World:
    """The scenario's World, as the hooks made it (`environment.before_scenario`)."""
    found = getattr(context, "world", None)
    if not isinstance(found, World):
        raise RuntimeError("no World: the hooks (environment.py) did not start this scenario")
    return found
