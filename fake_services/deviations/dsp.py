"""Wrong DCCs at the DSP's standard DUIS checks, before any MP107 rule: the schema, the signature and its
certificate, the Pre-Command a CV 5 signs, the User, eligibility, the Command Variant and its web service,
anti-replay, the device, and the order the checks run in."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from duis.command_variants import WEB_SERVICE
from duis.precommand import PreCommandInvalid, verify_pre_command
from duis.requests import MalformedMessage, RequestID, ServiceRequest
from duis.srv import (
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    UPDATE_SECURITY_CREDENTIALS_KRP,
    UserRole,
)
from fake_services.core import authentication
from fake_services.core.parties import SMKIRepository, Users
from fake_services.core.records import Device, DeviceType, User
from fake_services.core.rejections import Rejection
from fake_services.deviations.base import faithful, wrong
from fake_services.dsp import checks
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from smki.validation import CertificateRejected


# --- DUIS schema ---------------------------------------------------------------------------------------------
@wrong("schema-not-validated", checks.duis_schema_check)
def _read_without_the_schema(root: etree._Element) -> ServiceRequest:
    try:
        return ServiceRequest.from_xml(root)
    except MalformedMessage as exc:
        raise Rejection("schema", str(exc)) from None


# --- DUIS signature: which certificate, when, which of the two keys ---------------------------------------
@wrong("envelope-signed-with-digital-signing-certificate", checks.duis_signature_sender_check)
def _any_certificate_of_the_sender(request: ServiceRequest, signer: OrganisationCertificate) -> None:
    if signer.entity_id != request.originator:
        raise Rejection("signature", f"the originator {request.originator} is not the signer {signer.entity_id}")


@wrong("signed-by-another-user", checks.duis_signature_sender_check)
def _any_users_xml_signing_certificate(request: ServiceRequest, signer: OrganisationCertificate) -> None:
    if signer.role is not RemotePartyRole.XML_SIGNING_USER:
        raise Rejection("signature", f"a DUIS request is signed with an XML-signing certificate, not {signer.role}")


@wrong("expired-signing-certificate-accepted", authentication.duis_signing_certificate_check)
def _valid_once_is_valid(cert: OrganisationCertificate, smki: SMKIRepository) -> None:
    now = dt.datetime.now(dt.UTC)
    try:
        smki.validate(cert, KeyUse.DS, at=min(now, cert.certificate.not_valid_after_utc))
    except CertificateRejected as exc:
        raise Rejection("signature", str(exc)) from None


@wrong("pre-command-awaited-for-ever", checks.duis_signature_pre_command_awaited_check)
def _never_expires(request_id: RequestID, issued_at: float | None, now: float, limits: checks.TransformLimits) -> None:
    if issued_at is None:
        raise Rejection("pre_command", f"no Pre-Command awaits a Signed Pre-Command for RequestID {request_id}")


@wrong("pre-command-not-compared", checks.duis_signature_pre_command_check)
def _any_signed_pre_command(signed: bytes | None, issued: bytes, signer: OrganisationCertificate) -> None:
    if signed is None:
        raise Rejection("pre_command", "a Command Variant 5 or 6 carries a SignedPreCommand")


@wrong("pre-command-checked-with-xml-signing-key", checks.duis_signature_pre_command_check)
def _signed_like_the_envelope(signed: bytes | None, issued: bytes, signer: OrganisationCertificate) -> None:
    faithful(checks.duis_signature_pre_command_check)(signed, issued, signer)
    try:
        verify_pre_command(signed or b"", signer.certificate)
    except PreCommandInvalid:
        raise Rejection(
            "pre_command", "the Signed Pre-Command is not signed with the key of the certificate the request is"
        ) from None


# --- DUIS User and eligibility: which User Role, in which order --------------------------------------------
@wrong("unknown-sender-treated-as-other-user", checks.duis_user_check)
def _everyone_is_at_least_an_other_user(request: ServiceRequest, users: Users) -> User:
    return users.get(request.originator) or User(request.originator, request.originator, UserRole.OTHER_USER)


@wrong("registration-data-before-user-check", checks.access_control_order)
def _registration_data_first() -> tuple[str, ...]:
    rest = [step for step in checks.ACCESS_CONTROL if step not in ("signature", "registration_data")]
    return ("signature", "registration_data", *rest)


@wrong("other-user-may-correct", checks.duis_eligibility_check)
def _other_user_too(request: ServiceRequest, sender: User) -> None:
    if request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and sender.user_role is UserRole.OTHER_USER:
        return
    faithful(checks.duis_eligibility_check)(request, sender)


@wrong("gas-transporter-may-not-correct", checks.duis_eligibility_check)
def _network_operator_means_electricity(request: ServiceRequest, sender: User) -> None:
    if request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and sender.user_role is UserRole.GAS_TRANSPORTER:
        raise Rejection("eligibility", f"a {sender.user_role.value} may not send SRV {request.srv.variant}")
    faithful(checks.duis_eligibility_check)(request, sender)


# --- DUIS Command Variant: which Service Request --------------------------------------------------------------
@wrong("credentials-read-with-the-update-command-variants", checks.duis_command_variant_check)
def _krp_variants_from_the_update(request: ServiceRequest, web_service: str) -> None:
    srv = UPDATE_SECURITY_CREDENTIALS_KRP if request.srv is RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP else request.srv
    cv = request.command_variant
    if cv not in srv.command_variants:
        raise Rejection("command_variant", f"Command Variant {cv} is not offered for SRV {srv.variant}")
    if WEB_SERVICE.get(cv) != web_service:
        raise Rejection("web_service", f"Command Variant {cv} is sent to /api/v1/service{WEB_SERVICE.get(cv, '?')}")


@wrong("web-service-not-checked", checks.duis_command_variant_check)
def _any_web_service(request: ServiceRequest, web_service: str) -> None:
    cv = request.command_variant
    if cv not in request.srv.command_variants:
        raise Rejection("command_variant", f"Command Variant {cv} is not offered for SRV {request.srv.variant}")


# --- DUIS anti-replay: whether at all -------------------------------------------------------------------------
@wrong("equal-counter-accepted", checks.duis_anti_replay_check)
def _not_below(request: ServiceRequest, last: int | None) -> None:
    if last is not None and request.request_id.counter < last:
        raise Rejection("anti_replay", f"counter {request.request_id.counter} is below {last}")


@wrong("anti-replay-per-originator-and-target", checks.duis_anti_replay_scope)
def _per_target(request: ServiceRequest) -> str:
    return f"{request.originator}:{request.device_id}"


# --- DUIS device: which fuel, in which order ------------------------------------------------------------------
@wrong("import-registers-read-on-gas-meters", checks.duis_device_check)
def _any_meter(request: ServiceRequest, device: Device | None) -> Device:
    if device is not None and request.srv is READ_INSTANTANEOUS_IMPORT_REGISTERS:
        if device.device_type in (DeviceType.ESME, DeviceType.GSME):
            return device
    return faithful(checks.duis_device_check)(request, device)


@wrong("registration-data-before-device-check", checks.access_control_order)
def _registration_data_before_the_device() -> tuple[str, ...]:
    rest = [step for step in checks.ACCESS_CONTROL if step not in ("device", "registration_data")]
    return (*rest, "registration_data", "device")
