"""One run against an environment, many behave processes: the run's coordinator.

A DCC environment calls one Receive Response Service back (the address its Users registered), and its test
meters are shared by every scenario of the run. So when a run is split across processes, the runner keeps
both in one place and the processes ask it:

- **one receiver**: the runner listens where the environment file says the DCC calls back; each process
  mirrors what arrives (`MirrorReceiver`) and waits there for its own answers, matched by RequestID as a
  single-process run does. An answer to a request whose counter the coordinator handed to a worker still
  running goes to that worker's mirror alone (no other asked, and its meter is that worker's while it
  runs: with many scenarios in flight, copying every answer to every mirror costs each arrival once per
  worker); everything else (alerts no request caused, answers to requests of workers that have ended or
  that no worker sent) reaches every mirror, and each waits only for its meter's. The one receiver
  recognises a re-delivery across the whole run and the worker it reaches learns it as a repeat, never
  as a new answer or alert.
- **originator turns**: the DCC accepts an originator's counters only in increasing order, so a process
  takes the originator's turn (and its counter) from the coordinator and gives it back once the request's
  synchronous legs are answered: no request overtakes a later-numbered one of the same originator. The turn
  goes to the process the runner ranks first, then to the one that asked first, woken alone
  (`support.originator_turns`).
- **meter leases**: a process leases a meter's installation before a scenario uses it, so two scenarios
  never change the same meter at once; an installation enrolled by a scenario is leased for good (a
  meter awaiting enrolment is used once per run). Scenarios waiting for the same installation get it in
  the order they first asked for it (a free one is kept for the longest waiter still asking), so none
  waits behind later ones.
- **workers that end**: the runner tells the coordinator when a worker's process ended (`worker_ended`),
  so that what a dead worker held (its leases, its originator turns) is free at once.

The coordinator listens on loopback only and answers no one but the run's own processes; it never sees
a key. A run in one process needs none of this: `LocalLeases` and the ordinary `Receiver` do the same.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Protocol

import requests
from lxml import etree
from requests.structures import CaseInsensitiveDict
from werkzeug.wrappers import Request, Response

from duis.requests import MalformedMessage, RequestID
from serving.http_client import Session
from serving.server import ServerSettings, Service
from serving.web import App, json_object, json_response
from support.originator_turns import OriginatorTurns
from user_system.client import CounterSource
from user_system.receiver import Delivery, Receiver, Refused, Repeat

USED_FOR_GOOD = "enrolled by an earlier scenario of this run"
IN_USE = "in use by another scenario of this run"

LONG_POLL_SECONDS = 5.0
"""How long the coordinator holds a mirror's request open when nothing new has arrived."""
WAITER_STALE_SECONDS = 1.0
"""A scenario waiting for an installation asks again every fraction of a second (`support.environment_arrangement`);
one that has not asked for this long no longer waits for it (it found another meter, or ended)."""


class Leases(Protocol):
    """Who is using which installation (by its name in the environment file) right now."""

    def lease(self, installation: str, keep: bool = False) -> str | None:
        """None when this process now holds it (or already did), else why not; `keep`: never given back."""
        ...

    def release(self, installation: str) -> None:
        """Give back one lease (not one kept): the scenario has moved on to another meter."""
        ...

    def release_all(self) -> None:
        """Give back every lease not kept (at the end of a scenario)."""
        ...

    def progress(self) -> int:
        """How many times a scenario of the run has given its leases back (as last seen): a wait for a meter
        is not hopeless while this still moves."""
        ...

    def wait(self, installations: Collection[str], timeout: float) -> None:
        """Return once one of `installations` (refused as in use) may be this worker's, or after `timeout`."""
        ...


class LeaseTable:
    """The lease rules, once: an installation is one worker's at a time, given back when its scenario ends,
    except one a scenario enrolled (`keep`), which nobody may have again; while it is in use, the workers
    asking for it queue, and once free it goes to the longest waiter still asking. Not thread-safe by
    itself."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._holders: dict[str, str] = {}
        """Installation → the worker holding it ("" once a kept one's scenario has ended)."""
        self._kept: set[str] = set()
        self._waiting: dict[str, dict[str, tuple[float, float]]] = {}
        """Installation → worker → (when it first asked, when it last asked), in the order they first asked."""
        self._clock = clock
        self.releases = 0
        """How many times a worker has given its leases back."""
        self.last_granted: dict[str, str] = {}
        """Worker → the installation it was last granted (the meter its scenario ended up about)."""

    def lease(self, installation: str, worker: str, keep: bool = False) -> str | None:
        holder = self._holders.get(installation)
        if installation in self._kept and holder != worker:
            return USED_FOR_GOOD
        if holder not in (None, worker) or (holder is None and self._first_waiter(installation) not in (None, worker)):
            self._wait(installation, worker)
            return IN_USE
        self._holders[installation] = worker
        self.last_granted[worker] = installation
        for waiting in self._waiting.values():
            waiting.pop(worker, None)  # it has a meter: it waits for no other
        if keep:
            self._kept.add(installation)
        return None

    def _wait(self, installation: str, worker: str, until: float = 0.0) -> None:
        """`worker` waits for `installation`, in the queue from when it first asked, asking still (as if
        asking now) until `until`."""
        waiting = self._waiting.setdefault(installation, {})
        first, _ = waiting.get(worker, (self._clock(), 0.0))
        waiting[worker] = (first, max(self._clock(), until))

    def available(self, installation: str, worker: str) -> bool:
        """Whether a `lease` of `installation` by `worker` would be granted now (or refused for good)."""
        holder = self._holders.get(installation)
        if installation in self._kept or holder == worker:
            return True
        return holder is None and self._first_waiter(installation) in (None, worker)

    def keep_waiting(self, installations: Collection[str], worker: str, seconds: float) -> None:
        """`worker` waits for any of `installations` for the next `seconds` without asking again."""
        for installation in installations:
            self._wait(installation, worker, self._clock() + seconds)

    def _first_waiter(self, installation: str) -> str | None:
        """The worker that has waited longest for `installation` and still asks for it."""
        waiting = self._waiting.get(installation, {})
        for worker, (_, last) in list(waiting.items()):
            if self._clock() - last > WAITER_STALE_SECONDS:
                del waiting[worker]
        return min(waiting, key=lambda worker: waiting[worker][0], default=None)

    def release(self, installation: str, worker: str) -> None:
        if self._holders.get(installation) == worker and installation not in self._kept:
            del self._holders[installation]
            self.releases += 1

    def release_all(self, worker: str) -> None:
        for installation in [i for i, w in self._holders.items() if w == worker]:
            if installation in self._kept:
                self._holders[installation] = ""  # used for good: not even its last user may have it again
            else:
                del self._holders[installation]
        for waiting in self._waiting.values():
            waiting.pop(worker, None)
        self.releases += 1


class LocalLeases:
    """Leases within one process (one worker): in effect, only meters used for good are remembered."""

    def __init__(self) -> None:
        self.table = LeaseTable()

    def lease(self, installation: str, keep: bool = False) -> str | None:
        return self.table.lease(installation, "this process", keep)

    def release(self, installation: str) -> None:
        self.table.release(installation, "this process")

    def release_all(self) -> None:
        self.table.release_all("this process")

    def progress(self) -> int:
        return self.table.releases

    def wait(self, installations: Collection[str], timeout: float) -> None:
        """Nothing to wait for within one process (its scenarios run one at a time): only pause."""
        time.sleep(min(timeout, 0.2))


class Coordinator:
    """The runner's side: the environment's one receiver, its mirror feed and the lease table."""

    def __init__(self, receiver: Receiver, counters: CounterSource | None = None, workers: int = 8) -> None:
        """`receiver`: listening already (the caller owns it); `counters`: the runner's own, when it has
        sent requests itself (preflight), so that the processes' counters carry on from them; `workers`:
        how many processes follow it at once (each holds a long poll on the feed, and may wait for a turn)."""
        self.receiver = receiver
        self._lock = threading.Condition()
        self._leases = LeaseTable()
        self.app = App(
            [
                ("GET", "/arrivals", self._arrivals),
                ("POST", "/leases/<installation>", self._lease),
                ("POST", "/lease-waits", self._wait_for_lease),
                ("DELETE", "/leases", self._release_all),
                ("DELETE", "/leases/<installation>", self._release),
                ("POST", "/turns/<originator>", self._take_turn),
                ("DELETE", "/turns/<originator>", self._give_back_turn),
            ]
        )
        self._turns = OriginatorTurns()
        self._counter_lock = threading.Lock()
        self._handed: dict[tuple[str, int], str] = {}
        """(originator, counter) → the worker it was handed to."""
        self._ended: set[str] = set()
        self._counters = counters or CounterSource()
        self._closing = threading.Event()
        self._polls: dict[threading.Event, str] = {}
        """Each long poll on the feed waiting now → the worker it is for."""
        self._polls_lock = threading.Lock()
        self._router = threading.Thread(target=self._route, name="coordinator feed router", daemon=True)
        threads = max(32, 3 * workers + 8)  # a long poll, a turn and a lease at once for each, and some spare
        self._service = Service("Run coordinator", self.app, ServerSettings(threads=threads, client_timeout=60.0))

    def start(self) -> str:
        self._service.start("127.0.0.1", 0)
        self._router.start()
        return self.url

    @property
    def url(self) -> str:
        return self._service.url

    def stop(self) -> None:
        self._closing.set()
        with self._lock:
            self._lock.notify_all()
        with self._polls_lock:
            for poll in self._polls:
                poll.set()
        deadline = time.monotonic() + 1.0
        while self._polls and time.monotonic() < deadline:  # the polls answer before the server closes
            time.sleep(0.01)
        self._service.stop()
        self._router.join(1.0)

    def rank(self, ranks: dict[str, int]) -> None:
        """The runner's ranking of its workers, least first: the order it starts their scenarios in, which
        is also the order they are handed an originator's turn when several wait for it."""
        self._turns.rank(ranks)

    def worker_ended(self, worker: str) -> None:
        """A worker's process has ended (well or not): what it held is free (what it enrolled stays used)."""
        with self._lock:
            self._leases.release_all(worker)
            self._lock.notify_all()
        self._ended.add(worker)
        self._turns.worker_ended(worker)
        with self._polls_lock:  # its long poll has nobody to answer: free the thread that holds it
            for poll, polling in self._polls.items():
                if polling == worker:
                    poll.set()

    def _arrivals(self, request: Request) -> Response:
        """What the receiver accepted after `after`: each new message whole, each repeat as its summary
        (``after=now``: nothing, and where the feed stands, for a mirror that starts following now)."""
        if request.args.get("after") == "now":
            return json_response({"next": self.receiver.mark(), "arrivals": []})
        after, worker = int(request.args.get("after", "0")), request.args.get("worker", "")
        deadline = time.monotonic() + min(float(request.args.get("wait", "0")), LONG_POLL_SECONDS)
        news = threading.Event()
        with self._polls_lock:
            self._polls[news] = worker
        try:
            while True:
                news.clear()  # before looking: what arrives after the look sets it again (`_route`)
                deliveries, after = self.receiver.deliveries_after(after, 0)
                deliveries = [delivery for delivery in deliveries if self._for(worker, delivery)]
                if deliveries or self._closing.is_set() or worker in self._ended or time.monotonic() >= deadline:
                    break
                news.wait(max(deadline - time.monotonic(), 0))
        finally:
            with self._polls_lock:
                del self._polls[news]
        return json_response({"next": after, "arrivals": [_feed_item(d) for d in deliveries]})

    def _route(self) -> None:
        """Wake the long polls a new delivery is for, and only those: an answer to a running worker's request
        wakes that worker's poll alone (with ~100 workers in flight, waking every poll for every arrival
        costs each arrival ~100 thread switches in the runner, which also receives and verifies it)."""
        mark = self.receiver.mark()
        while not self._closing.is_set():
            deliveries, mark = self.receiver.deliveries_after(mark, 0.25)
            if not deliveries:
                continue
            senders = {self._sender(delivery.request_id) for delivery in deliveries}  # each parsed once
            with self._polls_lock:
                for poll, worker in self._polls.items():
                    if any(self._reaches(worker, sender) for sender in senders):
                        poll.set()

    def answers_through_s1sp(self) -> dict[str, int]:
        """For each worker, how many answers to its requests came through an S1SP (an S1SP-signed SMETS1
        response, or an S1SP's alert): the waits a run against a slow environment cannot overlap within
        that worker's scenario (`benchmarks.environment_run`)."""
        counts: dict[str, int] = {}
        for received in self.receiver.arrivals():
            response = received.response
            if response.body_kind != "SMETS1ResponseMessage" and response.s1sp_alert is None:
                continue
            worker = self._sender(received.request_id)
            if worker:
                counts[worker] = counts.get(worker, 0) + 1
        return counts

    def installations_used(self) -> dict[str, str]:
        """For each worker, the installation it was last granted: the one its scenario ended up using."""
        with self._lock:
            return dict(self._leases.last_granted)

    def _sender(self, request_id: str | None) -> str | None:
        """The worker a RequestID's counter was handed to (None: none was, or it is not a RequestID). Every
        long poll asks it of every delivery it reads, ~100 times a delivery with that many workers in flight:
        `RequestID.parse` reads each RequestID's text once."""
        try:
            parsed = RequestID.parse(request_id or "")
        except MalformedMessage:
            return None
        return self._handed.get((parsed.originator, parsed.counter))

    def _for(self, worker: str, delivery: Delivery) -> bool:
        """Whether `worker`'s mirror gets the delivery (`_reaches`)."""
        return self._reaches(worker, self._sender(delivery.request_id))

    def _reaches(self, worker: str, sender: str | None) -> bool:
        """Whether `worker`'s mirror gets a delivery whose request was handed to `sender`: not when it answers
        a request of another worker that is still running (``worker`` "": every delivery)."""
        return not worker or sender in (None, worker) or sender in self._ended

    def _lease(self, request: Request, installation: str) -> Response:
        body = json_object(request)
        with self._lock:
            refused = self._leases.lease(installation, str(body.get("worker", "")), bool(body.get("keep", False)))
            progress = self._leases.releases
            if not refused:  # it has left every queue: a meter it was first in line for may be another's now
                self._lock.notify_all()
        if refused:
            return json_response({"granted": False, "reason": refused, "progress": progress}, 409)
        return json_response({"granted": True, "progress": progress})

    def _wait_for_lease(self, request: Request) -> Response:
        """Held open until one of the installations may be the worker's (or `LONG_POLL_SECONDS`), so that a
        scenario waiting for a meter asks again only when it may get one."""
        body = json_object(request)
        worker, installations = str(body.get("worker", "")), [str(i) for i in body.get("installations", [])]
        seconds = min(float(body.get("wait", 0)), LONG_POLL_SECONDS)
        with self._lock:
            self._leases.keep_waiting(installations, worker, seconds + WAITER_STALE_SECONDS)
            ready = self._lock.wait_for(
                lambda: self._closing.is_set() or any(self._leases.available(i, worker) for i in installations), seconds
            )
            self._leases.keep_waiting(installations, worker, 0.0)
        return json_response({"ready": bool(ready)})

    def _release(self, request: Request, installation: str) -> Response:
        with self._lock:
            self._leases.release(installation, request.args.get("worker", ""))
            self._lock.notify_all()
        return Response(status=204)

    def _release_all(self, request: Request) -> Response:
        with self._lock:
            self._leases.release_all(request.args.get("worker", ""))
            self._lock.notify_all()
        return Response(status=204)

    def _take_turn(self, request: Request, originator: str) -> Response:
        worker = str(json_object(request).get("worker", ""))
        if not self._turns.take(originator, worker, LONG_POLL_SECONDS):
            return json_response({"granted": False}, 409)
        with self._counter_lock:  # only the turn's holder takes the originator's counters: in order
            counter = self._counters.next(originator)
            self._handed[(originator.strip().upper(), counter)] = worker  # as RequestID.parse writes it
        return json_response({"granted": True, "counter": counter})

    def _give_back_turn(self, request: Request, originator: str) -> Response:
        self._turns.give_back(originator, request.args.get("worker", ""))
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
def coordinating(receiver: Receiver, counters: CounterSource | None = None, workers: int = 8) -> Iterator[Coordinator]:
    """The coordinator for one run: listening while the run lasts, stopped however it ends."""
    coordinator = Coordinator(receiver, counters, workers)
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
        self.session = Session()
        self._progress = 0

    def lease(self, installation: str, keep: bool = False) -> str | None:
        reply = self.session.post(
            f"{self.url}/leases/{installation}", json={"worker": self.worker, "keep": keep}, timeout=10
        )
        if reply.status_code not in (200, 409):
            raise RuntimeError(f"the run's coordinator answered {reply.status_code}: {reply.text.strip()}")
        answer = reply.json()
        self._progress = int(answer.get("progress", self._progress))
        return None if reply.status_code == 200 else str(answer["reason"])

    def release(self, installation: str) -> None:
        self.session.delete(f"{self.url}/leases/{installation}", params={"worker": self.worker}, timeout=10)

    def release_all(self) -> None:
        self.session.delete(f"{self.url}/leases", params={"worker": self.worker}, timeout=10)

    def progress(self) -> int:
        return self._progress

    def wait(self, installations: Collection[str], timeout: float) -> None:
        seconds = min(timeout, LONG_POLL_SECONDS)
        reply = self.session.post(
            f"{self.url}/lease-waits",
            json={"worker": self.worker, "installations": list(installations), "wait": seconds},
            timeout=seconds + 10,
        )
        if reply.status_code != 200:
            raise RuntimeError(f"the run's coordinator answered {reply.status_code}: {reply.text.strip()}")


class CoordinatedCounters(CounterSource):
    """A behave process's originator counters: each with the originator's turn, from the coordinator."""

    def __init__(self, url: str, worker: str) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.worker = worker
        self.session = Session()
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
    """A behave process's view of the run's one receiver: everything it accepted from when the process
    started following it, copied here as it arrives (a message new to the run whole, a repeat as the run's
    receiver recorded it), so `wait_for` and `deliveries_after` work as they do on a receiver of one's own.
    What came before the process started answers none of its requests (they are not sent yet) and falls
    before any of its scenarios' time. The coordinator's receiver has already checked schema and
    signatures; the copy is parsed again (it is the same bytes), not re-validated or re-verified."""

    def __init__(self, coordinator_url: str, public_url: str, worker: str = "") -> None:
        """`worker`: the name this process's counters go by at the coordinator, whose answers it follows
        (answers to other workers' requests are not copied to it while they run); "": everything."""
        super().__init__(public_url=public_url)
        self.coordinator_url = coordinator_url.rstrip("/")
        self.worker = worker
        self._next = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="receiver mirror", daemon=True)
        self.session = Session()
        self.errors = 0

    def start(self) -> str:
        """Follow the feed from where it stands now (asked before returning, so that nothing this process
        sends afterwards can be answered before the mirror's starting point)."""
        reply = self.session.get(f"{self.coordinator_url}/arrivals", params={"after": "now"}, timeout=10)
        reply.raise_for_status()
        self._next = int(reply.json()["next"])
        self._thread.start()
        return self.url

    def _checked(self, root: etree._Element) -> None:
        """The run's receiver has accepted these very bytes (schema, signatures): nothing to check again."""
        return None

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
                    params={"after": str(self._next), "wait": str(LONG_POLL_SECONDS), "worker": self.worker},
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
