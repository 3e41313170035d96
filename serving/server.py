"""Serving a fake: waitress (a maintained WSGI server) on its own port, in a background thread.

waitress brings what a server on the open network needs: a real listen backlog, TCP_NODELAY, strict
Content-Length and Transfer-Encoding parsing (a negative, duplicated or conflicting length is a 400;
chunked bodies are decoded and limited like any other), a body-size limit, and idle-connection
timeouts, all without a thread per connection. Two things are added here, each small:

* a lingering close: when the server answers an error and hangs up while the client is still
  sending (a 413 to a 32 MiB upload), it stops writing, reads and discards what is still coming for a
  bounded time, then closes, so the client reads the answer instead of a broken pipe (as Apache and
  nginx do);
* `DropConnection`: a handler can hang up without answering (an injected "down" fault).
"""

from __future__ import annotations

import ctypes
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import create_server
from waitress.task import WSGITask

from serving.web import MAX_BODY_BYTES, App, DropConnection

LINGER_SECONDS = 5.0
"""How long a connection the server has given up on is drained before it is closed."""


@dataclass(frozen=True)
class ServerSettings:
    """How a fake's server treats its clients; the defaults suit a test run and a standalone sandbox."""

    threads: int = 16
    """Requests served at once (each S1SP round trip holds a DSP thread while it waits)."""
    client_timeout: float = 30.0
    """Seconds a connection may stay silent (mid-request or idle between requests) before it is closed."""
    backlog: int = 1024
    connection_limit: int = 1000


class _Allocator:
    """glibc's allocator, kept from growing with what was once parsed (no-ops where there is no glibc).

    A 900 kB request leaves megabytes of freed parse trees, canonical forms and copies behind in the arena of
    the thread that served it, and glibc gives each thread of a pool its own arena (up to 8 a core): freed
    memory piles up as resident memory that no later request reuses (measured: 200 such requests, +113 MiB
    with 32 of them kept; benchmarks/boundary_memory.py). So the servers' threads share `ARENAS` arenas, and
    after a large body the free memory goes back to the operating system (`malloc_trim`): the resident
    memory follows what the sandbox keeps (+41 MiB)."""

    ARENAS = 2
    M_ARENA_MAX = -8  # glibc's mallopt parameter

    def __init__(self) -> None:
        try:
            libc = ctypes.CDLL("libc.so.6")
            self._mallopt: Any = libc.mallopt
            self._trim: Any = libc.malloc_trim
        except (OSError, AttributeError):
            self._mallopt = self._trim = None
        self._limited = False

    def limit_arenas(self) -> None:
        """Before the servers' threads start: they share ARENAS arenas (once per process)."""
        if self._mallopt is not None and not self._limited:
            self._mallopt(self.M_ARENA_MAX, self.ARENAS)
            self._limited = True

    def release(self) -> None:
        if self._trim is not None:
            self._trim(0)


_ALLOCATOR = _Allocator()
LARGE_BODY_BYTES = 256 * 1024
"""After a body this large the server hands free memory back to the operating system (`_Allocator`)."""


class _HangUpTask(WSGITask):
    """A WSGI task whose app may hang up without answering."""

    def service(self) -> None:
        try:
            super().service()
        except DropConnection:
            self.close_on_finish = True  # nothing was written: the client sees the connection close
        finally:
            if self.request.content_length >= LARGE_BODY_BYTES:
                _ALLOCATOR.release()


class _HTTP11Parser(HTTPRequestParser):
    """waitress's parser, refusing a request line that names an HTTP version other than 1.0 or 1.1
    (waitress would otherwise answer it as HTTP/1.0): a 400, in plain text like its other refusals."""

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        if self.version not in ("1.0", "1.1"):
            raise ParsingError(f"HTTP/{self.version} is not spoken here: send HTTP/1.1")


class _LingeringChannel(HTTPChannel):
    """waitress's channel with a lingering close (see the module docstring)."""

    task_class = _HangUpTask
    parser_class = _HTTP11Parser
    _linger_until: float | None = None
    _closed = False

    def handle_close(self) -> None:
        if self._linger_until is None and self.connected and not self._closed:
            try:
                self.socket.shutdown(socket.SHUT_WR)  # the answer is out; the client sees our end close
            except OSError:
                return self._close_now()
            self._linger_until = time.monotonic() + LINGER_SECONDS
            self.will_close = self.close_when_flushed = False
            return None
        return self._close_now()

    def _close_now(self) -> None:
        if not self._closed:
            self._closed = True
            super().handle_close()

    def readable(self) -> bool:
        return True if self._linger_until is not None else super().readable()

    def writable(self) -> bool:
        return self.will_close if self._linger_until is not None else super().writable()

    def handle_write(self) -> None:
        if self._linger_until is not None:  # only reached when maintenance gives up on a silent client
            return self._close_now()
        return super().handle_write()

    def handle_read(self) -> None:
        if self._linger_until is None:
            return super().handle_read()
        try:
            data = self.socket.recv(65536)  # discarded
        except OSError:
            data = b""
        if not data or time.monotonic() > self._linger_until:
            self._close_now()
        return None


def _quiet_once_stopped(server: Any) -> Any:
    """The server's `pull_trigger` (how a request's thread wakes the server's loop to send what it wrote), which
    says nothing once the server is stopped. A handler still answering when `Service.stop` closes the loop's
    wake-up pipe would otherwise find the pipe closed (EBADF) and waitress log it as "Exception while serving",
    with a traceback, of a request that is hung up on anyway, as every connection of a stopped service is."""
    pull = server.pull_trigger

    def pull_trigger() -> None:
        try:
            pull()
        except OSError:
            if not getattr(server.trigger, "_closed", False):  # waitress's trigger marks itself closed
                raise

    return pull_trigger


class _Named(logging.LoggerAdapter):
    """waitress's "Task queue depth is N" (every thread busy as a request arrives), saying which service: a
    process serves several."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"{(self.extra or {}).get('service')}: {msg}", kwargs


class Service:
    """One HTTP service on its own port, in a background thread."""

    def __init__(self, name: str, app: App, settings: ServerSettings | None = None) -> None:
        self.name = name
        self.app = app
        self.settings = settings or ServerSettings()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._address: tuple[str, int] | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        s = self.settings
        _ALLOCATOR.limit_arenas()
        server = create_server(
            self.app,
            host=host,
            port=port,
            threads=s.threads,
            backlog=s.backlog,
            connection_limit=s.connection_limit,
            channel_timeout=s.client_timeout,
            cleanup_interval=max(0.1, min(30.0, s.client_timeout / 4)),
            asyncore_loop_timeout=max(0.05, min(1.0, s.client_timeout / 4)),
            asyncore_use_poll=True,  # no 1024-descriptor limit of select()
            max_request_body_size=MAX_BODY_BYTES,
            clear_untrusted_proxy_headers=True,
            ident="mp107-sandbox",
        )
        server.channel_class = _LingeringChannel
        server.pull_trigger = _quiet_once_stopped(server)
        server.task_dispatcher.queue_logger = _Named(logging.getLogger("waitress.queue"), {"service": self.name})
        self._server = server
        self._address = (server.effective_host, int(server.effective_port))
        self._thread = threading.Thread(target=server.run, name=self.name, daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        """Where the service listens (or listened: a stopped service refuses connections there)."""
        if self._address is None:
            raise RuntimeError(f"{self.name} has never been started")
        host, port = self._address
        return f"http://{host}:{port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        """Stop listening and hang up every connection, kept-alive ones too: a stopped service is gone."""
        server, self._server = self._server, None
        if server is None:
            return
        socket_map = server._map  # waitress's own loop: everything it serves is in this map

        def close_everything() -> None:
            for dispatcher in list(socket_map.values()):
                try:
                    dispatcher.close()
                except OSError:
                    pass

        try:
            server.trigger.pull_trigger(close_everything)  # runs in the server's loop thread, then the loop ends
        except OSError:
            # the loop's wake-up pipe is already closed (seen once in ~15 full test runs, EBADF, cause not
            # found): the loop cannot be asked, so everything is closed from here, and the loop ends on its own
            close_everything()
        if self._thread is not None:
            self._thread.join(timeout=5)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
