"""The DSP's checks, in SRPD order, one function per clause: the DUIS schema, the signature and its
certificate, the User and its eligibility, the Command Variant and its web service, anti-replay, the device;
for a CV 5, the Pre-Command the DCC issued and still awaits; and at Transform, the GBCS replacement mode. The
Registration Data check (SRPD 6.1(f) with 6.2) is Registration Data's (`fake_services.registration.checks`)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from duis.command_variants import WEB_SERVICE
from duis.precommand import PreCommandInvalid, message_code_for, split_signed
from duis.requests import MalformedMessage, RequestID, ServiceRequest
from duis.schema import schema_error
from duis.srv import (
    JOIN_SERVICE,
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    REQUEST_HANDOVER,
    RESTORE_GPF_DEVICE_LOG,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    UPDATE_SECURITY_CREDENTIALS_KRP,
)
from fake_services.core.parties import Users
from fake_services.core.records import Device, DeviceType, User
from fake_services.core.rejections import Rejection
from fake_services.core.rules import rule
from fake_services.core.state import SettingsTable
from fake_services.core.store import Store
from smki.profile import OrganisationCertificate, RemotePartyRole

MP107_SWITCH = "dsp.mp107"
"""The setting that holds the DSP's one MP107 switch (PIA 3.2)."""

SRV_DEVICE_TYPES = {
    UPDATE_SECURITY_CREDENTIALS_KRP: {DeviceType.ESME, DeviceType.GSME},
    REQUEST_HANDOVER: {DeviceType.ESME, DeviceType.GSME},
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP: {DeviceType.ESME, DeviceType.GSME},
    READ_INSTANTANEOUS_IMPORT_REGISTERS: {DeviceType.ESME},
    JOIN_SERVICE: {DeviceType.GPF},
    RESTORE_GPF_DEVICE_LOG: {DeviceType.GPF},
}
"""Which device types each SRV can be sent to."""

TRANSFORM, SEND, NON_DEVICE = "T", "S", "D"
"""The DSP's web services (`/api/v1/service{T,S,D}`), as `duis.command_variants.WEB_SERVICE` names them."""
SIGNED_PRE_COMMAND_VARIANTS = frozenset({5, 6})

ACCESS_CONTROL = (
    "signature",
    "user",
    "command_variant",
    "pre_command",
    "eligibility",
    "anti_replay",
    "device",
    "registration_data",
)
"""The DSP's access-control checks, by name, in the order it runs them (`access_control_order`)."""


@rule
def access_control_order() -> tuple[str, ...]:
    """The order the DSP runs its checks in, each after the DUIS schema: the signature and its sender (DUIS
    signature), the User (DUIS User), the Command Variant and its web service, for a CV 5 the Pre-Command the
    DCC issued, eligibility, anti-replay, the device (DUIS device), and last the Registration Data check (SRPD
    6.1(f)), which needs a known User in its User Role and a known device. A request failing two checks is
    answered by the first: a sender that is not a DCC User gets E1 (not E4), a reading of a gas meter's
    import registers E11 (not E4)."""
    return ACCESS_CONTROL


@rule
def duis_schema_check(root: etree._Element) -> ServiceRequest:
    """DUIS schema: the request must be valid against DCC's XSD before anything else."""
    error = schema_error(root)
    if error is not None:
        raise Rejection("schema", error)
    try:
        return ServiceRequest.from_xml(root)
    except MalformedMessage as exc:
        raise Rejection("schema", str(exc)) from None


@rule
def duis_signature_sender_check(request: ServiceRequest, signer: OrganisationCertificate) -> None:
    """DUIS signature: the request is signed by its Business Originator, with its XML-signing certificate
    (Remote Party Role 135, OU=87), not with a certificate a device trusts and not by someone else."""
    if signer.role is not RemotePartyRole.XML_SIGNING_USER:
        raise Rejection(
            "signature", f"a DUIS request is signed with an XML-signing certificate (OU=87), not role {signer.role}"
        )
    if signer.entity_id != request.originator:
        raise Rejection(
            "signature", f"the RequestID originator {request.originator} is not the signer {signer.entity_id}"
        )


@rule
def duis_user_check(request: ServiceRequest, users: Users) -> User:
    """DUIS User: the Business Originator is a DCC User (its User Role comes from the DCC's register)."""
    user = users.get(request.originator)
    if user is None:
        raise Rejection("user", f"{request.originator} is not a DCC User")
    return user


@rule
def duis_eligibility_check(request: ServiceRequest, sender: User) -> None:
    """DUIS eligibility: the sender's User Role may send this SRV (DCC's request matrix)."""
    if sender.user_role not in request.srv.eligible:
        raise Rejection("eligibility", f"a {sender.user_role.value} may not send SRV {request.srv.variant}")


@rule
def duis_command_variant_check(request: ServiceRequest, web_service: str) -> None:
    """DUIS Command Variant: the SRV offers this Command Variant (the XSD's own table: a Critical SRV is
    never sent as CV 1), and it was sent to the web service that takes it."""
    cv = request.command_variant
    if cv not in request.srv.command_variants:
        offered = ", ".join(str(v) for v in sorted(request.srv.command_variants))
        raise Rejection(
            "command_variant", f"Command Variant {cv} is not offered for SRV {request.srv.variant} (offered: {offered})"
        )
    if WEB_SERVICE.get(cv) != web_service:
        raise Rejection(
            "web_service", f"Command Variant {cv} is sent to /api/v1/service{WEB_SERVICE.get(cv, '?')}, not here"
        )


@rule
def duis_anti_replay_scope(request: ServiceRequest) -> str:
    """DUIS anti-replay: whose counters a request's counter is compared with: every request of the same
    Business Originator, whatever its target (the key the last accepted counter is kept under)."""
    return request.originator


@rule
def duis_anti_replay_check(request: ServiceRequest, last: int | None) -> None:
    """DUIS anti-replay: the originator counter must be above every counter accepted before from the
    same Business Originator, so a resent or replayed request is never applied twice: a Supplier's SRV 6.21
    included (PIA 3 option C, relaxing this for 6.21, was rejected)."""
    if last is not None and request.request_id.counter <= last:
        raise Rejection(
            "anti_replay", f"counter {request.request_id.counter} is not above {last} for {request.originator}"
        )


@rule
def duis_device_check(request: ServiceRequest, device: Device | None) -> Device:
    """DUIS device: the target is in the Smart Metering Inventory (`device`, None when it is not) and can take
    this SRV."""
    if device is None:
        raise Rejection("device_unknown", f"device {request.device_id} is not in the Smart Metering Inventory")
    if device.device_type not in SRV_DEVICE_TYPES[request.srv]:
        raise Rejection("device_type", f"SRV {request.srv.variant} cannot be sent to a {device.device_type.value}")
    return device


@rule
def duis_signature_pre_command_check(signed: bytes | None, issued: bytes, signer: OrganisationCertificate) -> None:
    """DUIS signature: a CV 5 carries the Pre-Command the DCC issued for its RequestID, unchanged, with the
    User's signature appended. That signature is made with the key of the User's Digital Signing certificate
    for its role, not with the XML-signing key (`signer`) that signed the CV 5 itself: the device, or the
    S1SP for it, checks it against the certificate it holds; the DSP does not."""
    if signed is None:
        raise Rejection("pre_command", "a Command Variant 5 or 6 carries a SignedPreCommand")
    try:
        payload, _ = split_signed(signed)
    except PreCommandInvalid as exc:
        raise Rejection("pre_command", f"the Signed Pre-Command is malformed: {exc}") from None
    if payload != issued:
        raise Rejection("pre_command", "the Signed Pre-Command is not the Pre-Command the DCC issued for this request")


@rule
def gbcs_replacement_mode_check(request: ServiceRequest) -> int:
    """GBCS replacement certificates: the Transform turns a 6.15.1 into the GBCS command of a replacement
    mode (CS02b: Supplier by Supplier 0x0102, Network Operator by Network Operator 0x0103); for a Remote
    Party Role with no such mode here the DCC can make no Pre-Command. Returns the GBCS message code."""
    try:
        return message_code_for(request)
    except ValueError as exc:
        raise Rejection("replacement_mode", str(exc)) from None


@rule
def pia_3_2_dsp_feature_switch(store: Store, s1sp: str | None = None) -> bool:
    """PIA 3.2: the DSP enables SRPD 6.2(d) with one feature switch, not one per S1SP: the same whichever
    S1SP serves the request's device (`s1sp`, given where a request is checked, is not read)."""
    return SettingsTable(store).get(MP107_SWITCH) == "on"


# --- what awaits a CV 5 --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransformLimits:
    """How long, and how many per User, issued Pre-Commands await their Signed Pre-Command (CV 5).

    The sandbox's choice (no DCC artefact we could read says what the DSP keeps): a Pre-Command expires
    an hour after it was issued, by the sandbox's clock, and a User has at most 32 awaiting, its oldest
    dropped when it asks for more. DCC's own client signs and sends the CV 5 at once, so neither limit
    touches a User that completes its requests; one that never does costs the DSP at most 32 requests
    (32 MiB at the 1 MiB body limit). `serve --pre-command-lifetime / --pre-commands-per-user`."""

    lifetime_seconds: float = 3600.0
    per_user: int = 32

    def __post_init__(self) -> None:
        if self.lifetime_seconds <= 0 or self.per_user < 1:
            raise ValueError("a Pre-Command lives a positive time, and a User may have at least one awaiting")


@rule
def duis_signature_pre_command_awaited_check(
    request_id: RequestID, issued_at: float | None, now: float, limits: TransformLimits
) -> None:
    """DUIS signature: a CV 5 signs a Pre-Command the DCC issued for its RequestID and still awaits
    (`issued_at`, by the sandbox's clock; None when none awaits): not one never issued, expired, or dropped to
    keep a User within `limits`."""
    if issued_at is None:
        raise Rejection(
            "pre_command",
            f"no Pre-Command awaits a Signed Pre-Command for RequestID {request_id}: none was issued, or it"
            f" expired ({limits.lifetime_seconds:g} s after issue) or was dropped (a User has at most"
            f" {limits.per_user} awaiting, the oldest dropped first)",
        )
    age = now - issued_at
    if age > limits.lifetime_seconds:
        raise Rejection(
            "pre_command",
            f"the Pre-Command for RequestID {request_id} expired: issued {age:.0f} s ago, Pre-Commands"
            f" await their Signed Pre-Command {limits.lifetime_seconds:g} s",
        )
