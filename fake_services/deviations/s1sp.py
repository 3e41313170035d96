"""Wrong DCCs at an S1SP: the Registration Data check applied again (SRPD 16.1), which 6.15.1 skips it
(PIA 3.3), each S1SP's own enablement (PIA 3.2), the certificate-owner check (S1SR 4.2, PIA 3 option B) and
the requests it applies to (PIA 2.3.2 A)."""

from __future__ import annotations

from lxml import etree

from catalogue import S1SR_4_2, SRPD_16_1
from duis.requests import ServiceRequest
from duis.srv import RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.core.records import Anchor, Device, DeviceType, User
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.store import Store
from fake_services.deviations.base import faithful, wrong
from fake_services.dsp.checks import pia_3_2_dsp_feature_switch
from fake_services.registration.checks import RegistryView
from fake_services.s1sp import checks


# --- SRPD 16.1 and PIA 3.3: the S1SP's Registration Data check (#2) ---------------------------------------------
@wrong("s1sp-trusts-the-dsp-registration-data-check", checks.srpd_16_1_s1sp_registration_data_check)
def _not_checked_again(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView, mp107_enabled: bool
) -> Verdict:
    return Verdict(SRPD_16_1, "Registration Data not checked again: the DSP has checked it")


@wrong("s1sp-skips-rdp-for-supplier-certificates", checks.pia_3_3_targets_network_operator_certificates)
def _any_certificates(request: ServiceRequest, device: Device) -> bool:
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP


@wrong("s1sp-6-2-d-for-electricity-meters-only", checks.pia_3_3_targets_network_operator_certificates)
def _electricity_meters_only(request: ServiceRequest, device: Device) -> bool:
    targets = faithful(checks.pia_3_3_targets_network_operator_certificates)(request, device)
    return bool(targets) and device.device_type is DeviceType.ESME


# --- PIA 3.2: each S1SP's own enablement --------------------------------------------------------------------------
@wrong("s1sp-follows-the-dsp-switch", checks.pia_3_2_s1sp_enablement)
def _the_dsps_switch(store: Store, s1sp: str) -> bool:
    return pia_3_2_dsp_feature_switch(store)


@wrong("one-s1sp-enabling-enables-all", checks.pia_3_2_s1sp_enablement)
def _any_s1sps_release(store: Store, s1sp: str) -> bool:
    rows = store.all("SELECT value FROM settings WHERE name LIKE ?", checks.enablement_setting("%"))
    return any(row["value"] == "on" for row in rows)


# --- S1SR 4.2 and PIA 3 option B: the certificate-owner check (#3) --------------------------------------------------
@wrong("owner-check-skipped", checks.s1sr_4_2_certificate_owner_check)
def _whoever_holds_it(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None, held: Anchor | None
) -> Verdict:
    return Verdict(S1SR_4_2, "owner not checked")


@wrong("owner-check-against-the-supplier-certificate", checks.acting_role)
def _always_the_supplier(request: ServiceRequest) -> str:
    return "Supplier"


@wrong("option-b-built", checks.pia_3_3_targets_network_operator_certificates)
def _rdp_kept(request: ServiceRequest, device: Device) -> bool:
    return False


@wrong("option-b-built", checks.s1sr_4_2_certificate_owner_check)
def _owner_check_dropped(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None, held: Anchor | None
) -> Verdict:
    return Verdict(S1SR_4_2, "owner not checked (PIA 3 option B)")


# --- PIA 2.3.2 A: the owner check is for Critical requests ------------------------------------------------------------
def _originator_owns_it(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None, held: Anchor | None
) -> Verdict:
    """The owner check as a wrong S1SP applies it to a non-critical request: the Business Originator ID
    against the certificate held (there is no Pre-Command to verify); a Critical one as S1SR 4.2 has it."""
    if request.srv.critical:
        verdict: Verdict = faithful(checks.s1sr_4_2_certificate_owner_check)(request, root, signed_pre_command, held)
        return verdict
    if held is None or held.entity_id != request.originator:
        owner = held.entity_id if held else "nobody"
        raise Rejection(
            "certificate_owner",
            f"{request.originator} is not the owner of the {held.role if held else ''} certificate held for "
            f"{request.device_id} (held by {owner})",
        )
    return Verdict(S1SR_4_2, f"{request.originator} owns the certificate held")


@wrong("owner-check-on-every-request", checks.pia_2_3_2_a_owner_check_applies)
def _every_request(request: ServiceRequest) -> bool:
    return True


wrong("owner-check-on-every-request", checks.s1sr_4_2_certificate_owner_check)(_originator_owns_it)


@wrong("owner-check-on-credential-reads", checks.pia_2_3_2_a_owner_check_applies)
def _credential_commands(request: ServiceRequest) -> bool:
    return request.srv.critical or request.srv is RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP


wrong("owner-check-on-credential-reads", checks.s1sr_4_2_certificate_owner_check)(_originator_owns_it)
