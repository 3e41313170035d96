"""An originator's turn goes, first come first served, to one process at a time (`support.originator_turns`):
handed on when given back, when its holder's process ends, or when its holder has kept it too long."""

from __future__ import annotations

import threading
import time

from support.originator_turns import TURN_EXPIRY_SECONDS, OriginatorTurns

USER = "90-B3-D5-1F-30-01-00-00"
WAIT = 5.0


def _asks(turns: OriginatorTurns, worker: str, got: list[str], timeout: float = WAIT) -> threading.Thread:
    thread = threading.Thread(target=lambda: turns.take(USER, worker, timeout) and got.append(worker))
    thread.start()
    return thread


def _until(condition, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_turn_goes_to_those_waiting_in_the_order_they_asked():
    turns, got = OriginatorTurns(), []
    assert turns.take(USER, "w0", 0)
    waiting = []
    for worker in ("w1", "w2", "w3"):
        waiting.append(_asks(turns, worker, got))
        time.sleep(0.05)  # each asks after the one before
    for given, holder in enumerate(("w0", "w1", "w2"), start=1):
        turns.give_back(USER, holder)
        _until(lambda given=given: len(got) >= given)
    for thread in waiting:
        thread.join(WAIT)
    assert got == ["w1", "w2", "w3"]


def test_a_process_asking_again_after_its_wait_timed_out_keeps_its_place():
    turns, got = OriginatorTurns(), []
    assert turns.take(USER, "w0", 0)
    assert not turns.take(USER, "w1", 0.05)  # timed out: w1 asks again at once
    later = _asks(turns, "w2", got)
    time.sleep(0.05)
    again = _asks(turns, "w1", got)
    time.sleep(0.05)
    turns.give_back(USER, "w0")
    again.join(WAIT)
    assert got == ["w1"]
    turns.give_back(USER, "w1")
    later.join(WAIT)
    assert got == ["w1", "w2"]


def test_the_turn_of_a_process_that_ended_goes_to_the_next_in_line_and_its_place_is_lost():
    turns, got = OriginatorTurns(), []
    assert turns.take(USER, "w0", 0)
    dead = threading.Thread(target=lambda: turns.take(USER, "w1", 0.2))
    dead.start()
    time.sleep(0.05)
    waiting = _asks(turns, "w2", got)
    time.sleep(0.05)
    turns.worker_ended("w1")
    turns.worker_ended("w0")
    waiting.join(WAIT)
    dead.join(WAIT)
    assert got == ["w2"]


def test_a_turn_kept_too_long_is_taken_back():
    now = [0.0]
    turns = OriginatorTurns(clock=lambda: now[0])
    assert turns.take(USER, "w0", 0)
    assert not turns.take(USER, "w1", 0.01)
    now[0] += TURN_EXPIRY_SECONDS + 1
    assert turns.take(USER, "w1", 0.01)


def test_another_originator_is_never_held_up():
    turns = OriginatorTurns()
    assert turns.take(USER, "w0", 0)
    assert turns.take("90-B3-D5-1F-30-02-00-00", "w1", 0)


def test_the_worker_the_runner_ranks_first_goes_before_those_that_asked_earlier():
    turns, got = OriginatorTurns(), []
    turns.rank({"long": 0, "short": 1})
    assert turns.take(USER, "w0", 0)
    waiting = [_asks(turns, "short", got)]
    time.sleep(0.05)
    waiting.append(_asks(turns, "long", got))
    time.sleep(0.05)
    turns.give_back(USER, "w0")
    _until(lambda: len(got) == 1)
    turns.give_back(USER, got[0])
    for thread in waiting:
        thread.join(WAIT)
    assert got == ["long", "short"]
