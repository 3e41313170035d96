"""SMETS1 enrolment: how a Network Operator certificate first reaches the S1SP (PIA Figure 1).

The DCC Migration Control Centre (MCC) takes Migration Authorisations, sends Dormant Meter Migration
Notifications and creates Migration Authorisations from their responses, validating any Network
Operator certificate offered (TMAD 5.10.12, 5.10.17) and providing one where the Supplier gave none
(TMAD 4.42). The DCC Commissioning Party then sends SRV 6.21 to the S1SP. Supplier-commissioned
meters are enrolled with the ACB default and the Supplier sends SRV 6.21 itself."""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from cryptography.hazmat.primitives.serialization import Encoding

from catalogue import SRV_6_21, Clause
from duis.messages import RequestID, ServiceRequest
from duis.srv import REQUEST_HANDOVER, UserRole
from duis.xml import parse, q, to_bytes
from fake_services.core.dcc_internal import countersigned_request
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import DeviceType, InstallStatus
from fake_services.core.rejections import Rejection
from fake_services.core.signer import ServiceSigner
from fake_services.core.store import Store
from fake_services.registration.models import Registry
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from smki.validation import CertificateRejected

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


def tmad_5_10_17_network_operator_certificate_validation(
    offered: dict[KeyUse, str], smki: SMKIRepository
) -> dict[KeyUse, OrganisationCertificate]:
    """TMAD 5.10.17: a Network Operator certificate offered at enrolment must be a valid SMKI
    Organisation certificate in the Network Operator role, with the key use of its slot, chaining to
    the SMKI root; DS and KA must name the same organisation."""
    certificates = {}
    for key_use, pem in offered.items():
        try:
            cert = OrganisationCertificate.from_pem(pem)
            smki.validate(cert, key_use)
        except (ValueError, CertificateRejected) as exc:
            raise Rejection("tmad_5_10_17", f"the {key_use.value} certificate: {exc}") from None
        if cert.role is not RemotePartyRole.NETWORK_OPERATOR:
            raise Rejection(
                "tmad_5_10_17", f"the {key_use.value} certificate is for role {cert.role}, not Network Operator"
            )
        certificates[key_use] = cert
    if len({c.entity_id for c in certificates.values()}) > 1:
        raise Rejection("tmad_5_10_17", "the DS and KA certificates belong to different organisations")
    return certificates


def tmad_5_10_12_owner_is_registered_network_operator(
    certificates: dict[KeyUse, OrganisationCertificate], device_id: str, registry: Registry
) -> None:
    """TMAD 5.10.12: the owner of the Network Operator certificate offered at enrolment must be the
    registered Network Operator (Electricity Distributor or Gas Transporter) for the meter."""
    registered = registered_network_operator(device_id, registry)
    for cert in certificates.values():
        if cert.entity_id != registered:
            raise Rejection(
                "tmad_5_10_12",
                f"the certificate belongs to {cert.entity_id}, not the registered Network Operator {registered}",
            )


def registered_network_operator(device_id: str, registry: Registry) -> str | None:
    device = registry.inventory.get(device_id)
    if device is None:
        raise Rejection("device_unknown", f"device {device_id} is not in the Smart Metering Inventory")
    role = UserRole.ELECTRICITY_DISTRIBUTOR if device.device_type is DeviceType.ESME else UserRole.GAS_TRANSPORTER
    for point in registry.inventory.meter_points(device):
        party = registry.registration.registered_parties(point).get(role)
        if party:
            return party
    return None


def tmad_4_42_populate_network_operator_certificate(
    device_id: str, registry: Registry, smki: SMKIRepository
) -> dict[KeyUse, OrganisationCertificate]:
    """TMAD 4.42: where the Supplier gave no Network Operator certificate before enrolment, the DCC
    populates the ESME's with the registered Network Operator's (empty if it has none in the SMKI)."""
    device = registry.inventory.get(device_id)
    if device is None or device.device_type is not DeviceType.ESME:
        return {}
    registered = registered_network_operator(device_id, registry)
    found = smki.organisation_certificates(registered or "", RemotePartyRole.NETWORK_OPERATOR)
    return found if set(found) == {KeyUse.DS, KeyUse.KA} else {}


class MigrationControlCentre:
    """The DCC's MCC: Migration Authorisations and Dormant Meter Migration Notifications."""

    def __init__(self, store: Store, registry: Registry, smki: SMKIRepository) -> None:
        self.store = store
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
        if offered:
            certificates = tmad_5_10_17_network_operator_certificate_validation(offered, self.smki)
            tmad_5_10_12_owner_is_registered_network_operator(certificates, device_id, self.registry)
        elif self._mixed_installation_dormant_esme(device_id):
            certificates, source = {}, CertificateSource.LATER_BY_SUPPLIER
        elif commissioned_by is CommissionedBy.DCC:
            certificates = tmad_4_42_populate_network_operator_certificate(device_id, self.registry, self.smki)
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
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO enrolment (id, kind, device_id, data) VALUES (?, 'migration-authorisation', ?, ?)",
                (ma.id, device_id, json.dumps(ma.to_json())),
            )
        return ma

    def _mixed_installation_dormant_esme(self, device_id: str) -> bool:
        """PIA 2.3.2: no provision captures an ESME NO certificate for a Dormant ESME in an
        installation whose GSME is Active."""
        device = self.registry.inventory.get(device_id)
        if device is None or device.device_type is not DeviceType.ESME or device.status is not InstallStatus.DORMANT:
            return False
        return any(
            d.device_type is DeviceType.GSME and d.status is InstallStatus.ACTIVE
            for d in self.registry.inventory.installation(device)
        )

    def notify_dormant_meter(self, device_id: str, supplier: str) -> str:
        """Send the Supplier a Dormant Meter Migration Notification; returns its id."""
        device = self.registry.inventory.get(device_id)
        if device is None or device.status is not InstallStatus.DORMANT:
            raise Rejection("device_unknown", f"device {device_id} is not a Dormant meter in the inventory")
        notification = uuid.uuid4().hex[:12]
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO enrolment (id, kind, device_id, data) VALUES (?, 'dormant-notification', ?, ?)",
                (notification, device_id, json.dumps({"supplier": supplier})),
            )
        return notification

    def dormant_notification_response(self, notification: str, offered: dict[KeyUse, str]) -> MigrationAuthorisation:
        """The Supplier's response, with or without a NO certificate: the MCC creates the MA."""
        row = self.store.one("SELECT * FROM enrolment WHERE id = ? AND kind = 'dormant-notification'", notification)
        if row is None:
            raise Rejection("device_unknown", f"no Dormant Meter Migration Notification {notification}")
        supplier = json.loads(row["data"])["supplier"]
        return self.authorise(
            row["device_id"], supplier, CommissionedBy.DCC, offered, CertificateSource.DORMANT_RESPONSE
        )

    def get(self, ma_id: str) -> MigrationAuthorisation:
        row = self.store.one("SELECT data FROM enrolment WHERE id = ? AND kind = 'migration-authorisation'", ma_id)
        if row is None:
            raise KeyError(f"no Migration Authorisation {ma_id}")
        data = json.loads(row["data"])
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


def srv_6_21_commissioning_handover(
    ma: MigrationAuthorisation,
    party: DCCCommissioningParty,
    enrol: Callable[[str, str], None],
    send_handover: Callable[[str, bytes], bytes],
) -> Commissioning:
    """SRV 6.21 at enrolment: the meter is enrolled at its S1SP (Supplier and ACB certificates, the ACB's
    as the NO default); then, for a DCC-commissioned meter whose Migration Authorisation has a NO
    certificate, the DCC Commissioning Party sends SRV 6.21 to place it. A Supplier-commissioned meter
    waits for the Supplier's own SRV 6.21."""
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
        registry, smki = self.mcc.registry, self.mcc.smki

        def enrol(device_id: str, supplier: str) -> None:
            device = registry.inventory.get(device_id)
            if device is None or device.s1sp not in self.s1sps:
                raise Rejection("device_unknown", f"{device_id} is not a SMETS1 meter in the inventory")
            supplier_certs = smki.organisation_certificates(supplier, RemotePartyRole.SUPPLIER)
            self.s1sps[device.s1sp].enrol(device_id, list(supplier_certs.values()), self.access_control_broker)

        def handover(device_id: str, body: bytes) -> bytes:
            device = registry.inventory.get(device_id)
            return self.send_handover(device.s1sp if device else "", body)

        return srv_6_21_commissioning_handover(ma, self.party, enrol, handover)
