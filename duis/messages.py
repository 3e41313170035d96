"""DUIS Service Requests and Responses: built from, and read into, plain Python objects.

Element names and order follow DUIS schema V5.1 (primer section 5); the DUIS XSD check itself
lives in the DSP. Parsing here reads only what the sandbox's rules need.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field

from lxml import etree

from duis.srv import SERVICE_REQUEST_VARIANTS, ServiceReferenceVariant
from duis.xml import DS, RA, SCHEMA_VERSION, SR, q, text

EUI64 = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")
_MAX_COUNTER = 2**64 - 1


class MalformedMessage(ValueError):
    """A DUIS message that is well-formed XML but not a message this sandbox can read."""


def normalise_eui64(value: str) -> str:
    """Upper-case EUI-64; raises MalformedMessage when it is not 8 dash-separated hex bytes."""
    upper = value.strip().upper()
    if not EUI64.match(upper):
        raise MalformedMessage(f"{value!r} is not an EUI-64 identifier like 90-B3-D5-1F-30-02-00-00")
    return upper


@dataclass(frozen=True, order=True)
class RequestID:
    """`BusinessOriginatorID:BusinessTargetID:OriginatorCounter`."""

    originator: str
    target: str
    counter: int

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"

    @classmethod
    def parse(cls, value: str) -> RequestID:
        parts = value.strip().split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            raise MalformedMessage(f"RequestID {value!r} is not originator:target:counter")
        counter = int(parts[2])
        if counter > _MAX_COUNTER:
            raise MalformedMessage("the originator counter is larger than 64 bits")
        return cls(normalise_eui64(parts[0]), normalise_eui64(parts[1]), counter)

    def response_id(self) -> str:
        """Responses swap originator and target."""
        return f"{self.target}:{self.originator}:{self.counter}"


def _der(value: str | None, what: str) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage(f"{what} is not valid base64") from None


def _slot(certs: etree._Element | None, name: str) -> str | None:
    """A replacement certificate's text: None when the slot is absent, "" when it is present but
    empty (an empty certificate is still offered, and refused as no certificate, never skipped)."""
    found = certs.find(f"sr:{name}", {"sr": SR}) if certs is not None else None
    return None if found is None else (found.text or "").strip()


@dataclass(frozen=True)
class ServiceRequest:
    """A DUIS Service Request, before signing or after parsing."""

    request_id: RequestID
    srv: ServiceReferenceVariant
    command_variant: int = 1
    remote_party_role: str | None = None
    digital_signing_certificate: bytes | None = None
    key_agreement_certificate: bytes | None = None
    certification_path: tuple[bytes, ...] = ()
    other_device_id: str | None = None
    old_gpf_id: str | None = None

    @property
    def device_id(self) -> str:
        return self.request_id.target

    @property
    def originator(self) -> str:
        return self.request_id.originator

    def to_xml(self) -> etree._Element:
        root = etree.Element(q("Request"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
        header = etree.SubElement(root, q("Header"))
        etree.SubElement(header, q("RequestID")).text = str(self.request_id)
        etree.SubElement(header, q("CommandVariant")).text = str(self.command_variant)
        etree.SubElement(header, q("ServiceReference")).text = self.srv.reference
        etree.SubElement(header, q("ServiceReferenceVariant")).text = self.srv.variant
        body = etree.SubElement(etree.SubElement(root, q("Body")), q(self.srv.body_element))
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
        body = root.find(f"sr:Body/sr:{srv.body_element}", namespaces={"sr": SR})
        if body is None:
            raise MalformedMessage(f"the Body does not hold {srv.body_element} for SRV {srv.variant}")
        cv = text(root, "sr:Header/sr:CommandVariant") or ""
        if not cv.isdigit():
            raise MalformedMessage("the CommandVariant is not a number")
        certs = body.find("sr:ReplacementCertificates", namespaces={"sr": SR})
        if certs is not None and certs.find("sr:SupplierOrNetworkOperatorCertificates", {"sr": SR}) is not None:
            certs = certs.find("sr:SupplierOrNetworkOperatorCertificates", {"sr": SR})
        path = body.findall("sr:CertificationPathCertificates/sr:Certificate", {"sr": SR})
        return cls(
            request_id=RequestID.parse(raw_id),
            srv=srv,
            command_variant=int(cv),
            remote_party_role=text(body, "sr:RemotePartyRole"),
            digital_signing_certificate=_der(
                _slot(certs, "DigitalSigningCertificate"), "the DigitalSigningCertificate"
            ),
            key_agreement_certificate=_der(_slot(certs, "KeyAgreementCertificate"), "the KeyAgreementCertificate"),
            certification_path=tuple(_der(c.text or "", "a CertificationPathCertificate") or b"" for c in path),
            other_device_id=text(body, "sr:OtherDeviceID"),
            old_gpf_id=text(body, "sr:OldGPFID"),
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
        srv = ServiceReferenceVariant(variant, reference, "", f"SRV {variant}", critical=False, eligible=frozenset())
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
    root, body = _response(str(request) if request else None, request.response_id() if request else None, code)
    message = etree.SubElement(body, q("ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference if srv else "0.0"
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant if srv else "0.0.0"
    return root


def smets1_signed_response(request: RequestID, srv: ServiceReferenceVariant, counter: int) -> etree._Element:
    """What an S1SP answers for a device (to be signed by the S1SP): the device to the User."""
    root = etree.Element(q("SMETS1SignedResponse"), nsmap={"sr": SR, "ra": RA}, schemaVersion=SCHEMA_VERSION)
    response = etree.SubElement(root, q("SMETS1Response"))
    header = etree.SubElement(response, q("Header"))
    etree.SubElement(header, q("BusinessOriginatorID", RA)).text = request.target
    etree.SubElement(header, q("BusinessTargetID", RA)).text = request.originator
    etree.SubElement(header, q("OriginatorCounter", RA)).text = str(counter)
    etree.SubElement(header, q("ServiceReference", RA)).text = srv.reference
    etree.SubElement(header, q("ServiceReferenceVariant", RA)).text = srv.variant
    etree.SubElement(etree.SubElement(response, q("Body")), q("ResponseMessage"))
    return root


def smets1_response(request: RequestID, srv: ServiceReferenceVariant, signed_inner: etree._Element) -> etree._Element:
    """The DSP's Response carrying the S1SP-signed SMETS1 response."""
    root, body = _response(str(request), request.response_id(), "I0")
    message = etree.SubElement(body, q("SMETS1ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant
    message.append(signed_inner)
    return root


def s1sp_alert(request: RequestID | None, device_id: str, code: str, information: str) -> etree._Element:
    """A standard S1SP Alert (to be signed by the S1SP)."""
    root = etree.Element(q("S1SPAlert"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
    if request is not None:
        etree.SubElement(root, q("RequestID")).text = str(request)
    etree.SubElement(root, q("DeviceID")).text = device_id
    etree.SubElement(root, q("S1SPAlertCode")).text = code
    etree.SubElement(root, q("AdditionalInformation")).text = information
    etree.SubElement(root, q("DateTime")).text = _now()
    return root


def dcc_alert_with_s1sp_alert(request: RequestID, dcc_alert_code: str, signed_alert: etree._Element) -> etree._Element:
    """The DSP's Response that passes an S1SP Alert on to the User (DCCAlert/S1SPAlertDSP)."""
    root, body = _response(str(request), request.response_id(), "I0")
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
    """What a User reads from a DSP Response."""

    response_code: str
    request_id: str | None
    body_kind: str
    service_reference_variant: str | None = None
    s1sp_alert: S1SPAlertInfo | None = None
    smets1_signed_response: etree._Element | None = field(default=None, compare=False, repr=False)
    s1sp_alert_element: etree._Element | None = field(default=None, compare=False, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.response_code == "I0" and self.body_kind in ("ResponseMessage", "SMETS1ResponseMessage")

    @classmethod
    def from_xml(cls, root: etree._Element) -> ServiceResponse:
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
        return cls(
            response_code=text(root, "sr:Header/sr:ResponseCode") or "",
            request_id=text(root, "sr:Header/sr:RequestID"),
            body_kind=kind,
            service_reference_variant=text(body, "sr:ServiceReferenceVariant"),
            s1sp_alert=alert,
            smets1_signed_response=body.find("sr:SMETS1SignedResponse", {"sr": SR}),
            s1sp_alert_element=alert_el,
        )


__all__ = [
    "DS",
    "MalformedMessage",
    "RequestID",
    "S1SPAlertInfo",
    "ServiceRequest",
    "ServiceResponse",
    "dcc_alert_with_s1sp_alert",
    "normalise_eui64",
    "request_header",
    "response_message",
    "s1sp_alert",
    "smets1_response",
    "smets1_signed_response",
]
