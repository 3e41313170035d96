"""Faults (issue 5): an S1SP that is down, stopped, slow, answering garbage or failing never leaves a
change half-applied (the User's final, delivered answer is E20 and only the request's counter was used
up, when the DSP accepted it with I99), and a new correction succeeds once it heals; a resent request
is refused by anti-replay and never applied twice; concurrent corrections of one meter never mix or
lose an update.

Runs its own sandbox whose DSP waits 0.5 s for an S1SP (the session sandbox waits 10 s), so a slow
S1SP is cheap to show. No assertion is about how long anything took."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from catalogue import DUIS_ANTI_REPLAY, DUIS_S1SP_COMMUNICATION, PIA_3_3, S1SR_4_2, SRPD_6_2_D
from duis.requests import ServiceRequest
from duis.schema import duis_schema
from duis.signature import verify
from duis.xml import parse
from fake_services.core.faults import Fault
from fake_services.core.store import RECORDS
from fake_services.sandbox import Sandbox
from support.control_client import ControlClient
from support.seeding import Installation
from tests.helpers import (
    Cast,
    another_client,
    assert_decided_by,
    ca_der,
    enable_mp107,
    enrol_cast,
    holder_of,
    krp_request,
    standard_installation,
)
from user_system.client import DUISClient, Exchange
from user_system.system import UserSystem

S1SP_TIMEOUT = 0.5
ACCEPTED = (SRPD_6_2_D, PIA_3_3, S1SR_4_2)
"""Eastern's correction under MP107: 6.2(d) at the DSP, PIA 3.3 and the owner check at the S1SP."""


WAIT = 15.0
"""A generous upper bound for waiting on something the sandbox does in the background (never asserted)."""


@dataclass
class Bench:
    sandbox: Sandbox
    control: ControlClient
    system: UserSystem
    cast: Cast

    @property
    def duis(self) -> DUISClient:
        return self.system.duis

    def fingerprint(self) -> str:
        return self.sandbox.store.fingerprint()

    def counters(self) -> dict[str, str]:
        return {r["originator"]: r["last_counter"] for r in self.sandbox.store.all("SELECT * FROM counters")}

    def state(self) -> dict[str, list[str]]:
        """What the fingerprint covers (every table but the records), table by table, but the counters."""
        tables = [r["name"] for r in self.sandbox.store.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            table: sorted(repr(tuple(row)) for row in self.sandbox.store.all(f"SELECT * FROM {table}"))  # noqa: S608
            for table in tables
            if table not in RECORDS and table != "counters"
        }

    def s1sp_answer(self, request: ServiceRequest) -> dict | None:
        row = self.sandbox.store.one(
            "SELECT accepted, reason FROM s1sp_answers WHERE request_id = ?", str(request.request_id)
        )
        return dict(row) if row else None


@pytest.fixture(scope="module")
def faulty() -> Iterator[Bench]:
    with Sandbox(s1sp_timeout=S1SP_TIMEOUT) as sandbox:
        control = ControlClient(sandbox.services["Control"].url)
        try:
            with UserSystem(sandbox.services["DSP"].url, control.smki()["dcc_signers"]) as system:
                yield Bench(sandbox, control, system, enrol_cast(control, system.receive_url))
        finally:
            control.close()


@pytest.fixture
def bench(faulty: Bench) -> Bench:
    faulty.control.reset()  # also heals every S1SP
    return faulty


def wrong_certificate(bench: Bench) -> Installation:
    """Eastern wrongly holds the Network Operator certificate Western (registered) should hold; MP107 on."""
    inst = standard_installation(bench.control, bench.cast, no_certificate_holder=bench.cast.eastern)
    enable_mp107(bench.control)
    return inst


def correction(bench: Bench, inst: Installation) -> Exchange:
    """Eastern places Western's certificates (with a new counter)."""
    cast = bench.cast
    return bench.duis.send(krp_request(bench.duis, bench.control, cast.eastern, inst.esme, cast.western), cast.eastern)


def eventually(check, what: str) -> None:
    """For what the sandbox does in the background and only shows by being looked at."""
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.01)


def assert_signed_duis(bench: Bench, exchange: Exchange) -> None:
    assert exchange.http_status == 200, exchange.reason
    root = parse(exchange.response_xml)
    schema = duis_schema()
    assert schema.validate(root), schema.error_log.last_error
    verify(root, bench.sandbox.dsp_signer.certificate.certificate)
    assert exchange.response.request_id == str(exchange.request.request_id)


def assert_routing_failure(bench: Bench, exchange: Exchange) -> None:
    """The DSP accepted the request (I99) and then gave up on the S1SP: the answer delivered to the User
    is a signed DUIS Response with E20 naming the communications-failure clause."""
    assert_signed_duis(bench, exchange)
    assert exchange.legs[-1].direction.startswith("DCC → User (Receive Response Service)"), exchange.legs
    assert exchange.legs[-1].verified.startswith("XSD valid"), exchange.legs[-1].verified
    assert exchange.response.response_code == "E20", exchange.reason
    assert exchange.response.body_kind == "ResponseMessage"
    assert not exchange.response.succeeded
    assert_decided_by(exchange, DUIS_S1SP_COMMUNICATION)


def assert_only_the_counter_used(bench: Bench, state: dict, counters: dict, exchange: Exchange) -> None:
    """An E20 changed nothing but the counter the DSP used up when it accepted the request."""
    assert bench.state() == state
    request = exchange.request
    assert bench.counters() == counters | {request.originator: str(request.request_id.counter)}


def assert_corrected(bench: Bench, exchange: Exchange, inst: Installation) -> None:
    assert_signed_duis(bench, exchange)
    assert exchange.response.succeeded, exchange.reason
    assert_decided_by(exchange, *ACCEPTED)
    for key_use in ("DS", "KA"):
        assert holder_of(bench.control, inst.esme, key_use=key_use) == bench.cast.western.entity_id


# --- an S1SP that fails: E20, nothing changed, and the correction succeeds once it heals ----------


@pytest.mark.parametrize(
    ("mode", "delay"),
    [("down", 0.0), ("garbage", 0.0), ("error", 0.0), ("slow", 2 * S1SP_TIMEOUT)],
    ids=["down", "garbage", "error-500", "slow-past-the-timeout"],
)
def test_an_s1sp_fault_is_answered_e20_changes_nothing_and_heals(bench: Bench, mode: str, delay: float) -> None:
    inst = wrong_certificate(bench)
    bench.control.set_s1sp_fault("S1SP1", mode, delay)
    state, anchors, counters = bench.state(), bench.control.trust_anchors(inst.esme), bench.counters()

    failed = correction(bench, inst)
    assert_routing_failure(bench, failed)
    if mode == "slow":
        # The DSP stopped waiting (its own timeout, not the S1SP's answer, decided the E20) ...
        assert "timed out" in failed.reason, failed.reason
        # ... and the S1SP, waking after the DSP gave up, answered past the DSP's deadline: it must not commit.
        eventually(lambda: bench.s1sp_answer(failed.request) is not None, "the slow S1SP's late answer")
        late = bench.s1sp_answer(failed.request)
        assert not late["accepted"] and "deadline" in late["reason"], late
    else:
        assert bench.s1sp_answer(failed.request) is None  # the faulty S1SP never did the work
    assert bench.control.trust_anchors(inst.esme) == anchors
    assert_only_the_counter_used(bench, state, counters, failed)
    assert [(e["service"], e["outcome"], e["response_code"], e["clause"]) for e in bench.control.log()] == [
        ("DSP T", "accepted", "I0", SRPD_6_2_D.display),
        ("DSP S", "accepted", "I99", SRPD_6_2_D.display),
        ("DSP route", "rejected", "E20", DUIS_S1SP_COMMUNICATION.display),
    ]

    bench.control.set_s1sp_fault("S1SP1", "none")
    assert_corrected(bench, correction(bench, inst), inst)


def test_an_s1sp_slow_within_the_timeout_still_corrects(bench: Bench) -> None:
    inst = wrong_certificate(bench)
    bench.control.set_s1sp_fault("S1SP1", "slow", S1SP_TIMEOUT / 5)
    exchange = correction(bench, inst)
    assert bench.sandbox.faults.current("S1SP1") == Fault("slow", S1SP_TIMEOUT / 5)  # it was slow throughout
    assert_corrected(bench, exchange, inst)


def test_an_s1sp_whose_service_is_stopped_is_answered_e20_and_corrects_after_restart(bench: Bench) -> None:
    inst = wrong_certificate(bench)
    service = bench.sandbox.services["S1SP1"]
    port = int(service.url.rsplit(":", 1)[1])
    state, anchors, counters = bench.state(), bench.control.trust_anchors(inst.esme), bench.counters()
    service.stop()
    try:
        failed = correction(bench, inst)
        assert_routing_failure(bench, failed)
        assert "S1SP1" in failed.reason
        assert bench.control.trust_anchors(inst.esme) == anchors
        assert_only_the_counter_used(bench, state, counters, failed)
    finally:
        service.start("127.0.0.1", port)
    assert_corrected(bench, correction(bench, inst), inst)


def assert_replay_refused(bench: Bench, request: ServiceRequest, body: bytes, path: str) -> None:
    """The same bytes again: refused by anti-replay, at once, changing nothing."""
    before = bench.fingerprint()
    replayed = bench.duis.post(request, body, path)
    assert_signed_duis(bench, replayed)
    assert not replayed.response.succeeded
    assert replayed.response.response_code == "E100", replayed.reason
    assert_decided_by(replayed, DUIS_ANTI_REPLAY)
    assert bench.fingerprint() == before


def test_a_request_answered_e20_cannot_be_resent_as_is_but_a_new_one_is_applied_once(bench: Bench) -> None:
    """The DSP used up the counter when it accepted the request (I99), before the S1SP failed: the
    identical request resent once the S1SP is back is refused by anti-replay (at the Transform, and its
    CV 5 at Send Command); the same correction as a new request (a fresh counter) is applied, once."""
    inst = wrong_certificate(bench)
    cast = bench.cast
    request = krp_request(bench.duis, bench.control, cast.eastern, inst.esme, cast.western)
    bench.control.set_s1sp_fault("S1SP1", "down")
    failed = bench.duis.send(request, cast.eastern)
    assert_routing_failure(bench, failed)
    bench.control.set_s1sp_fault("S1SP1", "none")

    cv4, cv5 = (leg for leg in failed.legs if leg.path is not None)
    assert_replay_refused(bench, request, cv4.xml, cv4.path)
    assert_replay_refused(bench, request, cv5.xml, cv5.path)
    assert holder_of(bench.control, inst.esme) == cast.eastern.entity_id

    corrected = correction(bench, inst)
    assert_corrected(bench, corrected, inst)
    assert_replay_refused(bench, corrected.request, corrected.last_sent.xml, corrected.last_sent.path)


def test_a_resent_identical_request_is_not_applied_twice(bench: Bench) -> None:
    inst = wrong_certificate(bench)
    cast = bench.cast
    request = krp_request(bench.duis, bench.control, cast.eastern, inst.esme, cast.western)
    exchange = bench.duis.send(request, cast.eastern)
    assert_corrected(bench, exchange, inst)

    assert_replay_refused(bench, request, exchange.last_sent.xml, exchange.last_sent.path)  # the CV 5 again
    assert [(e["service"], e["outcome"]) for e in bench.control.log()] == [
        ("DSP T", "accepted"),
        ("DSP S", "accepted"),
        ("DSP route", "accepted"),
        ("DSP S", "rejected"),
    ]


# --- concurrent corrections of one meter ------------------------------------------------------------

THREADS = 8
ROUNDS = 4


def test_concurrent_corrections_of_one_meter_never_mix_or_lose_an_update(bench: Bench) -> None:
    """Eight Users' systems race: each reads who holds the certificate and sends that holder's 6.15.1
    (its own counter) placing Western's or Northern's certificates, alternately. Replaying the
    accepted requests in the DSP's log order from the first holder must give the final state: every
    accepted request came from the holder of the moment, DS and KA always agree, nothing was lost."""
    cast = bench.cast
    inst = standard_installation(bench.control, cast)  # Western registered and holding
    enable_mp107(bench.control)  # so Northern (an Electricity Distributor too) passes SRPD 6.1(f)
    parties = {o.entity_id: o for o in (cast.western, cast.northern)}
    replacement_of: dict[str, str] = {}
    outcomes: list[tuple[str, int, bool]] = []
    torn: list[list[dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS + 1)
    stop_reading = threading.Event()
    path = (ca_der(bench.control),)

    def user(index: int) -> None:
        client = another_client(bench.system)  # one counter source per originator, shared safely
        control = ControlClient(bench.control.base_url)
        replacement = (cast.western, cast.northern)[index % 2]
        try:
            start.wait()
            for _ in range(ROUNDS):
                sender = parties[holder_of(control, inst.esme)]
                request = krp_request(client, control, sender, inst.esme, replacement, certification_path=path)
                with lock:
                    replacement_of[str(request.request_id)] = replacement.entity_id
                exchange = client.send(request, sender)
                with lock:
                    ok = exchange.response is not None and exchange.response.succeeded
                    outcomes.append((str(request.request_id), exchange.http_status, ok))
        finally:
            client.close()
            control.close()

    def reader() -> None:
        control = ControlClient(bench.control.base_url)
        try:
            while not stop_reading.is_set():
                anchors = [a for a in control.trust_anchors(inst.esme) if a["role"] == "NetworkOperator"]
                if len({a["entity_id"] for a in anchors}) != 1:
                    torn.append(anchors)
        finally:
            control.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(THREADS)]
    watcher = threading.Thread(target=reader)
    for t in [*threads, watcher]:
        t.start()
    start.wait()
    for t in threads:
        t.join(timeout=60)
    stop_reading.set()
    watcher.join(timeout=10)

    assert len(outcomes) == THREADS * ROUNDS
    assert all(status == 200 for _, status, _ in outcomes), outcomes
    assert torn == []
    accepted_log = [  # the commands applied, in the DSP's routing order
        e
        for e in bench.control.log()
        if e["srv"] == "6.15.1" and e["service"] == "DSP route" and e["outcome"] == "accepted"
    ]
    successes = [rid for rid, _, ok in outcomes if ok]
    assert len(successes) == len(accepted_log) >= 1
    assert sorted(successes) == sorted(e["request_id"] for e in accepted_log)
    holder = cast.western.entity_id
    for entry in accepted_log:  # the DSP's order
        assert entry["sender"] == holder, "an accepted correction did not come from the holder of the moment"
        holder = replacement_of[entry["request_id"]]
    for key_use in ("DS", "KA"):
        assert holder_of(bench.control, inst.esme, key_use=key_use) == holder
