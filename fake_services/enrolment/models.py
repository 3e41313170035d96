"""SMETS1 enrolment: how a Network Operator certificate first reaches the S1SP (PIA Figure 1).

The DCC Migration Control Centre (MCC) takes Migration Authorisations, sends Dormant Meter Migration
Notifications and creates Migration Authorisations from their responses, validating any Network
Operator certificate offered (TMAD 5.10.12, 5.10.17) and providing one where the Supplier gave none
(TMAD 4.42). The DCC Commissioning Party then sends SRV 6.21 to the S1SP. Supplier-commissioned
meters are enrolled with the ACB default and the Supplier sends SRV 6.21 itself."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from cryptography.hazmat.primitives.serialization import Encoding

from catalogue import SRV_6_21, Clause
from duis.requests import RequestID, ServiceRequest
from duis.srv import REQUEST_HANDOVER
from duis.xml import parse, q, to_bytes
from fake_services.core.dcc_internal import countersigned_request
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import InstallStatus
from fake_services.core.rejections import Rejection
from fake_services.core.rules import rule
from fake_services.core.signer import ServiceSigner
from fake_services.core.store import Store
from fake_services.enrolment.checks import (
    no_certificate_captured_for_dormant_esme,
    tmad_4_42_populate_network_operator_certificate,
    tmad_5_10_12_owner_is_registered_network_operator,
    tmad_5_10_17_network_operator_certificate_validation,
)
from fake_services.enrolment.state import DORMANT_NOTIFICATION, MIGRATION_AUTHORISATION, EnrolmentTable
from fake_services.registration.checks import RegistryView
from fake_services.registration.models import Registry
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

NO_ROLE = "NetworkOperator"


class EnrollingS1SP(Protocol):
    """What commissioning needs of an S1SP: to enrol a meter with its first certificates."""

    def enrol(
        self, device_id: str, supplier: list[OrganisationCertificate], acb: list[OrganisationCertificate]
    ) -> None: ...


class CommissionedBy(enum.StrEnum):
    DCC = "DCC"
    SUPPLIER = "Supplier"


class CertificateSource(enum.StrEnum):
    """Where the Network Operator certificate in a Migration Authorisation came from."""

    MIGRATION_AUTHORISATION = "Supplier, in the Migration Authorisation"
    DORMANT_RESPONSE = "Supplier, in the Dormant Meter Migration Notification response"
    MCC = "DCC Migration Control Centre (TMAD 4.42)"
    NONE = "none available: ACB default"
    LATER_BY_SUPPLIER = "none captured: Supplier applies it later with SRV 6.21"


@dataclass(frozen=True)
class MigrationAuthorisation:
    id: str
    device_id: str
    supplier: str
    commissioned_by: CommissionedBy
    source: CertificateSource
    no_ds_pem: str | None
    no_ka_pem: str | None

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(commissioned_by=self.commissioned_by.value, source=self.source.value)
        return data


class MigrationControlCentre:
    """The DCC's MCC: Migration Authorisations and Dormant Meter Migration Notifications."""

    def __init__(self, store: Store, registry: Registry, smki: SMKIRepository) -> None:
        self.table = EnrolmentTable(store)
        self.registry = registry
        self.smki = smki

    def authorise(
        self,
        device_id: str,
        supplier: str,
        commissioned_by: CommissionedBy,
        offered: dict[KeyUse, str],
        source: CertificateSource = CertificateSource.MIGRATION_AUTHORISATION,
    ) -> MigrationAuthorisation:
        """Accept a Migration Authorisation, validating or providing the NO certificate."""
        device = self.registry.inventory.get(device_id)
        if device is None:
            raise Rejection("device_unknown", f"device {device_id} is not in the Smart Metering Inventory")
        view = self.registry.view
        if offered:
            certificates = tmad_5_10_17_network_operator_certificate_validation(offered, self.smki)
            tmad_5_10_12_owner_is_registered_network_operator(certificates, device_id, view)
        elif no_certificate_captured_for_dormant_esme(device, self.registry.inventory.installation(device)):
            certificates, source = {}, CertificateSource.LATER_BY_SUPPLIER
        elif commissioned_by is CommissionedBy.DCC:
            certificates = tmad_4_42_populate_network_operator_certificate(device_id, view, self.smki)
            source = CertificateSource.MCC if certificates else CertificateSource.NONE
        else:
            certificates, source = {}, CertificateSource.NONE
        ma = MigrationAuthorisation(
            uuid.uuid4().hex[:12],
            device_id,
            supplier,
            commissioned_by,
            source,
            certificates[KeyUse.DS].pem() if KeyUse.DS in certificates else None,
            certificates[KeyUse.KA].pem() if KeyUse.KA in certificates else None,
        )
        self.table.add(MIGRATION_AUTHORISATION, ma.id, device_id, ma.to_json())
        return ma

    def notify_dormant_meter(self, device_id: str, supplier: str) -> str:
        """Send the Supplier a Dormant Meter Migration Notification; returns its id."""
        device = self.registry.inventory.get(device_id)
        if device is None or device.status is not InstallStatus.DORMANT:
            raise Rejection("device_unknown", f"device {device_id} is not a Dormant meter in the inventory")
        notification = uuid.uuid4().hex[:12]
        self.table.add(DORMANT_NOTIFICATION, notification, device_id, {"supplier": supplier})
        return notification

    def dormant_notification_response(self, notification: str, offered: dict[KeyUse, str]) -> MigrationAuthorisation:
        """The Supplier's response, with or without a NO certificate: the MCC creates the MA."""
        found = self.table.get(DORMANT_NOTIFICATION, notification)
        if found is None:
            raise Rejection("device_unknown", f"no Dormant Meter Migration Notification {notification}")
        device_id, data = found
        return self.authorise(
            device_id, data["supplier"], CommissionedBy.DCC, offered, CertificateSource.DORMANT_RESPONSE
        )

    def get(self, ma_id: str) -> MigrationAuthorisation:
        found = self.table.get(MIGRATION_AUTHORISATION, ma_id)
        if found is None:
            raise KeyError(f"no Migration Authorisation {ma_id}")
        _, data = found
        return MigrationAuthorisation(
            data["id"],
            data["device_id"],
            data["supplier"],
            CommissionedBy(data["commissioned_by"]),
            CertificateSource(data["source"]),
            data["no_ds_pem"],
            data["no_ka_pem"],
        )


class DCCCommissioningParty:
    """Commissions a migrated SMETS1 meter: has its S1SP enrol it and, where the Migration
    Authorisation carries a NO certificate, sends SRV 6.21 to place it."""

    def __init__(self, smki: SMKIRepository, signer: ServiceSigner) -> None:
        self.smki = smki
        self.signer = signer
        self._counter = 0

    @property
    def entity_id(self) -> str:
        return self.signer.certificate.entity_id

    def handover_request(self, ma: MigrationAuthorisation) -> bytes:
        """SRV 6.21 'Request Handover of DCC Controlled Device' carrying the MA's NO certificate."""
        if ma.no_ds_pem is None:
            raise ValueError("the Migration Authorisation carries no Network Operator certificate")
        self._counter += 1
        request = ServiceRequest(
            RequestID(self.entity_id, ma.device_id, self._counter),
            REQUEST_HANDOVER,
            remote_party_role=NO_ROLE,
            digital_signing_certificate=OrganisationCertificate.from_pem(ma.no_ds_pem).der(),
            key_agreement_certificate=OrganisationCertificate.from_pem(ma.no_ka_pem).der() if ma.no_ka_pem else None,
            certification_path=tuple(ca.public_bytes(Encoding.DER) for ca in self.smki.issuing_cas),
        )
        signed = self.signer.sign(request.to_xml())
        return to_bytes(self.signer.sign(countersigned_request(signed, None)))


@dataclass(frozen=True)
class Commissioning:
    """What commissioning did: the SRV 6.21 the DCC Commissioning Party sent (if any) and the answer."""

    migration_authorisation: MigrationAuthorisation
    request_xml: str | None
    response_xml: str | None
    accepted: bool
    decided_by: Clause
    reason: str


@rule
def srv_6_21_commissioning_handover(
    ma: MigrationAuthorisation,
    party: DCCCommissioningParty,
    enrol: Callable[[str, str], None],
    send_handover: Callable[[str, bytes], bytes],
    registry: RegistryView,
) -> Commissioning:
    """SRV 6.21 at enrolment: the meter is enrolled at its S1SP (Supplier and ACB certificates, the ACB's
    as the NO default); then, for a DCC-commissioned meter whose Migration Authorisation has a NO
    certificate, the DCC Commissioning Party sends SRV 6.21 to place it, at once: the certificate was
    validated when the Migration Authorisation was accepted (TMAD 5.10.12, 5.10.17; Registration Data,
    `registry`, is not read again here). A Supplier-commissioned meter waits for the Supplier's own SRV 6.21."""
    enrol(ma.device_id, ma.supplier)
    if ma.commissioned_by is CommissionedBy.SUPPLIER or ma.no_ds_pem is None:
        return Commissioning(ma, None, None, True, SRV_6_21, f"enrolled; Network Operator certificate: {ma.source}")
    request = party.handover_request(ma)
    try:
        answer = send_handover(ma.device_id, request)
    except Rejection as rejection:  # the S1SP did not answer: enrolled with the ACB default, as PIA 2.3.2 says
        return Commissioning(ma, request.decode(), None, False, rejection.rule.clause, rejection.detail)
    accepted = parse(answer).tag == q("SMETS1SignedResponse")
    return Commissioning(
        ma, request.decode(), answer.decode(), accepted, SRV_6_21, f"Network Operator certificate from the {ma.source}"
    )


class Enrolment:
    """Commissioning a migrated SMETS1 meter: its S1SP enrols it, and the DCC Commissioning Party hands
    over the Network Operator certificate of its Migration Authorisation."""

    def __init__(
        self,
        mcc: MigrationControlCentre,
        party: DCCCommissioningParty,
        s1sps: Mapping[str, EnrollingS1SP],
        access_control_broker: Sequence[OrganisationCertificate],
        send_handover: Callable[[str, bytes], bytes],
    ) -> None:
        self.mcc = mcc
        self.party = party
        self.s1sps = s1sps
        self.access_control_broker = list(access_control_broker)
        self.send_handover = send_handover

    def commission(self, ma_id: str) -> Commissioning:
        """The DCC Commissioning Party commissions the meter of a Migration Authorisation."""
        ma = self.mcc.get(ma_id)
        smki = self.mcc.smki

        def enrol(device_id: str, supplier: str) -> None:
            s1sp = self._s1sp_of(device_id)
            if s1sp not in self.s1sps:
                raise Rejection("device_unknown", f"{device_id} is not a SMETS1 meter in the inventory")
            supplier_certs = smki.organisation_certificates(supplier, RemotePartyRole.SUPPLIER)
            self.s1sps[s1sp].enrol(device_id, list(supplier_certs.values()), self.access_control_broker)

        def handover(device_id: str, body: bytes) -> bytes:
            return self.send_handover(self._s1sp_of(device_id), body)

        return srv_6_21_commissioning_handover(ma, self.party, enrol, handover, self.mcc.registry.view)

    def _s1sp_of(self, device_id: str) -> str:
        """The S1SP serving the device ("" when none does)."""
        device = self.mcc.registry.inventory.get(device_id)
        return (device.s1sp or "") if device else ""
