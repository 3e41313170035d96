"""DUIS messages of the critical flow and of 6.24.1, as the fakes and the client build and read them:
every builder's output is valid against DCC's DUIS V5.1 XSD, new request shapes round-trip, and the
whole CV 4 -> PreCommand -> CV 5 -> I99 -> device answer exchange reads back."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from duis.precommand import GBCS_VERSION, pre_command_for, sign_pre_command, split_signed, verify_pre_command
from duis.requests import MalformedMessage, RequestID, ServiceRequest, format_xml_datetime, parse_xml_datetime
from duis.responses import (
    ServiceResponse,
    acknowledgement,
    dcc_alert_with_s1sp_alert,
    future_dated_alert,
    pre_command_response,
    response_message,
    smets1_response,
)
from duis.schema import duis_schema
from duis.signature import sign, verify
from duis.smets1 import (
    RemotePartyDetail,
    s1sp_alert,
    smets1_credentials_read_response,
    smets1_credentials_update_response,
    smets1_signed_response,
)
from duis.srv import (
    JOIN_SERVICE,
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    REQUEST_HANDOVER,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    UPDATE_SECURITY_CREDENTIALS_KRP,
)
from duis.xml import DS, RA, parse, q, to_bytes
from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, RemotePartyRole
from tests.message_keys import DEVICE, ORIGINATOR, Signer

RID = RequestID(ORIGINATOR, DEVICE, 1200)
EXECUTION = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def smki() -> SMKIAuthority:
    return SMKIAuthority()


@pytest.fixture(scope="module")
def user_xml(smki) -> Signer:
    """The User's XML-signing certificate: signs the DUIS envelope."""
    return Signer(smki, ORIGINATOR, RemotePartyRole.XML_SIGNING_USER)


@pytest.fixture(scope="module")
def user_ds(smki) -> Signer:
    """The User's Digital Signing certificate for its role: signs the Pre-Command."""
    return Signer(smki, ORIGINATOR, RemotePartyRole.NETWORK_OPERATOR)


@pytest.fixture(scope="module")
def user_ka(smki) -> Signer:
    return Signer(smki, ORIGINATOR, RemotePartyRole.NETWORK_OPERATOR, KeyUse.KA)


@pytest.fixture(scope="module")
def dsp(smki) -> Signer:
    return Signer(smki, "90-B3-D5-1F-30-00-00-02", RemotePartyRole.XML_SIGNING_DCC)


@pytest.fixture(scope="module")
def s1sp(smki) -> Signer:
    return Signer(smki, "90-B3-D5-1F-30-00-01-01", RemotePartyRole.XML_SIGNING_DCC)


@pytest.fixture(scope="module")
def krp_cv4(smki, user_ds, user_ka) -> ServiceRequest:
    return ServiceRequest(
        RID,
        UPDATE_SECURITY_CREDENTIALS_KRP,
        command_variant=4,
        remote_party_role="NetworkOperator",
        digital_signing_certificate=user_ds.cert.der(),
        key_agreement_certificate=user_ka.cert.der(),
        certification_path=(smki.issuing_ca.public_bytes(serialization.Encoding.DER),),
    )


def _assert_valid(root: etree._Element) -> None:
    schema = duis_schema()
    assert schema.validate(root), schema.error_log.last_error


def _wire(root: etree._Element) -> etree._Element:
    return parse(to_bytes(root))


def _signed(root: etree._Element, signer: Signer) -> etree._Element:
    return _wire(sign(root, signer.key, signer.x509))


def _details() -> list[RemotePartyDetail]:
    return [
        RemotePartyDetail("NetworkOperator", "DigitalSigning", ORIGINATOR, bytes(range(20))),
        RemotePartyDetail("NetworkOperator", "KeyAgreement", ORIGINATOR, b"\x42\x38\xd3\x06\xb6\xf7\x25\xa2"),
        RemotePartyDetail("Supplier", "DigitalSigning", "90-B3-D5-1F-30-01-00-00", b"\x01" * 20),
    ]


# --- requests ------------------------------------------------------------------------------------


def test_a_future_dated_krp_request_is_valid_and_writes_the_time_first(krp_cv4, user_xml) -> None:
    request = ServiceRequest(**{**krp_cv4.__dict__, "execution_date_time": EXECUTION})
    signed = _signed(request.to_xml(), user_xml)
    _assert_valid(signed)
    body = signed.find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}")
    assert etree.QName(body[0]).localname == "ExecutionDateTime"
    assert body[0].text == "2030-01-15T00:00:00.00Z"  # as DCC's samples write it
    assert ServiceRequest.from_xml(signed) == request


@pytest.mark.parametrize("execution", [None, EXECUTION, dt.datetime(3000, 12, 31, tzinfo=dt.UTC)])
def test_a_cv5_signed_pre_command_request_round_trips(krp_cv4, user_ds, user_xml, execution) -> None:
    signed_pre_command = sign_pre_command(pre_command_for(krp_cv4, krp_cv4.to_xml()).to_bytes(), user_ds.key)
    request = ServiceRequest(
        RID,
        UPDATE_SECURITY_CREDENTIALS_KRP,
        command_variant=5,
        execution_date_time=execution,
        signed_pre_command=signed_pre_command,
    )
    root = request.to_xml()
    body = root.find(q("Body"))
    assert [etree.QName(e).localname for e in body] == ["SignedPreCommand"]
    expected = (["ExecutionDateTime"] if execution else []) + ["GBCSPayload"]
    assert [etree.QName(e).localname for e in body[0]] == expected
    signed = _signed(root, user_xml)
    _assert_valid(signed)
    assert ServiceRequest.from_xml(root) == request
    read = ServiceRequest.from_xml(signed)
    assert read == request
    assert read.srv is UPDATE_SECURITY_CREDENTIALS_KRP  # known from the Header, not the Body
    assert read.signed_pre_command == signed_pre_command


def test_a_signed_pre_command_request_carries_nothing_else() -> None:
    with pytest.raises(ValueError, match="no other body content"):
        ServiceRequest(RID, UPDATE_SECURITY_CREDENTIALS_KRP, 5, "NetworkOperator", signed_pre_command=b"\xdf")


def test_a_signed_pre_command_without_payload_is_refused() -> None:
    root = ServiceRequest(RID, UPDATE_SECURITY_CREDENTIALS_KRP, 5, signed_pre_command=b"\xdf\x09").to_xml()
    signed_pre_command = root.find(f"{q('Body')}/{q('SignedPreCommand')}")
    signed_pre_command.remove(signed_pre_command.find(q("GBCSPayload")))
    with pytest.raises(MalformedMessage, match="no GBCSPayload"):
        ServiceRequest.from_xml(root)


def test_a_retrieve_device_security_credentials_request_round_trips(user_xml) -> None:
    request = ServiceRequest(
        RID, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, remote_party_roles=("Supplier", "NetworkOperator")
    )
    root = request.to_xml()
    body = root.find(f"{q('Body')}/{q('RetrieveDeviceSecurityCredentialsKRP')}")
    assert [(etree.QName(e).localname, e.text) for e in body] == [
        ("RemotePartyRole", "Supplier"),
        ("RemotePartyRole", "NetworkOperator"),
    ]
    signed = _signed(root, user_xml)
    _assert_valid(signed)
    read = ServiceRequest.from_xml(signed)
    assert read == request
    assert read.remote_party_role is None


def test_a_retrieve_request_takes_one_to_seven_roles(user_xml) -> None:
    roles = ("ACB", "NetworkOperator", "Recovery", "Root", "Supplier", "TransCoS", "LoadController")
    full = ServiceRequest(RID, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, remote_party_roles=roles)
    _assert_valid(_signed(full.to_xml(), user_xml))
    assert ServiceRequest.from_xml(full.to_xml()).remote_party_roles == roles
    for bad in ((), roles + ("Supplier",)):
        root = ServiceRequest(RID, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, remote_party_roles=bad).to_xml()
        assert not duis_schema().validate(_signed(root, user_xml))


def test_execution_time_on_a_body_that_cannot_be_future_dated_is_not_valid_duis(user_xml) -> None:
    assert not JOIN_SERVICE.future_datable
    request = ServiceRequest(RID, JOIN_SERVICE, other_device_id=DEVICE, execution_date_time=EXECUTION)
    assert not duis_schema().validate(_signed(request.to_xml(), user_xml))


def test_a_future_dated_read_request_is_valid(user_xml) -> None:
    request = ServiceRequest(RID, READ_INSTANTANEOUS_IMPORT_REGISTERS, execution_date_time=EXECUTION)
    _assert_valid(_signed(request.to_xml(), user_xml))
    assert ServiceRequest.from_xml(request.to_xml()) == request


def test_naive_and_offset_execution_times_are_held_in_utc() -> None:
    naive = ServiceRequest(RID, READ_INSTANTANEOUS_IMPORT_REGISTERS, execution_date_time=dt.datetime(2030, 1, 15))
    offset = ServiceRequest(
        RID,
        READ_INSTANTANEOUS_IMPORT_REGISTERS,
        execution_date_time=dt.datetime(2030, 1, 15, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    assert naive.execution_date_time == offset.execution_date_time == EXECUTION
    assert naive == offset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-15T00:00:00.00Z", EXECUTION),
        ("2030-01-15T00:00:00Z", EXECUTION),
        ("2030-01-15T00:00:00", EXECUTION),
        ("2030-01-15T01:00:00+01:00", EXECUTION),
        ("2030-01-15T00:00:00.123456789Z", EXECUTION.replace(microsecond=123456)),
    ],
)
def test_xml_date_times_are_read_in_utc(text: str, expected: dt.datetime) -> None:
    assert parse_xml_datetime(text) == expected


@pytest.mark.parametrize("text", ["2030-01-15", "2030-13-15T00:00:00Z", "15/01/2030 00:00", "2030-01-15T24:00:00Z"])
def test_bad_xml_date_times_are_refused(text: str) -> None:
    with pytest.raises(MalformedMessage):
        parse_xml_datetime(text)


def test_xml_date_times_are_written_without_losing_precision() -> None:
    assert format_xml_datetime(EXECUTION) == "2030-01-15T00:00:00.00Z"
    fine = EXECUTION.replace(microsecond=123456)
    assert format_xml_datetime(fine) == "2030-01-15T00:00:00.123456Z"
    assert parse_xml_datetime(format_xml_datetime(fine)) == fine


# --- responses: every builder is valid DUIS ------------------------------------------------------


def test_pre_command_response_is_valid_and_reads_back(krp_cv4, dsp) -> None:
    payload = pre_command_for(krp_cv4, krp_cv4.to_xml()).to_bytes()
    root = pre_command_response(RID, UPDATE_SECURITY_CREDENTIALS_KRP, payload, GBCS_VERSION)
    message = root.find(f"{q('Body')}/{q('ResponseMessage')}")
    assert [etree.QName(e).localname for e in message] == ["ServiceReference", "ServiceReferenceVariant", "PreCommand"]
    assert [etree.QName(e).localname for e in message[2]] == ["GBCSVersion", "GBCSPayload"]
    signed = _signed(root, dsp)
    _assert_valid(signed)
    response = ServiceResponse.from_xml(signed)
    assert response.response_code == "I0"
    assert response.succeeded and not response.is_acknowledgement
    assert response.pre_command == payload
    assert response.gbcs_version == "4.1"
    assert response.service_reference_variant == "6.15.1"


def test_acknowledgement_is_valid_and_reads_back(dsp) -> None:
    signed = _signed(acknowledgement(RID, UPDATE_SECURITY_CREDENTIALS_KRP), dsp)
    _assert_valid(signed)
    message = signed.find(f"{q('Body')}/{q('ResponseMessage')}")
    assert [etree.QName(e).localname for e in message] == ["ServiceReference", "ServiceReferenceVariant"]
    response = ServiceResponse.from_xml(signed)
    assert response.is_acknowledgement
    assert response.response_code == "I99"
    assert not response.succeeded
    assert response.pre_command is None
    assert response.response_id == RID.response_id()


@pytest.mark.parametrize(("success", "code"), [(True, "8F66"), (False, "8F67")])
def test_future_dated_alert_is_valid_and_reads_back(dsp, success: bool, code: str) -> None:
    gbcs = bytes.fromhex("DF0903") + bytes(40)
    root = future_dated_alert(RID, RID.response_id(), UPDATE_SECURITY_CREDENTIALS_KRP, success, gbcs)
    alert = root.find(f"{q('Body')}/{q('ResponseMessage')}/{q('FutureDatedDeviceAlertMessage')}")
    assert [(etree.QName(e).localname, e.text) for e in alert if etree.QName(e).localname != "GBCSPayload"] == [
        ("FutureDatedAlertCode", code),
        ("InstructionNumber", "1"),
        ("TotalCommandInstructions", "1"),
    ]
    signed = _signed(root, dsp)
    _assert_valid(signed)
    response = ServiceResponse.from_xml(signed)
    assert response.response_code == "I0"
    assert response.future_dated_alert_code == code
    assert response.gbcs_payload == gbcs
    assert response.pre_command is None


def test_future_dated_alert_without_ids_is_valid(dsp) -> None:
    _assert_valid(_signed(future_dated_alert(None, None, UPDATE_SECURITY_CREDENTIALS_KRP, True, b"\xdf"), dsp))


@pytest.mark.parametrize("srv", [UPDATE_SECURITY_CREDENTIALS_KRP, REQUEST_HANDOVER])
@pytest.mark.parametrize("executed", [True, False])
def test_smets1_credentials_update_response_is_valid_and_reads_back(s1sp, dsp, srv, executed: bool) -> None:
    inner = sign(
        smets1_credentials_update_response(RID, srv, 1200, executed, remote_party_role="NetworkOperator"),
        s1sp.key,
        s1sp.x509,
    )
    _assert_valid(_wire(inner))
    answer = _signed(smets1_response(RID, srv, inner), dsp)
    _assert_valid(answer)
    response = ServiceResponse.from_xml(answer)
    assert response.succeeded
    assert response.execution_outcome_present is executed
    assert response.remote_party_details == ()
    rsp = answer.find(f".//{q('SMETSData', RA)}")[0]
    expected = {"6.15.1": "UpdateSecurityCredentialsKRPRsp", "6.21": "RequestHandoverOfDCCControlledDeviceRsp"}
    assert etree.QName(rsp).localname == expected[srv.variant]
    if executed:
        outcome = rsp.find(q("ExecutionOutcome", RA))
        assert outcome.findtext(q("AuthorisingRemotePartyOriginatorCounter", RA)) == "1200"
        assert outcome.findtext(q("CredentialsReplacementMode", RA)) == "NetworkOperatorByNetworkOperator"
    verify(answer.find(f".//{q('SMETS1SignedResponse')}"), s1sp.x509)
    verify(answer, dsp.x509)


def test_a_minimal_execution_outcome_is_valid(s1sp) -> None:
    inner = sign(smets1_credentials_update_response(RID, UPDATE_SECURITY_CREDENTIALS_KRP, 7, True), s1sp.key, s1sp.x509)
    _assert_valid(_wire(inner))


def test_credentials_responses_refuse_other_srvs() -> None:
    with pytest.raises(ValueError, match="no credentials update response"):
        smets1_credentials_update_response(RID, READ_INSTANTANEOUS_IMPORT_REGISTERS, 1, True)
    with pytest.raises(ValueError, match="no credentials read response"):
        smets1_credentials_read_response(RID, UPDATE_SECURITY_CREDENTIALS_KRP, 1, [])
    with pytest.raises(ValueError, match="CredentialsReplacementMode"):
        smets1_credentials_update_response(RID, UPDATE_SECURITY_CREDENTIALS_KRP, 1, True, remote_party_role="Root")


def test_smets1_credentials_read_response_is_valid_and_reads_back(s1sp, dsp) -> None:
    details = _details()
    srv = RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP
    inner = sign(smets1_credentials_read_response(RID, srv, 1200, details), s1sp.key, s1sp.x509)
    _assert_valid(_wire(inner))
    answer = _signed(smets1_response(RID, srv, inner), dsp)
    _assert_valid(answer)
    cells = answer.findall(f".//{q('RemotePartyDetails', RA)}")
    assert [etree.QName(e).localname for e in cells[0]] == [
        "RemotePartyRole",
        "CertificateUsage",
        "ExistingRemotePartyID",
        "ExistingCertificateHash",
    ]
    assert cells[0].findtext(q("ExistingCertificateHash", RA)) == base64.b64encode(bytes(range(20))).decode()
    response = ServiceResponse.from_xml(answer)
    assert response.remote_party_details == tuple(details)
    assert response.execution_outcome_present is None
    assert response.succeeded


def test_an_empty_credentials_read_response_is_valid(s1sp) -> None:
    inner = sign(
        smets1_credentials_read_response(RID, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, 1, []), s1sp.key, s1sp.x509
    )
    _assert_valid(_wire(inner))


def test_an_untyped_smets1_response_is_still_valid_and_reads_as_before(s1sp, dsp) -> None:
    inner = sign(smets1_signed_response(RID, READ_INSTANTANEOUS_IMPORT_REGISTERS, 1200), s1sp.key, s1sp.x509)
    answer = _signed(smets1_response(RID, READ_INSTANTANEOUS_IMPORT_REGISTERS, inner), dsp)
    _assert_valid(answer)
    response = ServiceResponse.from_xml(answer)
    assert response.succeeded
    assert (response.remote_party_details, response.execution_outcome_present) == ((), None)


@pytest.mark.parametrize("code", ["I0", "E4", None])
def test_dcc_alert_carries_the_response_code_given(s1sp, dsp, code: str | None) -> None:
    alert = sign(s1sp_alert(RID, DEVICE, "S1SP-RDP-FAILED", "not registered"), s1sp.key, s1sp.x509)
    root = (
        dcc_alert_with_s1sp_alert(RID, "N999", alert)
        if code is None
        else dcc_alert_with_s1sp_alert(RID, "N999", alert, response_code=code)
    )
    signed = _signed(root, dsp)
    _assert_valid(signed)
    response = ServiceResponse.from_xml(signed)
    assert response.response_code == (code or "I0")
    assert response.body_kind == "DCCAlertMessage"
    assert not response.succeeded
    assert response.s1sp_alert is not None and response.s1sp_alert.code == "S1SP-RDP-FAILED"


def test_a_bad_pre_command_payload_in_a_response_is_malformed() -> None:
    root = pre_command_response(RID, UPDATE_SECURITY_CREDENTIALS_KRP, b"\xdf\x09", GBCS_VERSION)
    root.find(f".//{q('GBCSPayload')}").text = "not base64!"
    with pytest.raises(MalformedMessage, match="GBCSPayload"):
        ServiceResponse.from_xml(root)


def test_response_message_reads_no_critical_flow_fields(dsp) -> None:
    response = ServiceResponse.from_xml(_signed(response_message(RID, "I0", UPDATE_SECURITY_CREDENTIALS_KRP), dsp))
    assert response.succeeded
    assert (response.pre_command, response.future_dated_alert_code, response.gbcs_payload) == (None, None, None)


# --- the whole exchange --------------------------------------------------------------------------


def test_the_critical_flow_end_to_end(krp_cv4, user_xml, user_ds, dsp, s1sp) -> None:
    """CV 4 -> PreCommand (I0) -> the User signs -> CV 5 SignedPreCommand -> I99 -> the S1SP's answer."""
    # the User sends the CV 4 request to the Transform service
    cv4_on_the_wire = _signed(krp_cv4.to_xml(), user_xml)
    # the DSP reads it and answers with the Pre-Command
    received = ServiceRequest.from_xml(cv4_on_the_wire)
    issued = pre_command_for(received, cv4_on_the_wire).to_bytes()
    transform = _signed(pre_command_response(received.request_id, received.srv, issued, GBCS_VERSION), dsp)
    _assert_valid(transform)
    # the User signs the Pre-Command with its Digital Signing key and sends CV 5 with the same RequestID
    pre_command = ServiceResponse.from_xml(transform).pre_command
    assert pre_command == issued
    cv5 = ServiceRequest(
        RequestID.parse(ServiceResponse.from_xml(transform).request_id),
        UPDATE_SECURITY_CREDENTIALS_KRP,
        command_variant=5,
        signed_pre_command=sign_pre_command(pre_command, user_ds.key),
    )
    cv5_on_the_wire = _signed(cv5.to_xml(), user_xml)
    _assert_valid(cv5_on_the_wire)
    # the DSP checks it carries the Pre-Command it issued; the device side checks whose key signed it
    read = ServiceRequest.from_xml(cv5_on_the_wire)
    assert read.request_id == krp_cv4.request_id
    assert split_signed(read.signed_pre_command)[0] == issued
    assert verify_pre_command(read.signed_pre_command, user_ds.x509) == issued
    ack = _signed(acknowledgement(read.request_id, read.srv), dsp)
    _assert_valid(ack)
    assert ServiceResponse.from_xml(ack).is_acknowledgement
    # later, asynchronously: the S1SP's signed answer inside the DSP's Response
    inner = sign(
        smets1_credentials_update_response(read.request_id, read.srv, 1200, True, remote_party_role="NetworkOperator"),
        s1sp.key,
        s1sp.x509,
    )
    answer = _signed(smets1_response(read.request_id, read.srv, inner), dsp)
    _assert_valid(answer)
    final = ServiceResponse.from_xml(answer)
    assert final.succeeded and final.execution_outcome_present
    assert final.request_id == str(RID)
    assert answer.find(f".//{q('Signature', DS)}") is not None
