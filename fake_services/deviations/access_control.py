"""Wrong DCCs at the Registration Data check (SRPD 6.1(f), its exceptions 6.2(a)-(d)), as the DSP applies it
and each S1SP applies it again (SRPD 16.1); at what the holder may place under it (PIA 3 option A); at the
SMETS2 path that never had it (PIA 2.2); and at the DSP's one MP107 switch (PIA 3.2)."""

from __future__ import annotations

from collections.abc import Callable

from catalogue import PIA_2_2, SRPD_6_1_F, SRPD_6_2_C, Clause
from duis.requests import ServiceRequest, normalise_eui64
from duis.srv import (
    JOIN_SERVICE,
    RESTORE_GPF_DEVICE_LOG,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    UPDATE_SECURITY_CREDENTIALS_KRP,
    UserRole,
)
from fake_services.core.records import Device, DeviceType, User
from fake_services.core.rejections import Verdict
from fake_services.core.store import Store
from fake_services.deviations.base import faithful, wrong
from fake_services.dsp.checks import pia_3_2_dsp_feature_switch
from fake_services.registration import checks
from fake_services.registration.checks import RegistryView
from fake_services.s1sp.checks import pia_3_2_s1sp_enablement
from smki.profile import OrganisationCertificate

NETWORK_OPERATOR_ROLES = (UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER)


# --- SRPD 6.1(f): who counts as registered -----------------------------------------------------------------
@wrong("rdp-across-the-installation", checks.meter_points)
def _every_meter_point_on_the_hub(device: Device, registry: RegistryView) -> list[str]:
    own = [device.mpxn] if device.mpxn else []
    return own + [d.mpxn for d in registry.installation(device) if d.mpxn and d.mpxn not in own]


@wrong("network-operator-of-either-fuel", checks.is_registered)
def _either_network_operator(user: User, device: Device, registry: RegistryView) -> bool:
    if not user.user_role.is_network_operator:
        return bool(faithful(checks.is_registered)(user, device, registry))
    points = {d.mpxn for d in (device, *registry.installation(device)) if d.mpxn}
    return any(
        registry.parties(point).get(role) == user.entity_id for point in points for role in NETWORK_OPERATOR_ROLES
    )


@wrong("rdp-only-on-critical-requests", checks.srpd_6_1_f_registration_data_check)
def _critical_only(
    request: ServiceRequest,
    sender: User,
    device: Device,
    registry: RegistryView,
    *,
    mp107_in_force: bool,
    rule_key: str = "registration_data",
) -> Verdict:
    if not request.srv.critical:
        return Verdict(SRPD_6_1_F, "Registration Data checked on Critical requests only")
    check = faithful(checks.srpd_6_1_f_registration_data_check)
    verdict: Verdict = check(request, sender, device, registry, mp107_in_force=mp107_in_force, rule_key=rule_key)
    return verdict


# --- SRPD 6.2(a) and (b): the Import Supplier sharing the hub ------------------------------------------------
@wrong("join-service-from-any-import-supplier", checks.srpd_6_2_a_join_service)
def _any_import_supplier_joins(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    if request.srv is not JOIN_SERVICE or device.device_type is not DeviceType.GPF:
        return False
    other = registry.device(request.other_device_id or "")
    return (
        other is not None
        and other.device_type is DeviceType.GSME
        and other.installation == device.installation
        and sender.user_role is UserRole.IMPORT_SUPPLIER
    )


@wrong("6-2-a-for-any-request-to-the-gas-side", checks.srpd_6_2_a_join_service)
def _anything_to_the_gas_side(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    gas_side = device.device_type in (DeviceType.GPF, DeviceType.GSME)
    return gas_side and checks.is_responsible_import_supplier_sharing_chf(sender, device, registry)


@wrong("6-2-b-responsible-supplier-of-the-gas-meter", checks.srpd_6_2_b_restore_gpf_device_log)
def _gas_meters_supplier(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    if request.srv is not RESTORE_GPF_DEVICE_LOG or device.device_type is not DeviceType.GPF:
        return False
    suppliers = (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER)
    return any(
        registry.parties(point).get(role) == sender.entity_id
        for point in checks.meter_points(device, registry)
        for role in suppliers
    )


@wrong("restore-gpf-log-from-any-import-supplier", checks.srpd_6_2_b_restore_gpf_device_log)
def _any_import_supplier_restores(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView
) -> bool:
    return (
        request.srv is RESTORE_GPF_DEVICE_LOG
        and device.device_type is DeviceType.GPF
        and sender.user_role is UserRole.IMPORT_SUPPLIER
    )


# --- SRPD 6.2(c): the Other User -----------------------------------------------------------------------------
@wrong("6-2-c-by-service-request", checks.srpd_6_2_c_other_user)
def _what_an_other_user_may_send(request: ServiceRequest, sender: User) -> bool:
    return UserRole.OTHER_USER in request.srv.eligible


def _dropped(clause: Clause, while_switched_on: bool) -> Callable[..., Clause | None]:
    """The exceptions as a DCC has them that drops `clause` while its MP107 switch is on (or off)."""

    def exception(
        request: ServiceRequest, sender: User, device: Device, registry: RegistryView, mp107_in_force: bool
    ) -> Clause | None:
        found: Clause | None = faithful(checks.registration_data_exception)(
            request, sender, device, registry, mp107_in_force
        )
        return None if found == clause and mp107_in_force == while_switched_on else found

    return exception


wrong("6-2-c-dropped-when-mp107-on", checks.registration_data_exception)(_dropped(SRPD_6_2_C, True))


# --- SRPD 6.2(d) -----------------------------------------------------------------------------------------------
@wrong("no-6-2-d", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _never_excepted(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    return False


@wrong("6-2-d-for-suppliers-too", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _any_role(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and device.smets == 1


@wrong("6-2-d-for-electricity-meters-only", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _electricity_only(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    excepted = faithful(checks.srpd_6_2_d_smets1_krp_from_network_operator)(request, sender, device, registry)
    return bool(excepted) and device.device_type is DeviceType.ESME


@wrong("6-2-d-for-credential-reads-too", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _reads_too(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    security_credentials = (UPDATE_SECURITY_CREDENTIALS_KRP, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP)
    return request.srv in security_credentials and device.smets == 1 and sender.user_role.is_network_operator


# --- PIA 3 option A: whose certificates the holder may place ---------------------------------------------------
@wrong("6-2-d-only-to-place-the-registered-network-operator", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _registered_certificates_only(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView
) -> bool:
    if not faithful(checks.srpd_6_2_d_smets1_krp_from_network_operator)(request, sender, device, registry):
        return False
    registered = {
        normalise_eui64(party)
        for point in checks.meter_points(device, registry)
        for role, party in registry.parties(point).items()
        if role in NETWORK_OPERATOR_ROLES
    }
    try:
        placed = {
            normalise_eui64(OrganisationCertificate.from_der(der).entity_id)
            for der in (request.digital_signing_certificate, request.key_agreement_certificate)
            if der is not None
        }
    except ValueError:
        return False
    return bool(placed) and placed <= registered


# --- PIA 2.2: SMETS2 Critical requests ----------------------------------------------------------------------------
@wrong("smets2-critical-checked-against-registration-data", checks.pia_2_2_smets2_critical_skips_registration_data)
def _smets2_checked_too(request: ServiceRequest, device: Device) -> bool:
    return False


wrong("smets2-parity-only-with-mp107", checks.registration_data_exception)(_dropped(PIA_2_2, False))


# --- PIA 3.2: the DSP's one switch ----------------------------------------------------------------------------------
@wrong("dsp-switch-read-per-s1sp", pia_3_2_dsp_feature_switch)
def _switch_and_the_s1sps_release(store: Store, s1sp: str | None = None) -> bool:
    switched = bool(faithful(pia_3_2_dsp_feature_switch)(store))
    return switched if s1sp is None else switched and pia_3_2_s1sp_enablement(store, s1sp)


@wrong("dsp-follows-s1sp-enablement", pia_3_2_dsp_feature_switch)
def _the_s1sps_release_instead(store: Store, s1sp: str | None = None) -> bool:
    switched = bool(faithful(pia_3_2_dsp_feature_switch)(store))
    return switched if s1sp is None else pia_3_2_s1sp_enablement(store, s1sp)
