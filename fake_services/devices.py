"""Devices: SMETS1 meters raise alerts that the S1SP routes by the Network Operator certificate it
holds; SMETS2 devices hold their own trust anchors and decide their own KRP updates."""

from __future__ import annotations

import hashlib

from lxml import etree

from duis.messages import RemotePartyDetail, ServiceRequest
from duis.precommand import PreCommandInvalid, pre_command_for, verify_pre_command
from duis.srv import UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import DeviceType
from fake_services.core.rejections import Rejection
from fake_services.core.store import Store
from fake_services.credentials import gbcs_replacement_certificates
from fake_services.registration.models import SmartMeteringInventory
from fake_services.trust_anchors import Anchor, TrustAnchors
from smki.profile import KeyUse, OrganisationCertificate


def pia_2_3_2_b_alert_target(device_id: str, inventory: SmartMeteringInventory, anchors: TrustAnchors) -> str | None:
    """PIA 2.3.2 B: an ESME's alerts for the Network Operator go to the Business Target ID taken
    from the Non-Critical (KA) Network Operator certificate held for it; a SMETS1 GSME raises no
    Network Operator alerts."""
    device = inventory.get(device_id)
    if device is None:
        raise LookupError(f"device {device_id} does not exist")
    if device.device_type is not DeviceType.ESME:
        return None
    held = anchors.held(device_id, "NetworkOperator", KeyUse.KA)
    return held.entity_id if held else None


class AlertLog:
    """The sandbox's own record of which alert went to whom (evidence; a User judges by what it receives)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, device_id: str, recipient: str, alert_code: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO alerts (device_id, recipient, alert_code) VALUES (?, ?, ?)",
                (device_id, recipient, alert_code),
            )

    def delivered(self, recipient: str | None = None) -> list[dict[str, str]]:
        sql = "SELECT device_id, recipient, alert_code, raised_at FROM alerts"
        rows = (
            self.store.all(sql + " WHERE recipient = ? ORDER BY id", recipient)
            if recipient
            else self.store.all(sql + " ORDER BY id")
        )
        return [dict(r) for r in rows]


def pia_2_2_smets2_device_update(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None, held: Anchor | None
) -> str:
    """PIA 2.2: a SMETS2 device accepts a new certificate from the holder of its current one: the
    command (the Pre-Command made from this request) must be signed with the key of the certificate it
    holds for that role, so the "wrong" Network Operator can place the right one."""
    role = request.remote_party_role or ""
    holder = held.entity_id if held else "none"
    if held is None or signed_pre_command is None:
        raise Rejection("device_rejected", f"the command is not signed by the holder of the {role} certificate")
    try:
        payload = verify_pre_command(
            signed_pre_command, OrganisationCertificate.from_pem(held.pem).certificate.public_key()
        )
    except PreCommandInvalid:
        raise Rejection(
            "device_rejected",
            f"the command is not signed with the {role} certificate the device holds ({holder})",
        ) from None
    if payload != pre_command_for(request, root).to_bytes():
        raise Rejection("device_rejected", "the signed command is not the one this request asks for")
    return f"signed by the holder of the device's {role} certificate"


class SMETS2Device:
    """A SMETS2 device deciding a KRP update itself (GBCS). No Registration Data check."""

    def __init__(self, store: Store, smki: SMKIRepository) -> None:
        self.store = store
        self.smki = smki
        self.anchors = TrustAnchors(store)

    def read_security_credentials(self, request: ServiceRequest) -> list[RemotePartyDetail]:
        """6.24.1: what the device holds in each cell of the roles asked for."""
        usage = {KeyUse.DS: "DigitalSigning", KeyUse.KA: "KeyAgreement"}
        return [
            RemotePartyDetail(
                a.role,
                usage[a.key_use],
                a.entity_id,
                hashlib.sha1(OrganisationCertificate.from_pem(a.pem).der()).digest(),  # noqa: S324 - as DUIS has it
            )
            for a in self.anchors.all_for(request.device_id)
            if a.role in request.remote_party_roles
        ]

    def update_security_credentials(
        self, request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None
    ) -> str:
        """Apply a 6.15.1 the device accepts (PIA 2.2); any other request changes nothing here."""
        if request.srv is not UPDATE_SECURITY_CREDENTIALS_KRP:
            return "no change"
        role = request.remote_party_role or ""
        held = self.anchors.held(request.device_id, role, KeyUse.DS)
        decided = pia_2_2_smets2_device_update(request, root, signed_pre_command, held)
        certificates = gbcs_replacement_certificates(request, self.smki)
        with self.store.transaction() as db:
            for cert in certificates:
                self.anchors.place(db, request.device_id, role, cert)
        return decided
