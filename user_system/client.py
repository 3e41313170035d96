"""A DUIS client that speaks to a DSP as a User system built to DCC's specification does:

- a Critical request (6.15.1) goes to the Transform service as Command Variant 4; the DCC answers the
  Pre-Command; the client signs it with the key of the User's Digital Signing certificate for its role
  and sends it as CV 5 (`SignedPreCommand`, same RequestID) to the Send Command service;
- a non-critical request goes to the Send Command service as CV 1;
- the DCC acknowledges with `I99` and later POSTs the answer (or a DCC Alert) to the User's Receive
  Response Service, which the suite runs (`user_system.receiver`); the client waits there for it, matched by
  RequestID.

Every leg is kept, in order, with what was verified about it, as evidence."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from catalogue import Clause, clauses_named
from duis.precommand import sign_pre_command
from duis.requests import ServiceRequest
from duis.responses import ServiceResponse
from duis.schema import schema_error
from duis.signature import sign
from duis.xml import NotXML, parse, to_bytes
from serving.http_client import Session

TRANSFORM_PATH = "/api/v1/serviceT"
SERVICE_PATH = "/api/v1/serviceS"
NON_DEVICE_PATH = "/api/v1/serviceD"
CLAUSE_HEADER = "X-DUIS-Clause"
REASON_HEADER = "X-DUIS-Reason"


@dataclass(frozen=True)
class SigningIdentity:
    """A User's DUIS (XML) signing key and the certificate that names it."""

    entity_id: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def __repr__(self) -> str:  # never print the key
        return f"SigningIdentity({self.entity_id})"


class Sender(Protocol):
    """What the client needs of a User: its XML-signing identity and its Digital Signing key."""

    @property
    def identity(self) -> SigningIdentity: ...

    @property
    def device_signing_key(self) -> ec.EllipticCurvePrivateKey: ...


@dataclass(frozen=True)
class Leg:
    """One message of an exchange, as it crossed, and what the client verified about it."""

    name: str
    direction: str
    xml: bytes
    http_status: int | None = None
    verified: str = ""
    clause: str = ""
    reason: str = ""
    path: str | None = None
    """For a leg the User sent: the web service it went to."""


@dataclass(frozen=True)
class Exchange:
    """One Service Request and everything that answered it, kept whole for the evidence. `response` is
    what the User judges: the final (asynchronous) answer when there is one, else the synchronous one.
    `clause` and `reason` are what the sandbox adds beside the deciding answer (a DCC system sends
    neither)."""

    request: ServiceRequest
    legs: tuple[Leg, ...]
    response: ServiceResponse | None
    http_status: int
    clause: str
    reason: str

    @property
    def request_xml(self) -> bytes:
        return self.legs[0].xml

    @property
    def response_xml(self) -> bytes:
        return self.legs[-1].xml

    @property
    def decided_by(self) -> tuple[Clause, ...]:
        """The catalogue entries the sandbox says decided it (empty from a DCC system)."""
        return clauses_named(self.clause)

    @property
    def last_sent(self) -> Leg:
        """The last message the User sent (for a Critical request: its CV 5)."""
        return next(leg for leg in reversed(self.legs) if leg.path is not None)


@dataclass(frozen=True)
class PreCommandSigning:
    """How a User signs the Pre-Command the DCC issued. DUIS's way (`by_sender`): at once, with the key of its
    Digital Signing certificate for its role; a test may sign otherwise (another key, another payload, later),
    and says how in the evidence."""

    described: str
    sign: Callable[[bytes], bytes]
    before: Callable[[], None] | None = None
    """What happens between the Pre-Command's issue and its signing (a test moving the DCC's clock on)."""

    @staticmethod
    def by_sender(sender: Sender) -> PreCommandSigning:
        return PreCommandSigning(
            "Pre-Command signed with the User's Digital Signing key",
            lambda pre_command: sign_pre_command(pre_command, sender.device_signing_key),
        )


Awaited = tuple[bytes, Mapping[str, str], str | None, "ServiceResponse | None"]
"""The asynchronous answer: its raw XML, the delivery's headers, and, when the Receive Response Service has
verified it on arrival (schema and signatures), what it verified in words and the answer as it read it (None:
the client verifies and reads it)."""
Awaiter = Callable[[str, float], Awaited]
"""Wait for the asynchronous answer to a RequestID."""
Verifier = Callable[[etree._Element], str]
"""Check a DUIS Response's signature(s); returns what was verified, in words (raises if it fails)."""


def sign_request(request: ServiceRequest, identity: SigningIdentity) -> bytes:
    """The request as a User sends it: signed with its XML-signing key, compact, with an XML declaration."""
    return to_bytes(sign(request.to_xml(), identity.key, identity.certificate))


class CounterSource:
    """Strictly increasing originator counters, from the clock so restarts never go backwards.

    The DCC accepts an originator's counters only in increasing order, so a counter must reach the DCC
    before any later one of the same originator: `next` takes the originator's turn and `done` (called by
    the client once the request's synchronous legs are answered) gives it back. In one process requests
    go one at a time, so turns cost nothing here; a run split across processes takes them from its
    coordinator (`support.coordinator.CoordinatedCounters`)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, originator: str) -> int:
        with self._lock:
            value = max(self._last.get(originator, 0) + 1, time.time_ns() // 1000)
            self._last[originator] = value
            return value

    def done(self, originator: str) -> None:
        """The request carrying the originator's latest counter has reached the DCC."""


class DUISClient:
    def __init__(
        self,
        dsp_url: str,
        *,
        awaiter: Awaiter | None = None,
        verifier: Verifier | None = None,
        timeout: float = 30.0,
        answer_timeout: float = 10.0,
    ) -> None:
        self.dsp_url = dsp_url.rstrip("/")
        self.timeout = timeout
        self.answer_timeout = answer_timeout
        self.awaiter = awaiter
        self.verifier = verifier
        self.session = Session()
        self.counters = CounterSource()
        self._ids = itertools.count()

    def sign(self, request: ServiceRequest, identity: SigningIdentity) -> bytes:
        return sign_request(request, identity)

    # --- the flows -----------------------------------------------------------------------------------
    def send(self, request: ServiceRequest, sender: Sender, signing: PreCommandSigning | None = None) -> Exchange:
        """Send a Service Request the way DUIS has it for its SRV, and wait for its answer (a Critical one's
        Pre-Command signed as `signing` says, by default DUIS's way)."""
        try:
            if request.srv.critical:
                return self._critical(request, sender, signing or PreCommandSigning.by_sender(sender))
            immediate = replace(request, command_variant=1)
            return self.post(immediate, sign_request(immediate, sender.identity))
        finally:
            self.counters.done(request.request_id.originator)  # also when a leg raised

    def _critical(self, request: ServiceRequest, sender: Sender, signing: PreCommandSigning) -> Exchange:
        transform = replace(request, command_variant=4)
        body = sign_request(transform, sender.identity)
        first = self._post_leg(TRANSFORM_PATH, body, "CV 4 request (Transform)")
        legs = [first[0], first[1]]
        response = first[2]
        if response is None or response.pre_command is None or response.response_code != "I0":
            return self._ended(request, legs, response)
        if signing.before is not None:
            signing.before()
        signed = signing.sign(response.pre_command)
        legs.append(Leg(signing.described, "User", signed))
        send = ServiceRequest(
            request.request_id,
            request.srv,
            5,
            execution_date_time=request.execution_date_time,
            signed_pre_command=signed,
        )
        second = self._post_leg(SERVICE_PATH, sign_request(send, sender.identity), "CV 5 request (Signed Pre-Command)")
        legs += [second[0], second[1]]
        return self._await(request, legs, second[2])

    def post(self, request: ServiceRequest, body: bytes, path: str = SERVICE_PATH) -> Exchange:
        """POST an already-signed body (as the tests craft them) and follow it to its answer."""
        try:
            sent, answered, response = self._post_leg(path, body, f"CV {request.command_variant} request")
        except BaseException:
            self.counters.done(request.request_id.originator)
            raise
        return self._await(request, [sent, answered], response)

    def _await(self, request: ServiceRequest, legs: list[Leg], response: ServiceResponse | None) -> Exchange:
        self.counters.done(request.request_id.originator)
        if response is None or not response.is_acknowledgement or self.awaiter is None:
            return self._ended(request, legs, response)
        raw, headers, verified, final = self.awaiter(str(request.request_id), self.answer_timeout)
        if final is None or verified is None:  # not read where it arrived: read and verified here
            root = parse(raw)
            final = ServiceResponse.from_xml(root)
            verified = self._verified(root)
        legs.append(
            Leg(
                _kind(final),
                "DCC → User (Receive Response Service)",
                raw,
                None,
                verified,
                headers.get(CLAUSE_HEADER, ""),
                headers.get(REASON_HEADER, ""),
            )
        )
        return self._ended(request, legs, final)

    def _ended(self, request: ServiceRequest, legs: list[Leg], response: ServiceResponse | None) -> Exchange:
        self.counters.done(request.request_id.originator)
        last_answer = next((leg for leg in reversed(legs) if leg.direction.startswith("DCC")), legs[-1])
        sync = next((leg for leg in reversed(legs) if leg.http_status is not None), legs[-1])
        return Exchange(request, tuple(legs), response, sync.http_status or 0, last_answer.clause, last_answer.reason)

    def _post_leg(self, path: str, body: bytes, name: str) -> tuple[Leg, Leg, ServiceResponse | None]:
        reply = self.session.post(
            self.dsp_url + path, data=body, headers={"Content-Type": "application/xml"}, timeout=self.timeout
        )
        sent = Leg(name, f"User → DCC ({path})", body, path=path)
        response = None
        verified = f"HTTP {reply.status_code}, not DUIS"
        if reply.headers.get("Content-Type", "").startswith("application/xml"):
            try:
                root = parse(reply.content)
                response = ServiceResponse.from_xml(root)
                verified = self._verified(root)
            except (NotXML, ValueError) as exc:
                verified = f"not a DUIS Response: {exc}"
        answered = Leg(
            _kind(response) if response else "Refusal",
            "DCC → User (synchronous)",
            reply.content,
            reply.status_code,
            verified,
            reply.headers.get(CLAUSE_HEADER, ""),
            reply.headers.get(REASON_HEADER, reply.text if response is None else ""),
        )
        return sent, answered, response

    def _verified(self, root: etree._Element) -> str:
        error = schema_error(root)
        checks = ["XSD valid" if error is None else f"XSD INVALID: {error}"]
        if self.verifier is not None:
            checks.append(self.verifier(root))
        return "; ".join(checks)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> DUISClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kind(response: ServiceResponse) -> str:
    """The leg's name a reader knows it by."""
    if response.is_acknowledgement:
        return "Acknowledgement (I99)"
    if response.pre_command is not None:
        return "Pre-Command"
    if response.future_dated_alert_code:
        return f"Future-dated outcome alert ({response.future_dated_alert_code})"
    if response.s1sp_alert is not None:
        return f"DCC Alert carrying an S1SP Alert ({response.s1sp_alert.code})"
    if response.body_kind == "DCCAlertMessage":
        return "DCC Alert"
    return f"Response ({response.response_code})"
