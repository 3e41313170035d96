"""An S1SP's checks, one function per clause: SRPD 16.1 (the Registration Data check applied again, with
6.2(d) only where the S1SP has enabled MP107, PIA 3.2, and only for Network Operator certificates, PIA 3.3),
S1SR 4.2 (the certificate-owner check, for Critical requests only, PIA 2.3.2 A), SRV 6.21's handover and the
DSP's deadline.

A Critical request reaches the S1SP with the User's signed Pre-Command: the owner check verifies that
signature with the certificate the S1SP holds for the sender's role, as well as the Business Originator ID."""

from __future__ import annotations

import time

from lxml import etree

from catalogue import PIA_3_3, S1SR_4_2, SRPD_6_2_D, SRPD_16_1
from duis.requests import ServiceRequest
from duis.srv import UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import Anchor, Device, User
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.rules import rule
from fake_services.core.state import SettingsTable
from fake_services.core.store import Store
from fake_services.devices.checks import (
    KEY_NOT_HELD,
    NOT_THIS_REQUEST,
    gbcs_replacement_certificates,
    pre_command_mismatch,
)
from fake_services.registration.checks import RegistryView, srpd_6_1_f_registration_data_check
from smki.profile import OrganisationCertificate


def enablement_setting(s1sp: str) -> str:
    """The setting that holds an S1SP's own MP107 release (PIA 3.2)."""
    return f"s1sp.{s1sp}.mp107"


@rule
def pia_3_2_s1sp_enablement(store: Store, s1sp: str) -> bool:
    """PIA 3.2: each S1SP enables MP107 in its own release; until it has, it rejects what the DSP lets
    through with the standard S1SP Alert."""
    return SettingsTable(store).get(enablement_setting(s1sp)) == "on"


@rule
def pia_3_3_targets_network_operator_certificates(request: ServiceRequest, device: Device) -> bool:
    """PIA 3.3: the S1SP skips the RDP check only for a 6.15.1 that targets Network Operator
    certificates; it keeps it for supplier certificates and for every other SRV. Whatever the meter's fuel
    (`device` is not read): an electricity and a gas meter's Network Operator certificates alike."""
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and request.remote_party_role == "NetworkOperator"


@rule
def srpd_16_1_s1sp_registration_data_check(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView, mp107_enabled: bool
) -> Verdict:
    """SRPD 16.1: the S1SP applies the DSP's processing again, including the Registration Data check
    (SRPD 6.1(f) subject to 6.2), with 6.2(d) only where it has enabled MP107 and only for a 6.15.1
    targeting Network Operator certificates (PIA 3.3)."""
    in_force = mp107_enabled and pia_3_3_targets_network_operator_certificates(request, device)
    verdict = srpd_6_1_f_registration_data_check(
        request, sender, device, registry, mp107_in_force=in_force, rule_key="s1sp_registration_data"
    )
    if verdict.clause == SRPD_6_2_D:
        return Verdict(PIA_3_3, f"Registration Data not checked: {SRPD_6_2_D} for Network Operator certificates")
    return Verdict(SRPD_16_1, verdict.reason)


@rule
def pia_2_3_2_a_owner_check_applies(request: ServiceRequest) -> bool:
    """PIA 2.3.2 A: the Network Operator certificate only validates the sender of Critical requests, so
    a Network Operator's non-critical requests work even where the wrong certificate is held."""
    return request.srv.critical


@rule
def acting_role(request: ServiceRequest) -> str:
    """The Remote Party Role a Critical command acts for: the role whose certificates it replaces, else the
    Supplier's."""
    return request.remote_party_role or "Supplier"


@rule
def s1sr_4_2_certificate_owner_check(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None, held: Anchor | None
) -> Verdict:
    """S1SR 4.2: for a Critical SR the Business Originator ID must equal the entity identifier of the
    certificate the S1SP holds for the device in that role (the role the command acts for), and the
    Pre-Command made from this very request must be signed with that certificate's key: the right ID
    with a wrong key is refused too. This is check #3, which PIA 3 option B would have skipped: it stays,
    and under PIA 3 option A it is the only check left on a Network Operator's 6.15.1. `held` is the DS
    certificate the S1SP holds for the device in `acting_role(request)`."""
    role = acting_role(request)
    if held is None or held.entity_id != request.originator:
        owner = held.entity_id if held else "nobody"
        raise Rejection(
            "certificate_owner",
            f"{request.originator} is not the owner of the {role} certificate held for "
            f"{request.device_id} (held by {owner})",
        )
    if signed_pre_command is None:
        raise Rejection("certificate_owner", "a Critical request reaches the S1SP with its signed Pre-Command")
    mismatch = pre_command_mismatch(request, root, signed_pre_command, held)
    if mismatch == KEY_NOT_HELD:
        raise Rejection(
            "certificate_owner",
            f"the Pre-Command is not signed with the key of the {role} certificate held for {request.device_id}",
        )
    if mismatch == NOT_THIS_REQUEST:
        raise Rejection("certificate_owner", "the signed Pre-Command was not made from this request")
    return Verdict(S1SR_4_2, f"{request.originator} owns the {role} certificate held and signed with its key")


@rule
def srv_6_21_request_handover(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    """SRV 6.21: a handover places the certificates it carries in the Remote Party Role it names (at
    enrolment by the DCC Commissioning Party, later by the Supplier); like 6.15.1 each must be a valid
    certificate of that role."""
    return gbcs_replacement_certificates(request, smki)


@rule
def duis_s1sp_deadline_check(deadline: float | None) -> None:
    """DUIS communications failure: an S1SP never commits a change after the DSP has stopped waiting
    for it, so the User's E20 always means nothing changed."""
    if deadline is not None and time.time() > deadline:
        raise Rejection("s1sp_deadline", "the DSP's deadline passed before the change could be committed")
