"""The Control API: how a test arranges the sandbox (organisations, Registration Data, devices and
what they hold, MP107's switches, S1SP faults) and what it can read back (trust anchors, alerts, the
request log). JSON over HTTP on its own port, apart from the DUIS endpoint. It is a way to arrange a
precondition, never a way to judge an outcome.

One module per concern, each given only the collaborators it needs; `fake_services.sandbox` wires
them together."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Iterable

from werkzeug.wrappers import Request, Response

from fake_services.registration import InvalidSeed
from serving.web import App, Guard, Handler, HTTPError, Route, text


def bad_seed_is_400(handler: Handler) -> Handler:
    """Seed data the real registries would never hold is bad input, said so in plain text."""

    @functools.wraps(handler)
    def wrapper(request: Request, **arguments: str) -> Response:
        try:
            return handler(request, **arguments)
        except InvalidSeed as exc:
            raise HTTPError(400, str(exc)) from None

    return wrapper


def token_guard(token: str | None) -> Guard | None:
    """With a token set (required when the sandbox listens beyond loopback), every Control API call
    must carry `Authorization: Bearer <token>`."""
    if not token:
        return None
    expected = f"Bearer {token}".encode()

    def check(request: Request) -> Response | None:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return text("the Control API needs its token: Authorization: Bearer <token>", 401)
        return None

    return check


def control_app(token: str | None, *route_groups: Iterable[Route]) -> App:
    routes = [(method, path, bad_seed_is_400(handler)) for group in route_groups for method, path, handler in group]
    return App(routes, guard=token_guard(token))
