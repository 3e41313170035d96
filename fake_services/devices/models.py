"""Devices as the other services use them: the trust anchors each device holds (a SMETS1 device's, as its
S1SP holds them) and what 6.24.1 reads from them, the record of alerts, and a SMETS2 device deciding a KRP
update itself (GBCS; no Registration Data check)."""

from __future__ import annotations

import hashlib
import sqlite3

from lxml import etree

from duis.requests import ServiceRequest
from duis.smets1 import RemotePartyDetail
from duis.srv import UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import Anchor
from fake_services.core.store import Store
from fake_services.devices.checks import gbcs_replacement_certificates, pia_2_2_smets2_device_update
from fake_services.devices.state import AlertTable, TrustAnchorTable
from smki.profile import KeyUse, OrganisationCertificate

CERTIFICATE_USAGE = {KeyUse.DS: "DigitalSigning", KeyUse.KA: "KeyAgreement"}
"""How 6.24.1 names a trust-anchor cell's key use (MMC `CertificateUsage`)."""


class TrustAnchors:
    """The certificate held per device, Remote Party Role and key use. For a SMETS1 device the S1SP that
    serves it holds them (as Certificate IDs); a SMETS2 device holds its own. DS is the Critical cell, KA the
    Non-Critical one (primer section 4)."""

    def __init__(self, store: Store) -> None:
        self.table = TrustAnchorTable(store)

    def held(self, device_id: str, role: str, key_use: KeyUse) -> Anchor | None:
        return self.table.get(device_id, role, key_use)

    def all_for(self, device_id: str) -> list[Anchor]:
        return self.table.of_device(device_id)

    def place(self, db: sqlite3.Connection, device_id: str, role: str, cert: OrganisationCertificate) -> None:
        """Put `cert` in the cell for its key use, inside the caller's transaction."""
        if cert.key_use is None:
            raise ValueError("a trust anchor holds a DS or a KA certificate")
        self.table.put(db, device_id, Anchor(role, cert.key_use, cert.entity_id, cert.certificate_id, cert.pem()))

    def credentials(self, device_id: str, roles: tuple[str, ...]) -> list[RemotePartyDetail]:
        """What 6.24.1 answers for each trust-anchor cell of the roles asked for: the owner's entity ID and a
        hash of the certificate (SHA-1 of its DER: the sandbox's choice; DUIS does not say what is put in
        ExistingCertificateHash)."""
        return [
            RemotePartyDetail(
                a.role,
                CERTIFICATE_USAGE[a.key_use],
                a.entity_id,
                hashlib.sha1(a.certificate().der()).digest(),  # noqa: S324 - as DUIS has it
            )
            for a in self.all_for(device_id)
            if a.role in roles
        ]


class AlertLog:
    """The sandbox's own record of which alert went to whom (evidence; a User judges by what it receives)."""

    def __init__(self, store: Store) -> None:
        self.table = AlertTable(store)

    def record(self, device_id: str, recipient: str, alert_code: str) -> None:
        self.table.add(device_id, recipient, alert_code)

    def delivered(self, recipient: str | None = None) -> list[dict[str, str]]:
        return self.table.all(recipient)


class SMETS2Device:
    """A SMETS2 device deciding a KRP update itself (GBCS). No Registration Data check."""

    def __init__(self, store: Store, smki: SMKIRepository) -> None:
        self.store = store
        self.smki = smki
        self.anchors = TrustAnchors(store)

    def read_security_credentials(self, request: ServiceRequest) -> list[RemotePartyDetail]:
        """6.24.1: what the device holds in each cell of the roles asked for."""
        return self.anchors.credentials(request.device_id, request.remote_party_roles)

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
