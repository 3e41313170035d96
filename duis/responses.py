"""DUIS Responses: what the DSP sends a User, built (a ResponseMessage: acknowledgement, success or rejection;
a Pre-Command to sign; a SMETS2 device's answer; an S1SP's signed answer or alert passed on; a future-dated
command's 8F66/8F67) and read back (`ServiceResponse`: what a User reads from any of them).

CV 1/5 are acknowledged with I99 (`acknowledgement`) and the device's answer follows asynchronously
(`smets1_response` around an S1SP-signed `duis.smets1` response, or `future_dated_alert`)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from lxml import etree

from duis.requests import NS, MalformedMessage, RequestID, base64_value, element_text, now_text
from duis.sandbox_payload import read_sandbox_credentials_payload
from duis.smets1 import RemotePartyDetail, read_smets1_payload
from duis.srv import ServiceReferenceVariant
from duis.xml import SCHEMA_VERSION, SR, q, text


def _response(request_id: str | None, response_id: str | None, code: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(q("Response"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
    header = etree.SubElement(root, q("Header"))
    if request_id:
        etree.SubElement(header, q("RequestID")).text = request_id
    if response_id:
        etree.SubElement(header, q("ResponseID")).text = response_id
    etree.SubElement(header, q("ResponseCode")).text = code
    etree.SubElement(header, q("ResponseDateTime")).text = now_text()
    return root, etree.SubElement(root, q("Body"))


def _response_message(
    request: RequestID | None, code: str, srv: ServiceReferenceVariant | None
) -> tuple[etree._Element, etree._Element]:
    """A DSP Response with a ResponseMessage, and that ResponseMessage (to add to)."""
    root, body = _response(request.echoed if request else None, request.response_id() if request else None, code)
    message = etree.SubElement(body, q("ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference if srv else "0.0"
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant if srv else "0.0.0"
    return root, message


def response_message(request: RequestID | None, code: str, srv: ServiceReferenceVariant | None) -> etree._Element:
    """A DSP Response with a ResponseMessage: acknowledgement, success or rejection."""
    return _response_message(request, code, srv)[0]


def acknowledgement(request_id: RequestID, srv: ServiceReferenceVariant) -> etree._Element:
    """The synchronous I99 for CV 1/3/5/7: accepted and sent on; the answer follows at the User's
    Receive Response Service (ResponseMessage with ServiceReference and Variant only)."""
    return response_message(request_id, "I99", srv)


def pre_command_response(
    request_id: RequestID, srv: ServiceReferenceVariant, payload: bytes, gbcs_version: str
) -> etree._Element:
    """The synchronous I0 answer to a CV 4 (Transform) request: ResponseMessage/PreCommand{GBCSVersion,
    GBCSPayload}, the unsigned GBCS payload the User signs and returns as CV 5."""
    root, message = _response_message(request_id, "I0", srv)
    pre_command = etree.SubElement(message, q("PreCommand"))
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


def device_response(
    request: RequestID, srv: ServiceReferenceVariant, gbcs_payload: bytes | None = None
) -> etree._Element:
    """A SMETS2 device's answer passed on by the DSP: a ResponseMessage with the device's GBCS payload."""
    root, message = _response_message(request, "I0", srv)
    if gbcs_payload is not None:
        etree.SubElement(message, q("GBCSPayload")).text = base64.b64encode(gbcs_payload).decode()
    return root


def smets1_response(request: RequestID, srv: ServiceReferenceVariant, signed_inner: etree._Element) -> etree._Element:
    """The DSP's Response carrying the S1SP-signed SMETS1 response."""
    root, body = _response(request.echoed, request.response_id(), "I0")
    message = etree.SubElement(body, q("SMETS1ResponseMessage"))
    etree.SubElement(message, q("ServiceReference")).text = srv.reference
    etree.SubElement(message, q("ServiceReferenceVariant")).text = srv.variant
    message.append(signed_inner)
    return root


def smets1_alert_response(signed_alert: etree._Element, response_id: str) -> etree._Element:
    """The DSP's Response carrying an S1SP-signed SMETS1 device alert to its recipient (no RequestID: no
    request caused it; the ResponseID names device, recipient and the alert's counter)."""
    root, body = _response(None, response_id, "I0")
    etree.SubElement(body, q("SMETS1ResponseMessage")).append(signed_alert)
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
        pre_command = body.find("sr:PreCommand", NS)
        future_dated = body.find("sr:FutureDatedDeviceAlertMessage", NS)
        payload_holder = future_dated if future_dated is not None else body
        inner = body.find("sr:SMETS1SignedResponse", {"sr": SR})
        details, outcome = read_smets1_payload(inner)
        code = text(future_dated, "sr:FutureDatedAlertCode") if future_dated is not None else None
        return cls(
            response_code=text(root, "sr:Header/sr:ResponseCode") or "",
            request_id=text(root, "sr:Header/sr:RequestID"),
            body_kind=kind,
            service_reference_variant=text(body, "sr:ServiceReferenceVariant"),
            s1sp_alert=alert,
            smets1_signed_response=inner,
            s1sp_alert_element=alert_el,
            pre_command=base64_value(element_text(pre_command, "sr:GBCSPayload"), "the PreCommand's GBCSPayload"),
            gbcs_version=text(pre_command, "sr:GBCSVersion") if pre_command is not None else None,
            future_dated_alert_code=code.upper() if code else None,
            gbcs_payload=base64_value(element_text(payload_holder, "sr:GBCSPayload"), "the GBCSPayload"),
            remote_party_details=details
            or read_sandbox_credentials_payload(
                base64_value(element_text(payload_holder, "sr:GBCSPayload"), "the GBCSPayload")
            ),
            execution_outcome_present=outcome,
            response_id=text(root, "sr:Header/sr:ResponseID"),
        )


