"""DUIS identifiers and Service Requests: a RequestID read canonically and echoed as written, a Service
Request built from and read into a plain Python object, and the xs:dateTime and base64 values they carry.

Element names and order follow DUIS schema V5.1 (primer section 5, DCC-INTERFACE Q1–Q7); the DUIS XSD check
itself lives in the DSP. Parsing here reads only what the sandbox's rules need. The critical flow
(DCC-INTERFACE Q1): a CV 4 request is answered with a `PreCommand` (`duis.responses.pre_command_response`);
the User signs it and sends it back as CV 5 with Body `SignedPreCommand` (`ServiceRequest.signed_pre_command`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from lxml import etree

from duis.srv import SERVICE_REQUEST_VARIANTS, ServiceReferenceVariant
from duis.xml import RA, SCHEMA_VERSION, SR, q, text

EUI64 = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")
_MAX_COUNTER = 2**64 - 1
NS = {"sr": SR, "ra": RA}
"""The DUIS prefixes for `find` paths."""
_XML_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?$"
)
_MULTI_ROLE_BODIES = frozenset({"RetrieveDeviceSecurityCredentialsKRP"})
"""Bodies whose RemotePartyRole repeats (1..7): read into `remote_party_roles`, not `remote_party_role`."""


class MalformedMessage(ValueError):
    """A DUIS message that is well-formed XML but not a message this sandbox can read."""


@functools.lru_cache(maxsize=4096)
def normalise_eui64(value: str) -> str:
    """Upper-case EUI-64; raises MalformedMessage when it is not 8 dash-separated hex bytes. (Every message
    names a few devices and is read at every hop: each text is checked once. Refusals are not kept.)"""
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

    @staticmethod
    def parse(value: str) -> RequestID:
        """The RequestID `value` writes; MalformedMessage when it is not one. A RequestID is immutable and a
        message's is read at every hop (and its Response's, again, by the User), so a text once read is
        not read again. Refusals are not kept."""
        return _request_id(value)

    def response_id(self) -> str:
        """Responses swap originator and target (each as the User wrote it)."""
        originator, target, counter = self.echoed.split(":")
        return f"{target}:{originator}:{counter}"


@functools.lru_cache(maxsize=1024)
def _request_id(value: str) -> RequestID:
    parts = value.strip().split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        raise MalformedMessage(f"RequestID {value!r} is not originator:target:counter")
    counter = int(parts[2])
    if counter > _MAX_COUNTER:
        raise MalformedMessage("the originator counter is larger than 64 bits")
    return RequestID(normalise_eui64(parts[0]), normalise_eui64(parts[1]), counter, value.strip())


def base64_value(value: str | None, what: str) -> bytes | None:
    """Base64 text to bytes (None stays None). xs:base64Binary may wrap lines, so whitespace is dropped
    first; anything else that is not base64 is refused (MalformedMessage naming `what`)."""
    if value is None:
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage(f"{what} is not valid base64") from None


def element_text(parent: etree._Element | None, path: str) -> str | None:
    """The raw text at `path` ("" for a present but empty element, None when absent)."""
    found = parent.find(path, NS) if parent is not None else None
    return None if found is None else (found.text or "")


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
        signed = root.find("sr:Body/sr:SignedPreCommand", NS)
        if signed is not None:
            payload = signed.find("sr:GBCSPayload", NS)
            if payload is None:
                raise MalformedMessage("the SignedPreCommand has no GBCSPayload")
            return cls(
                request_id=request_id,
                srv=srv,
                command_variant=int(cv),
                execution_date_time=parse_xml_datetime(
                    text(signed, "sr:ExecutionDateTime"), "the SignedPreCommand's ExecutionDateTime"
                ),
                signed_pre_command=base64_value(payload.text or "", "the SignedPreCommand's GBCSPayload"),
            )
        body = root.find(f"sr:Body/sr:{srv.body_element}", namespaces={"sr": SR})
        if body is None:
            raise MalformedMessage(f"the Body does not hold {srv.body_element} for SRV {srv.variant}")
        certs = body.find("sr:ReplacementCertificates", namespaces={"sr": SR})
        if certs is not None and certs.find("sr:SupplierOrNetworkOperatorCertificates", {"sr": SR}) is not None:
            certs = certs.find("sr:SupplierOrNetworkOperatorCertificates", {"sr": SR})
        path = body.findall("sr:CertificationPathCertificates/sr:Certificate", {"sr": SR})
        roles = [(e.text or "").strip() for e in body.findall("sr:RemotePartyRole", NS)]
        multi_role = srv.body_element in _MULTI_ROLE_BODIES
        return cls(
            request_id=request_id,
            srv=srv,
            command_variant=int(cv),
            remote_party_role=None if multi_role else text(body, "sr:RemotePartyRole"),
            digital_signing_certificate=base64_value(
                _slot(certs, "DigitalSigningCertificate"), "the DigitalSigningCertificate"
            ),
            key_agreement_certificate=base64_value(
                _slot(certs, "KeyAgreementCertificate"), "the KeyAgreementCertificate"
            ),
            certification_path=tuple(base64_value(c.text or "", "a CertificationPathCertificate") or b"" for c in path),
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


def now_text() -> str:
    """Now, as DUIS messages date what the sandbox sends (UTC, to the second)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
