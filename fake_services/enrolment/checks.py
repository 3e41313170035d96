"""Enrolment's checks, one function per clause: a Network Operator certificate offered at enrolment is a valid
one of that role (TMAD 5.10.17) owned by the registered Network Operator (TMAD 5.10.12); where none was
offered the DCC provides the registered one's (TMAD 4.42); and PIA 2.3.2's gap for a Dormant ESME beside an
Active GSME. Registration Data is read through a `RegistryView` (records), handed over by the model."""

from __future__ import annotations

from duis.srv import UserRole
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import Device, DeviceType, InstallStatus
from fake_services.core.rejections import Rejection
from fake_services.core.rules import rule
from fake_services.registration.checks import RegistryView, meter_points
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from smki.validation import CertificateRejected


@rule
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


@rule
def tmad_5_10_12_owner_is_registered_network_operator(
    certificates: dict[KeyUse, OrganisationCertificate], device_id: str, registry: RegistryView
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


@rule
def registered_network_operator(device_id: str, registry: RegistryView) -> str | None:
    """The Network Operator registered for the meter: its Electricity Distributor or Gas Transporter."""
    device = registry.device(device_id)
    if device is None:
        raise Rejection("device_unknown", f"device {device_id} is not in the Smart Metering Inventory")
    role = UserRole.ELECTRICITY_DISTRIBUTOR if device.device_type is DeviceType.ESME else UserRole.GAS_TRANSPORTER
    for point in meter_points(device, registry):
        party = registry.parties(point).get(role)
        if party:
            return party
    return None


@rule
def tmad_4_42_populate_network_operator_certificate(
    device_id: str, registry: RegistryView, smki: SMKIRepository
) -> dict[KeyUse, OrganisationCertificate]:
    """TMAD 4.42: where the Supplier gave no Network Operator certificate before enrolment, the DCC
    populates the ESME's with the registered Network Operator's (empty if it has none in the SMKI)."""
    device = registry.device(device_id)
    if device is None or device.device_type is not DeviceType.ESME:
        return {}
    registered = registered_network_operator(device_id, registry)
    found = smki.organisation_certificates(registered or "", RemotePartyRole.NETWORK_OPERATOR)
    return found if set(found) == {KeyUse.DS, KeyUse.KA} else {}


@rule
def no_certificate_captured_for_dormant_esme(device: Device, installation: list[Device]) -> bool:
    """PIA 2.3.2: no provision captures an ESME NO certificate for a Dormant ESME in an installation whose GSME
    is Active (the Supplier applies it later with SRV 6.21)."""
    if device.device_type is not DeviceType.ESME or device.status is not InstallStatus.DORMANT:
        return False
    return any(d.device_type is DeviceType.GSME and d.status is InstallStatus.ACTIVE for d in installation)
