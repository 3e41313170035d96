"""The DSP: validates each DUIS Service Request in SRPD order, each check in one function named after
its clause, then routes SMETS1 requests to the S1SP that serves the device and SMETS2 requests to the
device. Requests for different devices run in parallel; requests for one device are serialised."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from lxml import etree

from catalogue import S1SR_4_2, SRPD_16_1, Clause
from catalogue.rules import S1SP_ALERT_DCC_ALERT_CODE, rule_for_s1sp_alert
from duis.messages import (
    MalformedMessage,
    ServiceRequest,
    dcc_alert_with_s1sp_alert,
    request_header,
    response_message,
    smets1_response,
)
from duis.schema import duis_schema
from duis.srv import (
    JOIN_SERVICE,
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    REQUEST_HANDOVER,
    RESTORE_GPF_DEVICE_LOG,
    UPDATE_SECURITY_CREDENTIALS_KRP,
)
from duis.xml import q
from fake_services.access_control import Registry, Verdict, srpd_6_1_f_registration_data_check
from fake_services.authentication import duis_signature_check
from fake_services.devices import SMETS2Device
from fake_services.parties import SMKIRepository, User, Users
from fake_services.registration import Device, DeviceType, SmartMeteringInventory
from fake_services.rejections import Rejection
from fake_services.store import Store
from smki.profile import OrganisationCertificate

MP107_SWITCH = "dsp.mp107"

# Which device types each SRV can be sent to.
SRV_DEVICE_TYPES = {
    UPDATE_SECURITY_CREDENTIALS_KRP: {DeviceType.ESME, DeviceType.GSME},
    REQUEST_HANDOVER: {DeviceType.ESME, DeviceType.GSME},
    READ_INSTANTANEOUS_IMPORT_REGISTERS: {DeviceType.ESME},
    JOIN_SERVICE: {DeviceType.GPF},
    RESTORE_GPF_DEVICE_LOG: {DeviceType.GPF},
}


@dataclass(frozen=True)
class S1SPAnswer:
    """What an S1SP sent back: its signed answer and, as sandbox evidence, the clauses it applied."""

    body: bytes
    clauses: tuple[Clause, ...] = ()
    reason: str = ""


S1SPSend = Callable[[str, bytes], S1SPAnswer]
"""Send a countersigned request to the named S1SP and return its answer (raises Rejection on failure)."""


@dataclass
class Outcome:
    """The DSP's answer (unsigned) and the checks that decided it."""

    response: etree._Element | None  # None: the request could not be answered in DUIS at all
    accepted: bool
    decided_by: tuple[Clause, ...]
    reason: str
    response_code: str


def duis_schema_check(root: etree._Element) -> ServiceRequest:
    """DUIS schema: the request must be valid against DCC's XSD before anything else."""
    schema = duis_schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise Rejection("schema", f"line {error.line}: {error.message}" if error else "schema invalid")
    try:
        return ServiceRequest.from_xml(root)
    except MalformedMessage as exc:
        raise Rejection("schema", str(exc)) from None


def duis_signature_sender_check(request: ServiceRequest, signer: OrganisationCertificate) -> None:
    """DUIS signature: the request is signed by its Business Originator, not by someone else."""
    if signer.entity_id != request.originator:
        raise Rejection(
            "signature", f"the RequestID originator {request.originator} is not the signer {signer.entity_id}"
        )


def duis_user_check(request: ServiceRequest, signer: OrganisationCertificate, users: Users) -> User:
    """DUIS User: the Business Originator is a DCC User, signing with a certificate of its User Role."""
    user = users.get(request.originator)
    if user is None:
        raise Rejection("user", f"{request.originator} is not a DCC User")
    if signer.role is not user.user_role.certificate_role:
        raise Rejection("user", f"a {user.user_role.value} cannot sign with a role {signer.role} certificate")
    return user


def duis_eligibility_check(request: ServiceRequest, sender: User) -> None:
    """DUIS eligibility: the sender's User Role may send this SRV (DCC's request matrix)."""
    if sender.user_role not in request.srv.eligible:
        raise Rejection("eligibility", f"a {sender.user_role.value} may not send SRV {request.srv.variant}")


def duis_command_variant_check(request: ServiceRequest) -> None:
    """DUIS Command Variant: the request uses a Command Variant its SRV offers."""
    if request.command_variant not in request.srv.command_variants:
        raise Rejection(
            "command_variant", f"Command Variant {request.command_variant} is not offered for SRV {request.srv.variant}"
        )


def duis_device_check(request: ServiceRequest, inventory: SmartMeteringInventory) -> Device:
    """DUIS device: the target is in the Smart Metering Inventory and can take this SRV."""
    device = inventory.get(request.device_id)
    if device is None:
        raise Rejection("device_unknown", f"device {request.device_id} is not in the Smart Metering Inventory")
    if device.device_type not in SRV_DEVICE_TYPES[request.srv]:
        raise Rejection("device_type", f"SRV {request.srv.variant} cannot be sent to a {device.device_type.value}")
    return device


def pia_3_2_dsp_feature_switch(store: Store) -> bool:
    """PIA 3.2: the DSP enables SRPD 6.2(d) with one feature switch, not one per S1SP."""
    return store.setting(MP107_SWITCH) == "on"


class OriginatorCounters:
    """The last accepted counter per Business Originator (DUIS anti-replay)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def last(self, originator: str) -> int | None:
        row = self.store.one("SELECT last_counter FROM counters WHERE originator = ?", originator)
        return int(row["last_counter"]) if row else None

    def reserve(self, request: ServiceRequest) -> int | None:
        """Check and write the counter in one transaction, so two requests racing from one sender
        can never both pass; returns the value it replaced."""
        with self.store.transaction() as db:
            row = db.execute("SELECT last_counter FROM counters WHERE originator = ?", (request.originator,)).fetchone()
            previous = int(row["last_counter"]) if row else None
            duis_anti_replay_check(request, previous)
            db.execute(
                "INSERT OR REPLACE INTO counters VALUES (?, ?)", (request.originator, str(request.request_id.counter))
            )
        return previous

    def give_back(self, request: ServiceRequest, previous: int | None) -> None:
        """Undo a reservation, unless a later request from the same sender has moved the counter on."""
        with self.store.transaction() as db:
            row = db.execute("SELECT last_counter FROM counters WHERE originator = ?", (request.originator,)).fetchone()
            if row is None or row["last_counter"] != str(request.request_id.counter):
                return
            if previous is None:
                db.execute("DELETE FROM counters WHERE originator = ?", (request.originator,))
            else:
                db.execute(
                    "UPDATE counters SET last_counter = ? WHERE originator = ?", (str(previous), request.originator)
                )


def duis_anti_replay_check(request: ServiceRequest, last: int | None) -> None:
    """DUIS anti-replay: the originator counter must be above every counter accepted before from the
    same Business Originator, so a resent or replayed request is never applied twice."""
    if last is not None and request.request_id.counter <= last:
        raise Rejection(
            "anti_replay", f"counter {request.request_id.counter} is not above {last} for {request.originator}"
        )


class DeviceLocks:
    """One lock per device: requests for one meter are serialised, others run in parallel."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, device_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(device_id, (threading.Lock(), 0))
            self._locks[device_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[device_id]
                if users == 1:
                    del self._locks[device_id]
                else:
                    self._locks[device_id] = (lock, users - 1)


def rejection_response(root: etree._Element, request: ServiceRequest | None, code: str) -> etree._Element | None:
    """The DUIS Response that rejects a request, echoing its header; None when the request's header
    is too broken to echo in a valid DUIS Response (the endpoint then answers a plain HTTP 400)."""
    if request is not None:
        return response_message(request.request_id, code, request.srv)
    request_id, srv = request_header(root)
    response = response_message(request_id, code, srv)
    return response if duis_schema().validate(response) else None


class DSP:
    """The DCC Data Service Provider's rules."""

    def __init__(
        self, store: Store, users: Users, smki: SMKIRepository, registry: Registry, send_to_s1sp: S1SPSend
    ) -> None:
        self.store = store
        self.users = users
        self.smki = smki
        self.registry = registry
        self.send_to_s1sp = send_to_s1sp
        self.counters = OriginatorCounters(store)
        self.smets2 = SMETS2Device(store, smki)
        self._devices = DeviceLocks()

    @property
    def mp107_switch(self) -> bool:
        return pia_3_2_dsp_feature_switch(self.store)

    def process(self, root: etree._Element) -> Outcome:
        """Validate, route and answer one request, checks in SRPD order."""
        request: ServiceRequest | None = None
        try:
            request = duis_schema_check(root)
            signer = duis_signature_check(root, self.smki)
            duis_signature_sender_check(request, signer)
            sender = duis_user_check(request, signer, self.users)
            duis_eligibility_check(request, sender)
            duis_command_variant_check(request)
            duis_anti_replay_check(request, self.counters.last(request.originator))
            device = duis_device_check(request, self.registry.inventory)
            verdict = srpd_6_1_f_registration_data_check(
                request, sender, device, self.registry, mp107_in_force=self.mp107_switch
            )
            with self._devices.hold(device.device_id):
                outcome = self._route_consuming_counter(root, request, device, signer, verdict)
        except Rejection as rejection:
            outcome = Outcome(
                rejection_response(root, request, rejection.rule.response_code),
                False,
                (rejection.rule.clause,),
                rejection.detail,
                rejection.rule.response_code,
            )
        self._log(request, outcome)
        return outcome

    def _route_consuming_counter(
        self,
        root: etree._Element,
        request: ServiceRequest,
        device: Device,
        signer: OrganisationCertificate,
        verdict: Verdict,
    ) -> Outcome:
        """Route with the originator counter written ahead and given back unless the request is
        accepted: a rejected request leaves the counter as it was, while a sandbox that dies after
        the S1SP committed but before it answered restarts with the counter consumed, so a resend
        is never applied twice."""
        previous = self.counters.reserve(request)
        outcome = None
        try:
            outcome = self._route(root, request, device, signer, verdict)
        finally:
            if outcome is None or not outcome.accepted:
                self.counters.give_back(request, previous)
        return outcome

    def _route(
        self,
        root: etree._Element,
        request: ServiceRequest,
        device: Device,
        signer: OrganisationCertificate,
        verdict: Verdict,
    ) -> Outcome:
        if device.smets == 2:
            decided = self.smets2.update_security_credentials(request, signer)
            return Outcome(
                response_message(request.request_id, "I0", request.srv),
                True,
                (verdict.clause,),
                f"DSP: {verdict.reason}; device: {decided}",
                "I0",
            )
        answer = self.send_to_s1sp(device.s1sp or "", etree.tostring(root))
        try:
            signed = etree.fromstring(answer.body)
        except etree.XMLSyntaxError as exc:
            raise Rejection("s1sp_unavailable", f"{device.s1sp} answered something that is not XML: {exc}") from None
        if signed.tag == q("S1SPAlert"):
            return self._s1sp_alert(request, device, signed, verdict)
        if signed.tag != q("SMETS1SignedResponse"):
            raise Rejection("s1sp_unavailable", f"{device.s1sp} answered {signed.tag}")
        return Outcome(
            smets1_response(request.request_id, request.srv, signed),
            True,
            (verdict.clause, *answer.clauses) if answer.clauses else (verdict.clause, SRPD_16_1, S1SR_4_2),
            f"DSP: {verdict.reason}; {device.s1sp}: {answer.reason or 'accepted'}",
            "I0",
        )

    @staticmethod
    def _s1sp_alert(request: ServiceRequest, device: Device, alert: etree._Element, verdict: Verdict) -> Outcome:
        """An S1SP said no with a standard S1SP Alert: the DSP passes it on as a DCC Alert, reading which
        rule it stands for from its S1SP Alert code (the one table), never from free text."""
        code = alert.findtext(q("S1SPAlertCode")) or ""
        info = alert.findtext(q("AdditionalInformation")) or ""
        rule = rule_for_s1sp_alert(code)
        return Outcome(
            dcc_alert_with_s1sp_alert(request.request_id, S1SP_ALERT_DCC_ALERT_CODE, alert),
            False,
            (rule.clause,) if rule else (),  # a code the one table does not know names no clause
            f"DSP: {verdict.reason}; S1SP Alert {code} from {device.s1sp}: {info}",
            "I0",
        )

    def _log(self, request: ServiceRequest | None, outcome: Outcome) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO request_log (service, request_id, srv, sender, device_id, outcome,"
                " response_code, clause, reason) VALUES ('DSP', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
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
