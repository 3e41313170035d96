"""The Control API: how a test arranges the sandbox (organisations, Registration Data, devices and
what they hold, MP107's switches, S1SP faults) and what it can read back (trust anchors, alerts, the
request log). JSON over HTTP on its own port, apart from the DUIS endpoint. It is a way to arrange a
precondition, never a way to judge an outcome.

One module per concern, each given only the collaborators it needs; `fake_services.sandbox` wires
them together."""

from __future__ import annotations

from collections.abc import Iterable

from fake_services.core.json_fields import bad_seed_is_400
from serving.web import App, Guard, Route


def control_app(guard: Guard, *route_groups: Iterable[Route]) -> App:
    """The Control API behind `guard` (its token, a JSON body, a loopback Host: `serving.local_access`)."""
    routes = [(method, path, bad_seed_is_400(handler)) for group in route_groups for method, path, handler in group]
    return App(routes, guard=guard)
