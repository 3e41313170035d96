"""The fakes' wire layer: each service is a small WSGI app whose routes werkzeug matches, answering
anything that is not its business with a one-line plain-text HTTP error. The server is `server.py`.

A handler takes a werkzeug `Request` (and the route's arguments) and returns a `Response`, or raises
`HTTPError` (plain-text answer, nothing changed) or `DropConnection` (hang up without a word: an
injected fault)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

MAX_BODY_BYTES = 1_048_576
"""Bodies larger than this are refused with 413 (by the server, before they are read)."""

log = logging.getLogger("fake_services")

Handler = Callable[..., Response]
Route = tuple[str, str, Handler]
"""(method, werkzeug path pattern such as `/devices/<device_id>`, handler)."""


class HTTPError(Exception):
    """Answered as a plain-text HTTP error; nothing has changed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DropConnection(Exception):  # noqa: N818 - an instruction, not an error
    """Hang up without answering (an injected fault: a service that is down)."""


def text(message: str, status: int) -> Response:
    return Response(message + "\n", status, mimetype="text/plain")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, indent=1), status, mimetype="application/json")


def xml_response(body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(body, status, headers=headers, content_type="application/xml")


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object: the only shape the Control API takes."""
    try:
        data = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise HTTPError(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPError(400, "the body is not a JSON object")
    return data


Guard = Callable[[Request], Response | None]
"""Looks at a request before routing; a Response answers it instead of the route (e.g. a missing token)."""


class App:
    """A WSGI app from routes. Unknown paths are 404, wrong methods 405, bad input 4xx, all plain text;
    an unexpected error is logged and answered 500, never a hang-up or an HTML page."""

    def __init__(self, routes: Iterable[Route], guard: Guard | None = None) -> None:
        self.url_map = Map(
            [Rule(path, methods=[method], endpoint=handler) for method, path, handler in routes],
            strict_slashes=False,
        )
        self.guard = guard

    def dispatch(self, request: Request) -> Response:
        refusal = self.guard(request) if self.guard else None
        if refusal is not None:
            return refusal
        try:
            handler, arguments = self.url_map.bind_to_environ(request.environ).match()
        except NotFound:
            return text(f"no such resource: {request.path}", 404)
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(set(exc.valid_methods or ()) - {"HEAD", "OPTIONS"}))
            return text(f"use {allowed} for {request.path}", 405)
        return handler(request, **arguments)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        try:
            response = self.dispatch(request)
        except HTTPError as exc:
            response = text(exc.message, exc.status)
        except DropConnection:
            raise
        except HTTPException as exc:  # werkzeug's own (e.g. a body over the limit): plain text, not HTML
            response = text(exc.description or exc.name, exc.code or 400)
        except Exception:  # a fake must answer, never hang up: log and say so
            log.exception("unexpected error handling %s %s", request.method, request.path)
            response = text("internal error in the sandbox (see its log)", 500)
        log.debug("%s %s %s -> %s", request.remote_addr, request.method, request.full_path.rstrip("?"), response.status)
        return response(environ, start_response)
