"""Reading the sandbox's JSON ports (Control API, enrolment, meter events): each field checked, each mistake a
400 that says which field; seed data the real registries would never hold is a 400 too."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, TypeVar

from werkzeug.wrappers import Request, Response

from fake_services.core.records import InvalidSeed, valid_eui64
from serving.web import Handler, HTTPError

E = TypeVar("E")


def field(data: dict[str, Any], name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise HTTPError(400, f"missing field {name!r}")
    return data[name]


def text_field(data: dict[str, Any], name: str) -> str:
    value = field(data, name)
    if not isinstance(value, str) or not value:
        raise HTTPError(400, f"{name!r} is a non-empty string")
    return value


def entity_id(data: dict[str, Any], name: str) -> str:
    """An EUI-64 identifier field (a 400 names the field when it is missing or malformed)."""
    return valid_eui64(text_field(data, name))


def smets(data: dict[str, Any]) -> int:
    value = field(data, "smets")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise HTTPError(400, "'smets' is 1 or 2")
    return int(value)


def instant(data: dict[str, Any], name: str) -> dt.datetime | None:
    """An optional ISO 8601 instant with its zone (test certificates that are expired or not yet valid)."""
    value = data.get(name)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise HTTPError(400, f"{name} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise HTTPError(400, f"{name} needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return moment


def one_of(kind: type[E], value: Any) -> E:
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
        raise HTTPError(400, f"{value!r} is not one of: {allowed}") from None


def enabled(data: dict[str, Any], name: str = "enabled") -> bool:
    value = field(data, name)
    if not isinstance(value, bool):
        raise HTTPError(400, f"{name!r} is true or false")
    return value


def bad_seed_is_400(handler: Handler) -> Handler:
    """Seed data the real registries would never hold is bad input, said so in plain text."""

    @functools.wraps(handler)
    def wrapper(request: Request, **arguments: str) -> Response:
        try:
            return handler(request, **arguments)
        except InvalidSeed as exc:
            raise HTTPError(400, str(exc)) from None

    return wrapper


def objects(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """An optional list of JSON objects."""
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise HTTPError(400, f"{name!r} is a list of objects")
    return value
