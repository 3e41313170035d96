"""DUIS Service Requests and Responses: built from, and read into, plain Python objects.

Element names and order follow DUIS schema V5.1 (primer section 5, DCC-INTERFACE Q1–Q7); the DUIS
XSD check itself lives in the DSP. Parsing here reads only what the sandbox's rules need.

The critical flow (DCC-INTERFACE Q1): a CV 4 request is answered synchronously with a `PreCommand`
(`pre_command_response`); the User signs it and sends it back as CV 5 with Body `SignedPreCommand`
(`ServiceRequest.signed_pre_command`); CV 1/5 are acknowledged with I99 (`acknowledgement`) and the
device's answer follows asynchronously (`smets1_response` around an S1SP-signed
`smets1_credentials_update_response` / `smets1_credentials_read_response`, or `future_dated_alert`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from duis.srv import SERVICE_REQUEST_VARIANTS, ServiceReferenceVariant
from duis.xml import DS, RA, SCHEMA_VERSION, SR, q, text

EUI64 = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")
_MAX_COUNTER = 2**64 - 1
_NS = {"sr": SR, "ra": RA}
_XML_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?$"
)
_MULTI_ROLE_BODIES = frozenset({"RetrieveDeviceSecurityCredentialsKRP"})
"""Bodies whose RemotePartyRole repeats (1..7): read into `remote_party_roles`, not `remote_party_role`."""
_CREDENTIALS_UPDATE_RESPONSES = {
    "6.15.1": "UpdateSecurityCredentialsKRPRsp",
    "6.21": "RequestHandoverOfDCCControlledDeviceRsp",
}
_CREDENTIALS_READ_RESPONSES = {"6.24.1": "RetrieveDeviceSecurityCredentialsKRPRsp"}


class MalformedMessage(ValueError):
    """A DUIS message that is well-formed XML but not a message this sandbox can read."""


def normalise_eui64(value: str) -> str:
    """Upper-case EUI-64; raises MalformedMessage when it is not 8 dash-separated hex bytes."""
    upper = value.strip().upper()
    if not EUI64.match(upper):
        raise MalformedMessage(f"{value!r} is not an EUI-64 identifier like 90-B3-D5-1F-30-02-00-00")
    return upper


def _eui64_or_none(value: str | None) -> str | None:
    """A Device ID read from a request, canonical (None stays None): it is compared, never echoed."""
    return None if value is None else normalise_eui64(value)


@dataclass(frozen=True, order=True)
class RequestID:
    """`BusinessOriginatorID:BusinessTargetID:OriginatorCounter`, compared canonically.

    The XSD lets a User write an EUI-64 in either case (DCC's own `duis-parser` writes lower case), so
    `originator` and `target` are held upper case and every comparison, key and counter uses them
    (`str()` is the canonical form). `written` keeps the text as the User wrote it: a Response echoes
    that (`echoed`, `response_id`), so a User's system finds its request by the string it sent."""

    originator: str
    target: str
    counter: int
    written: str | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"

    @property
    def echoed(self) -> str:
        """The RequestID as a Response echoes it: as the User wrote it (the canonical form when nothing
        was written, or when what was written is not this RequestID: a copy changed with `replace`)."""
        canonical = str(self)
        return self.written if self.written and self.written.upper() == canonical else canonical

    @classmethod
    def parse(cls, value: str) -> RequestID:
        parts = value.strip().split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            raise MalformedMessage(f"RequestID {value!r} is not originator:target:counter")
        counter = int(parts[2])
        if counter > _MAX_COUNTER:
            raise MalformedMessage("the originator counter is larger than 64 bits")
        return cls(normalise_eui64(parts[0]), normalise_eui64(parts[1]), counter, value.strip())

    def response_id(self) -> str:
        """Responses swap originator and target (each as the User wrote it)."""
        originator, target, counter = self.echoed.split(":")
        return f"{target}:{originator}:{counter}"


def _der(value: str | None, what: str) -> bytes | None:
    """Base64 text to bytes (None stays None). xs:base64Binary may wrap lines, so whitespace is dropped
    first; anything else that is not base64 is refused."""
    if value is None:
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage(f"{what} is not valid base64") from None


def _slot(certs: etree._Element | None, name: str) -> str | None:
    """A replacement certificate's text: None when the slot is absent, "" when it is present but
    empty (an empty certificate is still offered, and refused as no certificate, never skipped)."""
    found = certs.find(f"sr:{name}", {"sr": SR}) if certs is not None else None
    return None if found is None else (found.text or "").strip()


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime: DUIS times are UTC, so a naive value is taken to be UTC already."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def format_xml_datetime(value: dt.datetime) -> str:
    """An xs:dateTime in UTC the way DCC's samples write it (`2030-01-15T00:00:00.00Z`): hundredths of
    a second, or microseconds when the value has a finer part (nothing is rounded away)."""
    utc = _utc(value)
    fraction = f"{utc.microsecond // 10000:02d}" if utc.microsecond % 10000 == 0 else f"{utc.microsecond:06d}"
    return f"{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{fraction}Z"


def parse_xml_datetime(value: str | None, what: str = "the date-time") -> dt.datetime | None:
    """An xs:dateTime to an aware UTC datetime (None stays None). A value without a zone is read as UTC
    (DUIS times are UTC); digits beyond microseconds are dropped. Raises MalformedMessage otherwise."""
    if value is None:
        return None
    match = _XML_DATETIME.match(value.strip())
    if match is None:
        raise MalformedMessage(f"{what} {value!r} is not an xs:dateTime like 2030-01-15T00:00:00.00Z")
    fraction = (match.group("fraction") or "")[:6].ljust(6, "0")
    zone = match.group("zone") or "Z"
    try:
        parsed = dt.datetime.fromisoformat(
            f"{match.group('date')}T{match.group('time')}.{fraction}{'+00:00' if zone == 'Z' else zone}"
        )
    except ValueError as exc:
        raise MalformedMessage(f"{what} {value!r} is not a valid date-time: {exc}") from None
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True)
class ServiceRequest:
    """A DUIS Service Request, before signing or after parsing.

    - `execution_date_time`: the body's first child `ExecutionDateTime` (future dating; DUIS allows it
      only where the body type extends `FutureDatedAbstractType`, see `srv.future_datable`), or the
      `ExecutionDateTime` of a `SignedPreCommand`. Held as an aware UTC datetime (naive means UTC).
    - `remote_party_roles`: the 1..7 `RemotePartyRole` of 6.24.1's `RetrieveDeviceSecurityCredentialsKRP`.
    - `signed_pre_command`: a CV 5/6/7 request's Body is `SignedPreCommand{ExecutionDateTime?,
      GBCSPayload}` instead of the SRV's own element; the SRV is still the one its Header names. Such a
      request carries nothing else, so the other body fields must be left unset.
    """

    request_id: RequestID
    srv: ServiceReferenceVariant
    command_variant: int = 1
    remote_party_role: str | None = None
    digital_signing_certificate: bytes | None = None
    key_agreement_certificate: bytes | None = None
    certification_path: tuple[bytes, ...] = ()
    other_device_id: str | None = None
    old_gpf_id: str | None = None
    execution_date_time: dt.datetime | None = None
    remote_party_roles: tuple[str, ...] = ()
    signed_pre_command: bytes | None = None

    def __post_init__(self) -> None:
        if self.execution_date_time is not None:
            object.__setattr__(self, "execution_date_time", _utc(self.execution_date_time))
        object.__setattr__(self, "remote_party_roles", tuple(self.remote_party_roles))
        object.__setattr__(self, "certification_path", tuple(self.certification_path))
        if self.signed_pre_command is not None:
            object.__setattr__(self, "signed_pre_command", bytes(self.signed_pre_command))
            body_fields = (
                self.remote_party_role,
                self.digital_signing_certificate,
                self.key_agreement_certificate,
                self.other_device_id,
                self.old_gpf_id,
            )
            if any(f is not None for f in body_fields) or self.certification_path or self.remote_party_roles:
                raise ValueError(
                    "a request carrying a SignedPreCommand has no other body content: the certificates and"
                    " roles belong to the CV 4 request the Pre-Command was made from"
                )

    @property
    def device_id(self) -> str:
        return self.request_id.target

    @property
    def originator(self) -> str:
        return self.request_id.originator

    def to_xml(self) -> etree._Element:
        root = etree.Element(q("Request"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
        header = etree.SubElement(root, q("Header"))
        etree.SubElement(header, q("RequestID")).text = self.request_id.echoed
        etree.SubElement(header, q("CommandVariant")).text = str(self.command_variant)
        etree.SubElement(header, q("ServiceReference")).text = self.srv.reference
        etree.SubElement(header, q("ServiceReferenceVariant")).text = self.srv.variant
        body_parent = etree.SubElement(root, q("Body"))
        if self.signed_pre_command is not None:
            signed = etree.SubElement(body_parent, q("SignedPreCommand"))
            if self.execution_date_time is not None:
                etree.SubElement(signed, q("ExecutionDateTime")).text = format_xml_datetime(self.execution_date_time)
            etree.SubElement(signed, q("GBCSPayload")).text = base64.b64encode(self.signed_pre_command).decode()
            return root
        body = etree.SubElement(body_parent, q(self.srv.body_element))
        if self.execution_date_time is not None:
            etree.SubElement(body, q("ExecutionDateTime")).text = format_xml_datetime(self.execution_date_time)
        for role in self.remote_party_roles:
            etree.SubElement(body, q("RemotePartyRole")).text = role
        if self.remote_party_role is not None:
            self._credentials(body)
        if self.other_device_id is not None:
            etree.SubElement(body, q("OtherDeviceID")).text = self.other_device_id
        if self.old_gpf_id is not None:
            etree.SubElement(body, q("OldGPFID")).text = self.old_gpf_id
        return root

    def _credentials(self, body: etree._Element) -> None:
        etree.SubElement(body, q("RemotePartyRole")).text = self.remote_party_role
        replacement = etree.SubElement(body, q("ReplacementCertificates"))
        if self.srv.body_element == "UpdateSecurityCredentialsKRP":
            replacement = etree.SubElement(replacement, q("SupplierOrNetworkOperatorCertificates"))
        for name, der in (
            ("DigitalSigningCertificate", self.digital_signing_certificate),
            ("KeyAgreementCertificate", self.key_agreement_certificate),
        ):
            if der is not None:
                etree.SubElement(replacement, q(name)).text = base64.b64encode(der).decode()
        path = etree.SubElement(body, q("CertificationPathCertificates"))
        for der in self.certification_path:
            etree.SubElement(path, q("Certificate")).text = base64.b64encode(der).decode()
        etree.SubElement(body, q("ApplyTimeBasedCPVChecks")).text = "true"

    @classmethod
    def from_xml(cls, root: etree._Element) -> ServiceRequest:
        """Read a (schema-valid) request; raises MalformedMessage with the reason."""
        if root.tag != q("Request"):
            raise MalformedMessage(f"the root element is {root.tag}, not a DUIS Request")
        raw_id = text(root, "sr:Header/sr:RequestID")
        if raw_id is None:
            raise MalformedMessage("the Header has no RequestID")
        variant = text(root, "sr:Header/sr:ServiceReferenceVariant")
        srv = SERVICE_REQUEST_VARIANTS.get(variant or "")
        if srv is None:
            raise MalformedMessage(f"Service Reference Variant {variant!r} is not offered by this sandbox")
        reference = text(root, "sr:Header/sr:ServiceReference")
        if reference != srv.reference:
            raise MalformedMessage(f"Service Reference {reference!r} does not match Variant {srv.variant}")
        cv = text(root, "sr:Header/sr:CommandVariant") or ""
        if not cv.isdigit():
            raise MalformedMessage("the CommandVariant is not a number")
        request_id = RequestID.parse(raw_id)
        signed = root.find("sr:Body/sr:SignedPreCommand", _NS)
        if signed is not None:
            payload = signed.find("sr:GBCSPayload", _NS)
            if payload is None:
                raise MalformedMessage("the SignedPreCommand has no GBCSPayload")
            return cls(
                request_id=request_id,
                srv=srv,
                command_variant=int(cv),
                execution_date_time=parse_xml_datetime(
                    text(signed, "sr:ExecutionDateTime"), "the SignedPreCommand's ExecutionDateTime"
                ),
                signed_pre_command=_der(payload.text or "", "the SignedPreCommand's GBCSPayload"),
            )
        body = root.find(f"sr:Body/sr:{srv.body_element}", namespaces={"sr": SR})
        if body is None:
            raise MalformedMessage(f"the Body does not hold {srv.body_element} for SRV {srv.variant}")
        certs = body.find("sr:ReplacementCertificates", namespaces={"sr": SR})
        if certs is not None and certs.find("sr:SupplierOrNetworkOperatorCertificates", {"sr": SR}) is not None:
            certs = certs.find("sr:SupplierOrNetworkOperatorCertificates", {"sr": SR})
        path = body.findall("sr:CertificationPathCertificates/sr:Certificate", {"sr": SR})
        roles = [(e.text or "").strip() for e in body.findall("sr:RemotePartyRole", _NS)]
        multi_role = srv.body_element in _MULTI_ROLE_BODIES
        return cls(
            request_id=request_id,
            srv=srv,
            command_variant=int(cv),
            remote_party_role=None if multi_role else text(body, "sr:RemotePartyRole"),
            digital_signing_certificate=_der(
                _slot(certs, "DigitalSigningCertificate"), "the DigitalSigningCertificate"
            ),
            key_agreement_certificate=_der(_slot(certs, "KeyAgreementCertificate"), "the KeyAgreementCertificate"),
            certification_path=tuple(_der(c.text or "", "a CertificationPathCertificate") or b"" for c in path),
            other_device_id=_eui64_or_none(text(body, "sr:OtherDeviceID")),
            old_gpf_id=_eui64_or_none(text(body, "sr:OldGPFID")),
            execution_date_time=parse_xml_datetime(text(body, "sr:ExecutionDateTime"), "the ExecutionDateTime"),
            remote_party_roles=tuple(roles) if multi_role else (),
        )


def request_header(root: etree._Element) -> tuple[RequestID | None, ServiceReferenceVariant | None]:
    """What a Response can echo from a request that could not be read whole (schema-invalid, or
    for an SRV this sandbox does not offer): its RequestID if well-formed, and the Service Reference
    and Variant its Header states (DUIS requires both in every ResponseMessage)."""
    try:
        request_id = RequestID.parse(text(root, "sr:Header/sr:RequestID") or "")
    except MalformedMessage:
        request_id = None
    reference = text(root, "sr:Header/sr:ServiceReference")
    variant = text(root, "sr:Header/sr:ServiceReferenceVariant")
    srv = SERVICE_REQUEST_VARIANTS.get(variant or "")
    if srv is None and reference and variant:
        srv = ServiceReferenceVariant(
            variant, reference, "", f"SRV {variant}", critical=False, eligible=frozenset(), command_variants=()
        )
    return request_id, srv


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _response(request_id: str | None, response_id: str | None, code: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(q("Response"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
    header = etree.SubElement(root, q("Header"))
    if request_id:
        etree.SubElement(header, q("RequestID")).text = request_id
    if response_id:
        etree.SubElement(header, q("ResponseID")).text = response_id
    etree.SubElement(header, q("ResponseCode")).text = code
    etree.SubElement(header, q("ResponseDateTime")).text = _now()
    return root, etree.SubElement(root, q("Body"))


def response_message(request: RequestID | None, code: str, srv: ServiceReferenceVariant | None) -> etree._Element:
    """A DSP Response with a ResponseMessage: acknowledgement, success or rejection."""
    root, body = _response(request.echoed if request else None, request.response_id() if request else None, code)
    message = etree.SubElement(body, q("ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference if srv else "0.0"
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant if srv else "0.0.0"
    return root


def acknowledgement(request_id: RequestID, srv: ServiceReferenceVariant) -> etree._Element:
    """The synchronous I99 for CV 1/3/5/7: accepted and sent on; the answer follows at the User's
    Receive Response Service (ResponseMessage with ServiceReference and Variant only)."""
    return response_message(request_id, "I99", srv)


def pre_command_response(
    request_id: RequestID, srv: ServiceReferenceVariant, payload: bytes, gbcs_version: str
) -> etree._Element:
    """The synchronous I0 answer to a CV 4 (Transform) request: ResponseMessage/PreCommand{GBCSVersion,
    GBCSPayload}, the unsigned GBCS payload the User signs and returns as CV 5."""
    root = response_message(request_id, "I0", srv)
    pre_command = etree.SubElement(root.find("sr:Body/sr:ResponseMessage", _NS), q("PreCommand"))
    etree.SubElement(pre_command, q("GBCSVersion")).text = gbcs_version
    etree.SubElement(pre_command, q("GBCSPayload")).text = base64.b64encode(payload).decode()
    return root


FUTURE_DATED_SUCCESS = "8F66"
FUTURE_DATED_FAILURE = "8F67"


def future_dated_alert(
    request_id: RequestID | None,
    response_id: str | None,
    srv: ServiceReferenceVariant,
    success: bool,
    gbcs_payload: bytes,
) -> etree._Element:
    """The device's report that a future-dated command has now run: ResponseMessage/
    FutureDatedDeviceAlertMessage with alert code 8F66 (success) or 8F67 (error), one instruction of
    one (ResponseCode I0)."""
    root, body = _response(request_id.echoed if request_id else None, response_id, "I0")
    message = etree.SubElement(body, q("ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant
    alert = etree.SubElement(message, q("FutureDatedDeviceAlertMessage"))
    etree.SubElement(alert, q("FutureDatedAlertCode")).text = FUTURE_DATED_SUCCESS if success else FUTURE_DATED_FAILURE
    etree.SubElement(alert, q("GBCSPayload")).text = base64.b64encode(gbcs_payload).decode()
    etree.SubElement(alert, q("InstructionNumber")).text = "1"
    etree.SubElement(alert, q("TotalCommandInstructions")).text = "1"
    return root


def smets1_signed_response(
    request: RequestID,
    srv: ServiceReferenceVariant,
    counter: int,
    smets_data: etree._Element | None = None,
) -> etree._Element:
    """What an S1SP answers for a device (to be signed by the S1SP): the device to the User.

    `smets_data` is the typed MMC response (an `ra:…Rsp` element such as UpdateSecurityCredentialsKRPRsp);
    it is wrapped in `ra:SMETSData` inside the `ResponseMessage` (type `ra:ResponsePayload`). Without
    it the ResponseMessage is empty, which the MMC schema allows."""
    root = etree.Element(q("SMETS1SignedResponse"), nsmap={"sr": SR, "ra": RA}, schemaVersion=SCHEMA_VERSION)
    response = etree.SubElement(root, q("SMETS1Response"))
    header = etree.SubElement(response, q("Header"))
    etree.SubElement(header, q("BusinessOriginatorID", RA)).text = request.target
    etree.SubElement(header, q("BusinessTargetID", RA)).text = request.originator
    etree.SubElement(header, q("OriginatorCounter", RA)).text = str(counter)
    etree.SubElement(header, q("ServiceReference", RA)).text = srv.reference
    etree.SubElement(header, q("ServiceReferenceVariant", RA)).text = srv.variant
    message = etree.SubElement(etree.SubElement(response, q("Body")), q("ResponseMessage"))
    if smets_data is not None:
        etree.SubElement(message, q("SMETSData", RA)).append(smets_data)
    return root


CREDENTIALS_REPLACEMENT_MODES = {
    "Supplier": "SupplierBySupplier",
    "NetworkOperator": "NetworkOperatorByNetworkOperator",
}
"""The MMC `CredentialsReplacementMode` for a 6.15.1 / 6.21 replacement by the role's own holder (GBCS
CS02b has no "Network Operator by anyone else" mode: DCC-INTERFACE Q6)."""


def smets1_credentials_update_response(
    request_id: RequestID,
    srv: ServiceReferenceVariant,
    counter: int,
    executed: bool,
    *,
    remote_party_role: str | None = None,
) -> etree._Element:
    """The S1SP's answer to 6.15.1 (`UpdateSecurityCredentialsKRPRsp`) or 6.21
    (`RequestHandoverOfDCCControlledDeviceRsp`), to be signed by the S1SP.

    MMC: "If the command was sent for future dated processing then there will not be any execution
    details in the response", so `ExecutionOutcome` is written only when `executed` (applied now).
    The outcome is filled minimally: every child of `ra:ExecutionOutcome` is optional; we give the
    authorising remote party's originator counter (the request's counter, as GBCS CS02b's response
    does) and, when `remote_party_role` is given, the `CredentialsReplacementMode` of its own holder.
    `MessageSuccess` (the `ServiceRequestBaseType` attribute) is "true": the S1SP accepted the command."""
    element = _CREDENTIALS_UPDATE_RESPONSES.get(srv.variant)
    if element is None:
        raise ValueError(f"SRV {srv.variant} has no credentials update response (6.15.1 and 6.21 have)")
    rsp = etree.Element(q(element, RA), MessageSuccess="true")
    if executed:
        outcome = etree.SubElement(rsp, q("ExecutionOutcome", RA))
        etree.SubElement(outcome, q("AuthorisingRemotePartyOriginatorCounter", RA)).text = str(request_id.counter)
        if remote_party_role is not None:
            mode = CREDENTIALS_REPLACEMENT_MODES.get(remote_party_role)
            if mode is None:
                raise ValueError(f"no CredentialsReplacementMode for RemotePartyRole {remote_party_role!r}")
            etree.SubElement(outcome, q("CredentialsReplacementMode", RA)).text = mode
    return smets1_signed_response(request_id, srv, counter, rsp)


@dataclass(frozen=True)
class RemotePartyDetail:
    """One trust-anchor cell as 6.24.1 reports it (MMC `RemotePartyDetails`): the role, the cell's
    certificate usage (DigitalSigning | KeyAgreement | …), the entity identifier (EUI-64) of the
    certificate held, and its `ExistingCertificateHash` (MMC type `SHA1`, which is plain
    xs:base64Binary with no length: the bytes are whatever the S1SP reports)."""

    role: str
    usage: str
    entity_id: str
    certificate_hash: bytes


SANDBOX_CS02A = b"MP107-SANDBOX CS02a\n"
"""A SMETS2 device answers 6.24.1 with a GBCS payload (CS02a, ASN.1) that the User parses. The sandbox's
payload is not GBCS: this marker, then one `role usage entity-id hash-hex` line per cell (the sandbox's
choice, so a User can read what a SMETS2 meter holds through DUIS as it does for SMETS1)."""


def sandbox_credentials_payload(details: list[RemotePartyDetail]) -> bytes:
    lines = (f"{d.role} {d.usage} {d.entity_id} {d.certificate_hash.hex()}" for d in details)
    return SANDBOX_CS02A + "\n".join(lines).encode()


def read_sandbox_credentials_payload(payload: bytes | None) -> tuple[RemotePartyDetail, ...]:
    if not payload or not payload.startswith(SANDBOX_CS02A):
        return ()
    details = []
    for line in payload[len(SANDBOX_CS02A) :].decode().splitlines():
        role, usage, entity_id, digest = line.split()
        details.append(RemotePartyDetail(role, usage, entity_id, bytes.fromhex(digest)))
    return tuple(details)


def device_response(
    request: RequestID, srv: ServiceReferenceVariant, gbcs_payload: bytes | None = None
) -> etree._Element:
    """A SMETS2 device's answer passed on by the DSP: a ResponseMessage with the device's GBCS payload."""
    root = response_message(request, "I0", srv)
    if gbcs_payload is not None:
        message = root.find(f"{q('Body')}/{q('ResponseMessage')}")
        etree.SubElement(message, q("GBCSPayload")).text = base64.b64encode(gbcs_payload).decode()
    return root


def smets1_credentials_read_response(
    request_id: RequestID, srv: ServiceReferenceVariant, counter: int, details: Iterable[RemotePartyDetail]
) -> etree._Element:
    """The S1SP's answer to 6.24.1 (`RetrieveDeviceSecurityCredentialsKRPRsp`, one `RemotePartyDetails`
    per trust-anchor cell), to be signed by the S1SP."""
    element = _CREDENTIALS_READ_RESPONSES.get(srv.variant)
    if element is None:
        raise ValueError(f"SRV {srv.variant} has no credentials read response (6.24.1 has)")
    rsp = etree.Element(q(element, RA), MessageSuccess="true")
    for detail in details:
        cell = etree.SubElement(rsp, q("RemotePartyDetails", RA))
        etree.SubElement(cell, q("RemotePartyRole", RA)).text = detail.role
        etree.SubElement(cell, q("CertificateUsage", RA)).text = detail.usage
        etree.SubElement(cell, q("ExistingRemotePartyID", RA)).text = detail.entity_id
        etree.SubElement(cell, q("ExistingCertificateHash", RA)).text = base64.b64encode(
            detail.certificate_hash
        ).decode()
    return smets1_signed_response(request_id, srv, counter, rsp)


def smets1_response(request: RequestID, srv: ServiceReferenceVariant, signed_inner: etree._Element) -> etree._Element:
    """The DSP's Response carrying the S1SP-signed SMETS1 response."""
    root, body = _response(request.echoed, request.response_id(), "I0")
    message = etree.SubElement(body, q("SMETS1ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant
    message.append(signed_inner)
    return root


def smets1_device_alert(device_id: str, recipient: str, counter: int, alert_code: str) -> etree._Element:
    """A SMETS1 device's alert as its S1SP sends it on (to be signed by the S1SP): from the device to the
    party its certificate names (`BusinessTargetID`), the GBCS alert code in the header, and an empty
    `DeviceAlertMessage` (every element of the MMC type is optional; the sandbox carries no payload)."""
    root = etree.Element(q("SMETS1SignedResponse"), nsmap={"sr": SR, "ra": RA}, schemaVersion=SCHEMA_VERSION)
    response = etree.SubElement(root, q("SMETS1Response"))
    header = etree.SubElement(response, q("Header"))
    etree.SubElement(header, q("BusinessOriginatorID", RA)).text = device_id
    etree.SubElement(header, q("BusinessTargetID", RA)).text = recipient
    etree.SubElement(header, q("OriginatorCounter", RA)).text = str(counter)
    etree.SubElement(header, q("GBCSHexadecimalMessageCode", RA)).text = alert_code
    etree.SubElement(etree.SubElement(response, q("Body")), q("DeviceAlertMessage"))
    return root


def smets1_alert_response(signed_alert: etree._Element, response_id: str) -> etree._Element:
    """The DSP's Response carrying an S1SP-signed SMETS1 device alert to its recipient (no RequestID: no
    request caused it; the ResponseID names device, recipient and the alert's counter)."""
    root, body = _response(None, response_id, "I0")
    etree.SubElement(body, q("SMETS1ResponseMessage")).append(signed_alert)
    return root


def s1sp_alert(request: RequestID | None, device_id: str, code: str, information: str) -> etree._Element:
    """A standard S1SP Alert (to be signed by the S1SP)."""
    root = etree.Element(q("S1SPAlert"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
    if request is not None:
        etree.SubElement(root, q("RequestID")).text = request.echoed
    etree.SubElement(root, q("DeviceID")).text = device_id
    etree.SubElement(root, q("S1SPAlertCode")).text = code
    etree.SubElement(root, q("AdditionalInformation")).text = information
    etree.SubElement(root, q("DateTime")).text = _now()
    return root


def dcc_alert_with_s1sp_alert(
    request: RequestID, dcc_alert_code: str, signed_alert: etree._Element, response_code: str = "I0"
) -> etree._Element:
    """The DSP's Response that passes an S1SP Alert on to the User (DCCAlert/S1SPAlertDSP).

    Which ResponseCode an alert's header carries is not in any source we could read (DCC-INTERFACE
    Q4): I0 by default, and the caller may choose another value from the ResponseCode enumeration."""
    root, body = _response(request.echoed, request.response_id(), response_code)
    message = etree.SubElement(body, q("DCCAlertMessage"))
    etree.SubElement(message, q("DCCAlertCode")).text = dcc_alert_code
    wrapper = etree.SubElement(etree.SubElement(message, q("DCCAlert")), q("S1SPAlertDSP"))
    wrapper.append(signed_alert)
    return root


@dataclass(frozen=True)
class S1SPAlertInfo:
    code: str
    device_id: str | None
    information: str | None


@dataclass(frozen=True)
class ServiceResponse:
    """What a User reads from a DSP Response.

    - `pre_command` / `gbcs_version`: a CV 4 answer's ResponseMessage/PreCommand.
    - `future_dated_alert_code`: 8F66 / 8F67 of a ResponseMessage/FutureDatedDeviceAlertMessage.
    - `gbcs_payload`: the GBCSPayload of a future-dated alert, a device alert or a ResponseMessage.
    - `remote_party_details`: the cells of a SMETS1 6.24.1 response (SMETSData/RetrieveDeviceSecurityCredentialsKRPRsp).
    - `execution_outcome_present`: for a SMETS1 6.15.1 / 6.21 response, whether it carries ExecutionOutcome
      (absent when the command was future dated); None when the Response holds neither.
    """

    response_code: str
    request_id: str | None
    body_kind: str
    service_reference_variant: str | None = None
    s1sp_alert: S1SPAlertInfo | None = None
    smets1_signed_response: etree._Element | None = field(default=None, compare=False, repr=False)
    s1sp_alert_element: etree._Element | None = field(default=None, compare=False, repr=False)
    pre_command: bytes | None = None
    gbcs_version: str | None = None
    future_dated_alert_code: str | None = None
    gbcs_payload: bytes | None = None
    remote_party_details: tuple[RemotePartyDetail, ...] = ()
    execution_outcome_present: bool | None = None
    response_id: str | None = None

    @property
    def succeeded(self) -> bool:
        """I0 with a ResponseMessage or SMETS1ResponseMessage (a PreCommand and a future-dated alert
        are ResponseMessages too: use `pre_command` / `future_dated_alert_code` to tell them apart)."""
        return self.response_code == "I0" and self.body_kind in ("ResponseMessage", "SMETS1ResponseMessage")

    @property
    def is_acknowledgement(self) -> bool:
        """I99: accepted and sent on; the outcome arrives later, asynchronously."""
        return self.response_code == "I99"

    @classmethod
    def from_xml(cls, root: etree._Element) -> ServiceResponse:
        """Read a Response; raises MalformedMessage with the reason."""
        if root.tag != q("Response"):
            raise MalformedMessage(f"the root element is {root.tag}, not a DUIS Response")
        body = root.find("sr:Body/*", {"sr": SR})
        if body is None:
            raise MalformedMessage("the Response has no Body")
        kind = etree.QName(body).localname
        alert_el = body.find("sr:DCCAlert/sr:S1SPAlertDSP/sr:S1SPAlert", {"sr": SR})
        alert = None
        if alert_el is not None:
            alert = S1SPAlertInfo(
                text(alert_el, "sr:S1SPAlertCode") or "",
                text(alert_el, "sr:DeviceID"),
                text(alert_el, "sr:AdditionalInformation"),
            )
        pre_command = body.find("sr:PreCommand", _NS)
        future_dated = body.find("sr:FutureDatedDeviceAlertMessage", _NS)
        payload_holder = future_dated if future_dated is not None else body
        inner = body.find("sr:SMETS1SignedResponse", {"sr": SR})
        details, outcome = _smets1_payload(inner)
        code = text(future_dated, "sr:FutureDatedAlertCode") if future_dated is not None else None
        return cls(
            response_code=text(root, "sr:Header/sr:ResponseCode") or "",
            request_id=text(root, "sr:Header/sr:RequestID"),
            body_kind=kind,
            service_reference_variant=text(body, "sr:ServiceReferenceVariant"),
            s1sp_alert=alert,
            smets1_signed_response=inner,
            s1sp_alert_element=alert_el,
            pre_command=_der(_element_text(pre_command, "sr:GBCSPayload"), "the PreCommand's GBCSPayload"),
            gbcs_version=text(pre_command, "sr:GBCSVersion") if pre_command is not None else None,
            future_dated_alert_code=code.upper() if code else None,
            gbcs_payload=_der(_element_text(payload_holder, "sr:GBCSPayload"), "the GBCSPayload"),
            remote_party_details=details
            or read_sandbox_credentials_payload(
                _der(_element_text(payload_holder, "sr:GBCSPayload"), "the GBCSPayload")
            ),
            execution_outcome_present=outcome,
            response_id=text(root, "sr:Header/sr:ResponseID"),
        )


def _element_text(parent: etree._Element | None, path: str) -> str | None:
    """The raw text at `path` ("" for a present but empty element, None when absent)."""
    found = parent.find(path, _NS) if parent is not None else None
    return None if found is None else (found.text or "")


def _smets1_payload(inner: etree._Element | None) -> tuple[tuple[RemotePartyDetail, ...], bool | None]:
    """The 6.24.1 cells and the 6.15.1 / 6.21 ExecutionOutcome presence of an S1SP-signed response."""
    smets_data = (
        inner.find("sr:SMETS1Response/sr:Body/sr:ResponseMessage/ra:SMETSData", _NS) if inner is not None else None
    )
    if smets_data is None:
        return (), None
    details: list[RemotePartyDetail] = []
    outcome: bool | None = None
    for rsp in smets_data:
        if not isinstance(rsp.tag, str):
            continue
        name = etree.QName(rsp).localname
        if name in _CREDENTIALS_UPDATE_RESPONSES.values():
            outcome = rsp.find("ra:ExecutionOutcome", _NS) is not None
        elif name in _CREDENTIALS_READ_RESPONSES.values():
            for cell in rsp.findall("ra:RemotePartyDetails", _NS):
                details.append(
                    RemotePartyDetail(
                        role=text(cell, "ra:RemotePartyRole") or "",
                        usage=text(cell, "ra:CertificateUsage") or "",
                        entity_id=(text(cell, "ra:ExistingRemotePartyID") or "").upper(),
                        certificate_hash=_der(
                            _element_text(cell, "ra:ExistingCertificateHash") or "", "an ExistingCertificateHash"
                        )
                        or b"",
                    )
                )
    return tuple(details), outcome


__all__ = [
    "CREDENTIALS_REPLACEMENT_MODES",
    "DS",
    "FUTURE_DATED_FAILURE",
    "FUTURE_DATED_SUCCESS",
    "MalformedMessage",
    "RemotePartyDetail",
    "RequestID",
    "S1SPAlertInfo",
    "ServiceRequest",
    "ServiceResponse",
    "acknowledgement",
    "dcc_alert_with_s1sp_alert",
    "format_xml_datetime",
    "future_dated_alert",
    "normalise_eui64",
    "parse_xml_datetime",
    "pre_command_response",
    "request_header",
    "response_message",
    "s1sp_alert",
    "smets1_credentials_read_response",
    "smets1_credentials_update_response",
    "smets1_response",
    "smets1_signed_response",
]
