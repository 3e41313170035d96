"""The sandbox's rules as switchable parts, so that the sandbox can deviate: be a DCC that built a rule wrong.

Each function that decides something the SEC, the PIA or DUIS says (each check, named after its clause) is
declared a `rule`. A rule is called as any function is; but while a deviation is active (`activate`), the
rule it replaces answers instead, with the wrong implementation `fake_services.deviations` gives it. The
catalogue of deviations (`catalogue.deviations`) says what each misreads; the suite must catch every one
(`make strength`). A deviation switches a rule by its dotted path, never by editing source text, so it
survives refactoring as the catalogue's `enforced_by` paths do (a test resolves both).

One sandbox process deviates in one way at a time: the switchboard is the process's, set when a sandbox
starts (`Sandbox(deviation=...)`, `serve --deviate NAME`) and cleared when it stops.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

RULES: dict[str, Callable[..., Any]] = {}
"""Every rule by its dotted path (`fake_services.s1sp.checks.s1sr_4_2_certificate_owner_check`): the original
function, which a wrong implementation may call."""
_WRONG: dict[str, Callable[..., Any]] = {}
"""The rules a deviation replaces just now, by path."""
_ACTIVE: list[str] = []
_LOCK = threading.Lock()
_CALLED: set[str] | None = None
"""While traced (`trace`): the rules called since the trace was last read."""


class DeviationError(RuntimeError):
    """A deviation that cannot be switched on: unknown, or another one already on in this process."""


def path_of(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def rule(function: F) -> F:
    """Declare `function` one of the sandbox's rules (see the module docstring)."""
    path = path_of(function)
    RULES[path] = function

    @functools.wraps(function)
    def decide(*args: Any, **kwargs: Any) -> Any:
        if _CALLED is not None:
            _CALLED.add(path)
        wrong = _WRONG.get(path)
        return (wrong or function)(*args, **kwargs)

    return cast(F, decide)


def original(path: str) -> Callable[..., Any]:
    """The rule as the SEC has it (for a wrong implementation that changes only part of it)."""
    try:
        return RULES[path]
    except KeyError:
        raise DeviationError(f"no rule {path}: is it declared with @rule?") from None


def activate(name: str, replacements: dict[str, Callable[..., Any]]) -> None:
    """Switch deviation `name` on: each rule path answers with its replacement until `deactivate`."""
    with _LOCK:
        if _ACTIVE and _ACTIVE != [name]:
            raise DeviationError(f"deviation {_ACTIVE[0]!r} is already on in this process; one at a time")
        unknown = sorted(set(replacements) - set(RULES))
        if unknown:
            raise DeviationError(f"deviation {name!r} replaces rules the sandbox does not have: {', '.join(unknown)}")
        _WRONG.update(replacements)
        _ACTIVE[:] = [name]


def deactivate() -> None:
    with _LOCK:
        _WRONG.clear()
        _ACTIVE.clear()


def active() -> str | None:
    """The deviation switched on in this process, if any."""
    return _ACTIVE[0] if _ACTIVE else None


def trace() -> None:
    """Start recording which rules are called (to know which scenarios a deviation can change at all: a
    deviation changes nothing before the first call of a rule it replaces, as the code runs the same way up
    to there)."""
    global _CALLED
    _CALLED = set()


def called() -> set[str]:
    """The rules called since the last call of `called` (or `trace`); empty when not tracing."""
    global _CALLED
    if _CALLED is None:
        return set()
    found, _CALLED = _CALLED, set()
    return found
