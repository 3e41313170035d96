"""How a wrong implementation is declared: `@wrong(name, rule)` replaces `rule` while deviation `name` is on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fake_services.core.rules import path_of

F = TypeVar("F", bound=Callable[..., Any])

WRONG: dict[str, dict[str, Callable[..., Any]]] = {}
"""Deviation name → rule path → the wrong implementation that answers for it."""


def wrong(name: str, replaces: Callable[..., Any]) -> Callable[[F], F]:
    """Register the decorated function as deviation `name`'s implementation of the rule `replaces`."""
    target = path_of(getattr(replaces, "__wrapped__", replaces))

    def register(function: F) -> F:
        WRONG.setdefault(name, {})[target] = function
        return function

    return register
