"""The sandbox's clock: the time future-dated commands are due by. It runs with real time, shifted by an
offset a test can move forward (Control API `/clock`), so a command dated 2030 can be shown not to run
early and then to run, without waiting. Certificate validity is still judged by real time."""

from __future__ import annotations

import datetime as dt

from fake_services.core.state import SettingsTable
from fake_services.core.store import Store

OFFSET = "clock.offset_seconds"


class Clock:
    def __init__(self, store: Store) -> None:
        self.settings = SettingsTable(store)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(self.settings.get(OFFSET, "0")))

    def move_to(self, moment: dt.datetime) -> dt.datetime:
        """Set the sandbox's time (a moment with its zone); returns it."""
        if moment.tzinfo is None:
            raise ValueError("the clock needs a time zone, e.g. 2030-01-15T00:00:00Z")
        offset = (moment - dt.datetime.now(dt.UTC)).total_seconds()
        self.settings.set(OFFSET, repr(offset))
        return self.now()

    def advance(self, seconds: float) -> dt.datetime:
        return self.move_to(self.now() + dt.timedelta(seconds=seconds))
