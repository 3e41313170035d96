"""The User's own Receive Response Service, as the suite runs it: where DCC (here, the sandbox's DSP)
delivers asynchronous responses and alerts.

Shaped on DCC's reference client (DCC-INTERFACE Q3): `POST` to the configured path (default
`/smartdcc/duis`, DCC Boxed's example), body read only as `application/xml`; the `sr:Response` is
XSD-validated and its signatures checked (the DSP's outside, an S1SP's inside: `user_system.trust`); the
answer is 204 with no body on success and 400 when validation fails. Messages are kept by RequestID so
that a step can wait for the one it caused.

The DCC delivers at least once. A message accepted before, delivered again (the same bytes, laid out or
signed again, or after the next scenario began), is recognised by its DUIS identity
(`user_system.message_identity`) across the whole run: it is acknowledged (204, so the DCC stops sending it),
recorded as a `Repeat` with when it was first seen, and is never an answer or an alert a step can count.

Memory stays bounded whatever is sent: a refused body is kept only as a summary (reason, size, digest and
its first bytes), the latest `refused_limit` of them; the seen-set keeps the latest `SEEN_LIMIT`
identities; at most `repeats_limit` repeats are recorded (the rest only counted); and accepted messages
beyond `kept_bytes` are forgotten oldest first (a run of the suite keeps a few MB)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from lxml import etree
from requests.structures import CaseInsensitiveDict
from werkzeug.wrappers import Request, Response

from duis.requests import MalformedMessage, parse_xml_datetime
from duis.responses import ServiceResponse
from duis.schema import schema_error
from duis.xml import NotXML, parse, q, text
from serving.server import Service
from serving.web import App
from serving.web import text as plain_text
from user_system.message_identity import SEEN_LIMIT, SeenMessages, canonical_device, canonical_id, message_identity

Trust = Callable[[etree._Element], object]
"""Raises unless the `sr:Response` is signed by the DSP (and what it carries by an S1SP)."""

MAX_REASON = 300
PREFIX_BYTES = 200
"""How much of a refused body is kept, to recognise it by."""
REFUSED_LIMIT = 1000
"""Refusals kept as evidence (the latest; `refused_count` counts them all): about 0.5 kB each."""
REPEATS_LIMIT = 1000
"""Repeats recorded (the first; `duplicates` counts them all): about 0.5 kB each."""
KEPT_BYTES = 32 * 1024 * 1024
"""Accepted messages kept (their bytes, beside their parsed form): a run of the suite delivers a few MB."""


class Refused(Exception):
    """A message the User's system does not accept; answered 400 with this one-line reason."""


def in_words(moment: dt.datetime) -> str:
    """A time as the evidence writes it: `2030-01-15 10:00:01.250 UTC`."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d} UTC"


def _device_of(response_id: str | None, request_id: str | None) -> str | None:
    """The device a message is about: the ResponseID's originator (DCC's ResponseID is
    `DeviceID:UserID:counter`), else the RequestID's target."""
    if response_id:
        return canonical_device(response_id.split(":", 1)[0])
    if request_id and request_id.count(":") == 2:
        return canonical_device(request_id.split(":")[1])
    return None


@dataclass(frozen=True)
class Received:
    """One message as it arrived: parsed, the exact bytes, what a User reads from it, when, and its DUIS
    identity."""

    root: etree._Element
    raw: bytes
    response: ServiceResponse
    received_at: dt.datetime
    identity: str
    headers: Mapping[str, str] = field(default_factory=dict)
    """The delivery's HTTP headers (the sandbox puts its X-DUIS-Clause / X-DUIS-Reason evidence there)."""
    verified: str | None = None
    """What the receiver checked on arrival, in words ("XSD valid; Response signed by the DSP; ..."): the
    User's system verifies a delivered message once, where it arrives. None when this receiver checks no
    signatures (a mirror of the run's one receiver, which checked them): the client then verifies it."""

    @property
    def request_id(self) -> str | None:
        """The RequestID it answers, canonical (None: an alert no request caused)."""
        return canonical_id(self.response.request_id)

    @property
    def response_id(self) -> str | None:
        return canonical_id(self.response.response_id)

    @property
    def device(self) -> str | None:
        """The device it is about (canonical), by its ResponseID, else its RequestID."""
        return _device_of(self.response_id, self.request_id)

    @property
    def raised_at(self) -> dt.datetime | None:
        """When the DCC says it was raised: its S1SP Alert's DateTime when it carries one, else the
        Response's ResponseDateTime (UTC; None when unreadable)."""
        alert = self.response.s1sp_alert_element
        moment = (text(alert, "sr:DateTime") if alert is not None else None) or text(
            self.root, "sr:Header/sr:ResponseDateTime"
        )
        try:
            return parse_xml_datetime(moment)
        except MalformedMessage:
            return None

    def what(self) -> str:
        """The message in a few words: an answer to its RequestID, or an alert by its ResponseID."""
        return describe(self.request_id, self.response_id, self.response.response_code)


def describe(request_id: str | None, response_id: str | None, response_code: str) -> str:
    if request_id:
        return f"answer ({response_code}) to {request_id}"
    return f"alert {response_id or '(no ResponseID)'}"


@dataclass(frozen=True)
class Repeat:
    """A message accepted before, delivered again: acknowledged and recorded, never an answer or an alert
    a step counts. Only this summary is kept, not the bytes."""

    identity: str
    request_id: str | None
    response_id: str | None
    device: str | None
    first_seen_at: dt.datetime
    received_at: dt.datetime
    size: int
    exact: bool
    """The same bytes as when first seen (else the same message laid out or signed again)."""
    response_code: str = ""

    def what(self) -> str:
        return describe(self.request_id, self.response_id, self.response_code)

    def words(self) -> str:
        return f"re-delivered (seen first at {in_words(self.first_seen_at)}), not counted"

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "first_seen_at": self.first_seen_at.isoformat(),
            "received_at": self.received_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Repeat:
        return cls(
            **{
                **data,
                "first_seen_at": dt.datetime.fromisoformat(data["first_seen_at"]),
                "received_at": dt.datetime.fromisoformat(data["received_at"]),
            }
        )


Delivery = Received | Repeat
"""What the receiver accepted, in order: a message new to the run, or one delivered again."""


@dataclass(frozen=True)
class RefusedDelivery:
    """A delivery answered 400 or 415, kept as a summary: never the whole body."""

    received_at: dt.datetime
    status: int
    reason: str
    size: int
    sha256: str
    prefix: bytes
    """The body's first `PREFIX_BYTES` bytes."""


def _one_line(reason: str) -> str:
    return " ".join(reason.split())[:MAX_REASON]


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
        *,
        seen_limit: int = SEEN_LIMIT,
        refused_limit: int = REFUSED_LIMIT,
        repeats_limit: int = REPEATS_LIMIT,
        kept_bytes: int = KEPT_BYTES,
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
        self._log: deque[Delivery] = deque()
        """What was accepted, new or repeated, in arrival order (the oldest may have been forgotten)."""
        self._forgotten = 0
        """How many deliveries were forgotten from the front of the log (so that a mark counts from the start)."""
        self._by_request: dict[str, list[Received]] = {}
        self._unsolicited: list[Received] = []
        self._seen = SeenMessages(seen_limit)
        self._kept_bytes = 0
        self.kept_bytes = kept_bytes
        self.repeats_limit = repeats_limit
        self._repeats_kept = 0
        self._refused: deque[RefusedDelivery] = deque(maxlen=refused_limit)
        self.refused_count = 0
        """Every delivery refused (since the last `clear`), kept or not."""
        self.duplicates = 0
        """Every repeat (since the last `clear`), recorded or not."""

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
                self._refuse(raw, f"Content-Type must be application/xml, not {request.mimetype or 'none'}", 415)
                return plain_text("send the sr:Response as Content-Type: application/xml", 415)
            received = replace(self._accept(raw), headers=CaseInsensitiveDict(request.headers.items()))
        except Refused as exc:
            reason = _one_line(str(exc))
            self._refuse(raw, reason, 400)
            return plain_text(reason, 400)
        self._keep(received)
        return Response(status=204)

    def _accept(self, raw: bytes) -> Received:
        """Parse safely, check (`_checked`), read: any failure is a Refused."""
        try:
            root = parse(raw)
        except NotXML as exc:
            raise Refused(str(exc)) from None
        verified = self._checked(root)
        try:
            response = ServiceResponse.from_xml(root)
        except MalformedMessage as exc:
            raise Refused(str(exc)) from None
        return Received(root, raw, response, dt.datetime.now(dt.UTC), message_identity(root), verified=verified)

    def _checked(self, root: etree._Element) -> str | None:
        """XSD-validate and check the signatures (`trust`); what was verified, in words (None when this
        receiver checks no signatures). Raises Refused."""
        schema_check(root)
        if self.trust is None:
            return None
        try:
            said = self.trust(root)
        except Exception as exc:  # whatever the check raises, the message is not trusted
            raise Refused(f"not trusted: {exc}") from None
        return "XSD valid" + (f"; {said}" if said else "")

    def _refuse(self, raw: bytes, reason: str, status: int) -> None:
        summary = RefusedDelivery(
            dt.datetime.now(dt.UTC), status, reason, len(raw), hashlib.sha256(raw).hexdigest(), raw[:PREFIX_BYTES]
        )
        with self._cond:
            self._refused.append(summary)
            self.refused_count += 1
            self._cond.notify_all()

    def _keep(self, received: Received) -> None:
        """File a message new to the run under its RequestID (or as unsolicited); one seen before is a
        `Repeat`."""
        digest = hashlib.sha256(received.raw).digest()
        with self._cond:
            earlier = self._seen.check_in(received.identity, digest, received.received_at)
            if earlier is None:
                self._log.append(received)
                key = received.request_id
                (self._by_request.setdefault(key, []) if key else self._unsolicited).append(received)
                self._kept_bytes += len(received.raw)
                while self._kept_bytes > self.kept_bytes and len(self._log) > 1:
                    self._forget_oldest()
            else:
                self._note_repeat(
                    Repeat(
                        received.identity,
                        received.request_id,
                        received.response_id,
                        received.device,
                        earlier.at,
                        received.received_at,
                        len(received.raw),
                        earlier.digest == digest,
                        received.response.response_code,
                    )
                )
            self._cond.notify_all()

    def _note_repeat(self, repeat: Repeat) -> None:
        """Count a repeat and record it while there is room (called holding the lock)."""
        self.duplicates += 1
        if self._repeats_kept < self.repeats_limit:
            self._log.append(repeat)
            self._repeats_kept += 1

    def _forget_oldest(self) -> None:
        """Drop the oldest delivery of the log (called holding the lock)."""
        oldest = self._log.popleft()
        self._forgotten += 1
        if isinstance(oldest, Repeat):
            self._repeats_kept -= 1
            return
        self._kept_bytes -= len(oldest.raw)
        key = oldest.request_id
        filed = self._by_request.get(key, []) if key else self._unsolicited
        if filed and filed[0] is oldest:
            filed.pop(0)
        if key and not filed:
            self._by_request.pop(key, None)

    # -- what arrived ------------------------------------------------------------------------------

    def received(self, request_id: str) -> list[Received]:
        """Accepted messages answering `request_id`, in arrival order (repeats not among them)."""
        with self._cond:
            return list(self._by_request.get(canonical_id(request_id) or "", []))

    def unsolicited(self) -> list[Received]:
        """Accepted messages with no RequestID (e.g. an alert not caused by a request)."""
        with self._cond:
            return list(self._unsolicited)

    def arrivals(self) -> list[Received]:
        """Every message new to the run, whatever its RequestID, in arrival order."""
        with self._cond:
            return [d for d in self._log if isinstance(d, Received)]

    def repeats(self) -> list[Repeat]:
        """The messages delivered again, as recorded, in arrival order."""
        with self._cond:
            return [d for d in self._log if isinstance(d, Repeat)]

    def mark(self) -> int:
        """How many deliveries were accepted so far, new or repeated (what `deliveries_after` counts)."""
        with self._cond:
            return self._forgotten + len(self._log)

    def deliveries_after(self, mark: int, timeout: float) -> tuple[list[Delivery], int]:
        """The deliveries accepted after `mark` (those still kept), waiting up to `timeout` for one to
        arrive, and the mark after them. A run's processes follow one receiver this way
        (`support.coordinator`); a scenario reads what came during it."""
        with self._cond:
            self._cond.wait_for(lambda: self._forgotten + len(self._log) > mark, timeout)
            start = max(mark - self._forgotten, 0)
            return list(itertools.islice(self._log, start, None)), self._forgotten + len(self._log)

    def refused(self) -> list[RefusedDelivery]:
        """The latest deliveries answered 400 or 415, with the reason given, in arrival order."""
        with self._cond:
            return list(self._refused)

    def clear(self) -> None:
        """Forget the messages, repeats and refusals kept so far, but not which messages were seen: one
        delivered again later is still recognised."""
        with self._cond:
            self._forgotten += len(self._log)
            self._log.clear()
            self._by_request.clear()
            self._unsolicited.clear()
            self._kept_bytes = 0
            self._repeats_kept = 0
            self._refused.clear()
            self.refused_count = 0
            self.duplicates = 0

    def wait_for(
        self,
        request_id: str,
        predicate: Callable[[Received], bool] = lambda r: True,
        timeout: float = 10.0,
    ) -> Received:
        """The first accepted message for `request_id` that satisfies `predicate`, waiting for it to
        arrive; TimeoutError names the RequestID and what did arrive. A repeat never satisfies it."""
        key = canonical_id(request_id) or ""
        found: list[Received] = []

        def match() -> bool:
            found[:] = [r for r in self._by_request.get(key, []) if predicate(r)][:1]
            return bool(found)

        with self._cond:
            if self._cond.wait_for(match, timeout):
                return found[0]
            raise TimeoutError(self._nothing_for(key, timeout))

    def _nothing_for(self, key: str, timeout: float) -> str:
        """What arrived instead (called holding the lock)."""
        mine = [f"{r.response.response_code} {r.response.body_kind}" for r in self._by_request.get(key, [])]
        others = sorted(k for k in self._by_request if k != key)
        refusals = [r.reason for r in itertools.islice(reversed(self._refused), 5)]
        return (
            f"no matching message for RequestID {key} within {timeout:g} s; "
            f"for it: {mine or 'nothing'}; for other RequestIDs: {others or 'nothing'}; "
            f"unsolicited: {len(self._unsolicited)}; repeated: {self.duplicates}; "
            f"refused: {self.refused_count}{f' (latest: {refusals})' if refusals else ''}"
        )
