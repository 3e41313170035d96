"""What an S1SP says, in DUIS: its signed SMETS1 response for a device (6.15.1's and 6.21's
`ExecutionOutcome`, 6.24.1's trust-anchor cells), a SMETS1 device's alert, and the standard S1SP Alert; and
reading a signed SMETS1 response back. Each is built unsigned: the S1SP signs it, and the DSP passes it on
inside its own Response (`duis.responses`)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from duis.requests import NS, RequestID, base64_value, element_text, now_text
from duis.srv import ServiceReferenceVariant
from duis.xml import RA, SCHEMA_VERSION, SR, q, text

CREDENTIALS_UPDATE_RESPONSES = {
    "6.15.1": "UpdateSecurityCredentialsKRPRsp",
    "6.21": "RequestHandoverOfDCCControlledDeviceRsp",
}
CREDENTIALS_READ_RESPONSES = {"6.24.1": "RetrieveDeviceSecurityCredentialsKRPRsp"}


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
    element = CREDENTIALS_UPDATE_RESPONSES.get(srv.variant)
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


def smets1_credentials_read_response(
    request_id: RequestID, srv: ServiceReferenceVariant, counter: int, details: Iterable[RemotePartyDetail]
) -> etree._Element:
    """The S1SP's answer to 6.24.1 (`RetrieveDeviceSecurityCredentialsKRPRsp`, one `RemotePartyDetails`
    per trust-anchor cell), to be signed by the S1SP."""
    element = CREDENTIALS_READ_RESPONSES.get(srv.variant)
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


def s1sp_alert(request: RequestID | None, device_id: str, code: str, information: str) -> etree._Element:
    """A standard S1SP Alert (to be signed by the S1SP)."""
    root = etree.Element(q("S1SPAlert"), nsmap={"sr": SR}, schemaVersion=SCHEMA_VERSION)
    if request is not None:
        etree.SubElement(root, q("RequestID")).text = request.echoed
    etree.SubElement(root, q("DeviceID")).text = device_id
    etree.SubElement(root, q("S1SPAlertCode")).text = code
    etree.SubElement(root, q("AdditionalInformation")).text = information
    etree.SubElement(root, q("DateTime")).text = now_text()
    return root


def read_smets1_payload(inner: etree._Element | None) -> tuple[tuple[RemotePartyDetail, ...], bool | None]:
    """The 6.24.1 cells and the 6.15.1 / 6.21 ExecutionOutcome presence of an S1SP-signed response."""
    smets_data = (
        inner.find("sr:SMETS1Response/sr:Body/sr:ResponseMessage/ra:SMETSData", NS) if inner is not None else None
    )
    if smets_data is None:
        return (), None
    details: list[RemotePartyDetail] = []
    outcome: bool | None = None
    for rsp in smets_data:
        if not isinstance(rsp.tag, str):
            continue
        name = etree.QName(rsp).localname
        if name in CREDENTIALS_UPDATE_RESPONSES.values():
            outcome = rsp.find("ra:ExecutionOutcome", NS) is not None
        elif name in CREDENTIALS_READ_RESPONSES.values():
            for cell in rsp.findall("ra:RemotePartyDetails", NS):
                details.append(
                    RemotePartyDetail(
                        role=text(cell, "ra:RemotePartyRole") or "",
                        usage=text(cell, "ra:CertificateUsage") or "",
                        entity_id=(text(cell, "ra:ExistingRemotePartyID") or "").upper(),
                        certificate_hash=base64_value(
                            element_text(cell, "ra:ExistingCertificateHash") or "", "an ExistingCertificateHash"
                        )
                        or b"",
                    )
                )
    return tuple(details), outcome
