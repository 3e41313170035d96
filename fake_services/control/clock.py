"""Control API routes for the sandbox's clock: move it so a future-dated command comes due (its S1SP
applies it and tells the sender) without waiting for the real date."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from fake_services.core.clock import Clock
from fake_services.core.json_fields import field, instant
from serving.web import HTTPError, Route, json_object, json_response


def clock_routes(clock: Clock, run_due: Callable[[], int]) -> list[Route]:
    def now(_: Request) -> Response:
        return json_response({"now": clock.now().isoformat()})

    def move(request: Request) -> Response:
        """`{"now": "2030-01-15T00:00:00Z"}` or `{"advance_seconds": 60}`; runs what has come due."""
        data = json_object(request)
        if "now" in data:
            moment = instant(data, "now")
            assert moment is not None
            clock.move_to(moment)
        else:
            seconds = field(data, "advance_seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise HTTPError(400, "'advance_seconds' is a number of seconds, not negative")
            clock.advance(seconds)
        return json_response({"now": clock.now().isoformat(), "ran": run_due()})

    return [("GET", "/clock", now), ("PUT", "/clock", move)]
