"""The DSP's asynchronous delivery: responses and alerts POSTed to each User's Receive Response Service.

DCC answers a CV 1/3/5/7 Service Request at once with an I99 acknowledgement and delivers the real
outcome later by calling the User's own "Receive Response Service" (RRS), whose address the User
configures (DCC Boxed: "Receive Response Service address") — DCC-INTERFACE Q3. DCC's reference client
answers 204 when the message validates and 400 when it does not.

What DUIS itself requires of the User's answer, how often and how long DCC retries, and what order it
guarantees could not be read (DUIS clause 3 is not in the store: DCC-INTERFACE Q3 marks them
unverified). These are therefore the sandbox's choices, kept in one place:

* any 2xx acknowledges: the message is `delivered` and never sent again;
* a 4xx (but 408 and 429, which say "later", not "invalid") means the User's system refused the message
  as invalid: it is marked `refused`, with the status and body, and never retried;
* no address, a connection refused, a timeout, a redirect, 408, 429 or a 5xx: retried with exponential
  back-off (`retry_initial` doubling up to `retry_max`), but not for ever: after `max_attempts` attempts
  (10), or once the next attempt would come more than `max_age` seconds (10 minutes) after the message was
  queued, it is marked `given_up`, with the last error, and never sent again;
* per User, messages go in the order they were enqueued: a later one waits while an earlier one to the
  same User is still `pending` (neither delivered, refused nor given up). Users never wait for each other.

Each message's state, attempts, last error and outcome in words, and this policy, are read back through
the Control API (`GET /deliveries`, `GET /deliveries/policy`).

The queue is a table in the sandbox's store, so a restarted DSP loses nothing and a message is signed
once, when enqueued: every retry sends the same bytes, so the User's system can tell a duplicate.
Delivery is at least once: a DSP stopped while a POST is in flight (longer than `stop`'s grace) may send
that message again after its restart, as any store-and-forward sender may.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from typing import Any, Protocol

import requests
from lxml import etree

from duis.xml import to_bytes
from fake_services.core.evidence import Evidence
from fake_services.core.records import valid_eui64
from fake_services.core.store import Store
from fake_services.delivery.checks import RETRY_LATER_4XX, answer_outcome, backoff, give_up, receive_address
from fake_services.delivery.state import (
    DELIVERED,
    GIVEN_UP,
    PENDING,
    REFUSED,
    STATES,
    AddressTable,
    DeliveryTable,
)
from serving.http_client import Session

__all__ = ["STATES", "Deliveries", "ReceiveAddresses", "receive_address"]

log = logging.getLogger("fake_services.delivery")

MAX_ATTEMPTS = 10
"""Attempts at one message before it is given up (with the sandbox's 0.1 s doubling to 5 s: about 20 s)."""
MAX_AGE_SECONDS = 600.0
"""A message whose next attempt would come later than this after it was queued is given up."""

MAX_KEPT_BODY = 2000
"""How much of a refusing answer's body is kept as evidence."""

STOP_GRACE_SECONDS = 0.9
"""How long `stop` lets POSTs in flight finish (and record their outcome) before it returns."""

IDLE_RECHECK_SECONDS = 0.25
"""`wait_idle` re-reads the queue at least this often: a scenario reset empties it without a signal."""


class Signer(Protocol):
    """The DSP's XML-signing identity (`fake_services.core.signer.ServiceSigner`)."""

    def sign(self, root: etree._Element) -> etree._Element: ...


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ReceiveAddresses:
    """Where each User's Receive Response Service listens.

    Configuration of the User's own system, like the User itself: kept across scenario resets (the
    table is not in `SCENARIO_TABLES`)."""

    def __init__(self, store: Store) -> None:
        self.table = AddressTable(store)

    def set(self, user_id: str, url: str) -> bool:
        """Record (or replace) the User's address; True when it is new. ValueError names a bad one."""
        return self.table.put(valid_eui64(user_id), receive_address(url))

    def get(self, user_id: str) -> str | None:
        try:
            user = valid_eui64(user_id)
        except ValueError:
            return None
        return self.table.get(user)

    def all(self) -> dict[str, str]:
        return self.table.all()


def _enqueued_epoch(enqueued_at: str) -> float:
    """The store's `enqueued_at` (UTC, `…T…Z`) as seconds since the epoch."""
    return dt.datetime.fromisoformat(enqueued_at.replace("Z", "+00:00")).timestamp()


class Deliveries:
    """The DSP's outgoing queue to the Users' Receive Response Services, and the worker that empties it.

    One dispatcher thread decides which Users have a message due; each due User gets one short-lived
    thread for one attempt, so a User whose system hangs until the timeout holds up nobody else, and a
    User never has two messages in flight (that is what keeps its order)."""

    def __init__(
        self,
        store: Store,
        signer: Signer,
        *,
        retry_initial: float = 0.2,
        retry_max: float = 30.0,
        timeout: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
        max_age: float = MAX_AGE_SECONDS,
    ) -> None:
        if retry_initial <= 0 or retry_max < retry_initial:
            raise ValueError("retry_initial must be positive and retry_max at least retry_initial")
        if max_attempts < 1 or max_age <= 0:
            raise ValueError("max_attempts must be at least 1 and max_age positive")
        self.max_attempts = max_attempts
        self.max_age = max_age
        self.store = store
        self.table = DeliveryTable(store)
        self.signer = signer
        self.addresses = ReceiveAddresses(store)
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.timeout = timeout
        self.session = Session(pool_connections=8, pool_maxsize=32)
        self._cond = threading.Condition()
        self._woken = False
        self._stopping = False
        self._generation = 0  # bumped on every recorded outcome and enqueue: wakes `wait_idle`
        self._in_flight: set[str] = set()
        self._dispatcher: threading.Thread | None = None

    # -- the queue -------------------------------------------------------------------------------

    def enqueue(
        self,
        user_id: str,
        response: etree._Element,
        request_id: str | None,
        kind: str,
        *,
        db: sqlite3.Connection | None = None,
        evidence: Evidence | None = None,
    ) -> int:
        """Sign `response` (an `sr:Response`) with the DSP's key now and queue it for the User.

        Pass the caller's open transaction as `db` so that a change and the message that reports it
        are committed together (or not at all). `evidence` is sent beside the message as HTTP headers
        (the sandbox's `X-DUIS-Clause` / `X-DUIS-Reason`: no DCC system sends them). Returns the id."""
        user = valid_eui64(user_id)
        if not kind:
            raise ValueError("a delivery needs a kind (e.g. 'response' or 'alert')")
        body = to_bytes(self.signer.sign(response))
        headers = json.dumps(evidence.headers() if evidence else {})
        with self.store.within(db) as conn:
            delivery_id = self.table.add(conn, user, request_id, kind, body, time.time(), headers)
        self.wake()
        return delivery_id

    def pending(self, user_id: str | None = None) -> list[dict[str, Any]]:
        return self.all(user_id, PENDING)

    def delivered(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Acknowledged with a 2xx (refused messages are `refused()`)."""
        return self.all(user_id, DELIVERED)

    def refused(self, user_id: str | None = None) -> list[dict[str, Any]]:
        return self.all(user_id, REFUSED)

    def given_up(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Retried as long as the policy allows, never delivered: not sent again."""
        return self.all(user_id, GIVEN_UP)

    def policy(self) -> dict[str, Any]:
        """The sandbox's delivery rule and its figures, as the Control API shows them."""
        return {
            "rule": (
                "2xx: delivered; 4xx but 408/429: refused, not retried; anything else (no address, no connection, "
                "a timeout, 3xx, 408, 429, 5xx): retried with back-off, then given up after max_attempts attempts "
                "or once the next attempt would fall after max_age_seconds; per User in the order queued"
            ),
            "retry_initial_seconds": self.retry_initial,
            "retry_max_seconds": self.retry_max,
            "max_attempts": self.max_attempts,
            "max_age_seconds": self.max_age,
            "retried_4xx": sorted(RETRY_LATER_4XX),
            "timeout_seconds": self.timeout,
        }

    def all(self, user_id: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        """The queue in the order it was filled, optionally one User's and/or one state's."""
        if state is not None and state not in STATES:
            raise ValueError(f"state is one of {', '.join(STATES)}")
        rows = self.table.listing(valid_eui64(user_id) if user_id is not None else None, state)
        return [self._listing(r) for r in rows]

    def _listing(self, row: sqlite3.Row) -> dict[str, Any]:
        """A queue entry as the Control API and tests see it, with its outcome in words (never the body:
        that is `message`)."""
        entry = dict(row)
        entry["next_attempt_at"] = _iso(entry["next_attempt_at"]) if entry["state"] == PENDING else None
        entry["outcome"] = self._outcome(entry)
        return entry

    def _outcome(self, entry: dict[str, Any]) -> str:
        state, attempts, status, error = entry["state"], entry["attempts"], entry["http_status"], entry["last_error"]
        if state == DELIVERED:
            return f"delivered on attempt {attempts} (HTTP {status})"
        if state == REFUSED:
            return f"refused by the User's system on attempt {attempts} (HTTP {status}), not retried"
        if state == GIVEN_UP:
            why = (
                f"the most the sandbox makes: {self.max_attempts}"
                if attempts >= self.max_attempts
                else f"undelivered {self.max_age:g} s after it was queued"
            )
            return f"given up after {attempts} attempts ({why}); last: {error}"
        if attempts == 0:
            return "queued, not yet tried"
        return f"attempt {attempts} failed ({error}); next at {entry['next_attempt_at']}"

    def message(self, delivery_id: int) -> bytes | None:
        """The signed bytes as queued (and as sent, on every attempt)."""
        return self.table.body(delivery_id)

    def retry_now(self, user_id: str) -> None:
        """Try the User's waiting messages at once (its address has just been set or fixed)."""
        self.table.hurry(time.time(), valid_eui64(user_id))
        self.wake()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued message is delivered or refused; False if that takes longer."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                generation = self._generation
            if not self._count_pending():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._cond:
                if generation == self._generation:
                    self._cond.wait(min(remaining, IDLE_RECHECK_SECONDS))

    def _count_pending(self) -> int:
        return self.table.count_pending()

    # -- the worker ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start delivering. Messages a previous run left pending are due at once."""
        with self._cond:
            old = self._dispatcher
            if old is not None and old.is_alive() and not self._stopping:
                return
            self._stopping = True  # a dispatcher still winding down from `stop` ends first
            self._cond.notify_all()
        if old is not None:
            old.join()
        with self._cond:
            self._stopping = False
        self.table.hurry(time.time())
        self._dispatcher = threading.Thread(target=self._dispatch, name="DSP deliveries", daemon=True)
        self._dispatcher.start()

    def stop(self) -> None:
        """Stop delivering within about a second. Nothing is lost: the queue is in the store; a POST
        still in flight after the grace may record its outcome later, or be sent again after a restart."""
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._cond:
            while self._in_flight and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)
            if self._in_flight:
                log.warning("stopped with deliveries in flight to %s", ", ".join(sorted(self._in_flight)))

    def close(self) -> None:
        self.stop()
        self.session.close()

    def wake(self) -> None:
        """Something changed in the queue: let the dispatcher look again."""
        with self._cond:
            self._woken = True
            self._generation += 1
            self._cond.notify_all()

    def _dispatch(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._woken = False
            try:
                wait = self._launch_due()
            except sqlite3.ProgrammingError:  # the store was closed under us: the sandbox is stopping
                return
            except Exception:  # a worker must not die of one bad turn; the queue is still there
                log.exception("delivery dispatcher")
                wait = self.retry_initial
            with self._cond:
                if not self._woken and not self._stopping:
                    self._cond.wait(wait)

    def _launch_due(self) -> float:
        """Start one attempt for each User whose oldest pending message is due; returns how long
        to sleep until the next one falls due."""
        now = time.time()
        wait = self.retry_max
        for head in self._heads():
            due_in = head["next_attempt_at"] - now
            if due_in > 0:
                wait = min(wait, due_in)
                continue
            self._launch(head["user_id"])
        return max(wait, 0.001)

    def _heads(self) -> list[sqlite3.Row]:
        """Each User's oldest pending message: the only one of its messages that may be sent."""
        return self.table.heads()

    def _launch(self, user_id: str) -> None:
        with self._cond:
            if self._stopping or user_id in self._in_flight:
                return
            self._in_flight.add(user_id)
        threading.Thread(target=self._attempt, args=(user_id,), name=f"delivery to {user_id}", daemon=True).start()

    def _attempt(self, user_id: str) -> None:
        """One attempt at the User's oldest pending message, read afresh: the dispatcher's view may
        be stale (this User's previous attempt may just have delivered what it saw as the head)."""
        head: sqlite3.Row | None = None
        try:
            head = self.table.head(user_id)
            if head is not None and head["next_attempt_at"] <= time.time() and not self._stopping:
                self._send(user_id, head)
        except sqlite3.ProgrammingError:
            log.info("delivery to %s: the store is closed; the message stays queued", user_id)
        except Exception as exc:  # never a hot loop: the message waits its back-off like any failure
            log.exception("delivery to %s", user_id)
            if head is not None:
                self._retry_quietly(head, f"sandbox error while delivering: {type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                self._in_flight.discard(user_id)
                self._woken = True
                self._generation += 1
                self._cond.notify_all()

    def _retry_quietly(self, head: sqlite3.Row, error: str) -> None:
        try:
            self._retry(head, head["attempts"] + 1, error)
        except Exception:
            log.exception("could not record a failed delivery %s", head["id"])

    def _send(self, user_id: str, head: sqlite3.Row) -> None:
        attempts = head["attempts"] + 1
        url = self.addresses.get(user_id)
        if url is None:
            return self._retry(head, attempts, f"no Receive Response Service address for {user_id}")
        try:
            reply = self.session.post(
                url,
                data=bytes(head["body"]),
                headers={"Content-Type": "application/xml", **json.loads(head["evidence"] or "{}")},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return self._retry(head, attempts, f"{url}: {type(exc).__name__}: {exc}")
        return self._judge(head, attempts, url, reply)

    def _judge(self, head: sqlite3.Row, attempts: int, url: str, reply: requests.Response) -> None:
        """2xx delivered; 4xx refused (but 408/429); anything else, later (or given up): `answer_outcome`."""
        status, body = reply.status_code, reply.text[:MAX_KEPT_BODY]
        outcome = answer_outcome(status)
        if outcome == DELIVERED:
            changes = {"state": DELIVERED, "attempts": attempts, "http_status": status, "delivered_at": _utc_now()}
            return self.table.record(head["id"], changes)
        if outcome == REFUSED:
            reason = f"refused by the User's system: HTTP {status}: {body.strip()}"
            changes = {"state": REFUSED, "attempts": attempts, "http_status": status, "response_body": body}
            return self.table.record(head["id"], changes | {"last_error": reason})
        where = f" (to {reply.headers.get('Location')})" if 300 <= status < 400 else ""
        return self._retry(head, attempts, f"{url} answered HTTP {status}{where}: {body.strip()[:200]}", status)

    def _retry(self, head: sqlite3.Row, attempts: int, error: str, status: int | None = None) -> None:
        """A failed attempt: the message is tried again after its back-off, unless that was its last
        attempt or the next would come too long after it was queued: then it is given up (`give_up`)."""
        next_attempt = time.time() + self.backoff(attempts)
        if give_up(attempts, next_attempt, _enqueued_epoch(head["enqueued_at"]), self.max_attempts, self.max_age):
            changes = {"state": GIVEN_UP, "attempts": attempts, "last_error": error, "http_status": status}
            return self.table.record(head["id"], changes)
        changes = {"attempts": attempts, "last_error": error, "http_status": status, "next_attempt_at": next_attempt}
        return self.table.record(head["id"], changes)

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after `attempts` failed ones: retry_initial doubling to retry_max."""
        return backoff(attempts, self.retry_initial, self.retry_max)
