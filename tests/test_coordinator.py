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
from duis.responses import response_message
from duis.srv import SERVICE_REQUEST_VARIANTS
from duis.xml import to_bytes
from smki.authority import TestSMKI as Authority
from support.coordinator import (
    IN_USE,
    USED_FOR_GOOD,
    CoordinatedCounters,
    CoordinatedLeases,
    Coordinator,
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
