"""Wrong DCCs at the devices: where a SMETS1 ESME's alerts go (PIA 2.3.2 B), and which replacement certificates
a device takes (GBCS replacement certificates)."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509

from duis.requests import ServiceRequest
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import Anchor, Device, DeviceType
from fake_services.core.rejections import Rejection
from fake_services.deviations.base import wrong
from fake_services.devices import checks
from fake_services.enrolment.checks import registered_network_operator
from fake_services.registration.checks import RegistryView
from smki.profile import DUIS_REMOTE_PARTY_ROLE, KeyUse, OrganisationCertificate
from smki.validation import CertificateRejected


# --- PIA 2.3.2 B: where an ESME's alerts go ---------------------------------------------------------------------
@wrong("alerts-to-registered-network-operator", checks.pia_2_3_2_b_alert_target)
def _signing_cell(device: Device, held: Mapping[KeyUse, Anchor | None], registry: RegistryView) -> str | None:
    if device.device_type is not DeviceType.ESME:
        return None
    signing = held.get(KeyUse.DS)
    return signing.entity_id if signing else None


@wrong("alerts-from-gas-meters-too", checks.pia_2_3_2_b_alert_target)
def _any_meter(device: Device, held: Mapping[KeyUse, Anchor | None], registry: RegistryView) -> str | None:
    key_agreement = held.get(KeyUse.KA)
    return key_agreement.entity_id if key_agreement else None


@wrong("alerts-by-registration-data", checks.pia_2_3_2_b_alert_target)
def _registered(device: Device, held: Mapping[KeyUse, Anchor | None], registry: RegistryView) -> str | None:
    if device.device_type is not DeviceType.ESME:
        return None
    return registered_network_operator(device.device_id, registry)


# --- GBCS: the replacement certificates a device takes ----------------------------------------------------------
def _replacements(
    request: ServiceRequest, smki: SMKIRepository, *, role: bool, key_use: bool
) -> list[OrganisationCertificate]:
    """The GBCS rule as a wrong DCC applies it: without the role check, or without the key use of the slot."""
    wanted = DUIS_REMOTE_PARTY_ROLE.get(request.remote_party_role or "")
    path = [x509.load_der_x509_certificate(ca) for ca in request.certification_path]
    slots = ((KeyUse.DS, request.digital_signing_certificate), (KeyUse.KA, request.key_agreement_certificate))
    placed = []
    for slot, der in slots:
        if der is None:
            continue
        cert = OrganisationCertificate.from_der(der)
        if role and cert.role is not wanted:
            raise Rejection("replacement_certificate", f"the {slot.value} certificate is for role {cert.role}")
        try:
            smki.validate(cert, slot if key_use else cert.key_use, path)
        except CertificateRejected as exc:
            raise Rejection("replacement_certificate", f"the {slot.value} certificate: {exc}") from None
        placed.append(cert)
    return placed


@wrong("replacement-role-unchecked", checks.gbcs_replacement_certificates)
def _any_role(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    return _replacements(request, smki, role=False, key_use=True)


@wrong("replacement-key-use-unchecked", checks.gbcs_replacement_certificates)
def _any_key_use(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    return _replacements(request, smki, role=True, key_use=False)
