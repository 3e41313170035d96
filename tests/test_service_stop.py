"""A fake's server stopped while one of its handlers is still answering (a delivery arriving as a run ends)
says nothing of that request: it is answered if its answer still goes out, else hung up on, as every
connection of a stopped service is. waitress would otherwise log "Exception while serving" (or "when
servicing") with a traceback when the handler's thread finds the server's wake-up pipe already closed."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests

from serving.server import Service
from serving.web import App, text


def test_a_handler_still_answering_when_its_service_stops_ends_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answering, release = threading.Event(), threading.Event()

    def slow(request):
        answering.set()
        release.wait(5)
        return text("too late", 200)

    service = Service("slow", App([("POST", "/slow", slow)]))
    url = service.start() + "/slow"
    said: list[object] = []
    client = threading.Thread(target=lambda: said.append(_post(url)))
    client.start()
    assert answering.wait(5)

    caplog.set_level(logging.ERROR)
    # The stop's first move, caught at the moment of the race: the server's loop has closed its wake-up pipe
    # (the first thing in its map) and not yet this request's connection, and the handler answers now.
    service._server.trigger.close()
    release.set()
    deadline = time.monotonic() + 0.5
    while client.is_alive() and not caplog.records and time.monotonic() < deadline:
        time.sleep(0.01)  # the handler's thread finishes the request
    service.stop()
    client.join(10)

    assert not service.running
    assert isinstance(said[0], (requests.Response, requests.ConnectionError))  # answered, or hung up on
    assert not caplog.records, caplog.text


def _post(url: str) -> object:
    try:
        return requests.post(url, data=b"x", timeout=10)
    except requests.RequestException as exc:
        return exc
