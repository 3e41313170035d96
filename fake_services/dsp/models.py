"""The DSP: validates each DUIS Service Request in SRPD order, each check in one named place, then
routes SMETS1 requests to the S1SP that serves the device and SMETS2 requests to the device."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from duis.messages import (
    MalformedMessage,
    ServiceRequest,
    ServiceResponse,
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
from duis.xml import SR, q
from fake_services.access_control import Registry, registration_data_check
from fake_services.authentication import authenticate
from fake_services.devices import SMETS2Device
from fake_services.parties import SMKIRepository, User, Users
from fake_services.registration import Device, DeviceType
from fake_services.rejections import S1SP_ALERT_DCC_ALERT_CODE, Rejection
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

S1SPLink = Callable[[str, bytes], bytes]
"""Send a request to the named S1SP and return its signed answer (raises on failure)."""


class S1SPUnavailable(Exception):
    """The S1SP could not be reached or did not answer DUIS."""


@dataclass
class Outcome:
    """The DSP's answer (unsigned) and the check that decided it."""

    response: etree._Element | None  # None: the request could not be answered in DUIS at all
    accepted: bool
    clause: str
    reason: str
    response_code: str


def duis_schema_check(root: etree._Element) -> ServiceRequest:
    """DUIS schema V5.1: the request must be valid against DCC's XSD before anything else."""
    schema = duis_schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise Rejection("schema", f"line {error.line}: {error.message}" if error else "schema invalid")
    try:
        return ServiceRequest.from_xml(root)
    except MalformedMessage as exc:
        raise Rejection("schema", str(exc)) from None


def sender_check(request: ServiceRequest, signer: OrganisationCertificate, users: Users) -> User:
    """The signer is the Business Originator, a known User whose certificate fits its User Role."""
    if signer.entity_id != request.originator:
        raise Rejection(
            "signature", f"the RequestID originator {request.originator} is not the signer {signer.entity_id}"
        )
    user = users.get(request.originator)
    if user is None:
        raise Rejection("user", f"{request.originator} is not a DCC User")
    if signer.role is not user.user_role.certificate_role:
        raise Rejection("signature", f"a {user.user_role.value} cannot sign with a role {signer.role} certificate")
    return user


def eligibility_check(request: ServiceRequest, sender: User) -> None:
    """DUIS eligibility: the sender's User Role may send this SRV, with this Command Variant."""
    if sender.user_role not in request.srv.eligible:
        raise Rejection("eligibility", f"a {sender.user_role.value} may not send SRV {request.srv.variant}")
    if request.command_variant not in request.srv.command_variants:
        raise Rejection(
            "command_variant", f"Command Variant {request.command_variant} is not offered for SRV {request.srv.variant}"
        )


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
        self,
        store: Store,
        users: Users,
        smki: SMKIRepository,
        registry: Registry,
        s1sp_link: S1SPLink,
    ) -> None:
        self.store = store
        self.users = users
        self.smki = smki
        self.registry = registry
        self.s1sp_link = s1sp_link
        self.smets2 = SMETS2Device(store, smki)
        self._serial = threading.Lock()

    @property
    def mp107_switch(self) -> bool:
        """PIA 3.2: one DSP feature switch for SRPD 6.2(d), not one per S1SP."""
        return self.store.setting(MP107_SWITCH) == "on"

    def anti_replay_check(self, request: ServiceRequest) -> None:
        """The originator counter must strictly increase per Business Originator."""
        row = self.store.one("SELECT last_counter FROM counters WHERE originator = ?", request.originator)
        if row and request.request_id.counter <= int(row["last_counter"]):
            raise Rejection(
                "anti_replay",
                f"counter {request.request_id.counter} is not above {row['last_counter']} for {request.originator}",
            )

    def device_check(self, request: ServiceRequest) -> Device:
        device = self.registry.inventory.get(request.device_id)
        if device is None:
            raise Rejection("device_unknown", f"device {request.device_id} is not in the Smart Metering Inventory")
        if device.device_type not in SRV_DEVICE_TYPES[request.srv]:
            raise Rejection("device_type", f"SRV {request.srv.variant} cannot be sent to a {device.device_type.value}")
        return device

    def srpd_6_1_f_registration_data_check(self, request: ServiceRequest, sender: User, device: Device) -> str:
        """SRPD 6.1(f) subject to 6.2, with 6.2(d) in force only while the DSP switch is on."""
        return registration_data_check(
            request, sender, device, self.registry, mp107_in_force=self.mp107_switch, rule_key="registration_data"
        )

    def process(self, root: etree._Element) -> Outcome:
        """Validate, route and answer one request. Serialised, so counters and anchors never race."""
        request: ServiceRequest | None = None
        with self._serial:
            try:
                request = duis_schema_check(root)
                signer = authenticate(root, self.smki)
                sender = sender_check(request, signer, self.users)
                eligibility_check(request, sender)
                self.anti_replay_check(request)
                device = self.device_check(request)
                rdp = self.srpd_6_1_f_registration_data_check(request, sender, device)
                outcome = self._route_consuming_counter(root, request, device, signer, rdp)
            except Rejection as rejection:
                outcome = Outcome(
                    rejection_response(root, request, rejection.rule.response_code),
                    False,
                    rejection.rule.clause,
                    rejection.detail,
                    rejection.rule.response_code,
                )
            self._log(request, outcome)
            return outcome

    def _route_consuming_counter(
        self, root: etree._Element, request: ServiceRequest, device: Device, signer: OrganisationCertificate, rdp: str
    ) -> Outcome:
        """Route with the originator counter written ahead and given back unless the request is
        accepted: a rejected request leaves the counter as it was, while a sandbox that dies after
        the S1SP committed but before it answered restarts with the counter consumed, so a resend
        is never applied twice."""
        previous = self._set_counter(request.originator, str(request.request_id.counter))
        outcome = None
        try:
            outcome = self._route(root, request, device, signer, rdp)
        finally:
            if outcome is None or not outcome.accepted:
                self._set_counter(request.originator, previous)
        return outcome

    def _route(
        self,
        root: etree._Element,
        request: ServiceRequest,
        device: Device,
        signer: OrganisationCertificate,
        rdp: str,
    ) -> Outcome:
        if device.smets == 2:
            decided = self.smets2.pia_2_2_update_security_credentials(request, signer)
            return Outcome(
                response_message(request.request_id, "I0", request.srv), True, "PIA 2.2", f"{rdp}; {decided}", "I0"
            )
        try:
            answer = etree.fromstring(self.s1sp_link(device.s1sp or "", etree.tostring(root)))
        except (S1SPUnavailable, etree.XMLSyntaxError) as exc:
            raise Rejection("s1sp_unavailable", f"{device.s1sp}: {exc}") from None
        if answer.tag == q("S1SPAlert"):
            info = answer.findtext(q("AdditionalInformation")) or ""
            clause = info.split(":", 1)[0] if ":" in info else "S1SP"
            response = dcc_alert_with_s1sp_alert(request.request_id, S1SP_ALERT_DCC_ALERT_CODE, answer)
            return Outcome(response, False, clause, f"S1SP Alert from {device.s1sp}: {info}", "I0")
        if answer.tag != q("SMETS1SignedResponse"):
            raise Rejection("s1sp_unavailable", f"{device.s1sp} answered {answer.tag}")
        return Outcome(
            smets1_response(request.request_id, request.srv, answer),
            True,
            "SRPD 6.1(f), SRPD 16.1, S1SR 4.2",
            f"DSP: {rdp}; routed to {device.s1sp}",
            "I0",
        )

    def _set_counter(self, originator: str, counter: str | None) -> str | None:
        """Set (or, with None, forget) the originator's last counter; returns what it was."""
        with self.store.transaction() as db:
            row = db.execute("SELECT last_counter FROM counters WHERE originator = ?", (originator,)).fetchone()
            if counter is None:
                db.execute("DELETE FROM counters WHERE originator = ?", (originator,))
            else:
                db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (originator, counter))
        return row["last_counter"] if row else None

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
                    outcome.clause,
                    outcome.reason,
                ),
            )


__all__ = ["DSP", "MP107_SWITCH", "Outcome", "S1SPUnavailable", "ServiceResponse", "SR"]
