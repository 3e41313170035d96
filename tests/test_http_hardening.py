"""The issue-8 probes of the fakes' HTTP layer: one test (or one parametrised test) per row of the issue's table.

Each test asserts what the issue EXPECTS, not what the hand-written `http.server` does today, so many of
them fail until every fake is served by waitress + werkzeug (outside-in: the tests come first).

No test asserts a wall-clock duration. "At once" / "nothing read" means the answer arrived while the rest
of the body was still unsent; "in parallel" means one answer arrived before another one finished. Raw
sockets (`socket.create_connection`, always with a timeout) carry the malformed HTTP, so no probe can hang
the run: a timeout is a failure.
"""

from __future__ import annotations

import select
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
import requests

from duis.requests import ServiceRequest
from duis.responses import ServiceResponse
from duis.signature import SignatureInvalid, sign, verify
from duis.srv import READ_INSTANTANEOUS_IMPORT_REGISTERS
from duis.xml import parse, q, text, to_bytes
from fake_services.sandbox import Sandbox
from serving.local_access import local_token
from support import test_data
from support.control_client import ControlClient, ControlError
from tests.helpers import Cast, another_client, enable_mp107, krp_request, request_to, standard_installation
from user_system.client import SERVICE_PATH, DUISClient, Exchange
from user_system.organisations import Organisation
from user_system.system import UserSystem

MIB = 1_048_576
SOCKET_TIMEOUT = 15.0
"""No socket operation in this module waits longer than this."""
ANSWER_TIMEOUT = 10.0
"""How long a probe waits for an answer that should come at once (a safety net, not a measurement)."""
CLIENT_TIMEOUT = 1.0
"""The seconds a connection may stay silent in the impatient sandbox."""
STALLED_CONNECTIONS = 50
THREADS = 16
SLOW_S1SP_SECONDS = 2
HEAD_START = 0.5
"""Lets the first of two DUIS requests get in flight before the second is sent (not an assertion)."""
READ = READ_INSTANTANEOUS_IMPORT_REGISTERS
POST_PATHS = {"DSP": SERVICE_PATH, "Control": "/users"}
CONTENT_TYPES = {"DSP": "Content-Type: application/xml", "Control": "Content-Type: application/json"}


# --- raw HTTP ------------------------------------------------------------------------------------------------------


class RawResponse(NamedTuple):
    status: int  # 0: the answer had no HTTP status line
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def connect(url: str, timeout: float = SOCKET_TIMEOUT) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def http_head(method: str, url: str, path: str, *headers: str, version: str = "HTTP/1.1") -> bytes:
    """A request line and headers (with Host, and this checkout's token for the local JSON ports: the DSP
    ignores it), ending with the blank line."""
    lines = [f"{method} {path} {version}", f"Host: {urlsplit(url).netloc}", f"Authorization: Bearer {local_token()}"]
    lines += headers
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


class Reader:
    """Buffered reads from a socket. A reset counts as the end of the stream, so an answer that arrived
    before the server hung up on a client still sending is read, not lost. Socket timeouts propagate."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def readline(self) -> bytes:
        while b"\n" not in self.buffer and self._fill():
            pass
        line, sep, self.buffer = self.buffer.partition(b"\n")
        return line + sep

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size and self._fill():
            pass
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_to_end(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def read_response(reader: Reader) -> RawResponse | None:
    """One HTTP response, or None when the connection ended before a status line."""
    status_line = reader.readline()
    if not status_line.strip():
        return None
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return RawResponse(0, {}, status_line + reader.read_to_end())  # no status line: an HTTP/0.9 answer
    headers: dict[str, str] = {}
    while (line := reader.readline()).strip():
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = reader.read(int(headers["content-length"]))
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while (size := int(reader.readline().split(b";")[0].strip() or b"0", 16)) > 0:
            body += reader.read(size)
            reader.readline()
        reader.readline()
    elif headers.get("connection", "").lower() == "close" or parts[0] == b"HTTP/1.0":
        body = reader.read_to_end()
    else:
        body = b""
    return RawResponse(int(parts[1]), headers, body)


def answer(sock: socket.socket, waiting_for: str = "", reader: Reader | None = None) -> RawResponse | None:
    """Read one response; a timeout fails the test (saying what the server is presumably waiting for)."""
    try:
        return read_response(reader or Reader(sock))
    except TimeoutError:
        pytest.fail(f"no answer within {sock.gettimeout()} s" + (f": {waiting_for}" if waiting_for else ""))


def raw_http(url: str, data: bytes, timeout: float = ANSWER_TIMEOUT) -> RawResponse | None:
    """Send `data` as it is on a new connection and read one response (None: hung up without one)."""
    with connect(url, timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # hung up on us: read what it said first
        return answer(sock)


def send_until_answered(sock: socket.socket, data: bytes, piece: int = 65536) -> int:
    """Send `data` a piece at a time until the server answers or hangs up; returns the bytes sent."""
    view = memoryview(data)
    sent = 0
    while sent < len(view):
        readable, writable, _ = select.select([sock], [sock], [], SOCKET_TIMEOUT)
        if readable:
            break
        if not writable:
            pytest.fail(f"the server neither read the body nor answered within {SOCKET_TIMEOUT} s")
        try:
            sent += sock.send(view[sent : sent + piece])
        except (BrokenPipeError, ConnectionResetError):
            break
    return sent


def assert_plain_text_4xx(response: RawResponse | None, status: int | None = None) -> None:
    assert response is not None, "the server hung up without answering"
    if status is None:
        assert 400 <= response.status < 500, f"HTTP {response.status}, not a 4xx: {response.body[:300]!r}"
    else:
        assert response.status == status, f"HTTP {response.status}, not {status}: {response.body[:300]!r}"
    assert response.content_type.startswith("text/plain"), f"Content-Type {response.content_type!r}"
    assert b"<html" not in response.body.lower(), response.body[:300]


def hung_up_by(sock: socket.socket, deadline: float) -> bool:
    """True when, before `deadline` (monotonic), the server closed the connection or answered 408."""
    received = b""
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            data = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        if not data:
            return True
        received += data
        if received.split(b" ", 2)[1:2] == [b"408"]:
            return True
    return False


# --- DUIS in flight ------------------------------------------------------------------------------------------------


class InFlight:
    """One DUIS request sent from its own thread (and its own connection); notes the order it finished in."""

    def __init__(
        self, name: str, client: DUISClient, request: ServiceRequest, sender: Organisation, finished: list[str]
    ) -> None:
        self.name = name
        self.exchange: Exchange | None = None
        self.error: Exception | None = None
        self._send = lambda: client.send(request, sender)
        self._finished = finished
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.exchange = self._send()
        except Exception as exc:  # raised again by wait()
            self.error = exc
        finally:
            self._finished.append(self.name)

    def wait(self) -> Exchange:
        self._thread.join(3 * ANSWER_TIMEOUT)
        assert not self._thread.is_alive(), f"{self.name}: no answer within {3 * ANSWER_TIMEOUT} s"
        if self.error is not None:
            raise self.error
        assert self.exchange is not None and self.exchange.response is not None, f"{self.name}: not DUIS"
        return self.exchange


def parallel_client(user_system: UserSystem) -> DUISClient:
    """Another DUIS client (its own connection) of the tests' User system: counters drawn from the same
    source, answers awaited at the same Receive Response Service."""
    return another_client(user_system)


# --- fixtures ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_sandbox() -> Iterator[Sandbox]:
    """A sandbox whose Control API needs a token."""
    with Sandbox(control_token="issue-8-probe-token") as sb:
        yield sb


@pytest.fixture(scope="module")
def impatient_sandbox() -> Iterator[Sandbox]:
    """A sandbox that closes a connection silent for CLIENT_TIMEOUT seconds."""
    with Sandbox(client_timeout=CLIENT_TIMEOUT) as sb:
        yield sb


# --- the probes, one per row ---------------------------------------------------------------------------------------


def test_250_signed_requests_from_16_threads_are_all_answered_without_a_reset(
    sandbox: Sandbox, control: ControlClient, duis: DUISClient, cast: Cast
) -> None:
    """16 threads, each with its own `requests.Session`, send 250 signed 4.1.1 reads in rounds: in each
    round all 16 pass a barrier and send at the same moment on a new connection, so the listener sees
    bursts of 16 connects. The reads are signed in counter order up front; one that arrives after a higher
    counter is refused by the DSP, which is still a DUIS answer: only transport failures count."""
    meter = standard_installation(control, cast)
    bodies = [duis.sign(request_to(duis, cast.western, meter.esme, READ), cast.western.identity) for _ in range(250)]
    rounds = [bodies[i : i + THREADS] for i in range(0, len(bodies), THREADS)]
    url = sandbox.services["DSP"].url + SERVICE_PATH
    headers = {"Content-Type": "application/xml", "Connection": "close"}
    start = threading.Barrier(THREADS)
    failures: list[str] = []
    codes: list[str] = []

    def send(session: requests.Session, body: bytes) -> None:
        try:
            reply = session.post(url, data=body, headers=headers, timeout=30)
        except requests.RequestException as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        if reply.status_code != 200 or not reply.headers.get("Content-Type", "").startswith("application/xml"):
            failures.append(f"HTTP {reply.status_code}: {reply.text[:150]}")
            return
        codes.append(ServiceResponse.from_xml(parse(reply.content)).response_code)

    def worker(index: int) -> None:
        with requests.Session() as session:
            for batch in rounds:
                start.wait(timeout=60)
                if index < len(batch):
                    send(session, batch[index])

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "some requests still unanswered after 120 s"
    assert not failures, f"{len(failures)} of 250 requests failed in transport, e.g. {failures[:3]}"
    assert len(codes) == 250, f"{len(codes)} DUIS answers to 250 requests"


@pytest.mark.parametrize("target", ["DSP", "Control", "Control with a token"])
def test_negative_content_length_is_refused_400_before_the_body_is_read(
    request: pytest.FixtureRequest, target: str
) -> None:
    """`Content-Length: -1` then (what would be) an 8 MiB body: only the headers and a first 64 KiB are
    sent, and the 400 must arrive while the rest is unsent. The guarded Control API must refuse the framing
    before (and regardless of) its token check."""
    service = target.split()[0]
    url = request.getfixturevalue("guarded_sandbox" if "token" in target else "sandbox").services[service].url
    head = http_head("POST", url, POST_PATHS[service], CONTENT_TYPES[service], "Content-Length: -1")
    first, whole = b"<" * 65536, 8 * MIB
    with connect(url, ANSWER_TIMEOUT) as sock:
        sock.sendall(head + first)
        response = answer(sock, f"the server is waiting for the other {whole - len(first)} bytes of the body")
    assert response is not None, "the server hung up without answering"
    assert response.status == 400, f"HTTP {response.status}: {response.body[:300]!r}"


@pytest.mark.parametrize("service", ["DSP", "Control"])
def test_content_length_minus_two_is_answered_400(sandbox: Sandbox, service: str) -> None:
    url = sandbox.services[service].url
    response = raw_http(url, http_head("POST", url, POST_PATHS[service], CONTENT_TYPES[service], "Content-Length: -2"))
    assert response is not None, "the server hung up without answering"
    assert response.status == 400, f"HTTP {response.status}: {response.body[:300]!r}"


SMUGGLED_RESET = b"POST /reset HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 0\r\n\r\n"
CHUNKED_BODIES = {
    "in a well-formed chunk": chunk(SMUGGLED_RESET) + LAST_CHUNK,
    "with no chunk framing at all": SMUGGLED_RESET,
}


@pytest.mark.parametrize("framing", CHUNKED_BODIES)
def test_chunked_body_holding_a_reset_request_is_never_parsed_as_a_request(
    sandbox: Sandbox, control: ControlClient, cast: Cast, framing: str
) -> None:
    """A chunked POST to the Control API whose data is a complete `POST /reset`, then a `GET /health`
    (Connection: close) on the same connection. The body is decoded (or the request refused and the
    connection closed): the meter seeded before keeps its trust anchors, and the only other answer on the
    connection is the health check's."""
    meter = standard_installation(control, cast)
    anchors = control.trust_anchors(meter.esme)
    assert anchors
    url = sandbox.services["Control"].url
    carrier = http_head("POST", url, "/users", "Content-Type: application/json", "Transfer-Encoding: chunked")
    sentinel = http_head("GET", url, "/health", "Connection: close")
    responses: list[RawResponse] = []
    with connect(url, ANSWER_TIMEOUT) as sock:
        sock.sendall(carrier + CHUNKED_BODIES[framing] + sentinel)
        reader = Reader(sock)
        while (response := answer(sock, f"answers so far: {responses}", reader)) is not None:
            responses.append(response)
    try:
        assert control.trust_anchors(meter.esme) == anchors, "the meter's trust anchors changed"
    except ControlError as exc:
        pytest.fail(f"the smuggled POST /reset ran: {exc}")
    assert responses, "no answer to the chunked request"
    assert not any(b'"reset"' in r.body for r in responses), f"a reset was answered: {responses}"
    others = [(r.status, r.body[:120]) for r in responses[1:]]
    if others:  # the chunked request was handled and the connection kept: the next answer is the health check
        assert len(responses) == 2 and responses[1].status == 200 and b'"status"' in responses[1].body, (
            f"the body was parsed as further requests: answers after the chunked one: {others}"
        )


@pytest.mark.parametrize("service", ["DSP", "Control"])
def test_chunked_body_over_1_mib_is_refused_413(sandbox: Sandbox, service: str) -> None:
    url = sandbox.services[service].url
    head = http_head("POST", url, POST_PATHS[service], CONTENT_TYPES[service], "Transfer-Encoding: chunked")
    body = chunk(b"x" * 65536) * (2 * MIB // 65536) + LAST_CHUNK
    with connect(url, ANSWER_TIMEOUT) as sock:
        sock.sendall(head)
        send_until_answered(sock, body)
        response = answer(sock)
    assert response is not None, "the server hung up without answering"
    assert response.status == 413, f"HTTP {response.status}: {response.body[:300]!r}"


def test_conflicting_content_lengths_are_refused_400(sandbox: Sandbox) -> None:
    url = sandbox.services["Control"].url
    head = http_head("GET", url, "/health", "Content-Length: 5", "Content-Length: 6", "Connection: close")
    response = raw_http(url, head + b"hello")
    assert response is not None, "the server hung up without answering"
    assert response.status == 400, f"HTTP {response.status}: {response.body[:300]!r}"


STALLS: dict[str, Callable[[str, str], bytes]] = {
    "headers sent, body never": lambda url, service: http_head(
        "POST", url, POST_PATHS[service], CONTENT_TYPES[service], "Content-Length: 100"
    ),
    "headers never finished": lambda url, service: http_head("POST", url, POST_PATHS[service])[:-2],
}


def test_stalled_connections_are_closed_after_the_client_timeout_while_health_still_answers(
    impatient_sandbox: Sandbox,
) -> None:
    """50 connections (to the DSP and the Control API, two ways of stalling) that go silent after sending
    headers: each is closed (or answered 408) within ANSWER_TIMEOUT, and the Control API answers
    `GET /health` while they are open."""
    sb = impatient_sandbox
    stalled: list[socket.socket] = []
    try:
        for i in range(STALLED_CONNECTIONS):
            service, stall = ("DSP", "Control")[i % 2], list(STALLS.values())[(i // 2) % len(STALLS)]
            sock = connect(sb.services[service].url)
            stalled.append(sock)
            sock.sendall(stall(sb.services[service].url, service))
        health = ControlClient(sb.services["Control"].url, timeout=ANSWER_TIMEOUT)
        try:
            assert health.health()["status"] == "ok"
        finally:
            health.close()
        deadline = time.monotonic() + ANSWER_TIMEOUT
        still_open = sum(not hung_up_by(sock, deadline) for sock in stalled)
    finally:
        for sock in stalled:
            sock.close()
    assert not still_open, f"{still_open} of {len(stalled)} stalled connections still open after {ANSWER_TIMEOUT} s"


def test_urllib_client_sending_32_mib_reads_the_413(sandbox: Sandbox) -> None:
    """urllib writes the whole body before reading: the 413 must still reach it (the server may not
    hang up on a client that is still sending)."""
    post = urllib.request.Request(
        sandbox.services["DSP"].url + SERVICE_PATH,
        data=b"<" * (32 * MIB),
        headers={"Content-Type": "application/xml"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(post, timeout=SOCKET_TIMEOUT) as reply:
            pytest.fail(f"HTTP {reply.status} for a 32 MiB body")
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        pytest.fail(f"the client never saw the 413: {exc!r}")
    assert status == 413


MALFORMED = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "HTTP/2.0 request line": b"GET /health HTTP/2.0\r\nHost: sandbox\r\n\r\n",
}


@pytest.mark.parametrize("service", ["DSP", "Control"])
@pytest.mark.parametrize("malformed", MALFORMED)
def test_malformed_request_line_gets_a_plain_text_4xx(sandbox: Sandbox, service: str, malformed: str) -> None:
    assert_plain_text_4xx(raw_http(sandbox.services[service].url, MALFORMED[malformed]))


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_duis_request_with_a_header_but_no_body_gets_a_signed_duis_rejection(
    sandbox: Sandbox, control: ControlClient, duis: DUISClient, cast: Cast, signed: bool
) -> None:
    meter = standard_installation(control, cast)
    root = request_to(duis, cast.western, meter.esme, READ).to_xml()
    root.remove(root.find(q("Body")))
    identity = cast.western.identity
    reply = requests.post(
        sandbox.services["DSP"].url + SERVICE_PATH,
        data=to_bytes(sign(root, identity.key, identity.certificate) if signed else root),
        headers={"Content-Type": "application/xml"},
        timeout=30,
    )
    assert reply.status_code == 200, f"HTTP {reply.status_code}: {reply.text[:300]}"
    assert reply.headers.get("Content-Type", "").startswith("application/xml"), reply.headers.get("Content-Type")
    response = parse(reply.content)
    assert response.tag == q("Response")
    try:
        verify(response, sandbox.dsp_signer.certificate.certificate)
    except SignatureInvalid as exc:
        pytest.fail(f"the DSP's Response is not signed by the DSP: {exc}")
    code = text(response, "sr:Header/sr:ResponseCode")
    assert code and code != "I0", f"ResponseCode {code!r}"


ENROLMENT_BAD_INPUT: dict[str, Callable[[Cast], tuple[str, dict]]] = {
    "dormant notification with {}": lambda cast: ("/enrolment/dormant-notifications", {}),
    "migration authorisation for a device that does not exist": lambda cast: (
        "/enrolment/migration-authorisations",
        {"device_id": test_data.device_id(), "supplier": cast.supplier.entity_id},
    ),
    "migration authorisation naming a device id that is not an EUI-64": lambda cast: (
        "/enrolment/migration-authorisations",
        {"device_id": "no-such-device", "supplier": cast.supplier.entity_id},
    ),
}


@pytest.mark.parametrize("case", ENROLMENT_BAD_INPUT)
def test_enrolment_bad_input_is_a_plain_text_400(sandbox: Sandbox, cast: Cast, case: str) -> None:
    path, body = ENROLMENT_BAD_INPUT[case](cast)
    token = {"Authorization": f"Bearer {sandbox.control_token}"}
    reply = requests.post(sandbox.services["MCC"].url + path, json=body, headers=token, timeout=30)
    assert reply.status_code == 400, f"HTTP {reply.status_code}: {reply.text[:300]}"
    assert reply.headers.get("Content-Type", "").startswith("text/plain"), reply.headers.get("Content-Type")
    assert reply.text.strip(), "no reason given"


def test_a_meter_on_s1sp2_is_answered_while_s1sp1_is_slow(
    control: ControlClient, duis: DUISClient, user_system: UserSystem, cast: Cast
) -> None:
    """A correction to a meter on a slow S1SP1 is in flight; a read of a meter on S1SP2 (another sender,
    another device) must be answered, and succeed, before the correction finishes."""
    slow_meter = standard_installation(control, cast, s1sp="S1SP1", no_certificate_holder=cast.eastern)
    other_meter = standard_installation(control, cast, s1sp="S1SP2", no_certificate_holder=cast.eastern)
    enable_mp107(control)
    correction = krp_request(duis, control, cast.eastern, slow_meter.esme, cast.western)
    read = request_to(duis, cast.supplier, other_meter.esme, READ)
    finished: list[str] = []
    first, second = parallel_client(user_system), parallel_client(user_system)
    control.set_s1sp_fault("S1SP1", "slow", delay_seconds=SLOW_S1SP_SECONDS)
    try:
        slow = InFlight("S1SP1 correction", first, correction, cast.eastern, finished)
        time.sleep(HEAD_START)
        fast = InFlight("S1SP2 read", second, read, cast.supplier, finished)
        fast_exchange, slow_exchange = fast.wait(), slow.wait()
    finally:
        control.set_s1sp_fault("S1SP1", "none")
        first.close()
        second.close()
    assert fast_exchange.response.succeeded, fast_exchange.reason
    assert slow_exchange.response.succeeded, slow_exchange.reason
    assert finished == ["S1SP2 read", "S1SP1 correction"], f"finished in the order {finished}"


def test_requests_for_the_same_device_are_serialised(
    sandbox: Sandbox, control: ControlClient, duis: DUISClient, user_system: UserSystem, cast: Cast
) -> None:
    """A correction is in flight to a meter on a slow S1SP1; S1SP1 is then healed and a read of the SAME
    meter sent. Not held back, the read would overtake the correction; it must reach the S1SP after it.

    Both are accepted at once (I99) and answered later, each to its own sender: answers to different Users
    are delivered independently, so the order is read where the DSP routes them, not at the Users."""
    meter = standard_installation(control, cast, s1sp="S1SP1", no_certificate_holder=cast.eastern)
    enable_mp107(control)
    correction = krp_request(duis, control, cast.eastern, meter.esme, cast.western)
    read = request_to(duis, cast.supplier, meter.esme, READ)
    finished: list[str] = []
    first, second = parallel_client(user_system), parallel_client(user_system)
    control.set_s1sp_fault("S1SP1", "slow", delay_seconds=SLOW_S1SP_SECONDS)
    try:
        slow = InFlight("correction", first, correction, cast.eastern, finished)
        time.sleep(HEAD_START)
        control.set_s1sp_fault("S1SP1", "none")
        later = InFlight("read", second, read, cast.supplier, finished)
        later_exchange, slow_exchange = later.wait(), slow.wait()
    finally:
        control.set_s1sp_fault("S1SP1", "none")
        first.close()
        second.close()
    assert slow_exchange.response.succeeded, slow_exchange.reason
    assert later_exchange.response.succeeded, later_exchange.reason
    ids = {str(correction.request_id): "correction", str(read.request_id): "read"}
    log = [(e["service"], ids.get(e["request_id"])) for e in control.log() if e["service"] != "DSP T"]
    # the read was accepted while the correction was still at the slow S1SP: it could have overtaken it
    assert log.index(("DSP S", "read")) < log.index(("DSP route", "correction")), log
    # only these two: the session's sandbox may still be finishing an earlier test's background work on S1SP1
    s1sp_order = [
        ids[row["request_id"]]
        for row in sandbox.store.all("SELECT request_id FROM s1sp_answers WHERE s1sp = 'S1SP1' ORDER BY rowid")
        if row["request_id"] in ids
    ]
    assert s1sp_order == ["correction", "read"], f"S1SP1 answered in the order {s1sp_order}"
