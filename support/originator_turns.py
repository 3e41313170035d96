"""Whose turn it is to send as each originator, across a run's processes (the coordinator keeps them).

The DCC accepts an originator's counters only in increasing order, so one process at a time may send as an
originator: it takes the turn, takes the next counter, and gives the turn back once its request's
synchronous legs are answered. At the start of a run against a slow environment every scenario asks for the
same originator's turn at once (each first reads its meter as its registered supplier), so the turn is
handed on directly to the one process next in line: woken alone, not with every process waiting (each would
take the lock in turn to find the turn already gone). Next in line is the process whose scenario the runner
ranks first (`rank`: it starts the scenarios with the most steps first, as a run lasts at least as long as
its longest scenario's chain of answers), then the one that asked first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

TURN_EXPIRY_SECONDS = 120.0
"""A turn not given back in this long is taken back (its process died mid-request)."""
STALE_SECONDS = 1.0
"""A process whose wait for a turn timed out asks again at once; one that has not asked again for this long
has given up its place in line."""


@dataclass
class _Asking:
    """One process waiting in line for an originator's turn."""

    worker: str
    order: tuple[int, int]
    """(the worker's rank, when it asked): the least goes first."""
    woken: threading.Event = field(default_factory=threading.Event)
    granted: bool = False
    waiting: bool = True
    """False between a wait that timed out and the same process asking again."""
    stopped_at: float = 0.0


class OriginatorTurns:
    """Each originator's turn: held by one process at a time, then handed to the process ranked first, and of
    those the one that asked first, still asking. Thread-safe: each process's request waits in a server
    thread of its own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._holders: dict[str, tuple[str, float]] = {}
        """Originator → (the process holding its turn, since when)."""
        self._lines: dict[str, list[_Asking]] = {}
        self._ended: set[str] = set()
        self._ranks: dict[str, int] = {}
        self._asked = count()

    def rank(self, ranks: dict[str, int]) -> None:
        """The runner's ranking of its workers (least first; a worker it does not rank comes after all)."""
        with self._lock:
            self._ranks = dict(ranks)

    def take(self, originator: str, worker: str, timeout: float) -> bool:
        """True once `worker` holds `originator`'s turn (at once when it is free, or already the worker's);
        False after `timeout` (the worker keeps its place in line if it asks again at once)."""
        with self._lock:
            self._take_back_expired(originator)
            holder = self._holders.get(originator)
            line = self._lines.setdefault(originator, [])
            if holder is None and not any(self._live(asking) for asking in line) or holder and holder[0] == worker:
                self._holders[originator] = (worker, self._clock())
                return True
            asking = next((a for a in line if a.worker == worker), None)
            if asking is None:
                asking = _Asking(worker, (self._ranks.get(worker, len(self._ranks)), next(self._asked)))
                line.append(asking)
            asking.waiting = True
            if holder is None:
                self._hand_on(originator)
        asking.woken.wait(timeout)
        with self._lock:
            if asking.granted:
                return True
            self._take_back_expired(originator)
            if asking.granted:
                return True
            asking.waiting, asking.stopped_at = False, self._clock()
            return False

    def give_back(self, originator: str, worker: str) -> None:
        """`worker` has sent its request: the turn goes to the next in line."""
        with self._lock:
            if self._holders.get(originator, ("",))[0] == worker:
                del self._holders[originator]
                self._hand_on(originator)

    def worker_ended(self, worker: str) -> None:
        """A process has ended: its turns go to the next in line, and it waits in no line."""
        with self._lock:
            self._ended.add(worker)
            for line in self._lines.values():
                for asking in [a for a in line if a.worker == worker]:
                    line.remove(asking)
                    asking.woken.set()  # its wait ends now, not granted: nobody is there to answer
            for originator in [o for o, (holder, _) in self._holders.items() if holder == worker]:
                del self._holders[originator]
                self._hand_on(originator)

    def _live(self, asking: _Asking) -> bool:
        if asking.worker in self._ended:
            return False
        return asking.waiting or self._clock() - asking.stopped_at <= STALE_SECONDS

    def _hand_on(self, originator: str) -> None:
        """Give the free turn to the first in line still asking (lock held)."""
        line = self._lines.get(originator, [])
        while line:
            asking = min(line, key=lambda waiting: waiting.order)
            line.remove(asking)
            if self._live(asking):
                self._holders[originator] = (asking.worker, self._clock())
                asking.granted = True
                asking.woken.set()
                return

    def _take_back_expired(self, originator: str) -> None:
        holder = self._holders.get(originator)
        if holder is not None and self._clock() - holder[1] > TURN_EXPIRY_SECONDS:
            del self._holders[originator]
            self._hand_on(originator)
