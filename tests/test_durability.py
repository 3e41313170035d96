"""Restarts (issue 5): a file-backed sandbox killed with SIGKILL in the middle of a stream of
corrections restarts as the same DCC and has lost no acknowledged change: the trust anchor holder is
the last acknowledged one or the one in flight (never anything else, never DS and KA apart), the
SMKI is the same, every certificate issued before still verifies, and the originator counters
survived (the last acknowledged request replayed is refused).

A correction is the real DUIS flow: CV 4 (Transform) -> Pre-Command -> CV 5 (Send Command) -> I99, the
answer delivered later to the User's Receive Response Service, which keeps running across the DSP's
restarts. A correction is acknowledged when its I0 has been delivered; one the DSP answered I99 before
the kill must still be applied and answered after the restart (an accepted command is never lost)."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import dataclass

import requests

from catalogue import RULES
from duis.requests import ServiceRequest
from duis.srv import UserRole
from support.control_client import ControlClient
from support.sandbox_process import SandboxProcess, start_sandbox_process
from support.seeding import Parties, Roster, seed_installation
from tests.helpers import assert_decided_by, enable_mp107, holder_of, krp_request
from user_system.client import DUISClient, Exchange
from user_system.organisations import Organisation
from user_system.system import UserSystem

KILLS = 3


@dataclass
class Sent:
    request: ServiceRequest
    sender: Organisation
    replacement: str
    last_sent: tuple[bytes, str] | None = None
    """The last message the User sent for it (body, web service path): what a replay sends again."""
    dsp_acknowledged: bool = False
    """The DSP answered I99: it has accepted the command, so it must be applied even across a crash."""


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
        self.system: UserSystem | None = None  # the User's system (and its Receive Response Service) outlives the DSP

    def start(self) -> None:
        started = start_sandbox_process("--database", self.database)
        assert isinstance(started, SandboxProcess), f"the sandbox exited {started.returncode}"
        self.sandbox = started
        self.control = ControlClient(started.urls["Control"])
        if self.system is None:
            self.system = UserSystem(started.urls["DSP"], self.control.smki()["dcc_signers"]).start()
        # The full flow, waiting for each delivered answer; and a client that stops at the I99, for the
        # request the sandbox is killed under (its answer can only come after the restart).
        self.duis = DUISClient(
            started.urls["DSP"],
            awaiter=self.system.answer,
            verifier=self.system.signatures.verify,
            timeout=10,
            answer_timeout=15,
        )
        self.unawaited = DUISClient(started.urls["DSP"], timeout=10)
        if self.counters is not None:
            self.duis.counters = self.counters
        self.counters = self.unawaited.counters = self.duis.counters

    def close_clients(self) -> None:
        for client in (getattr(self, "control", None), getattr(self, "duis", None), getattr(self, "unawaited", None)):
            if client is not None:
                client.close()

    def close(self) -> None:
        self.close_clients()
        if self.system is not None:
            self.system.close()

    def enrol(self) -> None:
        roster = Roster(self.control, self.system.receive_url)
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
        return Sent(request, sender, replacement.entity_id)

    def acknowledge(self, sent: Sent, exchange: Exchange) -> None:
        assert exchange.response is not None and exchange.response.succeeded, exchange.reason
        sent.last_sent = (exchange.last_sent.xml, exchange.last_sent.path or "")
        self.acknowledged.append(sent)
        self.holder = sent.replacement

    def send_some(self, count: int) -> None:
        for _ in range(count):
            sent = self.next_correction()
            self.acknowledge(sent, self.duis.send(sent.request, sent.sender))

    def kill_mid_request(self) -> None:
        """Send one more correction and SIGKILL the sandbox while it is in flight (or just after)."""
        sent = self.next_correction()
        answer: dict[str, object] = {}

        def post() -> None:
            try:
                answer["exchange"] = self.unawaited.send(sent.request, sent.sender)
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
            exchange = answer["exchange"]
            assert exchange.response is not None, exchange.reason
            assert exchange.response.is_acknowledgement, exchange.reason  # the sandbox was killed, never rejected it
            sent.dsp_acknowledged = True
        self.in_flight = sent

    def check_after_restart(self) -> None:
        control, inst = self.control, self.inst
        # One read of the anchors: a command accepted before the kill may be routed (and applied) in the
        # background at any moment after the restart, so DS and KA are compared in the same snapshot.
        held = {
            a["key_use"]: a["entity_id"] for a in control.trust_anchors(inst.esme) if a["role"] == "NetworkOperator"
        }
        ds, ka = held["DS"], held["KA"]
        assert ds == ka, "DS and KA held by different organisations after a crash"
        allowed = {self.holder} | ({self.in_flight.replacement} if self.in_flight else set())
        assert ds in allowed, f"holder {ds} is neither the last acknowledged nor the one in flight ({allowed})"
        assert control.smki()["root"] == self.root, "the SMKI root changed across the restart"
        if self.in_flight is not None:
            self.settle_in_flight(self.in_flight, ds)
            self.in_flight = None

        last = self.acknowledged[-1]
        before = control.fingerprint()
        body, path = last.last_sent
        replay = self.duis.post(last.request, body, path)
        assert replay.response is not None and not replay.response.succeeded
        assert replay.response.response_code == "E100", replay.reason
        assert_decided_by(replay, RULES["anti_replay"].clause)
        assert control.fingerprint() == before

        # The certificates issued before the crash still verify: the holder's signature and the
        # replacement's certificates are accepted.
        self.send_some(1)
        assert holder_of(control, inst.esme) == self.holder

    def settle_in_flight(self, sent: Sent, held_after_restart: str) -> None:
        """The request in flight at the kill, sent again as a User would: if the DSP had accepted it
        (its counter was written ahead) the resend is refused by anti-replay and the original is applied
        once and answered after the restart; if not, the resend is the first acceptance. Either way it
        ends applied exactly once."""
        resend = self.duis.send(sent.request, sent.sender)
        assert resend.response is not None, resend.reason
        if resend.response.succeeded:
            assert not sent.dsp_acknowledged, "a command the DSP acknowledged (I99) was accepted a second time"
            assert held_after_restart == self.holder, "a command the DSP never accepted was applied"
            self.acknowledge(sent, resend)
            return
        assert_decided_by(resend, RULES["anti_replay"].clause)
        final = self.system.receiver.wait_for(
            str(sent.request.request_id), lambda r: not r.response.is_acknowledgement, 15
        )
        assert final.response.succeeded, f"the command accepted before the kill was answered {final.response}"
        assert holder_of(self.control, self.inst.esme) == sent.replacement
        sent.last_sent = (resend.last_sent.xml, resend.last_sent.path or "")
        self.acknowledged.append(sent)
        self.holder = sent.replacement


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
        stream.close()
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        accepted = db.execute(
            "SELECT request_id FROM request_log WHERE srv = '6.15.1' AND service = 'DSP route'"
            " AND outcome = 'accepted' ORDER BY id"
        ).fetchall()
    logged = [rid for (rid,) in accepted]
    acknowledged = [str(s.request.request_id) for s in stream.acknowledged]
    assert all(rid in logged for rid in acknowledged), "an acknowledged correction is missing from the log"
