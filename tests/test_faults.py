"""Faults (issue 5): an S1SP that is down, stopped, slow, answering garbage or failing never leaves a
change half-applied, and the same correction succeeds once it heals; a resent request is applied
once; concurrent corrections of one meter never mix or lose an update.

Runs its own sandbox whose DSP waits 0.5 s for an S1SP (the session sandbox waits 10 s), so a slow
S1SP is cheap to show."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from catalogue import DUIS_ANTI_REPLAY, DUIS_S1SP_COMMUNICATION, PIA_3_3, S1SR_4_2, SRPD_6_2_D
from duis.schema import duis_schema
from duis.signature import verify
from duis.xml import parse
from fake_services.sandbox import Sandbox
from support.control_client import ControlClient
from support.duis_client import DUISClient, Exchange
from support.seeding import Installation
from tests.helpers import (
    Cast,
    assert_decided_by,
    ca_der,
    enable_mp107,
    enrol_cast,
    holder_of,
    krp_request,
    standard_installation,
)

S1SP_TIMEOUT = 0.5
ACCEPTED = (SRPD_6_2_D, PIA_3_3, S1SR_4_2)
"""Eastern's correction under MP107: 6.2(d) at the DSP, PIA 3.3 and the owner check at the S1SP."""


@dataclass
class Bench:
    sandbox: Sandbox
    control: ControlClient
    duis: DUISClient
    cast: Cast

    def fingerprint(self) -> str:
        return self.sandbox.store.fingerprint()

    def counters(self) -> dict[str, str]:
        return {r["originator"]: r["last_counter"] for r in self.sandbox.store.all("SELECT * FROM counters")}


@pytest.fixture(scope="module")
def faulty() -> Iterator[Bench]:
    with Sandbox(s1sp_timeout=S1SP_TIMEOUT) as sandbox:
        control = ControlClient(sandbox.services["Control"].url)
        duis = DUISClient(sandbox.services["DSP"].url)
        try:
            yield Bench(sandbox, control, duis, enrol_cast(control))
        finally:
            control.close()
            duis.close()


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
    return bench.duis.send(
        krp_request(bench.duis, bench.control, cast.eastern, inst.esme, cast.western), cast.eastern.identity
    )


def assert_signed_duis(bench: Bench, exchange: Exchange) -> None:
    assert exchange.http_status == 200, exchange.reason
    root = parse(exchange.response_xml)
    schema = duis_schema()
    assert schema.validate(root), schema.error_log.last_error
    verify(root, bench.sandbox.dsp_signer.certificate.certificate)
    assert exchange.response.request_id == str(exchange.request.request_id)


def assert_routing_failure(bench: Bench, exchange: Exchange) -> None:
    """The DSP gave up on the S1SP: a signed DUIS Response with E20 naming the communications-failure clause."""
    assert_signed_duis(bench, exchange)
    assert exchange.response.response_code == "E20", exchange.reason
    assert exchange.response.body_kind == "ResponseMessage"
    assert not exchange.response.succeeded
    assert_decided_by(exchange, DUIS_S1SP_COMMUNICATION)


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
    before, anchors, counters = bench.fingerprint(), bench.control.trust_anchors(inst.esme), bench.counters()

    sent_at = time.monotonic()
    failed = correction(bench, inst)
    assert_routing_failure(bench, failed)
    assert time.monotonic() - sent_at < 2 * S1SP_TIMEOUT  # the DSP did not wait for the slow S1SP
    if mode == "slow":
        # The S1SP wakes after the DSP gave up; past the DSP's deadline it must not commit.
        time.sleep(max(0.0, sent_at + 3 * S1SP_TIMEOUT - time.monotonic()))
    assert bench.control.trust_anchors(inst.esme) == anchors
    assert bench.counters() == counters
    assert bench.fingerprint() == before
    [entry] = bench.control.log()
    assert (entry["outcome"], entry["response_code"], entry["clause"]) == (
        "rejected",
        "E20",
        DUIS_S1SP_COMMUNICATION.display,
    )

    bench.control.set_s1sp_fault("S1SP1", "none")
    assert_corrected(bench, correction(bench, inst), inst)


def test_an_s1sp_slow_within_the_timeout_still_corrects(bench: Bench) -> None:
    inst = wrong_certificate(bench)
    bench.control.set_s1sp_fault("S1SP1", "slow", S1SP_TIMEOUT / 5)
    started = time.monotonic()
    exchange = correction(bench, inst)
    assert time.monotonic() - started >= S1SP_TIMEOUT / 5
    assert_corrected(bench, exchange, inst)


def test_an_s1sp_whose_service_is_stopped_is_answered_e20_and_corrects_after_restart(bench: Bench) -> None:
    inst = wrong_certificate(bench)
    service = bench.sandbox.services["S1SP1"]
    port = int(service.url.rsplit(":", 1)[1])
    before, anchors, counters = bench.fingerprint(), bench.control.trust_anchors(inst.esme), bench.counters()
    service.stop()
    try:
        failed = correction(bench, inst)
        assert_routing_failure(bench, failed)
        assert "S1SP1" in failed.reason
        assert bench.control.trust_anchors(inst.esme) == anchors
        assert bench.counters() == counters
        assert bench.fingerprint() == before
    finally:
        service.start("127.0.0.1", port)
    assert_corrected(bench, correction(bench, inst), inst)


def test_a_request_answered_e20_can_be_resent_as_is_and_is_applied_once(bench: Bench) -> None:
    """E20 consumes no counter, so the identical bytes may be retried once the S1SP is back; the
    retry is applied, and a second retry is refused by anti-replay without changing anything."""
    inst = wrong_certificate(bench)
    cast = bench.cast
    request = krp_request(bench.duis, bench.control, cast.eastern, inst.esme, cast.western)
    body = bench.duis.sign(request, cast.eastern.identity)
    bench.control.set_s1sp_fault("S1SP1", "down")
    assert_routing_failure(bench, bench.duis.post(request, body))
    bench.control.set_s1sp_fault("S1SP1", "none")

    assert_corrected(bench, bench.duis.post(request, body), inst)
    after = bench.fingerprint()
    replayed = bench.duis.post(request, body)
    assert_signed_duis(bench, replayed)
    assert replayed.response.response_code == "E100", replayed.reason
    assert_decided_by(replayed, DUIS_ANTI_REPLAY)
    assert bench.fingerprint() == after


def test_a_resent_identical_request_is_not_applied_twice(bench: Bench) -> None:
    inst = wrong_certificate(bench)
    cast = bench.cast
    request = krp_request(bench.duis, bench.control, cast.eastern, inst.esme, cast.western)
    body = bench.duis.sign(request, cast.eastern.identity)
    assert_corrected(bench, bench.duis.post(request, body), inst)
    after = bench.fingerprint()

    again = bench.duis.post(request, body)
    assert_signed_duis(bench, again)
    assert not again.response.succeeded
    assert again.response.response_code == "E100", again.reason
    assert_decided_by(again, DUIS_ANTI_REPLAY)
    assert bench.fingerprint() == after
    assert [e["outcome"] for e in bench.control.log()] == ["accepted", "rejected"]


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
        client = DUISClient(bench.duis.dsp_url)
        client.counters = bench.duis.counters  # one counter source per originator, shared safely
        control = ControlClient(bench.control.base_url)
        replacement = (cast.western, cast.northern)[index % 2]
        try:
            start.wait()
            for _ in range(ROUNDS):
                sender = parties[holder_of(control, inst.esme)]
                request = krp_request(client, control, sender, inst.esme, replacement, certification_path=path)
                with lock:
                    replacement_of[str(request.request_id)] = replacement.entity_id
                exchange = client.send(request, sender.identity)
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
    accepted_log = [e for e in bench.control.log() if e["srv"] == "6.15.1" and e["outcome"] == "accepted"]
    successes = [rid for rid, _, ok in outcomes if ok]
    assert len(successes) == len(accepted_log) >= 1
    assert sorted(successes) == sorted(e["request_id"] for e in accepted_log)
    holder = cast.western.entity_id
    for entry in accepted_log:  # the DSP's order
        assert entry["sender"] == holder, "an accepted correction did not come from the holder of the moment"
        holder = replacement_of[entry["request_id"]]
    for key_use in ("DS", "KA"):
        assert holder_of(bench.control, inst.esme, key_use=key_use) == holder
