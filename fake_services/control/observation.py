"""Control API routes for what the sandbox can show about itself: its health, its request log, a
fingerprint of its state, the alerts its meters raised; and the reset between scenarios."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from fake_services.core.store import Store
from fake_services.devices.models import AlertLog
from serving.web import Route, json_response


def observation_routes(store: Store, alerts: AlertLog, urls: Callable[[], dict[str, str]]) -> list[Route]:
    def health(_: Request) -> Response:
        return json_response({"status": "ok", "services": urls()})

    def reset(_: Request) -> Response:
        store.reset_scenario()
        return json_response({"reset": True})

    def delivered(request: Request) -> Response:
        return json_response(alerts.delivered(request.args.get("recipient")))

    def fingerprint(_: Request) -> Response:
        """A digest of all state but the request log: equal before and after means nothing changed."""
        return json_response({"fingerprint": store.fingerprint()})

    def request_log(_: Request) -> Response:
        return json_response([dict(r) for r in store.all("SELECT * FROM request_log ORDER BY id")])

    return [
        ("GET", "/health", health),
        ("POST", "/reset", reset),
        ("GET", "/alerts", delivered),
        ("GET", "/fingerprint", fingerprint),
        ("GET", "/log", request_log),
    ]
