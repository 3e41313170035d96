"""A run split across processes against one environment: one receiver its processes follow, originator
turns so that no counter overtakes a later one, and meter leases so that no two scenarios change the same
meter at once (`support.coordinator`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from duis.requests import RequestID
from duis.responses import response_message, smets1_response
from duis.smets1 import smets1_signed_response
from duis.srv import SERVICE_REQUEST_VARIANTS
from duis.xml import to_bytes
from smki.authority import TestSMKI as Authority
from support.coordinator import (
    IN_USE,
    LONG_POLL_SECONDS,
    USED_FOR_GOOD,
    WAITER_STALE_SECONDS,
    CoordinatedCounters,
    CoordinatedLeases,
    Coordinator,
    LeaseTable,
    LocalLeases,
    MirrorReceiver,
    coordinating,
)
from tests.helpers import dcc_signer
from user_system.client import CounterSource
from user_system.receiver import Receiver

DEVICE = "00-DB-12-34-56-78-90-A0"
USER = "90-B3-D5-1F-30-01-00-00"
WAIT = 15.0
"""Generous bound for waits that end in milliseconds (never asserted)."""


@pytest.fixture
def coordinator() -> Iterator[Coordinator]:
    receiver = Receiver()
    receiver.start()
    with coordinating(receiver) as running:
        yield running
    receiver.stop()


def eventually(check, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def test_a_meter_in_one_scenario_is_refused_to_another_until_its_scenario_ends(coordinator: Coordinator):
    first, second = CoordinatedLeases(coordinator.url, "p1"), CoordinatedLeases(coordinator.url, "p2")
    assert first.lease("S1SP1-1") is None
    assert first.lease("S1SP1-1") is None  # its own scenario may ask again
    assert second.lease("S1SP1-1") == IN_USE
    first.release_all()
    assert second.lease("S1SP1-1") is None


def test_a_meter_enrolled_by_a_scenario_is_used_for_good_even_by_its_own_process(coordinator: Coordinator):
    first, second = CoordinatedLeases(coordinator.url, "p1"), CoordinatedLeases(coordinator.url, "p2")
    assert first.lease("E1-01", keep=True) is None
    assert second.lease("E1-01") == USED_FOR_GOOD
    first.release_all()
    assert first.lease("E1-01") == USED_FOR_GOOD
    assert second.lease("E1-01") == USED_FOR_GOOD


def test_local_leases_keep_only_what_was_used_for_good():
    leases = LocalLeases()
    assert leases.lease("A") is None and leases.lease("B", keep=True) is None
    leases.release_all()
    assert leases.lease("A") is None
    assert leases.lease("B") == USED_FOR_GOOD


def test_an_originator_turn_is_held_until_its_request_has_reached_the_dcc(coordinator: Coordinator):
    first, second = CoordinatedCounters(coordinator.url, "p1"), CoordinatedCounters(coordinator.url, "p2")
    counter = first.next(USER)
    got: list[int] = []
    waiting = threading.Thread(target=lambda: got.append(second.next(USER)))
    waiting.start()
    time.sleep(0.3)  # p2 asks while p1 holds the turn: it must not be given a counter yet
    assert got == []
    first.done(USER)
    waiting.join(WAIT)
    assert got and got[0] > counter
    second.done(USER)
    other = CoordinatedCounters(coordinator.url, "p3").next("90-B3-D5-1F-30-02-00-00")
    assert other > 0  # another originator is never held up by this one


def test_counters_carry_on_from_the_runners_own(coordinator: Coordinator):
    runner = CounterSource()
    used = runner.next(USER)
    receiver = Receiver()
    receiver.start()
    try:
        with coordinating(receiver, runner) as shared:
            assert CoordinatedCounters(shared.url, "p1").next(USER) > used
    finally:
        receiver.stop()


def _signed_response(counter: int) -> bytes:
    dsp = dcc_signer(Authority(), "90-B3-D5-1F-30-00-00-01", "DSP")
    root = response_message(RequestID(USER, DEVICE, counter), "I0", SERVICE_REQUEST_VARIANTS["4.1.1"])
    return to_bytes(dsp.sign(root))


def test_every_process_sees_what_the_one_receiver_accepted_and_waits_for_its_own(coordinator: Coordinator):
    mirrors = [MirrorReceiver(coordinator.url, coordinator.receiver.url) for _ in range(2)]
    for mirror in mirrors:
        mirror.start()
    try:
        for counter in (1, 2):
            reply = requests.post(
                coordinator.receiver.url,
                data=_signed_response(counter),
                headers={"Content-Type": "application/xml"},
                timeout=5,
            )
            assert reply.status_code == 204
        for mirror in mirrors:
            answer = mirror.wait_for(str(RequestID(USER, DEVICE, 2)), timeout=WAIT)
            assert answer.response.response_code == "I0"
            assert len(mirror.arrivals()) == 2
        assert mirrors[0].url == coordinator.receiver.url  # what the DCC is told is the one receiver
    finally:
        for mirror in mirrors:
            mirror.stop()


# --- many scenarios in flight: fairness, what a worker that ended held, one mirror per worker -----------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_freed_meter_goes_to_the_scenario_that_waited_longest_while_it_still_asks():
    clock = Clock()
    table = LeaseTable(clock)
    assert table.lease("S1SP1-1", "w1") is None
    assert table.lease("S1SP1-1", "w2") == IN_USE
    clock.now += 0.1
    assert table.lease("S1SP1-1", "w3") == IN_USE
    table.release_all("w1")
    assert table.lease("S1SP1-1", "w3") == IN_USE  # kept for w2, which asked first
    assert table.available("S1SP1-1", "w2") and not table.available("S1SP1-1", "w3")
    assert table.lease("S1SP1-1", "w2") is None
    table.release_all("w2")
    clock.now += WAITER_STALE_SECONDS + 1  # w3 stopped asking (it found another meter, or ended)
    assert table.lease("S1SP1-1", "w4") is None


def test_a_scenario_gives_back_one_meter_but_never_one_it_enrolled():
    table = LeaseTable()
    assert table.lease("A", "w1") is None and table.lease("E1", "w1", keep=True) is None
    table.release("A", "w1")
    table.release("E1", "w1")
    assert table.lease("A", "w2") is None
    assert table.lease("E1", "w2") == USED_FOR_GOOD
    assert table.releases == 1


def test_what_a_worker_that_ended_held_is_free_at_once(coordinator: Coordinator):
    leases, counters = CoordinatedLeases(coordinator.url, "w1"), CoordinatedCounters(coordinator.url, "w1")
    assert leases.lease("S1SP1-1") is None
    counters.next(USER)  # its turn, never given back: its process died mid-request
    coordinator.worker_ended("w1")
    assert CoordinatedLeases(coordinator.url, "w2").lease("S1SP1-1") is None
    got: list[int] = []
    taking = threading.Thread(target=lambda: got.append(CoordinatedCounters(coordinator.url, "w2").next(USER)))
    taking.start()
    taking.join(WAIT)
    assert got


def test_a_scenario_waiting_for_a_meter_is_answered_when_it_is_given_back(coordinator: Coordinator):
    first, second = CoordinatedLeases(coordinator.url, "w1"), CoordinatedLeases(coordinator.url, "w2")
    assert first.lease("S1SP1-1") is None
    assert second.lease("S1SP1-1") == IN_USE
    waited = threading.Thread(target=lambda: second.wait(["S1SP1-1"], WAIT))
    waited.start()
    time.sleep(0.2)
    assert waited.is_alive()  # held open while the meter is in use
    first.release_all()
    waited.join(WAIT)
    assert not waited.is_alive()
    assert second.lease("S1SP1-1") is None
    assert second.progress() == 1


def _post(coordinator: Coordinator, body: bytes) -> None:
    reply = requests.post(coordinator.receiver.url, data=body, headers={"Content-Type": "application/xml"}, timeout=5)
    assert reply.status_code == 204


def test_a_worker_mirrors_the_answers_to_its_own_requests_and_not_to_another_running_workers(
    coordinator: Coordinator,
):
    _post(coordinator, _signed_response(1))  # before either mirror started: answers none of their requests
    mine, theirs = CoordinatedCounters(coordinator.url, "w1"), CoordinatedCounters(coordinator.url, "w2")
    mirrors = [MirrorReceiver(coordinator.url, coordinator.receiver.url, worker) for worker in ("w1", "w2")]
    for mirror in mirrors:
        mirror.start()
    try:
        counter, later = mine.next(USER), mine.next(USER)
        mine.done(USER)
        _post(coordinator, _signed_response(counter))
        stray = theirs.next(USER) + 1000  # a counter no worker was handed: every mirror gets its answer
        theirs.done(USER)
        _post(coordinator, _signed_response(stray))
        mirrors[0].wait_for(str(RequestID(USER, DEVICE, counter)), timeout=WAIT)
        for mirror in mirrors:
            mirror.wait_for(str(RequestID(USER, DEVICE, stray)), timeout=WAIT)
        assert [r.request_id for r in mirrors[1].arrivals()] == [str(RequestID(USER, DEVICE, stray))]
        assert len(mirrors[0].arrivals()) == 2
        coordinator.worker_ended("w1")  # an answer to a worker that has ended is every mirror's
        _post(coordinator, _signed_response(later))
        mirrors[1].wait_for(str(RequestID(USER, DEVICE, later)), timeout=WAIT)
    finally:
        for mirror in mirrors:
            mirror.stop()


def test_the_answers_through_an_s1sp_are_counted_for_the_worker_that_asked(coordinator: Coordinator):
    authority = Authority()
    dsp = dcc_signer(authority, "90-B3-D5-1F-30-00-00-01", "DSP")
    s1sp = dcc_signer(authority, "90-B3-D5-1F-30-00-00-11", "S1SP1")
    counters = CoordinatedCounters(coordinator.url, "w1")
    read = SERVICE_REQUEST_VARIANTS["6.24.1"]
    for _ in range(2):
        counter = counters.next(USER)
        counters.done(USER)
        rid = RequestID(USER, DEVICE, counter)
        inner = s1sp.sign(smets1_signed_response(rid, read, counter))
        _post(coordinator, to_bytes(dsp.sign(smets1_response(rid, read, inner))))
    _post(coordinator, _signed_response(counters.next(USER)))  # the DSP's own answer: no S1SP in it
    counters.done(USER)
    assert coordinator.answers_through_s1sp() == {"w1": 2}


def test_a_long_poll_of_a_worker_that_ended_is_answered_at_once(coordinator: Coordinator):
    """Its server thread is free again, not held until the poll times out (LONG_POLL_SECONDS)."""
    mark = requests.get(f"{coordinator.url}/arrivals", params={"after": "now"}, timeout=10).json()["next"]
    answered: list[int] = []
    poll = threading.Thread(
        target=lambda: answered.append(
            requests.get(
                f"{coordinator.url}/arrivals",
                params={"after": str(mark), "wait": str(LONG_POLL_SECONDS), "worker": "p1"},
                timeout=LONG_POLL_SECONDS + 5,
            ).status_code
        )
    )
    poll.start()
    time.sleep(0.2)  # the poll is waiting
    coordinator.worker_ended("p1")
    poll.join(LONG_POLL_SECONDS / 2)
    assert answered == [200], "the ended worker's poll was still held"
