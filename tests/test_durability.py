"""Restarts (issue 5): a file-backed sandbox killed with SIGKILL in the middle of a stream of
corrections restarts as the same DCC and has lost no acknowledged change: the trust anchor holder is
the last acknowledged one or the one in flight (never anything else, never DS and KA apart), the
SMKI is the same, every certificate issued before still verifies, and the originator counters
survived (the last acknowledged request replayed is refused)."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import dataclass

import requests

from catalogue import RULES
from duis.messages import ServiceRequest
from duis.srv import UserRole
from support.control_client import ControlClient
from support.duis_client import DUISClient, Exchange
from support.sandbox_process import SandboxProcess, start_sandbox_process
from support.seeding import Parties, Roster, seed_installation
from tests.helpers import assert_decided_by, enable_mp107, holder_of, krp_request

KILLS = 3


@dataclass
class Sent:
    request: ServiceRequest
    body: bytes
    sender: str
    replacement: str


class Stream:
    """Alternating corrections of one ESME's Network Operator certificates between A and B, each sent
    by the holder of the moment, against whichever sandbox process is running."""

    def __init__(self, database: str, rng: random.Random) -> None:
        self.database = database
        self.rng = rng
        self.sandbox: SandboxProcess | None = None
        self.acknowledged: list[Sent] = []
        self.in_flight: Sent | None = None
        self.counters = None  # kept across processes: counters only ever go up, as a User's would

    def start(self) -> None:
        started = start_sandbox_process("--database", self.database)
        assert isinstance(started, SandboxProcess), f"the sandbox exited {started.returncode}"
        self.sandbox = started
        self.control = ControlClient(started.urls["Control"])
        self.duis = DUISClient(started.urls["DSP"], timeout=10)
        if self.counters is not None:
            self.duis.counters = self.counters
        self.counters = self.duis.counters

    def close_clients(self) -> None:
        for client in (getattr(self, "control", None), getattr(self, "duis", None)):
            if client is not None:
                client.close()

    def enrol(self) -> None:
        roster = Roster(self.control)
        self.a = roster.ensure("Western Power", UserRole.ELECTRICITY_DISTRIBUTOR)
        self.b = roster.ensure("Northern Grid", UserRole.ELECTRICITY_DISTRIBUTOR)
        self.parties = {self.a.entity_id: self.a, self.b.entity_id: self.b}
        parties = Parties(
            self.a,
            roster.ensure("Bright Energy", UserRole.IMPORT_SUPPLIER),
            roster.ensure("Cadent Gas", UserRole.GAS_TRANSPORTER),
            roster.ensure("Flame Gas Supply", UserRole.GAS_SUPPLIER),
            roster.acb(),  # the sandbox's own ACB
        )
        self.inst = seed_installation(self.control, parties)
        enable_mp107(self.control)
        self.root = self.control.smki()["root"]
        self.holder = self.a.entity_id

    def next_correction(self) -> Sent:
        sender = self.parties[self.holder]
        replacement = self.b if sender is self.a else self.a
        request = krp_request(self.duis, self.control, sender, self.inst.esme, replacement)
        return Sent(request, self.duis.sign(request, sender.identity), sender.entity_id, replacement.entity_id)

    def acknowledge(self, sent: Sent, exchange: Exchange) -> None:
        assert exchange.response is not None and exchange.response.succeeded, exchange.reason
        self.acknowledged.append(sent)
        self.holder = sent.replacement

    def send_some(self, count: int) -> None:
        for _ in range(count):
            sent = self.next_correction()
            self.acknowledge(sent, self.duis.post(sent.request, sent.body))

    def kill_mid_request(self) -> None:
        """Send one more correction and SIGKILL the sandbox while it is in flight (or just after)."""
        sent = self.next_correction()
        answer: dict[str, object] = {}

        def post() -> None:
            try:
                answer["exchange"] = self.duis.post(sent.request, sent.body)
            except requests.RequestException as exc:
                answer["error"] = exc

        sender = threading.Thread(target=post)
        sender.start()
        time.sleep(self.rng.uniform(0, 0.015))
        self.sandbox.kill()
        sender.join(timeout=15)
        assert answer, "the request neither got an answer nor failed"
        self.close_clients()
        if "exchange" in answer:
            self.acknowledge(sent, answer["exchange"])
            self.in_flight = None
        else:
            self.in_flight = sent

    def check_after_restart(self) -> None:
        control, inst = self.control, self.inst
        ds, ka = holder_of(control, inst.esme, key_use="DS"), holder_of(control, inst.esme, key_use="KA")
        assert ds == ka, "DS and KA held by different organisations after a crash"
        allowed = {self.holder} | ({self.in_flight.replacement} if self.in_flight else set())
        assert ds in allowed, f"holder {ds} is neither the last acknowledged nor the one in flight ({allowed})"
        if self.in_flight is not None and ds == self.in_flight.replacement:
            # applied but never answered: its counter was written ahead, so a resend is not applied twice
            resend = self.duis.post(self.in_flight.request, self.in_flight.body)
            assert resend.response is not None, resend.reason
            assert_decided_by(resend, RULES["anti_replay"].clause)
        self.holder = ds
        assert control.smki()["root"] == self.root, "the SMKI root changed across the restart"

        last = self.acknowledged[-1]
        before = control.fingerprint()
        replay = self.duis.post(last.request, last.body)
        assert replay.response is not None and not replay.response.succeeded
        assert replay.response.response_code == "E100", replay.reason
        assert_decided_by(replay, RULES["anti_replay"].clause)
        assert control.fingerprint() == before

        # The certificates issued before the crash still verify: the holder's signature and the
        # replacement's certificates are accepted.
        self.send_some(1)
        assert holder_of(control, inst.esme) == self.holder


def test_sigkill_mid_stream_loses_no_acknowledged_correction(tmp_path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    database = str(tmp_path / "sandbox.db")
    stream = Stream(database, rng)
    stream.start()
    try:
        stream.enrol()
        for kill in range(KILLS):
            stream.send_some(rng.randint(1, 5))
            stream.kill_mid_request()
            stream.start()
            try:
                stream.check_after_restart()
            except AssertionError as exc:
                raise AssertionError(f"after kill {kill + 1} (random seed {seed}): {exc}") from exc
        assert stream.sandbox.terminate() == 0
    finally:
        if stream.sandbox is not None and stream.sandbox.process.poll() is None:
            stream.sandbox.kill()
        stream.close_clients()
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        accepted = db.execute(
            "SELECT request_id FROM request_log WHERE srv = '6.15.1' AND outcome = 'accepted' ORDER BY id"
        ).fetchall()
    logged = [rid for (rid,) in accepted]
    acknowledged = [str(s.request.request_id) for s in stream.acknowledged]
    assert all(rid in logged for rid in acknowledged), "an acknowledged correction is missing from the log"
