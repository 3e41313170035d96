"""What a device accepts: replacement certificates in SRV 6.15.1 and 6.21 (into a trust anchor, by the device
or the S1SP for it), a SMETS2 device's own decision on a KRP update, and where a SMETS1 meter's Network
Operator alerts go. One function per clause; shared by S1SPs and SMETS2 devices."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509
from lxml import etree

from duis.precommand import PreCommandInvalid, pre_command_for, verify_pre_command
from duis.requests import ServiceRequest
from fake_services.core.parties import SMKIRepository
from fake_services.core.records import Anchor, Device, DeviceType
from fake_services.core.rejections import Rejection
from fake_services.core.rules import rule
from fake_services.registration.checks import RegistryView
from smki.profile import DUIS_REMOTE_PARTY_ROLE, KeyUse, OrganisationCertificate
from smki.validation import CertificateRejected


@rule
def gbcs_replacement_certificates(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    """GBCS replacement certificates: the certificates to place, each an Organisation certificate of the
    targeted Remote Party Role with the key use of its slot, chaining through the Certification Path to
    the SMKI root."""
    role = DUIS_REMOTE_PARTY_ROLE.get(request.remote_party_role or "")
    if role is None:
        raise Rejection(
            "replacement_certificate", f"Remote Party Role {request.remote_party_role!r} cannot be replaced here"
        )
    path: list[x509.Certificate] = []
    for ca in request.certification_path:
        try:
            path.append(x509.load_der_x509_certificate(ca))
        except ValueError:
            raise Rejection("replacement_certificate", "a Certification Path certificate is not DER") from None
    slots = ((KeyUse.DS, request.digital_signing_certificate), (KeyUse.KA, request.key_agreement_certificate))
    placed = []
    for key_use, der in slots:
        if der is None:
            continue
        try:
            cert = OrganisationCertificate.from_der(der)
        except ValueError as exc:
            raise Rejection(
                "replacement_certificate", f"the {key_use.value} certificate is not an Organisation certificate: {exc}"
            ) from None
        if cert.role is not role:
            raise Rejection(
                "replacement_certificate",
                f"the {key_use.value} certificate is for role {cert.role or '?'}, not {role.value}",
            )
        try:
            smki.validate(cert, key_use, path)
        except CertificateRejected as exc:
            raise Rejection("replacement_certificate", f"the {key_use.value} certificate: {exc}") from None
        placed.append(cert)
    if not placed:
        raise Rejection("replacement_certificate", "no replacement certificate was given")
    return placed


KEY_NOT_HELD = "not signed with the key of the certificate held"
NOT_THIS_REQUEST = "not made from this request"


@rule
def pre_command_mismatch(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes, held: Anchor
) -> str | None:
    """Why a signed Pre-Command is not the holder's signature on this very request (KEY_NOT_HELD: not signed
    with the key of the certificate `held`; NOT_THIS_REQUEST: not the Pre-Command made from `request`), or
    None when it is. What a SMETS2 device checks (PIA 2.2), and an S1SP for its SMETS1 device (S1SR 4.2)."""
    try:
        payload = verify_pre_command(signed_pre_command, held.certificate().certificate)
    except PreCommandInvalid:
        return KEY_NOT_HELD
    return None if payload == pre_command_for(request, root).to_bytes() else NOT_THIS_REQUEST


@rule
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
    mismatch = pre_command_mismatch(request, root, signed_pre_command, held)
    if mismatch == KEY_NOT_HELD:
        raise Rejection(
            "device_rejected",
            f"the command is not signed with the {role} certificate the device holds ({holder})",
        )
    if mismatch == NOT_THIS_REQUEST:
        raise Rejection("device_rejected", "the signed command is not the one this request asks for")
    return f"signed by the holder of the device's {role} certificate"


@rule
def pia_2_3_2_b_alert_target(
    device: Device, held: Mapping[KeyUse, Anchor | None], registry: RegistryView
) -> str | None:
    """PIA 2.3.2 B: an ESME's alerts for the Network Operator go to the Business Target ID taken
    from the Non-Critical (KA) Network Operator certificate held for it (`held`: the Network Operator
    certificates held, by key use), whoever Registration Data (`registry`, not needed here) registers;
    a SMETS1 GSME raises no Network Operator alerts."""
    if device.device_type is not DeviceType.ESME:
        return None
    key_agreement = held.get(KeyUse.KA)
    return key_agreement.entity_id if key_agreement else None
