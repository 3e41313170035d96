"""One run against an environment, many behave processes: the run's coordinator.

A DCC environment calls one Receive Response Service back (the address its Users registered), and its test
meters are shared by every scenario of the run. So when a run is split across processes, the runner keeps
both in one place and the processes ask it:

- **one receiver**: the runner listens where the environment file says the DCC calls back; each process
  mirrors what arrives (`MirrorReceiver`) and waits there for its own answers, matched by RequestID as a
  single-process run does. Alerts no request caused reach every process; each waits only for its meter's.
  The one receiver recognises a re-delivery across the whole run and every process learns it as a repeat,
  never as a new answer or alert.
- **originator turns**: the DCC accepts an originator's counters only in increasing order, so a process
  takes the originator's turn (and its counter) from the coordinator and gives it back once the request's
  synchronous legs are answered: no request overtakes a later-numbered one of the same originator.
- **meter leases**: a process leases a meter's installation before a scenario uses it, so two scenarios
  never change the same meter at once; an installation enrolled by a scenario is leased for good (a
  meter awaiting enrolment is used once per run).

The coordinator listens on loopback only and answers no one but the run's own processes; it never sees
a key. A run in one process needs none of this: `LocalLeases` and the ordinary `Receiver` do the same.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Protocol

import requests
from requests.structures import CaseInsensitiveDict
from werkzeug.wrappers import Request, Response

from serving.server import ServerSettings, Service
from serving.web import App, json_object, json_response
from user_system.client import CounterSource
from user_system.receiver import Delivery, Receiver, Refused, Repeat

USED_FOR_GOOD = "enrolled by an earlier scenario of this run"
IN_USE = "in use by another scenario of this run"

LONG_POLL_SECONDS = 5.0
TURN_EXPIRY_SECONDS = 120.0
"""A turn not given back in this long is taken back (its process died mid-request)."""
"""How long the coordinator holds a mirror's request open when nothing new has arrived."""


class Leases(Protocol):
    """Who is using which installation (by its name in the environment file) right now."""

    def lease(self, installation: str, keep: bool = False) -> str | None:
        """None when this process now holds it (or already did), else why not; `keep`: never given back."""
        ...

    def release_all(self) -> None:
        """Give back every lease not kept (at the end of a scenario)."""
        ...


class LeaseTable:
    """The lease rules, once: an installation is one worker's at a time, given back when its scenario ends,
    except one a scenario enrolled (`keep`), which nobody may have again. Not thread-safe by itself."""

    def __init__(self) -> None:
        self._holders: dict[str, str] = {}
        """Installation → the worker holding it ("" once a kept one's scenario has ended)."""
        self._kept: set[str] = set()

    def lease(self, installation: str, worker: str, keep: bool = False) -> str | None:
        holder = self._holders.get(installation)
        if installation in self._kept and holder != worker:
            return USED_FOR_GOOD
        if holder not in (None, worker):
            return IN_USE
        self._holders[installation] = worker
        if keep:
            self._kept.add(installation)
        return None

    def release_all(self, worker: str) -> None:
        for installation in [i for i, w in self._holders.items() if w == worker]:
            if installation in self._kept:
                self._holders[installation] = ""  # used for good: not even its last user may have it again
            else:
                del self._holders[installation]


class LocalLeases:
    """Leases within one process (one worker): in effect, only meters used for good are remembered."""

    def __init__(self) -> None:
        self.table = LeaseTable()

    def lease(self, installation: str, keep: bool = False) -> str | None:
        return self.table.lease(installation, "this process", keep)

    def release_all(self) -> None:
        self.table.release_all("this process")


class Coordinator:
    """The runner's side: the environment's one receiver, its mirror feed and the lease table."""

    def __init__(self, receiver: Receiver, counters: CounterSource | None = None) -> None:
        """`receiver`: listening already (the caller owns it); `counters`: the runner's own, when it has
        sent requests itself (preflight), so that the processes' counters carry on from them."""
        self.receiver = receiver
        self._lock = threading.Lock()
        self._leases = LeaseTable()
        self.app = App(
            [
                ("GET", "/arrivals", self._arrivals),
                ("POST", "/leases/<installation>", self._lease),
                ("DELETE", "/leases", self._release_all),
                ("POST", "/turns/<originator>", self._take_turn),
                ("DELETE", "/turns/<originator>", self._give_back_turn),
            ]
        )
        self._turns = threading.Condition()
        self._turn_holders: dict[str, tuple[str, float]] = {}
        self._counters = counters or CounterSource()
        self._closing = threading.Event()
        self._service = Service("Run coordinator", self.app, ServerSettings(threads=32, client_timeout=60.0))

    def start(self) -> str:
        self._service.start("127.0.0.1", 0)
        return self.url

    @property
    def url(self) -> str:
        return self._service.url

    def stop(self) -> None:
        self._closing.set()
        self._service.stop()

    def _arrivals(self, request: Request) -> Response:
        """What the receiver accepted after `after`: each new message whole, each repeat as its summary."""
        after = int(request.args.get("after", "0"))
        deadline = time.monotonic() + min(float(request.args.get("wait", "0")), LONG_POLL_SECONDS)
        while True:  # in slices, so that stopping the coordinator does not wait out a long poll
            deliveries, following = self.receiver.deliveries_after(
                after, min(0.25, max(deadline - time.monotonic(), 0))
            )
            if deliveries or self._closing.is_set() or time.monotonic() >= deadline:
                break
        return json_response({"next": following, "arrivals": [_feed_item(d) for d in deliveries]})

    def _lease(self, request: Request, installation: str) -> Response:
        body = json_object(request)
        with self._lock:
            refused = self._leases.lease(installation, str(body.get("worker", "")), bool(body.get("keep", False)))
        if refused:
            return json_response({"granted": False, "reason": refused}, 409)
        return json_response({"granted": True})

    def _release_all(self, request: Request) -> Response:
        with self._lock:
            self._leases.release_all(request.args.get("worker", ""))
        return Response(status=204)

    def _take_turn(self, request: Request, originator: str) -> Response:
        worker = str(json_object(request).get("worker", ""))

        def free() -> bool:
            holder = self._turn_holders.get(originator)
            return holder is None or holder[0] == worker or time.monotonic() - holder[1] > TURN_EXPIRY_SECONDS

        with self._turns:
            if not self._turns.wait_for(free, LONG_POLL_SECONDS):
                return json_response({"granted": False}, 409)
            self._turn_holders[originator] = (worker, time.monotonic())
            return json_response({"granted": True, "counter": self._counters.next(originator)})

    def _give_back_turn(self, request: Request, originator: str) -> Response:
        worker = request.args.get("worker", "")
        with self._turns:
            if self._turn_holders.get(originator, ("",))[0] == worker:
                del self._turn_holders[originator]
                self._turns.notify_all()
        return Response(status=204)


def _feed_item(delivery: Delivery) -> dict:
    if isinstance(delivery, Repeat):
        return {"repeat": delivery.to_json()}
    return {
        "xml": base64.b64encode(delivery.raw).decode(),
        "headers": dict(delivery.headers),
        "at": delivery.received_at.isoformat(),
    }


@contextmanager
def coordinating(receiver: Receiver, counters: CounterSource | None = None) -> Iterator[Coordinator]:
    """The coordinator for one run: listening while the run lasts, stopped however it ends."""
    coordinator = Coordinator(receiver, counters)
    coordinator.start()
    try:
        yield coordinator
    finally:
        coordinator.stop()


class CoordinatedLeases:
    """A behave process's side of the lease table."""

    def __init__(self, url: str, worker: str) -> None:
        self.url = url.rstrip("/")
        self.worker = worker
        self.session = requests.Session()

    def lease(self, installation: str, keep: bool = False) -> str | None:
        reply = self.session.post(
            f"{self.url}/leases/{installation}", json={"worker": self.worker, "keep": keep}, timeout=10
        )
        if reply.status_code not in (200, 409):
            raise RuntimeError(f"the run's coordinator answered {reply.status_code}: {reply.text.strip()}")
        return None if reply.status_code == 200 else str(reply.json()["reason"])

    def release_all(self) -> None:
        self.session.delete(f"{self.url}/leases", params={"worker": self.worker}, timeout=10)


class CoordinatedCounters(CounterSource):
    """A behave process's originator counters: each with the originator's turn, from the coordinator."""

    def __init__(self, url: str, worker: str) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.worker = worker
        self.session = requests.Session()
        self.held: set[str] = set()

    def next(self, originator: str) -> int:
        while True:  # the coordinator answers 409 after a long poll: ask again
            reply = self.session.post(
                f"{self.url}/turns/{originator}", json={"worker": self.worker}, timeout=LONG_POLL_SECONDS + 10
            )
            if reply.status_code == 200:
                self.held.add(originator)
                return int(reply.json()["counter"])
            if reply.status_code != 409:
                raise RuntimeError(f"the run's coordinator answered {reply.status_code}: {reply.text.strip()}")

    def done(self, originator: str) -> None:
        if originator in self.held:
            self.held.discard(originator)
            self.session.delete(f"{self.url}/turns/{originator}", params={"worker": self.worker}, timeout=10)


class MirrorReceiver(Receiver):
    """A behave process's view of the run's one receiver: everything it accepted, copied here as it
    arrives (a message new to the run whole, a repeat as the run's receiver recorded it), so `wait_for`
    and `deliveries_after` work as they do on a receiver of one's own. The coordinator's receiver has
    already checked schema and signatures; the copy is parsed again (it is the same bytes) and not
    re-verified."""

    def __init__(self, coordinator_url: str, public_url: str) -> None:
        super().__init__(public_url=public_url)
        self.coordinator_url = coordinator_url.rstrip("/")
        self._next = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="receiver mirror", daemon=True)
        self.session = requests.Session()
        self.errors = 0

    def start(self) -> str:
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        return self.public_url or ""

    def stop(self) -> None:
        """Stop following (the thread, a daemon, ends when its current long poll returns)."""
        self._stopping.set()
        self._thread.join(0.1)

    def _follow(self) -> None:
        while not self._stopping.is_set():
            try:
                reply = self.session.get(
                    f"{self.coordinator_url}/arrivals",
                    params={"after": self._next, "wait": LONG_POLL_SECONDS},
                    timeout=LONG_POLL_SECONDS + 5,
                )
                reply.raise_for_status()
                feed = reply.json()
            except (requests.RequestException, ValueError):
                self.errors += 1
                self._stopping.wait(0.2)
                continue
            for item in feed["arrivals"]:
                if "repeat" in item:  # the run's receiver took it for a repeat: so does this process
                    with self._cond:
                        self._note_repeat(Repeat.from_json(item["repeat"]))
                        self._cond.notify_all()
                    continue
                try:
                    received = self._accept(base64.b64decode(item["xml"]))
                except Refused:
                    self.errors += 1
                    continue
                self._keep(
                    replace(
                        received,
                        headers=CaseInsensitiveDict(item["headers"]),
                        received_at=dt.datetime.fromisoformat(item["at"]),
                    )
                )
            self._next = feed["next"]
