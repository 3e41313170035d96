"""A small threaded HTTP server for the fakes: loopback by default, keep-alive, TCP_NODELAY and
headers and body written in one packet (a split write costs ~40 ms per request with Nagle)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY_BYTES = 1_048_576
"""Bodies larger than this are refused with 413 before they are read."""

log = logging.getLogger("fake_services")


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise HTTPError(400, "the body is not JSON") from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object: the only shape the Control API takes."""
        data = self.json()
        if not isinstance(data, dict):
            raise HTTPError(400, "the body is not a JSON object")
        return data


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data, indent=1).encode(), "application/json")

    @classmethod
    def text(cls, message: str, status: int) -> Response:
        return cls(status, (message + "\n").encode())


class HTTPError(Exception):
    """Answered as a plain-text HTTP error; nothing has changed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DropConnection(Exception):  # noqa: N818 - an instruction, not an error
    """Hang up without answering (an injected fault: a service that is down)."""


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: Handler

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def get_request(self):  # type: ignore[override]
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self.connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def hang_up_all(self) -> None:
        """Close kept-alive connections too: a stopped service must really be gone."""
        with self._connections_lock:
            for conn in self.connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.connections.clear()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def _handle(self) -> None:
        path, _, query = self.path.partition("?")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._send(Response.text("Content-Length is not a number", 400))
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._send(Response.text(f"the body is larger than {MAX_BODY_BYTES} bytes", 413))
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        try:
            response = self.server.app(request)
        except HTTPError as exc:
            response = Response.text(exc.message, exc.status)
        except DropConnection:
            self.close_connection = True
            return
        except Exception:  # a fake must answer, never hang up: log and say so
            log.exception("unexpected error handling %s %s", self.command, path)
            response = Response.text("internal error in the sandbox (see its log)", 500)
        self._send(response)

    def _send(self, response: Response) -> None:
        head = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}"]
        headers = {"Content-Type": response.content_type, "Content-Length": str(len(response.body)), **response.headers}
        if self.close_connection:
            headers["Connection"] = "close"
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
        self.wfile.flush()
        self.log_request(response.status, len(response.body))  # written by hand, so not by send_response

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class Service:
    """One HTTP service on its own port, in a background thread."""

    def __init__(self, name: str, app: Handler) -> None:
        self.name = name
        self.app = app
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._address: tuple[str, int] | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        server = _Server((host, port), _RequestHandler)
        server.app = self.app
        self._server = server
        self._address = server.server_address[:2]
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=self.name, daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        """Where the service listens (or listened: a stopped service refuses connections there)."""
        if self._address is None:
            raise RuntimeError(f"{self.name} has never been started")
        host, port = self._address
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.hang_up_all()
            self._server = None


def route(routes: dict[tuple[str, str], Callable[..., Response]]) -> Handler:
    """A handler from (method, path pattern) → function; `{name}` segments become arguments."""

    def handler(request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        allowed = []
        for (method, pattern), fn in routes.items():
            pattern_parts = pattern.strip("/").split("/")
            if len(pattern_parts) != len(parts):
                continue
            args = {}
            for want, got in zip(pattern_parts, parts, strict=True):
                if want.startswith("{"):
                    args[want[1:-1]] = got
                elif want != got:
                    break
            else:
                if method == request.method:
                    return fn(request, **args)
                allowed.append(method)
        if allowed:
            return Response.text(f"use {', '.join(allowed)} for {request.path}", 405)
        return Response.text(f"no such resource: {request.path}", 404)

    return handler
