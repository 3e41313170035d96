"""A DUIS client: signs Service Requests with the User's key and POSTs them to a DSP's
`/api/v1/serviceS`, as a real User system would. Keeps what was sent and received as evidence."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from catalogue import Clause, clauses_named
from duis.messages import ServiceRequest, ServiceResponse
from duis.signature import sign
from duis.xml import parse, to_bytes

SERVICE_PATH = "/api/v1/serviceS"


@dataclass(frozen=True)
class SigningIdentity:
    """A User's DUIS signing key and the certificate that names it."""

    entity_id: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def __repr__(self) -> str:  # never print the key
        return f"SigningIdentity({self.entity_id})"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, kept whole for the evidence. `clause` and `reason` are what the
    sandbox adds beside its answer (`X-DUIS-Clause`, `X-DUIS-Reason`); a DCC system sends neither."""

    request: ServiceRequest
    request_xml: bytes
    http_status: int
    response_xml: bytes
    response: ServiceResponse | None
    clause: str
    reason: str

    @property
    def decided_by(self) -> tuple[Clause, ...]:
        """The catalogue entries the sandbox says decided it (empty from a DCC system)."""
        return clauses_named(self.clause)


def sign_request(request: ServiceRequest, identity: SigningIdentity) -> bytes:
    """The request as a User sends it: signed with its DS key, compact, with an XML declaration."""
    return to_bytes(sign(request.to_xml(), identity.key, identity.certificate))


class CounterSource:
    """Strictly increasing originator counters, from the clock so restarts never go backwards."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, originator: str) -> int:
        with self._lock:
            value = max(self._last.get(originator, 0) + 1, time.time_ns() // 1000)
            self._last[originator] = value
            return value


class DUISClient:
    def __init__(self, dsp_url: str, timeout: float = 30.0) -> None:
        self.dsp_url = dsp_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.counters = CounterSource()
        self._ids = itertools.count()

    def sign(self, request: ServiceRequest, identity: SigningIdentity) -> bytes:
        return sign_request(request, identity)

    def send(self, request: ServiceRequest, identity: SigningIdentity) -> Exchange:
        """Sign and send one request; the answer is read but judged by the caller."""
        return self.post(request, self.sign(request, identity))

    def post(self, request: ServiceRequest, body: bytes) -> Exchange:
        reply = self.session.post(
            self.dsp_url + SERVICE_PATH, data=body, headers={"Content-Type": "application/xml"}, timeout=self.timeout
        )
        response = None
        if reply.headers.get("Content-Type", "").startswith("application/xml"):
            response = ServiceResponse.from_xml(parse(reply.content))
        return Exchange(
            request,
            body,
            reply.status_code,
            reply.content,
            response,
            reply.headers.get("X-DUIS-Clause", ""),
            reply.headers.get("X-DUIS-Reason", reply.text if response is None else ""),
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> DUISClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
