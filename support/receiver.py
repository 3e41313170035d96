"""The User's own Receive Response Service, as the suite runs it: where DCC (here, the sandbox's DSP)
delivers asynchronous responses and alerts.

Shaped on DCC's reference client (DCC-INTERFACE Q3): `POST` to the configured path (default
`/smartdcc/duis`, DCC Boxed's example), body read only as `application/xml`; the `sr:Response` is
XSD-validated and its signature checked; the answer is 204 with no body on success and 400 when
validation fails. Messages are kept by RequestID so that a step can wait for the one it caused."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from lxml import etree
from requests.structures import CaseInsensitiveDict
from werkzeug.wrappers import Request, Response

from duis.messages import MalformedMessage, RequestID, ServiceResponse
from duis.schema import schema_error
from duis.xml import NotXML, parse, q, text
from serving.server import Service
from serving.web import App
from serving.web import text as plain_text

Trust = Callable[[etree._Element], None]
"""Raises unless the `sr:Response` is signed by the DSP (the suite verifies with the DSP's certificate)."""

MAX_REASON = 300


class Refused(Exception):
    """A message the User's system does not accept; answered 400 with this one-line reason."""


@dataclass(frozen=True)
class Received:
    """One message as it arrived: parsed, the exact bytes, what a User reads from it, and when."""

    root: etree._Element
    raw: bytes
    response: ServiceResponse
    received_at: dt.datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    """The delivery's HTTP headers (the sandbox puts its X-DUIS-Clause / X-DUIS-Reason evidence there)."""


def _one_line(reason: str) -> str:
    return " ".join(reason.split())[:MAX_REASON]


def _request_key(value: str | None) -> str | None:
    """A RequestID as matched here: normalised when it is well-formed, else as written."""
    if not value:
        return None
    try:
        return str(RequestID.parse(value))
    except MalformedMessage:
        return value.strip()


def schema_check(root: etree._Element) -> None:
    """DUIS XSD: what DCC's client checks before anything else."""
    if root.tag != q("Response"):
        raise Refused(f"the root element is {root.tag}, not a DUIS sr:Response")
    error = schema_error(root)
    if error is not None:
        raise Refused(f"not valid against the DUIS schema: {error}")


class Receiver:
    """A User's Receive Response Service on its own port, keeping what it accepted and refused."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/smartdcc/duis",
        trust: Trust | None = None,
        public_url: str | None = None,
    ) -> None:
        if not path.startswith("/"):
            raise ValueError("the path starts with '/'")
        self.host = host
        self.port = port
        self.path = path
        self.trust = trust
        self.public_url = public_url
        self.app = App([("POST", path, self._handle)])
        self._service = Service("Receive Response Service", self.app)
        self._cond = threading.Condition()
        self._by_request: dict[str, list[Received]] = {}
        self._unsolicited: list[Received] = []
        self._arrivals: list[Received] = []
        self._refused: list[tuple[bytes, str]] = []
        self._seen: set[bytes] = set()
        self._cleared = 0
        """How many accepted messages `clear` has forgotten (so that `arrivals_after` counts from the start)."""
        self.duplicates = 0

    # -- serving -----------------------------------------------------------------------------------

    def start(self) -> str:
        """Listen; returns the URL the DSP should call (see `url`)."""
        self._service.start(self.host, self.port)
        return self.url

    @property
    def url(self) -> str:
        """`public_url` when given (the DSP reaches this receiver by another address than it binds,
        e.g. through NAT or a container network), else where it listens plus the path."""
        if self.public_url:
            return self.public_url
        return self._service.url + self.path

    def stop(self) -> None:
        self._service.stop()

    def __enter__(self) -> Receiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, request: Request) -> Response:
        raw = request.get_data()
        try:
            if request.mimetype != "application/xml":
                self._refuse(raw, f"Content-Type must be application/xml, not {request.mimetype or 'none'}")
                return plain_text("send the sr:Response as Content-Type: application/xml", 415)
            received = replace(self._accept(raw), headers=CaseInsensitiveDict(request.headers.items()))
        except Refused as exc:
            reason = _one_line(str(exc))
            self._refuse(raw, reason)
            return plain_text(reason, 400)
        self._keep(received)
        return Response(status=204)

    def _accept(self, raw: bytes) -> Received:
        """Parse safely, XSD-validate, check the signature, read: any failure is a Refused."""
        try:
            root = parse(raw)
        except NotXML as exc:
            raise Refused(str(exc)) from None
        schema_check(root)
        if self.trust is not None:
            try:
                self.trust(root)
            except Exception as exc:  # whatever the check raises, the message is not trusted
                raise Refused(f"the signature is not the DSP's: {exc}") from None
        try:
            response = ServiceResponse.from_xml(root)
        except MalformedMessage as exc:
            raise Refused(str(exc)) from None
        return Received(root, raw, response, dt.datetime.now(dt.UTC))

    def _refuse(self, raw: bytes, reason: str) -> None:
        with self._cond:
            self._refused.append((raw, reason))
            self._cond.notify_all()

    def _keep(self, received: Received) -> None:
        """File it under its RequestID (or as unsolicited); the same bytes again count as a duplicate."""
        digest = hashlib.sha256(received.raw).digest()
        key = _request_key(text(received.root, "sr:Header/sr:RequestID"))
        with self._cond:
            if digest in self._seen:
                self.duplicates += 1
            else:
                self._seen.add(digest)
                self._arrivals.append(received)
                (self._by_request.setdefault(key, []) if key else self._unsolicited).append(received)
            self._cond.notify_all()

    # -- what arrived ------------------------------------------------------------------------------

    def received(self, request_id: str) -> list[Received]:
        """Accepted messages answering `request_id`, in arrival order (duplicates not repeated)."""
        with self._cond:
            return list(self._by_request.get(_request_key(request_id) or "", []))

    def unsolicited(self) -> list[Received]:
        """Accepted messages with no RequestID (e.g. an alert not caused by a request)."""
        with self._cond:
            return list(self._unsolicited)

    def arrivals(self) -> list[Received]:
        """Every accepted message (duplicates not repeated), whatever its RequestID, in arrival order."""
        with self._cond:
            return list(self._arrivals)

    def arrivals_after(self, count: int, timeout: float) -> list[Received]:
        """The accepted messages after the first `count`, waiting up to `timeout` for one to arrive (a
        run's processes follow one receiver this way: `support.coordinator`). The count is of everything
        ever accepted; what `clear` forgot is not returned."""
        with self._cond:
            self._cond.wait_for(lambda: self._cleared + len(self._arrivals) > count, timeout)
            return list(self._arrivals[max(count - self._cleared, 0) :])

    def refused(self) -> list[tuple[bytes, str]]:
        """Every message answered 400 or 415, with the reason given, in arrival order."""
        with self._cond:
            return list(self._refused)

    def clear(self) -> None:
        """Forget everything (between scenarios)."""
        with self._cond:
            self._by_request.clear()
            self._unsolicited.clear()
            self._cleared += len(self._arrivals)
            self._arrivals.clear()
            self._refused.clear()
            self._seen.clear()
            self.duplicates = 0

    def wait_for(
        self,
        request_id: str,
        predicate: Callable[[Received], bool] = lambda r: True,
        timeout: float = 10.0,
    ) -> Received:
        """The first accepted message for `request_id` that satisfies `predicate`, waiting for it to
        arrive; TimeoutError names the RequestID and what did arrive."""
        key = _request_key(request_id) or ""
        found: list[Received] = []

        def match() -> bool:
            found[:] = [r for r in self._by_request.get(key, []) if predicate(r)][:1]
            return bool(found)

        with self._cond:
            if self._cond.wait_for(match, timeout):
                return found[0]
            raise TimeoutError(self._nothing_for(key, timeout))

    def wait_unsolicited(self, predicate: Callable[[Received], bool], timeout: float) -> Received | None:
        """The first accepted message with no RequestID (an alert no request caused) that satisfies
        `predicate`, waiting up to `timeout`; None when none came (the caller decides what that means)."""
        found: list[Received] = []

        def match() -> bool:
            found[:] = [r for r in self._unsolicited if predicate(r)][:1]
            return bool(found)

        with self._cond:
            return found[0] if self._cond.wait_for(match, timeout) else None

    def _nothing_for(self, key: str, timeout: float) -> str:
        """What arrived instead (called holding the lock)."""
        mine = [f"{r.response.response_code} {r.response.body_kind}" for r in self._by_request.get(key, [])]
        others = sorted(k for k in self._by_request if k != key)
        return (
            f"no matching message for RequestID {key} within {timeout:g} s; "
            f"for it: {mine or 'nothing'}; for other RequestIDs: {others or 'nothing'}; "
            f"unsolicited: {len(self._unsolicited)}; refused: {[reason for _, reason in self._refused] or 'none'}"
        )
