"""How a wrong implementation is declared: `@wrong(name, rule)` replaces `rule` while deviation `name` is on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fake_services.core.rules import original, path_of

F = TypeVar("F", bound=Callable[..., Any])

WRONG: dict[str, dict[str, Callable[..., Any]]] = {}
"""Deviation name → rule path → the wrong implementation that answers for it."""


def _path(rule: Callable[..., Any]) -> str:
    """A rule's path, whether given as declared (`@rule`'s wrapper) or as the function it wraps."""
    return path_of(getattr(rule, "__wrapped__", rule))


def faithful(rule: Callable[..., Any]) -> Callable[..., Any]:
    """The rule as the SEC has it, for a wrong implementation that changes only part of it (calling the
    declared rule instead would call the wrong implementation back while its deviation is on)."""
    return original(_path(rule))


def wrong(name: str, replaces: Callable[..., Any]) -> Callable[[F], F]:
    """Register the decorated function as deviation `name`'s implementation of the rule `replaces`."""
    target = _path(replaces)

    def register(function: F) -> F:
        WRONG.setdefault(name, {})[target] = function
        return function

    return register
