"""The DSP: the DCC's three DUIS web services as DCC Boxed exposes them, each request checked in SRPD
order by one function per clause.

- Transform (`serviceT`, Command Variant 4): a Critical Service Request is checked and answered at once
  with the Pre-Command the User must sign (its GBCS payload binds the request's content and counter).
- Send Command (`serviceS`, CV 1 non-critical, CV 5 the User-signed Pre-Command with the CV 4 RequestID):
  once access control has passed the DSP answers `I99` and routes the command in the background; the
  real answer, or a DCC Alert, reaches the User later at its Receive Response Service.
- Non-Device (`serviceD`, CV 2/6/8 where the SRV offers them): the same checks, answered synchronously.

Requests for different devices are routed in parallel; requests for one device one after the other."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from catalogue import CLAUSES, S1SR_4_2, SRPD_16_1, Clause
from catalogue.rules import S1SP_ALERT_DCC_ALERT_CODE, rule_for_s1sp_alert
from duis.command_variants import WEB_SERVICE
from duis.messages import (
    MalformedMessage,
    RequestID,
    ServiceRequest,
    acknowledgement,
    dcc_alert_with_s1sp_alert,
    device_response,
    pre_command_response,
    request_header,
    response_message,
    sandbox_credentials_payload,
    smets1_response,
)
from duis.precommand import GBCS_VERSION, PreCommandInvalid, message_code_for, pre_command_for, split_signed
from duis.schema import schema_error
from duis.srv import (
    JOIN_SERVICE,
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    REQUEST_HANDOVER,
    RESTORE_GPF_DEVICE_LOG,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    UPDATE_SECURITY_CREDENTIALS_KRP,
)
from duis.xml import parse, q, to_bytes
from fake_services.core.authentication import duis_signature_check
from fake_services.core.clock import Clock
from fake_services.core.dcc_internal import countersigned_request
from fake_services.core.locks import KeyedLocks
from fake_services.core.parties import SMKIRepository, User, Users
from fake_services.core.records import Device, DeviceType
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.s1sp_link import S1SPSend
from fake_services.core.signer import ServiceSigner
from fake_services.core.state import SettingsTable
from fake_services.core.store import Store
from fake_services.devices.models import SMETS2Device
from fake_services.registration.checks import srpd_6_1_f_registration_data_check
from fake_services.registration.models import Registry, SmartMeteringInventory
from smki.profile import OrganisationCertificate, RemotePartyRole

log = logging.getLogger("fake_services.dsp")

MP107_SWITCH = "dsp.mp107"

# Which device types each SRV can be sent to.
SRV_DEVICE_TYPES = {
    UPDATE_SECURITY_CREDENTIALS_KRP: {DeviceType.ESME, DeviceType.GSME},
    REQUEST_HANDOVER: {DeviceType.ESME, DeviceType.GSME},
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP: {DeviceType.ESME, DeviceType.GSME},
    READ_INSTANTANEOUS_IMPORT_REGISTERS: {DeviceType.ESME},
    JOIN_SERVICE: {DeviceType.GPF},
    RESTORE_GPF_DEVICE_LOG: {DeviceType.GPF},
}

TRANSFORM, SEND, NON_DEVICE = "T", "S", "D"
SIGNED_PRE_COMMAND_VARIANTS = frozenset({5, 6})


class Deliver(Protocol):
    """Queue a response for a User's Receive Response Service, within the caller's transaction `db` when
    given (so that marking a command routed and queueing its answer stand or fall together)."""

    def __call__(
        self,
        user: str,
        response: etree._Element,
        request_id: str,
        kind: str,
        evidence: dict[str, str] | None = None,
        db: sqlite3.Connection | None = None,
    ) -> None: ...


@dataclass
class Outcome:
    """A DSP answer (unsigned) and the checks that decided it."""

    response: etree._Element | None  # None: the request could not be answered in DUIS at all
    accepted: bool
    decided_by: tuple[Clause, ...]
    reason: str
    response_code: str


@dataclass(frozen=True)
class Accepted:
    """A command that has passed access control: what the DSP routes."""

    request: ServiceRequest
    """The Service Request's content: the CV 1/2 request itself, or the CV 4 request a CV 5/6 signs."""
    root: etree._Element
    sender: User
    device: Device
    verdict: Verdict
    signed_pre_command: bytes | None


# --- the checks, in SRPD order ------------------------------------------------------------------------
def duis_schema_check(root: etree._Element) -> ServiceRequest:
    """DUIS schema: the request must be valid against DCC's XSD before anything else."""
    error = schema_error(root)
    if error is not None:
        raise Rejection("schema", error)
    try:
        return ServiceRequest.from_xml(root)
    except MalformedMessage as exc:
        raise Rejection("schema", str(exc)) from None


def duis_signature_sender_check(request: ServiceRequest, signer: OrganisationCertificate) -> None:
    """DUIS signature: the request is signed by its Business Originator, with its XML-signing certificate
    (Remote Party Role 135, OU=87), not with a certificate a device trusts and not by someone else."""
    if signer.role is not RemotePartyRole.XML_SIGNING_USER:
        raise Rejection(
            "signature", f"a DUIS request is signed with an XML-signing certificate (OU=87), not role {signer.role}"
        )
    if signer.entity_id != request.originator:
        raise Rejection(
            "signature", f"the RequestID originator {request.originator} is not the signer {signer.entity_id}"
        )


def duis_user_check(request: ServiceRequest, users: Users) -> User:
    """DUIS User: the Business Originator is a DCC User (its User Role comes from the DCC's register)."""
    user = users.get(request.originator)
    if user is None:
        raise Rejection("user", f"{request.originator} is not a DCC User")
    return user


def duis_eligibility_check(request: ServiceRequest, sender: User) -> None:
    """DUIS eligibility: the sender's User Role may send this SRV (DCC's request matrix)."""
    if sender.user_role not in request.srv.eligible:
        raise Rejection("eligibility", f"a {sender.user_role.value} may not send SRV {request.srv.variant}")


def duis_command_variant_check(request: ServiceRequest, web_service: str) -> None:
    """DUIS Command Variant: the SRV offers this Command Variant (the XSD's own table: a Critical SRV is
    never sent as CV 1), and it was sent to the web service that takes it."""
    cv = request.command_variant
    if cv not in request.srv.command_variants:
        offered = ", ".join(str(v) for v in sorted(request.srv.command_variants))
        raise Rejection(
            "command_variant", f"Command Variant {cv} is not offered for SRV {request.srv.variant} (offered: {offered})"
        )
    if WEB_SERVICE.get(cv) != web_service:
        raise Rejection(
            "web_service", f"Command Variant {cv} is sent to /api/v1/service{WEB_SERVICE.get(cv, '?')}, not here"
        )


def duis_anti_replay_check(request: ServiceRequest, last: int | None) -> None:
    """DUIS anti-replay: the originator counter must be above every counter accepted before from the
    same Business Originator, so a resent or replayed request is never applied twice: a Supplier's SRV 6.21
    included (PIA 3 option C, relaxing this for 6.21, was rejected)."""
    if last is not None and request.request_id.counter <= last:
        raise Rejection(
            "anti_replay", f"counter {request.request_id.counter} is not above {last} for {request.originator}"
        )


def duis_device_check(request: ServiceRequest, inventory: SmartMeteringInventory) -> Device:
    """DUIS device: the target is in the Smart Metering Inventory and can take this SRV."""
    device = inventory.get(request.device_id)
    if device is None:
        raise Rejection("device_unknown", f"device {request.device_id} is not in the Smart Metering Inventory")
    if device.device_type not in SRV_DEVICE_TYPES[request.srv]:
        raise Rejection("device_type", f"SRV {request.srv.variant} cannot be sent to a {device.device_type.value}")
    return device


def duis_signature_pre_command_check(signed: bytes | None, issued: bytes) -> None:
    """DUIS signature: a CV 5 carries the Pre-Command the DCC issued for its RequestID, unchanged, with the
    User's signature appended (the device or S1SP checks whose key made it)."""
    if signed is None:
        raise Rejection("pre_command", "a Command Variant 5 or 6 carries a SignedPreCommand")
    try:
        payload, _ = split_signed(signed)
    except PreCommandInvalid as exc:
        raise Rejection("pre_command", f"the Signed Pre-Command is malformed: {exc}") from None
    if payload != issued:
        raise Rejection("pre_command", "the Signed Pre-Command is not the Pre-Command the DCC issued for this request")


def gbcs_replacement_mode_check(request: ServiceRequest) -> int:
    """GBCS replacement certificates: the Transform turns a 6.15.1 into the GBCS command of a replacement
    mode (CS02b: Supplier by Supplier 0x0102, Network Operator by Network Operator 0x0103); for a Remote
    Party Role with no such mode here the DCC can make no Pre-Command. Returns the GBCS message code."""
    try:
        return message_code_for(request)
    except ValueError as exc:
        raise Rejection("replacement_mode", str(exc)) from None


def pia_3_2_dsp_feature_switch(store: Store) -> bool:
    """PIA 3.2: the DSP enables SRPD 6.2(d) with one feature switch, not one per S1SP."""
    return SettingsTable(store).get(MP107_SWITCH) == "on"


# --- what the DSP remembers --------------------------------------------------------------------------
class OriginatorCounters:
    """The last accepted counter per Business Originator (DUIS anti-replay)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def last(self, originator: str) -> int | None:
        row = self.store.one("SELECT last_counter FROM counters WHERE originator = ?", originator)
        return int(row["last_counter"]) if row else None

    def consume(self, request: ServiceRequest, db) -> None:
        """Check and write the counter inside the caller's transaction, so two requests racing from one
        sender can never both pass."""
        row = db.execute("SELECT last_counter FROM counters WHERE originator = ?", (request.originator,)).fetchone()
        duis_anti_replay_check(request, int(row["last_counter"]) if row else None)
        db.execute(
            "INSERT OR REPLACE INTO counters VALUES (?, ?)", (request.originator, str(request.request_id.counter))
        )


@dataclass(frozen=True)
class TransformLimits:
    """How long, and how many per User, issued Pre-Commands await their Signed Pre-Command (CV 5).

    The sandbox's choice (no DCC artefact we could read says what the DSP keeps): a Pre-Command expires
    an hour after it was issued, by the sandbox's clock, and a User has at most 32 awaiting, its oldest
    dropped when it asks for more. DCC's own client signs and sends the CV 5 at once, so neither limit
    touches a User that completes its requests; one that never does costs the DSP at most 32 requests
    (32 MiB at the 1 MiB body limit). `serve --pre-command-lifetime / --pre-commands-per-user`."""

    lifetime_seconds: float = 3600.0
    per_user: int = 32

    def __post_init__(self) -> None:
        if self.lifetime_seconds <= 0 or self.per_user < 1:
            raise ValueError("a Pre-Command lives a positive time, and a User may have at least one awaiting")


class Transforms:
    """The Pre-Commands the DSP has issued and that await their CV 5, by RequestID, each with the CV 4
    request it was made from; bounded by `TransformLimits` (expired and surplus ones are forgotten when
    the next is issued) and forgotten when completed."""

    def __init__(self, store: Store, clock: Clock, limits: TransformLimits | None = None) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits or TransformLimits()

    def issue(self, request: ServiceRequest, root: etree._Element, payload: bytes) -> None:
        now = self.clock.now().timestamp()
        with self.store.transaction() as db:
            db.execute("DELETE FROM transforms WHERE issued_at < ?", (now - self.limits.lifetime_seconds,))
            db.execute(
                "INSERT OR REPLACE INTO transforms (request_id, sender, issued_at, request_xml, payload)"
                " VALUES (?, ?, ?, ?, ?)",
                (str(request.request_id), request.originator, now, to_bytes(root), payload),
            )
            db.execute(
                "DELETE FROM transforms WHERE sender = ? AND rowid NOT IN (SELECT rowid FROM transforms"
                " WHERE sender = ? ORDER BY issued_at DESC, rowid DESC LIMIT ?)",
                (request.originator, request.originator, self.limits.per_user),
            )

    def awaiting(self, request_id: RequestID) -> tuple[etree._Element, bytes]:
        """The CV 4 request and Pre-Command awaiting this RequestID's Signed Pre-Command; raises
        Rejection('pre_command') saying why there is none."""
        row = self.store.one(
            "SELECT request_xml, payload, issued_at FROM transforms WHERE request_id = ?", str(request_id)
        )
        limits = self.limits
        if row is None:
            raise Rejection(
                "pre_command",
                f"no Pre-Command awaits a Signed Pre-Command for RequestID {request_id}: none was issued, or it"
                f" expired ({limits.lifetime_seconds:g} s after issue) or was dropped (a User has at most"
                f" {limits.per_user} awaiting, the oldest dropped first)",
            )
        age = self.clock.now().timestamp() - float(row["issued_at"])
        if age > limits.lifetime_seconds:
            raise Rejection(
                "pre_command",
                f"the Pre-Command for RequestID {request_id} expired: issued {age:.0f} s ago, Pre-Commands"
                f" await their Signed Pre-Command {limits.lifetime_seconds:g} s",
            )
        return parse(row["request_xml"]), bytes(row["payload"])

    def complete(self, request_id: RequestID, db: sqlite3.Connection) -> None:
        """The CV 5 is accepted: its Pre-Command awaits nothing more (within the caller's transaction)."""
        db.execute("DELETE FROM transforms WHERE request_id = ?", (str(request_id),))


def rejection_response(root: etree._Element, request: ServiceRequest | None, code: str) -> etree._Element | None:
    """The DUIS Response that rejects a request, echoing its header; None when the request's header
    is too broken to echo in a valid DUIS Response (the endpoint then answers a plain HTTP 400)."""
    if request is not None:
        return response_message(request.request_id, code, request.srv)
    request_id, srv = request_header(root)
    response = response_message(request_id, code, srv)
    return response if schema_error(response) is None else None


# --- the DSP ------------------------------------------------------------------------------------------
class DSP:
    """The DCC Data Service Provider's rules, for the three web services."""

    def __init__(
        self,
        store: Store,
        users: Users,
        smki: SMKIRepository,
        registry: Registry,
        signer: ServiceSigner,
        send_to_s1sp: S1SPSend,
        deliver: Deliver,
        clock: Clock,
        transform_limits: TransformLimits | None = None,
        routing_threads: int = 8,
    ) -> None:
        self.store = store
        self.users = users
        self.smki = smki
        self.registry = registry
        self.signer = signer
        self.send_to_s1sp = send_to_s1sp
        self.deliver = deliver
        self.counters = OriginatorCounters(store)
        self.transforms = Transforms(store, clock, transform_limits)
        self.smets2 = SMETS2Device(store, smki)
        self._devices = KeyedLocks()
        self._routing: queue.Queue[Accepted | None] = queue.Queue()
        self._unrouted = 0
        self._routed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._route_forever, name=f"DSP routing {i}", daemon=True)
            for i in range(routing_threads)
        ]

    @property
    def mp107_switch(self) -> bool:
        return pia_3_2_dsp_feature_switch(self.store)

    def switch_mp107(self, enabled: bool) -> None:
        """The DSP's one MP107 switch (PIA 3.2), on or off."""
        SettingsTable(self.store).set(MP107_SWITCH, "on" if enabled else "off")

    # --- the web services ------------------------------------------------------------------------------
    def transform(self, root: etree._Element) -> Outcome:
        """Transform (CV 4): check the Critical request and answer its Pre-Command at once (I0)."""
        return self._answer(root, TRANSFORM, self._transform)

    def send_command(self, root: etree._Element) -> Outcome:
        """Send Command (CV 1 or 5): check it, answer I99 and route it in the background."""
        return self._answer(root, SEND, self._acknowledge)

    def non_device(self, root: etree._Element) -> Outcome:
        """Non-Device (CV 2, 6 or 8): check it, route it and answer the outcome synchronously."""
        return self._answer(root, NON_DEVICE, self._route_now)

    def _answer(self, root: etree._Element, web_service: str, then: Callable[[Accepted], Outcome]) -> Outcome:
        request: ServiceRequest | None = None
        try:
            request = duis_schema_check(root)
            accepted = self._access_control(root, request, web_service)
            outcome = then(accepted)
        except Rejection as rejection:
            outcome = Outcome(
                rejection_response(root, request, rejection.rule.response_code),
                False,
                (rejection.rule.clause,),
                rejection.detail,
                rejection.rule.response_code,
            )
        self._log(request, outcome, web_service)
        return outcome

    def _access_control(self, root: etree._Element, request: ServiceRequest, web_service: str) -> Accepted:
        """SRPD order: signature, User, eligibility, Command Variant, anti-replay, device, Registration Data.
        For a signed Pre-Command the Service Request checked is the CV 4 request it was issued for."""
        signer = duis_signature_check(root, self.smki)
        duis_signature_sender_check(request, signer)
        sender = duis_user_check(request, self.users)
        duis_command_variant_check(request, web_service)
        content, content_root, signed = request, root, None
        if request.command_variant in SIGNED_PRE_COMMAND_VARIANTS:
            # A completed Pre-Command is forgotten: its CV 5 sent again is a replay, and is said so.
            duis_anti_replay_check(request, self.counters.last(request.originator))
            content_root, payload = self.transforms.awaiting(request.request_id)
            content = ServiceRequest.from_xml(content_root)
            duis_signature_pre_command_check(request.signed_pre_command, payload)
            signed = request.signed_pre_command
        duis_eligibility_check(content, sender)
        duis_anti_replay_check(content, self.counters.last(content.originator))
        device = duis_device_check(content, self.registry.inventory)
        verdict = srpd_6_1_f_registration_data_check(
            content, sender, device, self.registry.view, mp107_in_force=self.mp107_switch
        )
        return Accepted(content, content_root, sender, device, verdict, signed)

    def _transform(self, accepted: Accepted) -> Outcome:
        gbcs_replacement_mode_check(accepted.request)
        payload = pre_command_for(accepted.request, accepted.root).to_bytes()
        self.transforms.issue(accepted.request, accepted.root, payload)
        request = accepted.request
        return Outcome(
            pre_command_response(request.request_id, request.srv, payload, GBCS_VERSION),
            True,
            (accepted.verdict.clause,),
            f"DSP: {accepted.verdict.reason}; Pre-Command issued for the User to sign",
            "I0",
        )

    def _consume(self, accepted: Accepted) -> None:
        """Accept the command: its counter is used up, and it is kept until routed (a restart loses nothing)."""
        with self.store.transaction() as db:
            self.counters.consume(accepted.request, db)
            if accepted.signed_pre_command is not None:
                self.transforms.complete(accepted.request.request_id, db)
            db.execute(
                "INSERT OR REPLACE INTO commands (request_id, sender, request_xml, signed_pre_command, verdict_clause,"
                " verdict_reason, state) VALUES (?, ?, ?, ?, ?, ?, 'accepted')",
                (
                    str(accepted.request.request_id),
                    accepted.sender.entity_id,
                    to_bytes(accepted.root),
                    accepted.signed_pre_command,
                    accepted.verdict.clause.tag,
                    accepted.verdict.reason,
                ),
            )

    def _acknowledge(self, accepted: Accepted) -> Outcome:
        self._consume(accepted)
        self._queue(accepted)
        request = accepted.request
        return Outcome(
            acknowledgement(request.request_id, request.srv),
            True,
            (accepted.verdict.clause,),
            f"DSP: {accepted.verdict.reason}; accepted, the answer follows at the User's Receive Response Service",
            "I99",
        )

    def _route_now(self, accepted: Accepted) -> Outcome:
        self._consume(accepted)
        return self._route(accepted)

    # --- routing ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start routing, beginning with commands accepted before a restart and not yet routed."""
        for thread in self._threads:
            thread.start()
        for row in self.store.all("SELECT request_id FROM commands WHERE state = 'accepted' ORDER BY rowid"):
            accepted = self._reload(row["request_id"])
            if accepted is not None:
                self._queue(accepted)

    def _queue(self, accepted: Accepted) -> None:
        with self._routed:
            self._unrouted += 1
        self._routing.put(accepted)

    def wait_routed(self, timeout: float) -> bool:
        """True once every accepted command has been routed and its answer queued for delivery."""
        with self._routed:
            return self._routed.wait_for(lambda: self._unrouted == 0, timeout)

    def stop(self) -> None:
        for _ in self._threads:
            self._routing.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _reload(self, request_id: str) -> Accepted | None:
        row = self.store.one("SELECT * FROM commands WHERE request_id = ?", request_id)
        if row is None:
            return None
        root = parse(row["request_xml"])
        request = ServiceRequest.from_xml(root)
        sender = self.users.get(row["sender"])
        device = self.registry.inventory.get(request.device_id)
        if sender is None or device is None:
            return None
        verdict = Verdict(CLAUSES[row["verdict_clause"]], row["verdict_reason"])
        return Accepted(request, root, sender, device, verdict, row["signed_pre_command"])

    def _route_forever(self) -> None:
        while (accepted := self._routing.get()) is not None:
            try:
                self._route(accepted, deliver_answer=True)
            except Exception:  # a routing failure must never stop routing
                log.exception("routing %s failed", accepted.request.request_id)
            finally:
                with self._routed:
                    self._unrouted -= 1
                    self._routed.notify_all()

    def _route(self, accepted: Accepted, deliver_answer: bool = False) -> Outcome:
        """Route an accepted command to its device (SMETS2) or the S1SP that serves it (SMETS1) and turn
        the answer into the User's response; marks the command routed and (`deliver_answer`) queues the
        answer for the sender in the same transaction: a crash keeps both or neither, so an accepted
        command is either routed again after a restart (the S1SP answers it as before) or answered."""
        request = accepted.request
        with self._devices.hold(accepted.device.device_id):
            try:
                outcome = self._to_smets2_device(accepted) if accepted.device.smets == 2 else self._to_s1sp(accepted)
            except Rejection as rejection:
                outcome = Outcome(
                    response_message(request.request_id, rejection.rule.response_code, request.srv),
                    False,
                    (rejection.rule.clause,),
                    f"DSP: {accepted.verdict.reason}; {rejection.detail}",
                    rejection.rule.response_code,
                )
            # still holding the device: the log's order is the order its changes were made in
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE commands SET state = 'routed', response_code = ? WHERE request_id = ?",
                    (outcome.response_code, str(request.request_id)),
                )
                if deliver_answer and outcome.response is not None:
                    evidence = {
                        "decided_by": ", ".join(c.display for c in outcome.decided_by),
                        "reason": outcome.reason,
                    }
                    self.deliver(
                        accepted.sender.entity_id, outcome.response, str(request.request_id), "response", evidence, db
                    )
                self._log(request, outcome, "route", db)
        return outcome

    def _to_smets2_device(self, accepted: Accepted) -> Outcome:
        request = accepted.request
        if request.srv is RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP:
            details = self.smets2.read_security_credentials(request)
            return Outcome(
                device_response(request.request_id, request.srv, sandbox_credentials_payload(details)),
                True,
                (accepted.verdict.clause,),
                f"DSP: {accepted.verdict.reason}; device: {len(details)} credential cells read",
                "I0",
            )
        decided = self.smets2.update_security_credentials(request, accepted.root, accepted.signed_pre_command)
        return Outcome(
            device_response(request.request_id, request.srv),
            True,
            (accepted.verdict.clause,),
            f"DSP: {accepted.verdict.reason}; device: {decided}",
            "I0",
        )

    def _to_s1sp(self, accepted: Accepted) -> Outcome:
        request, device = accepted.request, accepted.device
        envelope = self.signer.sign(countersigned_request(accepted.root, accepted.signed_pre_command))
        answer = self.send_to_s1sp(device.s1sp or "", to_bytes(envelope))
        try:
            signed = etree.fromstring(answer.body)
        except etree.XMLSyntaxError as exc:
            raise Rejection("s1sp_unavailable", f"{device.s1sp} answered something that is not XML: {exc}") from None
        if signed.tag == q("S1SPAlert"):
            return self._s1sp_alert(request, device, signed, accepted.verdict)
        if signed.tag != q("SMETS1SignedResponse"):
            raise Rejection("s1sp_unavailable", f"{device.s1sp} answered {signed.tag}")
        return Outcome(
            smets1_response(request.request_id, request.srv, signed),
            True,
            (accepted.verdict.clause, *answer.clauses)
            if answer.clauses
            else (accepted.verdict.clause, SRPD_16_1, S1SR_4_2),
            f"DSP: {accepted.verdict.reason}; {device.s1sp}: {answer.reason or 'accepted'}",
            "I0",
        )

    @staticmethod
    def _s1sp_alert(request: ServiceRequest, device: Device, alert: etree._Element, verdict: Verdict) -> Outcome:
        """An S1SP said no with a standard S1SP Alert: the DSP passes it on as a DCC Alert whose response
        code is the rule's (never I0: nothing a User reads as success), reading which rule it stands for
        from its S1SP Alert code (the one table), never from free text."""
        code = alert.findtext(q("S1SPAlertCode")) or ""
        info = alert.findtext(q("AdditionalInformation")) or ""
        rule = rule_for_s1sp_alert(code)
        response_code = rule.response_code if rule else "E100"
        return Outcome(
            dcc_alert_with_s1sp_alert(request.request_id, S1SP_ALERT_DCC_ALERT_CODE, alert, response_code),
            False,
            (rule.clause,) if rule else (),  # a code the one table does not know names no clause
            f"DSP: {verdict.reason}; S1SP Alert {code} from {device.s1sp}: {info}",
            response_code,
        )

    def _log(
        self, request: ServiceRequest | None, outcome: Outcome, service: str, db: sqlite3.Connection | None = None
    ) -> None:
        """The request log (evidence), written within the caller's transaction `db` when given."""
        with self.store.within(db) as conn:
            conn.execute(
                "INSERT INTO request_log (service, request_id, srv, sender, device_id, outcome,"
                " response_code, clause, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"DSP {service}",
                    str(request.request_id) if request else None,
                    request.srv.variant if request else None,
                    request.originator if request else None,
                    request.device_id if request else None,
                    "accepted" if outcome.accepted else "rejected",
                    outcome.response_code,
                    ", ".join(c.display for c in outcome.decided_by),
                    outcome.reason,
                ),
            )
