"""Faults an S1SP can be told to show, for the fault campaign: down (hangs up), slow (answers after a
delay), garbage (answers something that is not DUIS) or error (HTTP 500). Kept in the store so the
Control API sets them and a reset clears them."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

from fake_services.http import DropConnection, HTTPError, Response
from fake_services.store import Store

MODES = ("none", "down", "slow", "garbage", "error")
DEADLINE_HEADER = "x-dsp-deadline"
"""Epoch seconds by which the S1SP must have committed, or not commit at all (deadline propagation:
a DSP that has given up waiting never leaves a change half-reported)."""


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


def setting(s1sp: str) -> str:
    return f"fault.s1sp.{s1sp}"


def set_fault(store: Store, s1sp: str, fault: Fault) -> None:
    store.set_setting(setting(s1sp), json.dumps(asdict(fault)))


def current(store: Store, s1sp: str) -> Fault:
    raw = store.setting(setting(s1sp))
    return Fault(**json.loads(raw)) if raw else Fault()


def show(fault: Fault) -> Response | None:
    """Act out the fault before the S1SP does its work; None lets the work go ahead."""
    if fault.mode == "down":
        raise DropConnection
    if fault.mode == "slow":
        time.sleep(fault.delay_seconds)
    if fault.mode == "garbage":
        return Response(200, b"\x00\xffnot DUIS at all<", "application/xml")
    if fault.mode == "error":
        return Response.text("S1SP internal error (injected)", 500)
    return None


def deadline_of(headers: dict[str, str]) -> float | None:
    try:
        return float(headers[DEADLINE_HEADER])
    except (KeyError, ValueError):
        return None
