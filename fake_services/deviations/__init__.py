"""The wrong implementations of the deviations `catalogue.deviations` names: each replaces one or more of the
sandbox's rules (`fake_services.core.rules`) while it is switched on. Grouped by the service whose rule they
get wrong; `WRONG` gathers them all, by deviation name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fake_services.core import rules
from fake_services.deviations import (  # noqa: F401  (each registers its own)
    access_control,
    delivery,
    devices,
    dsp,
    enrolment,
    s1sp,
)
from fake_services.deviations.base import WRONG

__all__ = ["WRONG", "switch_on", "switch_off"]


def switch_on(name: str) -> None:
    """Make this process's sandbox deviate as `name` says (DeviationError when it has no implementation)."""
    replacements: dict[str, Callable[..., Any]] | None = WRONG.get(name)
    if replacements is None:
        known = ", ".join(sorted(WRONG))
        raise rules.DeviationError(f"no deviation named {name!r}; the catalogue has: {known}")
    rules.activate(name, replacements)


def switch_off() -> None:
    rules.deactivate()
