"""Wrong DCCs at enrolment: the Migration Control Centre's validation of a Network Operator certificate offered
(TMAD 5.10.12, 5.10.17), the certificate it provides where none was offered (TMAD 4.42), the DCC Commissioning
Party's handover (SRV 6.21), a Supplier's handover (SRV 6.21) and its anti-replay (PIA 3 option C)."""

from __future__ import annotations

from collections.abc import Callable

from catalogue import SRV_6_21, TMAD_5_10_12
from duis.requests import ServiceRequest
from duis.srv import REQUEST_HANDOVER, UPDATE_SECURITY_CREDENTIALS_KRP, UserRole
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import DeviceType
from fake_services.core.rejections import Rejection
from fake_services.deviations.base import faithful, wrong
from fake_services.dsp import checks as dsp
from fake_services.enrolment import checks, models
from fake_services.enrolment.models import (
    CertificateSource,
    Commissioning,
    DCCCommissioningParty,
    MigrationAuthorisation,
)
from fake_services.registration.checks import RegistryView, meter_points
from fake_services.s1sp import checks as s1sp
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from smki.validation import CertificateRejected


# --- TMAD 4.42: the certificate the MCC provides ----------------------------------------------------------------
@wrong("mcc-never-provides-the-certificate", checks.tmad_4_42_populate_network_operator_certificate)
def _never_provided(device_id: str, registry: RegistryView, smki: SMKIRepository) -> dict:
    return {}


@wrong("mcc-provides-the-gas-transporter-certificate", checks.tmad_4_42_populate_network_operator_certificate)
def _gas_transporters(device_id: str, registry: RegistryView, smki: SMKIRepository) -> dict:
    device = registry.device(device_id)
    if device is None or device.device_type is not DeviceType.ESME:
        return {}
    transporters = [
        registry.parties(point).get(UserRole.GAS_TRANSPORTER)
        for meter in registry.installation(device)
        if meter.device_type is DeviceType.GSME
        for point in meter_points(meter, registry)
    ]
    found = smki.organisation_certificates(next(filter(None, transporters), ""), RemotePartyRole.NETWORK_OPERATOR)
    return found if set(found) == {KeyUse.DS, KeyUse.KA} else {}


@wrong("mcc-certificate-placed-after-commissioning", models.srv_6_21_commissioning_handover)
def _placed_later(
    ma: MigrationAuthorisation,
    party: DCCCommissioningParty,
    enrol: Callable[[str, str], None],
    send_handover: Callable[[str, bytes], bytes],
    registry: RegistryView,
) -> Commissioning:
    if ma.source is not CertificateSource.MCC:
        return faithful(models.srv_6_21_commissioning_handover)(ma, party, enrol, send_handover, registry)
    enrol(ma.device_id, ma.supplier)
    return Commissioning(
        ma, None, None, True, SRV_6_21, "enrolled with the ACB default; the MCC's certificate is placed afterwards"
    )


# --- TMAD 5.10.12: whose certificate it must be -----------------------------------------------------------------
@wrong("mcc-owner-check-skipped", checks.tmad_5_10_12_owner_is_registered_network_operator)
@wrong("mcc-owner-checked-after-placing", checks.tmad_5_10_12_owner_is_registered_network_operator)
def _owner_not_checked(certificates: dict, device_id: str, registry: RegistryView) -> None:
    return None


@wrong("mcc-owner-compared-with-supplier", checks.tmad_5_10_12_owner_is_registered_network_operator)
def _owner_is_the_supplier(
    certificates: dict[KeyUse, OrganisationCertificate], device_id: str, registry: RegistryView
) -> None:
    device = registry.device(device_id)
    role = UserRole.IMPORT_SUPPLIER if device and device.device_type is DeviceType.ESME else UserRole.GAS_SUPPLIER
    points = meter_points(device, registry) if device else []
    supplier = next(filter(None, (registry.parties(point).get(role) for point in points)), None)
    for cert in certificates.values():
        if cert.entity_id != supplier:
            raise Rejection("tmad_5_10_12", f"the certificate belongs to {cert.entity_id}, not the Supplier {supplier}")


@wrong("mcc-owner-checked-after-placing", models.srv_6_21_commissioning_handover)
def _placed_then_checked(
    ma: MigrationAuthorisation,
    party: DCCCommissioningParty,
    enrol: Callable[[str, str], None],
    send_handover: Callable[[str, bytes], bytes],
    registry: RegistryView,
) -> Commissioning:
    done = faithful(models.srv_6_21_commissioning_handover)(ma, party, enrol, send_handover, registry)
    offered = [pem for pem in (ma.no_ds_pem, ma.no_ka_pem) if pem]
    if ma.source is CertificateSource.MCC or not offered:
        return done
    certificates = {cert.key_use: cert for cert in map(OrganisationCertificate.from_pem, offered)}
    owner_check = faithful(checks.tmad_5_10_12_owner_is_registered_network_operator)
    try:
        owner_check(certificates, ma.device_id, registry)
    except Rejection as rejection:
        return Commissioning(ma, done.request_xml, done.response_xml, False, TMAD_5_10_12, rejection.detail)
    return done


# --- TMAD 5.10.17: what a Network Operator certificate is --------------------------------------------------------
def _validated(offered: dict[KeyUse, str], smki: SMKIRepository, *, role: bool, key_use: bool) -> dict:
    """TMAD 5.10.17 as a wrong MCC applies it: without the role check, or without the key use of the slot."""
    certificates = {}
    for slot, pem in offered.items():
        try:
            cert = OrganisationCertificate.from_pem(pem)
            smki.validate(cert, slot if key_use else cert.key_use)
        except (ValueError, CertificateRejected) as exc:
            raise Rejection("tmad_5_10_17", f"the {slot.value} certificate: {exc}") from None
        if role and cert.role is not RemotePartyRole.NETWORK_OPERATOR:
            raise Rejection("tmad_5_10_17", f"the {slot.value} certificate is for role {cert.role}")
        certificates[slot] = cert
    return certificates


@wrong("mcc-accepts-any-role", checks.tmad_5_10_17_network_operator_certificate_validation)
def _any_role(offered: dict[KeyUse, str], smki: SMKIRepository) -> dict:
    return _validated(offered, smki, role=False, key_use=True)


@wrong("mcc-key-use-unchecked", checks.tmad_5_10_17_network_operator_certificate_validation)
def _any_key_use(offered: dict[KeyUse, str], smki: SMKIRepository) -> dict:
    return _validated(offered, smki, role=True, key_use=False)


# --- SRV 6.21: a handover's certificates, and its anti-replay (PIA 3 option C) -----------------------------------
@wrong("handover-certificates-not-validated", s1sp.srv_6_21_request_handover)
def _taken_as_given(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    offered = (request.digital_signing_certificate, request.key_agreement_certificate)
    return [OrganisationCertificate.from_der(der) for der in offered if der is not None]


def _anti_replay_except_for(srv: object) -> Callable[[ServiceRequest, int | None], None]:
    def check(request: ServiceRequest, last: int | None) -> None:
        if request.srv is not srv:
            faithful(dsp.duis_anti_replay_check)(request, last)

    return check


wrong("anti-replay-relaxed-for-handover", dsp.duis_anti_replay_check)(_anti_replay_except_for(REQUEST_HANDOVER))
wrong("anti-replay-relaxed-for-correction", dsp.duis_anti_replay_check)(
    _anti_replay_except_for(UPDATE_SECURITY_CREDENTIALS_KRP)
)
