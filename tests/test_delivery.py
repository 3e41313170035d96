"""The DSP's asynchronous delivery to each User's Receive Response Service, and the suite's receiver.

Outcomes and order only, never durations: a User's system that is down, slow, flaky or refusing gets
every message once, signed by the DSP, in the order it was queued, and nobody else waits for it."""

from __future__ import annotations

import hashlib
import http
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from duis.requests import RequestID
from duis.responses import response_message
from duis.signature import verify
from duis.srv import SERVICE_REQUEST_VARIANTS
from duis.xml import parse, to_bytes
from fake_services.control.urls import delivery_routes
from fake_services.core.signer import ServiceSigner
from fake_services.core.store import Store
from fake_services.delivery.models import Deliveries, ReceiveAddresses
from serving.server import Service
from serving.web import App
from smki.authority import TestSMKI as Authority  # not named Test*: pytest would try to collect it
from tests.helpers import dcc_signer
from user_system.receiver import Receiver

NETWORK_OPERATOR = "90-B3-D5-1F-30-02-00-00"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
DEVICE = "00-DB-12-34-56-78-90-A0"
SRV = SERVICE_REQUEST_VARIANTS["4.1.1"]
FAST = {"retry_initial": 0.05, "retry_max": 0.2, "timeout": 5.0, "max_attempts": 1000}
"""Quick retries, and enough of them that a test's User system can be down "for a while"."""
WAIT = 15.0
"""Generous upper bounds for waits that normally end in milliseconds (never asserted)."""


# -- helpers -----------------------------------------------------------------------------------------


def trusting(signer: ServiceSigner) -> Callable[[etree._Element], None]:
    """What the suite gives its receiver: the signature must verify with this DSP's certificate."""
    return lambda root: verify(root, signer.certificate.certificate)


def request_id(user: str, counter: int) -> str:
    return str(RequestID(user, DEVICE, counter))


def queue(deliveries: Deliveries, user: str, counters: Iterable[int], **kwargs: Any) -> list[str]:
    """Enqueue one I0 response per counter for `user`; returns their RequestIDs in order."""
    ids = []
    for counter in counters:
        rid = RequestID(user, DEVICE, counter)
        deliveries.enqueue(user, response_message(rid, "I0", SRV), str(rid), "response", **kwargs)
        ids.append(str(rid))
    return ids


def arrived(receiver: Receiver) -> list[str | None]:
    return [r.response.request_id for r in receiver.arrivals()]


def eventually(check: Callable[[], bool], timeout: float = WAIT) -> None:
    """For state only visible by looking (e.g. a retry count in the queue)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gate:
    """A User's system in front of the receiver that answers instead of it when `answer(call number)`
    says a status (None: pass the call on). Counts every call it gets."""

    def __init__(self, inner: Callable[..., Iterable[bytes]], answer: Callable[[int], int | None]) -> None:
        self.inner = inner
        self.answer = answer
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            number = self.calls
            self.calls += 1
        status = self.answer(number)
        if status is None:
            return self.inner(environ, start_response)
        start_response(f"{status} {http.HTTPStatus(status).phrase}", [("Content-Type", "text/plain")])
        return [b"the gate says no\n"]


@pytest.fixture
def served() -> Iterator[Callable[[Any], str]]:
    """Serve a WSGI app on a free loopback port for the test; returns its base URL."""
    services: list[Service] = []

    def serve(app: Any) -> str:
        service = Service("test", app)
        services.append(service)
        return service.start()

    yield serve
    for service in services:
        service.stop()


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smki() -> Authority:
    return Authority()


@pytest.fixture(scope="module")
def dsp(smki: Authority) -> ServiceSigner:
    return dcc_signer(smki, "90-B3-D5-1F-30-00-00-02", "DSP")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(":memory:")
    yield store
    store.close()


@pytest.fixture
def deliveries(store: Store, dsp: ServiceSigner) -> Iterator[Deliveries]:
    deliveries = Deliveries(store, dsp, **FAST)
    deliveries.start()
    yield deliveries
    deliveries.close()


@pytest.fixture
def receiver(dsp: ServiceSigner) -> Iterator[Receiver]:
    with Receiver(trust=trusting(dsp)) as receiver:
        yield receiver


@pytest.fixture
def addresses(store: Store) -> ReceiveAddresses:
    return ReceiveAddresses(store)


# -- delivery ----------------------------------------------------------------------------------------


def test_a_message_is_delivered_once_signed_by_the_dsp_and_acknowledged_204(
    deliveries: Deliveries, addresses: ReceiveAddresses, receiver: Receiver, dsp: ServiceSigner
) -> None:
    addresses.set(NETWORK_OPERATOR, receiver.url)
    (rid,) = queue(deliveries, NETWORK_OPERATOR, [1])

    got = receiver.wait_for(rid, timeout=WAIT)
    assert deliveries.wait_idle(WAIT)

    verify(got.root, dsp.certificate.certificate)  # the receiver's trust check passed; checked again here
    assert got.response.response_code == "I0" and got.response.request_id == rid
    (entry,) = deliveries.delivered(NETWORK_OPERATOR)
    assert (entry["request_id"], entry["state"], entry["attempts"], entry["http_status"]) == (rid, "delivered", 1, 204)
    assert entry["delivered_at"] and entry["last_error"] is None
    assert deliveries.message(entry["id"]) == got.raw
    assert len(receiver.received(rid)) == 1 and receiver.duplicates == 0 and receiver.refused() == []


def test_a_user_system_answering_503_for_a_while_gets_every_message_once_in_order(
    deliveries: Deliveries, addresses: ReceiveAddresses, receiver: Receiver, served: Callable[[Any], str]
) -> None:
    gate = Gate(receiver.app, lambda n: 503 if n < 4 else None)
    addresses.set(NETWORK_OPERATOR, served(gate) + receiver.path)
    ids = queue(deliveries, NETWORK_OPERATOR, range(1, 6))

    assert deliveries.wait_idle(WAIT)

    assert arrived(receiver) == ids
    assert receiver.duplicates == 0
    assert gate.calls == 4 + len(ids)
    first = deliveries.delivered()[0]
    assert first["attempts"] == 5 and "503" in first["last_error"]


def test_a_user_system_not_yet_listening_gets_every_message_once_in_order_when_it_starts(
    deliveries: Deliveries, addresses: ReceiveAddresses, dsp: ServiceSigner
) -> None:
    port = free_port()
    late = Receiver(port=port, trust=trusting(dsp))
    addresses.set(NETWORK_OPERATOR, f"http://127.0.0.1:{port}{late.path}")
    ids = queue(deliveries, NETWORK_OPERATOR, range(1, 4))
    eventually(lambda: deliveries.pending()[0]["attempts"] >= 2)
    head = deliveries.pending()[0]
    assert head["request_id"] == ids[0] and "ConnectionError" in head["last_error"]
    assert all(later["attempts"] == 0 for later in deliveries.pending()[1:])  # they wait their turn

    with late:
        assert deliveries.wait_idle(WAIT)
        assert arrived(late) == ids and late.duplicates == 0


def test_a_400_from_the_user_marks_the_message_refused_and_it_is_never_sent_again(
    deliveries: Deliveries, addresses: ReceiveAddresses, smki: Authority
) -> None:
    impostor = dcc_signer(smki, "90-B3-D5-1F-30-00-00-09", "not the DSP")
    with Receiver(trust=trusting(impostor)) as suspicious:
        addresses.set(NETWORK_OPERATOR, suspicious.url)
        ids = queue(deliveries, NETWORK_OPERATOR, [1, 2])
        assert deliveries.wait_idle(WAIT)

        refused = deliveries.refused(NETWORK_OPERATOR)
        assert [r["request_id"] for r in refused] == ids  # a refusal does not hold up the next message
        assert all(r["attempts"] == 1 and r["http_status"] == 400 for r in refused)
        assert refused[0]["outcome"].startswith("refused by the User's system on attempt 1 (HTTP 400)")
        assert "signature" in refused[0]["response_body"] and "HTTP 400" in refused[0]["last_error"]
        assert len(suspicious.refused()) == 2  # one POST each: no retry
        assert suspicious.arrivals() == [] and deliveries.pending() == []


def test_a_restart_mid_queue_loses_nothing_and_delivers_nothing_twice(
    tmp_path: Path, dsp: ServiceSigner, receiver: Receiver, served: Callable[[Any], str]
) -> None:
    database = str(tmp_path / "sandbox.db")
    user_down = threading.Event()
    user_down.set()
    gate = Gate(receiver.app, lambda n: 503 if n >= 2 and user_down.is_set() else None)
    first_store = Store(database)
    ReceiveAddresses(first_store).set(NETWORK_OPERATOR, served(gate) + receiver.path)
    first = Deliveries(first_store, dsp, **FAST)
    first.start()
    ids = queue(first, NETWORK_OPERATOR, range(1, 6))
    receiver.wait_for(ids[1], timeout=WAIT)
    first.close()  # stopped with three messages still queued
    assert [d["request_id"] for d in first.delivered()] == ids[:2]
    assert [d["request_id"] for d in first.pending()] == ids[2:]
    first_store.close()

    user_down.clear()
    second_store = Store(database)
    second = Deliveries(second_store, dsp, **FAST)
    second.start()
    try:
        assert second.wait_idle(WAIT)
        assert [d["request_id"] for d in second.delivered()] == ids
    finally:
        second.close()
        second_store.close()
    assert arrived(receiver) == ids
    assert all(len(receiver.received(rid)) == 1 for rid in ids) and receiver.duplicates == 0


def test_a_user_whose_system_hangs_does_not_hold_up_another_user(
    deliveries: Deliveries, addresses: ReceiveAddresses, receiver: Receiver, served: Callable[[Any], str]
) -> None:
    released = threading.Event()

    def hang_first_call(n: int) -> int | None:
        if n == 0:
            released.wait(WAIT)
            return 503
        return None

    addresses.set(NETWORK_OPERATOR, served(Gate(receiver.app, hang_first_call)) + receiver.path)
    addresses.set(SUPPLIER, receiver.url)
    stuck = queue(deliveries, NETWORK_OPERATOR, [1])
    flowing = queue(deliveries, SUPPLIER, [1])
    stuck += queue(deliveries, NETWORK_OPERATOR, [2])
    flowing += queue(deliveries, SUPPLIER, [2])
    try:
        for rid in flowing:
            receiver.wait_for(rid, timeout=WAIT)
        assert [d["request_id"] for d in deliveries.pending(NETWORK_OPERATOR)] == stuck
    finally:
        released.set()
    assert deliveries.wait_idle(WAIT)
    assert arrived(receiver) == flowing + stuck


def test_a_scenario_reset_during_a_post_clears_the_queue_and_brings_nothing_back(
    store: Store, deliveries: Deliveries, addresses: ReceiveAddresses, receiver: Receiver, served: Callable[[Any], str]
) -> None:
    entered, released = threading.Event(), threading.Event()

    def hold_first_call(n: int) -> None:
        if n == 0:
            entered.set()
            released.wait(WAIT)

    addresses.set(NETWORK_OPERATOR, served(Gate(receiver.app, hold_first_call)) + receiver.path)
    (old,) = queue(deliveries, NETWORK_OPERATOR, [1])
    assert entered.wait(WAIT)
    store.reset_scenario()
    released.set()  # the POST in flight now succeeds: its row is gone and must stay gone
    (new,) = queue(deliveries, NETWORK_OPERATOR, [2])

    receiver.wait_for(new, timeout=WAIT)
    assert deliveries.wait_idle(WAIT)
    assert [d["request_id"] for d in deliveries.all()] == [new]
    assert addresses.get(NETWORK_OPERATOR) is not None  # the User's configuration outlives the reset


def test_an_enqueue_inside_a_rolled_back_transaction_sends_nothing(
    store: Store, deliveries: Deliveries, addresses: ReceiveAddresses, receiver: Receiver
) -> None:
    addresses.set(NETWORK_OPERATOR, receiver.url)
    with pytest.raises(RuntimeError), store.transaction() as db:
        queue(deliveries, NETWORK_OPERATOR, [1], db=db)
        raise RuntimeError("the change is refused")
    (kept,) = queue(deliveries, NETWORK_OPERATOR, [2])

    receiver.wait_for(kept, timeout=WAIT)
    assert deliveries.wait_idle(WAIT)
    assert arrived(receiver) == [kept] and [d["request_id"] for d in deliveries.all()] == [kept]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("192.168.0.5:1880/smartdcc/duis", "absolute http"),
        ("ftp://host/duis", "absolute http"),
        ("/smartdcc/duis", "absolute http"),
        ("http:///smartdcc/duis", "names no host"),
        ("http://host:99999/duis", "invalid port"),
        ("http://host/duis with space", "white space"),
        ("http://user:secret@host/duis", "credentials"),
    ],
)
def test_a_receive_address_must_be_an_absolute_http_url(addresses: ReceiveAddresses, url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        addresses.set(NETWORK_OPERATOR, url)
    assert addresses.all() == {}


def test_a_user_system_answering_503_for_ever_gets_the_message_given_up_and_the_next_one_goes_on(
    store: Store, dsp: ServiceSigner, addresses: ReceiveAddresses, receiver: Receiver, served: Callable[[Any], str]
) -> None:
    gate = Gate(receiver.app, lambda n: 503 if n < 3 else None)
    addresses.set(NETWORK_OPERATOR, served(gate) + receiver.path)
    deliveries = Deliveries(store, dsp, **{**FAST, "max_attempts": 3})
    deliveries.start()
    try:
        ids = queue(deliveries, NETWORK_OPERATOR, [1, 2])
        assert deliveries.wait_idle(WAIT)
        (given_up,) = deliveries.given_up(NETWORK_OPERATOR)
    finally:
        deliveries.close()
    assert (given_up["request_id"], given_up["state"], given_up["attempts"]) == (ids[0], "given_up", 3)
    assert "503" in given_up["last_error"] and given_up["next_attempt_at"] is None
    assert given_up["outcome"].startswith("given up after 3 attempts")
    assert gate.calls == 3 + 1  # never sent again; the next message was not held up by it
    assert arrived(receiver) == ids[1:]


def test_a_message_undelivered_for_longer_than_its_maximum_age_is_given_up(
    store: Store, dsp: ServiceSigner, addresses: ReceiveAddresses
) -> None:
    addresses.set(NETWORK_OPERATOR, f"http://127.0.0.1:{free_port()}/smartdcc/duis")  # nothing listens
    deliveries = Deliveries(store, dsp, **{**FAST, "max_age": 0.3})
    deliveries.start()
    try:
        queue(deliveries, NETWORK_OPERATOR, [1])
        assert deliveries.wait_idle(WAIT)
        (given_up,) = deliveries.given_up()
    finally:
        deliveries.close()
    assert given_up["attempts"] >= 1 and "ConnectionError" in given_up["last_error"]
    assert "0.3 s" in given_up["outcome"]


def test_backoff_doubles_from_the_initial_delay_up_to_the_maximum(store: Store, dsp: ServiceSigner) -> None:
    backoff = Deliveries(store, dsp, retry_initial=0.2, retry_max=30.0).backoff
    assert [backoff(n) for n in (1, 2, 3, 4, 8, 9, 1000)] == [0.2, 0.4, 0.8, 1.6, 25.6, 30.0, 30.0]


# -- the Control API ---------------------------------------------------------------------------------


def test_control_api_sets_an_address_and_shows_the_queue(
    deliveries: Deliveries,
    addresses: ReceiveAddresses,
    receiver: Receiver,
    dsp: ServiceSigner,
    served: Callable[[Any], str],
) -> None:
    control = served(App(delivery_routes(addresses, deliveries)))
    address = f"{control}/users/{NETWORK_OPERATOR}/receive-response-service"
    (rid,) = queue(deliveries, NETWORK_OPERATOR, [1])  # before the User has said where to deliver
    eventually(lambda: deliveries.pending()[0]["attempts"] >= 1)
    assert "no Receive Response Service address" in deliveries.pending()[0]["last_error"]

    with requests.Session() as http_client:
        bad = http_client.put(address, json={"url": "192.168.0.5:1880/smartdcc/duis"})
        assert bad.status_code == 400 and "http" in bad.text
        nobody = http_client.put(f"{control}/users/nobody/receive-response-service", json={"url": "http://x/"})
        assert nobody.status_code == 400
        assert http_client.get(address).status_code == 404
        assert http_client.put(address, json={"url": f"http://127.0.0.1:{free_port()}/elsewhere"}).status_code == 201
        replaced = http_client.put(address, json={"url": receiver.url})
        assert replaced.status_code == 200 and replaced.json() == {"user_id": NETWORK_OPERATOR, "url": receiver.url}
        assert http_client.get(address.lower()).json()["url"] == receiver.url

        receiver.wait_for(rid, timeout=WAIT)
        assert deliveries.wait_idle(WAIT)
        listed = http_client.get(f"{control}/deliveries", params={"user": NETWORK_OPERATOR, "state": "delivered"})
        assert listed.status_code == 200
        (entry,) = listed.json()
        assert (entry["request_id"], entry["kind"], entry["state"]) == (rid, "response", "delivered")
        assert http_client.get(f"{control}/deliveries", params={"state": "pending"}).json() == []
        assert http_client.get(f"{control}/deliveries", params={"state": "lost"}).status_code == 400

        message = http_client.get(f"{control}/deliveries/{entry['id']}")
        assert message.status_code == 200 and message.headers["Content-Type"].startswith("application/xml")
        verify(parse(message.content), dsp.certificate.certificate)
        assert http_client.get(f"{control}/deliveries/{entry['id'] + 1}").status_code == 404


def test_control_api_shows_each_deliverys_attempts_and_outcome_and_the_retry_policy(
    store: Store, dsp: ServiceSigner, addresses: ReceiveAddresses, receiver: Receiver, served: Callable[[Any], str]
) -> None:
    deliveries = Deliveries(store, dsp, **{**FAST, "max_attempts": 2})
    control = served(App(delivery_routes(addresses, deliveries)))
    addresses.set(NETWORK_OPERATOR, served(Gate(receiver.app, lambda n: 503)) + receiver.path)
    addresses.set(SUPPLIER, receiver.url)
    deliveries.start()
    try:
        (down,) = queue(deliveries, NETWORK_OPERATOR, [1])
        (up,) = queue(deliveries, SUPPLIER, [1])
        assert deliveries.wait_idle(WAIT)
    finally:
        deliveries.close()

    with requests.Session() as http_client:
        listed = {d["request_id"]: d for d in http_client.get(f"{control}/deliveries").json()}
        assert listed[up]["state"] == "delivered" and listed[up]["outcome"] == "delivered on attempt 1 (HTTP 204)"
        assert listed[down]["state"] == "given_up" and listed[down]["attempts"] == 2
        assert listed[down]["outcome"].startswith("given up after 2 attempts") and "503" in listed[down]["outcome"]
        only = http_client.get(f"{control}/deliveries", params={"state": "given_up"}).json()
        assert [d["request_id"] for d in only] == [down]
        policy = http_client.get(f"{control}/deliveries/policy").json()
    assert policy["max_attempts"] == 2 and policy["retried_4xx"] == [408, 429]
    assert policy["retry_initial_seconds"] == FAST["retry_initial"] and policy["retry_max_seconds"] == FAST["retry_max"]
    assert policy["max_age_seconds"] > 0 and "given up" in policy["rule"]


# -- the receiver ------------------------------------------------------------------------------------


def signed(dsp: ServiceSigner, rid: RequestID | None) -> bytes:
    return to_bytes(dsp.sign(response_message(rid, "I0", SRV)))


def post(receiver: Receiver, body: bytes, content_type: str = "application/xml") -> requests.Response:
    return requests.post(receiver.url, data=body, headers={"Content-Type": content_type}, timeout=WAIT)


def test_the_receiver_refuses_what_dccs_client_would_refuse(
    receiver: Receiver, dsp: ServiceSigner, smki: Authority
) -> None:
    good = signed(dsp, RequestID(NETWORK_OPERATOR, DEVICE, 1))
    unsigned = to_bytes(response_message(RequestID(NETWORK_OPERATOR, DEVICE, 2), "I0", SRV))
    forged = signed(dcc_signer(smki, "90-B3-D5-1F-30-00-00-09", "forger"), RequestID(NETWORK_OPERATOR, DEVICE, 3))
    invalid = good.replace(b"<sr:ResponseCode>I0<", b"<sr:ResponseCode>I12345<")

    assert post(receiver, good, "text/plain").status_code == 415
    cases = [
        (b"not xml", "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', "DOCTYPE"),
        (invalid, "DUIS schema"),
        (unsigned, "not signed"),
        (forged, "does not verify"),
    ]
    for body, reason in cases:
        answer = post(receiver, body)
        assert answer.status_code == 400 and reason in answer.text, (reason, answer.text)
        assert "\n" not in answer.text.strip()
    digests = [hashlib.sha256(body).hexdigest() for body in [good] + [body for body, _ in cases]]
    assert [r.sha256 for r in receiver.refused()] == digests
    assert [r.status for r in receiver.refused()] == [415] + [400] * len(cases)
    assert receiver.arrivals() == []


def test_the_receiver_keeps_messages_by_request_id_counts_duplicates_and_waits(
    receiver: Receiver, dsp: ServiceSigner
) -> None:
    rid = RequestID(NETWORK_OPERATOR, DEVICE, 7)
    body = signed(dsp, rid)
    alert = signed(dsp, None)

    assert post(receiver, body).status_code == 204
    again = post(receiver, body)
    assert again.status_code == 204 and again.content == b""
    assert post(receiver, alert).status_code == 204

    assert [r.raw for r in receiver.received(str(rid).lower())] == [body]
    assert receiver.duplicates == 1
    assert [r.raw for r in receiver.unsolicited()] == [alert]
    assert receiver.wait_for(str(rid), lambda r: r.response.response_code == "I0").raw == body
    with pytest.raises(TimeoutError, match=f"{rid}.*I0 ResponseMessage"):
        receiver.wait_for(str(rid), lambda r: r.response.response_code == "E4", timeout=0.05)

    receiver.clear()
    assert receiver.received(str(rid)) == [] and receiver.duplicates == 0 and receiver.unsolicited() == []


def test_the_receiver_wakes_a_waiter_when_the_message_arrives(receiver: Receiver, dsp: ServiceSigner) -> None:
    rid = RequestID(SUPPLIER, DEVICE, 9)
    later = threading.Thread(target=post, args=(receiver, signed(dsp, rid)))
    later.start()
    try:
        assert receiver.wait_for(str(rid), timeout=WAIT).response.request_id == str(rid)
    finally:
        later.join()


def test_the_receiver_can_name_a_public_url_other_than_where_it_listens() -> None:
    receiver = Receiver(public_url="http://receiver.example:1880/smartdcc/duis")
    assert receiver.url == "http://receiver.example:1880/smartdcc/duis"
