"""An S1SP: serves a set of SMETS1 devices, holds their trust anchors, applies SRPD 16.1 and S1SR 4.2,
and answers with a signed SMETS1 response or a standard S1SP Alert. One function per clause."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lxml import etree

from catalogue import PIA_2_3_2_A, PIA_3_3, S1SR_4_2, SRPD_6_2_D, SRPD_16_1, SRV_6_21, Clause
from duis.messages import ServiceRequest, s1sp_alert, smets1_signed_response
from duis.srv import REQUEST_HANDOVER, UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.access_control import Registry, Verdict, srpd_6_1_f_registration_data_check
from fake_services.authentication import duis_signature_check
from fake_services.credentials import gbcs_replacement_certificates
from fake_services.parties import SMKIRepository, User, Users
from fake_services.registration import Device
from fake_services.rejections import Rejection
from fake_services.signer import ServiceSigner
from fake_services.store import Store
from fake_services.trust_anchors import TrustAnchors
from smki.profile import KeyUse, OrganisationCertificate


def _enablement_setting(s1sp: str) -> str:
    return f"s1sp.{s1sp}.mp107"


def pia_3_2_s1sp_enablement(store: Store, s1sp: str) -> bool:
    """PIA 3.2: each S1SP enables MP107 in its own release; until it has, it rejects what the DSP lets
    through with the standard S1SP Alert."""
    return store.setting(_enablement_setting(s1sp)) == "on"


def pia_3_3_targets_network_operator_certificates(request: ServiceRequest) -> bool:
    """PIA 3.3: the S1SP skips the RDP check only for a 6.15.1 that targets Network Operator
    certificates; it keeps it for supplier certificates and for every other SRV."""
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and request.remote_party_role == "NetworkOperator"


def srpd_16_1_s1sp_registration_data_check(
    request: ServiceRequest, sender: User, device: Device, registry: Registry, mp107_enabled: bool
) -> Verdict:
    """SRPD 16.1: the S1SP applies the DSP's processing again, including the Registration Data check
    (SRPD 6.1(f) subject to 6.2), with 6.2(d) only where it has enabled MP107 and only for a 6.15.1
    targeting Network Operator certificates (PIA 3.3)."""
    in_force = mp107_enabled and pia_3_3_targets_network_operator_certificates(request)
    verdict = srpd_6_1_f_registration_data_check(
        request, sender, device, registry, mp107_in_force=in_force, rule_key="s1sp_registration_data"
    )
    if verdict.clause == SRPD_6_2_D:
        return Verdict(PIA_3_3, f"Registration Data not checked: {SRPD_6_2_D} for Network Operator certificates")
    return Verdict(SRPD_16_1, verdict.reason)


def pia_2_3_2_a_owner_check_applies(request: ServiceRequest) -> bool:
    """PIA 2.3.2 A: the Network Operator certificate only validates the sender of Critical requests, so
    a Network Operator's non-critical requests work even where the wrong certificate is held."""
    return request.srv.critical


def s1sr_4_2_certificate_owner_check(request: ServiceRequest, anchors: TrustAnchors) -> Verdict:
    """S1SR 4.2: for a Critical SR the Business Originator ID must equal the entity identifier of the
    certificate the S1SP holds for the device in that role (the role the command acts for). This is
    check #3, which PIA 3 option B would have skipped: it stays."""
    role = request.remote_party_role or "Supplier"
    held = anchors.held(request.device_id, role, KeyUse.DS)
    if held is None or held.entity_id != request.originator:
        owner = held.entity_id if held else "nobody"
        raise Rejection(
            "certificate_owner",
            f"{request.originator} is not the owner of the {role} certificate held for "
            f"{request.device_id} (held by {owner})",
        )
    return Verdict(S1SR_4_2, f"{request.originator} owns the {role} certificate held")


def srv_6_21_request_handover(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    """SRV 6.21: a handover places the certificates it carries in the Remote Party Role it names (at
    enrolment by the DCC Commissioning Party, later by the Supplier); like 6.15.1 each must be a valid
    certificate of that role."""
    return gbcs_replacement_certificates(request, smki)


def duis_s1sp_deadline_check(deadline: float | None) -> None:
    """DUIS communications failure: an S1SP never commits a change after the DSP has stopped waiting
    for it, so the User's E20 always means nothing changed."""
    if deadline is not None and time.time() > deadline:
        raise Rejection("s1sp_deadline", "the DSP's deadline passed before the change could be committed")


@dataclass
class Decision:
    """What the S1SP decided and by which checks; the signed answer goes back to the DSP."""

    answer: etree._Element
    accepted: bool
    decided_by: tuple[Clause, ...]
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
    def mp107_enabled(self) -> bool:
        return pia_3_2_s1sp_enablement(self.store, self.name)

    def enable_mp107(self, enabled: bool) -> None:
        """This S1SP's own release of MP107 (PIA 3.2), on or off."""
        self.store.set_setting(_enablement_setting(self.name), "on" if enabled else "off")

    def process(self, root: etree._Element, deadline: float | None = None) -> Decision:
        """Run the S1SP's checks on a request the DSP has passed on; apply it or raise an S1SP Alert."""
        request = ServiceRequest.from_xml(root)
        try:
            duis_signature_check(root, self.smki)
            sender, device = self._sender_and_device(request)
            rdp = srpd_16_1_s1sp_registration_data_check(request, sender, device, self.registry, self.mp107_enabled)
            if pia_2_3_2_a_owner_check_applies(request):
                owner = s1sr_4_2_certificate_owner_check(request, self.anchors)
            else:
                owner = Verdict(PIA_2_3_2_A, "not a Critical request: no certificate-owner check")
            self._apply(request, deadline)
        except Rejection as rejection:
            return self._alert(request, rejection)
        answer = smets1_signed_response(request.request_id, request.srv, request.request_id.counter)
        return Decision(self.signer.sign(answer), True, (rdp.clause, owner.clause), f"{rdp.reason}; {owner.reason}")

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
            signer = duis_signature_check(root, self.smki)
            if signer.entity_id != commissioning_party or request.srv is not REQUEST_HANDOVER:
                raise Rejection("commissioning_party", f"{signer.entity_id} is not the DCC Commissioning Party")
            self.served_device(request.device_id)
            self._apply(request, deadline)
        except Rejection as rejection:
            return self._alert(request, rejection)
        answer = smets1_signed_response(request.request_id, request.srv, request.request_id.counter)
        return Decision(self.signer.sign(answer), True, (SRV_6_21,), "DCC Commissioning Party: certificates placed")

    def _alert(self, request: ServiceRequest, rejection: Rejection) -> Decision:
        code = rejection.rule.s1sp_alert_code
        if code is None:  # every rule an S1SP can apply has its S1SP Alert code in the one table
            raise RuntimeError(f"the rule {rejection.rule.key} has no S1SP Alert code")
        alert = s1sp_alert(request.request_id, request.device_id, code, rejection.detail)
        return Decision(self.signer.sign(alert), False, (rejection.rule.clause,), rejection.detail)

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
        if request.srv is UPDATE_SECURITY_CREDENTIALS_KRP:
            certificates = gbcs_replacement_certificates(request, self.smki)
        elif request.srv is REQUEST_HANDOVER:
            certificates = srv_6_21_request_handover(request, self.smki)
        else:
            return
        with self.store.transaction() as db:
            for cert in certificates:
                self.anchors.place(db, request.device_id, request.remote_party_role or "", cert)
            duis_s1sp_deadline_check(deadline)
