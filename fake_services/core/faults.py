"""Faults an S1SP can be told to show, for the fault campaign: down (hangs up), slow (answers after a
delay), garbage (answers something that is not DUIS) or error (HTTP 500). Kept in the store so the
Control API sets them and a reset clears them."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

from werkzeug.wrappers import Response

from fake_services.core.state import SettingsTable
from fake_services.core.store import Store
from serving.web import DropConnection, HTTPError, text

MODES = ("none", "down", "slow", "garbage", "error")


@dataclass(frozen=True)
class Fault:
    mode: str = "none"
    delay_seconds: float = 0.0

    @classmethod
    def parse(cls, data: dict) -> Fault:
        mode = data.get("mode", "none")
        delay = data.get("delay_seconds", 0.0)
        if mode not in MODES:
            raise HTTPError(400, f"fault mode is one of {', '.join(MODES)}")
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 60:
            raise HTTPError(400, "delay_seconds is a number from 0 to 60")
        return cls(mode, float(delay))


class Faults:
    """The faults injected into each S1SP, kept in the sandbox's store."""

    def __init__(self, store: Store) -> None:
        self.settings = SettingsTable(store)

    @staticmethod
    def _setting(s1sp: str) -> str:
        return f"fault.s1sp.{s1sp}"

    def set(self, s1sp: str, fault: Fault) -> None:
        self.settings.set(self._setting(s1sp), json.dumps(asdict(fault)))

    def current(self, s1sp: str) -> Fault:
        raw = self.settings.get(self._setting(s1sp))
        return Fault(**json.loads(raw)) if raw else Fault()


def act_out(fault: Fault) -> Response | None:
    """Act out the fault before the S1SP does its work; None lets the work go ahead."""
    if fault.mode == "down":
        raise DropConnection
    if fault.mode == "slow":
        time.sleep(fault.delay_seconds)
    if fault.mode == "garbage":
        return Response(b"\x00\xffnot DUIS at all<", 200, mimetype="application/xml")
    if fault.mode == "error":
        return text("S1SP internal error (injected)", 500)
    return None
