"""An S1SP: serves a set of SMETS1 devices, holds their trust anchors, applies SRPD 16.1 and
S1SR 4.2, and answers with a signed SMETS1 response or a standard S1SP Alert."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lxml import etree

from duis.messages import ServiceRequest, s1sp_alert, smets1_signed_response
from duis.srv import REQUEST_HANDOVER, UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.access_control import Registry, registration_data_check
from fake_services.authentication import authenticate
from fake_services.credentials import replacement_certificates
from fake_services.parties import SMKIRepository, User, Users
from fake_services.registration import Device
from fake_services.rejections import Rejection
from fake_services.signer import ServiceSigner
from fake_services.store import Store
from fake_services.trust_anchors import TrustAnchors
from smki.profile import KeyUse, OrganisationCertificate


def pia_3_3_targets_network_operator_certificates(request: ServiceRequest) -> bool:
    """PIA 3.3: the S1SP skips the RDP check only for a 6.15.1 that targets Network Operator
    certificates; it keeps it for supplier certificates and for every other SRV."""
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and request.remote_party_role == "NetworkOperator"


def s1sr_4_2_certificate_owner_check(request: ServiceRequest, anchors: TrustAnchors) -> str:
    """S1SR 4.2: for a Critical SR the Business Originator ID must equal the entity identifier of the
    certificate the S1SP holds for the device in that role (the role the command acts for)."""
    role = request.remote_party_role or "Supplier"
    held = anchors.held(request.device_id, role, KeyUse.DS)
    if held is None or held.entity_id != request.originator:
        owner = held.entity_id if held else "nobody"
        raise Rejection(
            "certificate_owner",
            f"{request.originator} is not the owner of the {role} certificate held for "
            f"{request.device_id} (held by {owner})",
        )
    return f"owner of the {role} certificate"


@dataclass
class Decision:
    """What the S1SP decided and by which check; the signed answer goes back to the DSP."""

    answer: etree._Element
    accepted: bool
    clause: str
    reason: str


class S1SP:
    """One SMETS1 Service Provider, with its own MP107 enablement."""

    def __init__(
        self,
        name: str,
        store: Store,
        users: Users,
        smki: SMKIRepository,
        registry: Registry,
        signer: ServiceSigner,
    ) -> None:
        self.name = name
        self.store = store
        self.users = users
        self.smki = smki
        self.registry = registry
        self.anchors = TrustAnchors(store)
        self.signer = signer

    @property
    def mp107_setting(self) -> str:
        return f"s1sp.{self.name}.mp107"

    @property
    def mp107_enabled(self) -> bool:
        return self.store.setting(self.mp107_setting) == "on"

    def process(self, root: etree._Element, deadline: float | None = None) -> Decision:
        """Run the S1SP's checks on a request the DSP has passed on; apply it or raise an S1SP Alert."""
        request = ServiceRequest.from_xml(root)
        try:
            authenticate(root, self.smki)
            sender, device = self._sender_and_device(request)
            rdp = registration_data_check(
                request,
                sender,
                device,
                self.registry,
                mp107_in_force=self.mp107_enabled and pia_3_3_targets_network_operator_certificates(request),
                rule_key="s1sp_registration_data",
            )
            owner = s1sr_4_2_certificate_owner_check(request, self.anchors) if request.srv.critical else "not critical"
            self._apply(request, deadline)
        except Rejection as rejection:
            return self._alert(request, rejection)
        answer = smets1_signed_response(request.request_id, request.srv, request.request_id.counter)
        return Decision(self.signer.sign(answer), True, "SRPD 16.1, S1SR 4.2", f"{rdp}; {owner}")

    def enrol(
        self, device_id: str, supplier: list[OrganisationCertificate], acb: list[OrganisationCertificate]
    ) -> None:
        """What enrolment leaves at the S1SP before any NO certificate: the Supplier's and the ACB's
        certificates, with the ACB's as the default in the Network Operator trust anchor (PIA 2.3.2)."""
        self.served_device(device_id)
        with self.store.transaction() as db:
            for cert in acb:
                self.anchors.place(db, device_id, "ACB", cert)
                self.anchors.place(db, device_id, "NetworkOperator", cert)
            for cert in supplier:
                self.anchors.place(db, device_id, "Supplier", cert)
            db.execute("UPDATE devices SET status = 'Active' WHERE device_id = ?", (device_id,))

    def accept_commissioning_handover(
        self, root: etree._Element, commissioning_party: str, deadline: float | None = None
    ) -> Decision:
        """SRV 6.21 from the DCC Commissioning Party at enrolment: the certificates it carries are
        validated and placed; no User is involved, so no Registration Data or owner check applies."""
        request = ServiceRequest.from_xml(root)
        try:
            signer = authenticate(root, self.smki)
            if signer.entity_id != commissioning_party or request.srv is not REQUEST_HANDOVER:
                raise Rejection("commissioning_party", f"{signer.entity_id} is not the DCC Commissioning Party")
            self.served_device(request.device_id)
            self._apply(request, deadline)
        except Rejection as rejection:
            return self._alert(request, rejection)
        answer = smets1_signed_response(request.request_id, request.srv, request.request_id.counter)
        return Decision(self.signer.sign(answer), True, "SRV 6.21 (DCC Commissioning Party)", "certificates placed")

    def _alert(self, request: ServiceRequest, rejection: Rejection) -> Decision:
        alert = s1sp_alert(
            request.request_id,
            request.device_id,
            rejection.rule.s1sp_alert_code or "S1SP-REJECTED",
            f"{rejection.rule.clause}: {rejection.detail}",
        )
        return Decision(self.signer.sign(alert), False, rejection.rule.clause, rejection.detail)

    def _sender_and_device(self, request: ServiceRequest) -> tuple[User, Device]:
        sender = self.users.get(request.originator)
        if sender is None:
            raise Rejection("user", f"{request.originator} is not a User")
        return sender, self.served_device(request.device_id)

    def served_device(self, device_id: str) -> Device:
        """The device, if this S1SP serves it: an S1SP holds nothing for other S1SPs' devices."""
        device = self.registry.inventory.get(device_id)
        if device is None or device.s1sp != self.name:
            raise Rejection("device_unknown", f"{device_id} is not served by {self.name}")
        return device

    def _apply(self, request: ServiceRequest, deadline: float | None = None) -> None:
        """Accepted credential updates replace the role's anchors in one transaction, committed only
        while the DSP is still waiting for the answer."""
        if request.srv not in (UPDATE_SECURITY_CREDENTIALS_KRP, REQUEST_HANDOVER):
            return
        certificates = replacement_certificates(request, self.smki)
        with self.store.transaction() as db:
            for cert in certificates:
                self.anchors.place(db, request.device_id, request.remote_party_role or "", cert)
            if deadline is not None and time.time() > deadline:
                raise Rejection("s1sp_deadline", "the DSP's deadline passed before the change could be committed")
