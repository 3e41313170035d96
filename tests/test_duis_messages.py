"""DUIS messages as the sandbox and the client build them: valid against DCC's DUIS V5.1 XSD once
signed, read back to what was built, signed and verified as DUIS has it; and the MPAN / MPRN
check digits of the identifiers we generate."""

from __future__ import annotations

import copy
from dataclasses import replace

import mpan
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from mpan.data import ID_LOOKUP
from mpan.generation.helpers import generate as generate_mpan

from duis.identifiers import is_valid_mpan_core, is_valid_mprn, mpan_check_digit, mprn_check_digits
from duis.requests import MalformedMessage, RequestID, ServiceRequest, normalise_eui64, request_header
from duis.responses import ServiceResponse, dcc_alert_with_s1sp_alert, response_message, smets1_response
from duis.schema import duis_schema
from duis.signature import SignatureInvalid, issuer_serial, sign, verify
from duis.smets1 import s1sp_alert, smets1_signed_response
from duis.srv import (
    JOIN_SERVICE,
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    REQUEST_HANDOVER,
    RESTORE_GPF_DEVICE_LOG,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    SERVICE_REQUEST_VARIANTS,
    UPDATE_SECURITY_CREDENTIALS_KRP,
)
from duis.xml import DS, SR, parse, q, to_bytes
from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, RemotePartyRole
from support import test_data
from tests.message_keys import DEVICE, ORIGINATOR, Signer

OTHER_DEVICE = "00-DB-12-34-56-78-90-A1"


@pytest.fixture(scope="module")
def smki() -> SMKIAuthority:
    return SMKIAuthority()


@pytest.fixture(scope="module")
def user(smki) -> Signer:
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
def requests_built(smki, user, user_ka) -> dict[str, ServiceRequest]:
    """One request per SRV the sandbox speaks, with every body element it can carry."""
    ca = smki.issuing_ca.public_bytes(serialization.Encoding.DER)
    rid = RequestID(ORIGINATOR, DEVICE, 1200)
    credentials = dict(
        remote_party_role="NetworkOperator",
        digital_signing_certificate=user.cert.der(),
        key_agreement_certificate=user_ka.cert.der(),
        certification_path=(ca,),
    )
    return {
        "6.15.1": ServiceRequest(rid, UPDATE_SECURITY_CREDENTIALS_KRP, **credentials),
        "6.21": ServiceRequest(rid, REQUEST_HANDOVER, **credentials),
        "4.1.1": ServiceRequest(rid, READ_INSTANTANEOUS_IMPORT_REGISTERS),
        JOIN_SERVICE.variant: ServiceRequest(rid, JOIN_SERVICE, other_device_id=OTHER_DEVICE),
        "8.12.2": ServiceRequest(rid, RESTORE_GPF_DEVICE_LOG, old_gpf_id=OTHER_DEVICE),
        "6.24.1": ServiceRequest(
            rid, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, remote_party_roles=("Supplier", "NetworkOperator")
        ),
    }


def _assert_schema_valid(root: etree._Element) -> None:
    schema = duis_schema()
    assert schema.validate(root), schema.error_log.last_error


def _wire(root: etree._Element) -> etree._Element:
    """As the receiver sees it: serialised and parsed again."""
    return parse(to_bytes(root))


# --- requests against the DUIS XSD --------------------------------------------------------------


def test_every_srv_the_sandbox_speaks_is_built(requests_built) -> None:
    assert set(requests_built) == set(SERVICE_REQUEST_VARIANTS)


@pytest.mark.parametrize("variant", sorted(SERVICE_REQUEST_VARIANTS))
def test_signed_request_is_valid_duis(requests_built, user, variant) -> None:
    request = requests_built[variant]
    signed = _wire(sign(request.to_xml(), user.key, user.x509))
    _assert_schema_valid(signed)
    assert signed.tag == q("Request")
    assert signed.get("schemaVersion") == "5.1"
    assert signed[-1].tag == q("Signature", DS)
    header = signed.find(q("Header"))
    assert [etree.QName(e).localname for e in header] == [
        "RequestID",
        "CommandVariant",
        "ServiceReference",
        "ServiceReferenceVariant",
    ]
    assert signed.find(f"{q('Body')}/{q(request.srv.body_element)}") is not None


@pytest.mark.parametrize("variant", sorted(SERVICE_REQUEST_VARIANTS))
def test_request_round_trips_through_xml(requests_built, user, variant) -> None:
    request = requests_built[variant]
    assert ServiceRequest.from_xml(request.to_xml()) == request
    assert ServiceRequest.from_xml(_wire(sign(request.to_xml(), user.key, user.x509))) == request


def test_krp_body_follows_dcc_sample_shape(requests_built) -> None:
    body = requests_built["6.15.1"].to_xml().find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}")
    assert [etree.QName(e).localname for e in body] == [
        "RemotePartyRole",
        "ReplacementCertificates",
        "CertificationPathCertificates",
        "ApplyTimeBasedCPVChecks",
    ]
    certs = body.find(f"{q('ReplacementCertificates')}/{q('SupplierOrNetworkOperatorCertificates')}")
    assert [etree.QName(e).localname for e in certs] == ["DigitalSigningCertificate", "KeyAgreementCertificate"]


def test_request_missing_remote_party_role_is_not_valid_duis(requests_built, user) -> None:
    root = requests_built["6.15.1"].to_xml()
    body = root.find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}")
    body.remove(body.find(q("RemotePartyRole")))
    assert not duis_schema().validate(sign(root, user.key, user.x509))


def test_reading_a_request_refuses_what_the_sandbox_cannot_read(requests_built) -> None:
    with pytest.raises(MalformedMessage, match="not a DUIS Request"):
        ServiceRequest.from_xml(etree.Element(q("Response")))
    root = requests_built["4.1.1"].to_xml()
    root.find(f"{q('Header')}/{q('ServiceReferenceVariant')}").text = "1.1.1"
    with pytest.raises(MalformedMessage, match="not offered"):
        ServiceRequest.from_xml(root)
    root = requests_built["4.1.1"].to_xml()
    root.find(f"{q('Header')}/{q('ServiceReferenceVariant')}").text = "6.21"
    with pytest.raises(MalformedMessage, match="Service Reference '4.1' does not match Variant 6.21"):
        ServiceRequest.from_xml(root)
    root.find(f"{q('Header')}/{q('ServiceReference')}").text = "6.21"
    with pytest.raises(MalformedMessage, match="does not hold RequestHandoverOfDCCControlledDevice"):
        ServiceRequest.from_xml(root)
    root = requests_built["6.15.1"].to_xml()
    root.find(f".//{q('DigitalSigningCertificate')}").text = "not base64!"
    with pytest.raises(MalformedMessage, match="not valid base64"):
        ServiceRequest.from_xml(root)
    root = requests_built["4.1.1"].to_xml()
    root.find(f"{q('Header')}/{q('RequestID')}").text = "nonsense"
    with pytest.raises(MalformedMessage, match="originator:target:counter"):
        ServiceRequest.from_xml(root)


def test_request_header_echoes_what_can_be_read(requests_built) -> None:
    root = requests_built["6.15.1"].to_xml()
    body = root.find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}")
    body.remove(body.find(q("RemotePartyRole")))
    assert request_header(root) == (RequestID(ORIGINATOR, DEVICE, 1200), UPDATE_SECURITY_CREDENTIALS_KRP)
    root.find(f"{q('Header')}/{q('ServiceReference')}").text = "1.1"
    root.find(f"{q('Header')}/{q('ServiceReferenceVariant')}").text = "1.1.1"
    root.find(f"{q('Header')}/{q('RequestID')}").text = "not-a-request-id"
    request_id, srv = request_header(root)
    assert request_id is None
    assert (srv.reference, srv.variant) == ("1.1", "1.1.1")
    assert request_header(etree.Element(q("Request"))) == (None, None)


# --- RequestID ---------------------------------------------------------------------------------


def test_request_id_parse_and_format() -> None:
    """Compared canonically (upper case), echoed as the User wrote it (DCC's duis-parser writes lower case)."""
    written = "90-b3-d5-1f-30-02-00-00:00-db-12-34-56-78-90-a0:1200"
    rid = RequestID.parse(written)
    assert rid == RequestID(ORIGINATOR, DEVICE, 1200) and hash(rid) == hash(RequestID(ORIGINATOR, DEVICE, 1200))
    assert str(rid) == f"{ORIGINATOR}:{DEVICE}:1200"
    assert rid.echoed == written
    assert rid.response_id() == "00-db-12-34-56-78-90-a0:90-b3-d5-1f-30-02-00-00:1200"
    assert RequestID(ORIGINATOR, DEVICE, 1200).response_id() == f"{DEVICE}:{ORIGINATOR}:1200"
    assert replace(rid, counter=1201).echoed == f"{ORIGINATOR}:{DEVICE}:1201"  # a changed copy echoes itself
    assert RequestID.parse(str(rid)) == rid
    assert RequestID.parse(f"{ORIGINATOR}:{DEVICE}:{2**64 - 1}").counter == 2**64 - 1


@pytest.mark.parametrize(
    "bad",
    [
        "",
        f"{ORIGINATOR}:{DEVICE}",
        f"{ORIGINATOR}:{DEVICE}:12:13",
        f"{ORIGINATOR}:{DEVICE}:-1",
        f"{ORIGINATOR}:{DEVICE}:12a",
        f"{ORIGINATOR}:{DEVICE}:{2**64}",
        f"90-B3-D5-1F-30-02-00:{DEVICE}:1",
        f"{ORIGINATOR}:00DB1234567890A0:1",
        f"{ORIGINATOR}:00-DB-12-34-56-78-90-AG:1",
    ],
)
def test_malformed_request_ids_are_refused(bad: str) -> None:
    with pytest.raises(MalformedMessage):
        RequestID.parse(bad)


def test_eui64_is_normalised_or_refused() -> None:
    assert normalise_eui64(" 00-db-12-34-56-78-90-a0 ") == DEVICE
    with pytest.raises(MalformedMessage):
        normalise_eui64("00:DB:12:34:56:78:90:A0")


def test_request_ids_order_by_counter_for_one_originator() -> None:
    assert RequestID(ORIGINATOR, DEVICE, 5) < RequestID(ORIGINATOR, DEVICE, 6)


# --- responses against the DUIS XSD --------------------------------------------------------------


def _smets1_answer(s1sp: Signer, dsp: Signer) -> etree._Element:
    rid = RequestID(ORIGINATOR, DEVICE, 1200)
    inner = sign(smets1_signed_response(rid, READ_INSTANTANEOUS_IMPORT_REGISTERS, 1200), s1sp.key, s1sp.x509)
    return _wire(sign(smets1_response(rid, READ_INSTANTANEOUS_IMPORT_REGISTERS, inner), dsp.key, dsp.x509))


def test_response_message_is_valid_duis_and_reads_back(dsp) -> None:
    rid = RequestID(ORIGINATOR, DEVICE, 1200)
    for code in ("I0", "I99", "E4", "E100"):
        signed = _wire(sign(response_message(rid, code, UPDATE_SECURITY_CREDENTIALS_KRP), dsp.key, dsp.x509))
        _assert_schema_valid(signed)
        response = ServiceResponse.from_xml(signed)
        assert response.response_code == code
        assert response.request_id == str(rid)
        assert response.body_kind == "ResponseMessage"
        assert response.service_reference_variant == "6.15.1"
        assert response.succeeded is (code == "I0")
        assert signed.findtext(f"{q('Header')}/{q('ResponseID')}") == rid.response_id()


def test_smets1_response_is_valid_duis_with_the_s1sp_signed_response_inside(s1sp, dsp) -> None:
    answer = _smets1_answer(s1sp, dsp)
    _assert_schema_valid(answer)
    response = ServiceResponse.from_xml(answer)
    assert response.succeeded
    assert response.body_kind == "SMETS1ResponseMessage"
    inner = response.smets1_signed_response
    assert inner is not None and inner.tag == q("SMETS1SignedResponse")
    assert inner[-1].tag == q("Signature", DS)
    header = inner.find(f"{q('SMETS1Response')}/{q('Header')}")
    # the device answers the User: originator and target swapped
    assert [e.text for e in header][:3] == [DEVICE, ORIGINATOR, "1200"]


def test_dcc_alert_carrying_an_s1sp_alert_is_valid_duis(s1sp, dsp) -> None:
    rid = RequestID(ORIGINATOR, DEVICE, 1200)
    alert = sign(s1sp_alert(rid, DEVICE, "S1SP-RDP-FAILED", "SRPD 16.1: not registered"), s1sp.key, s1sp.x509)
    _assert_schema_valid(alert)
    signed = _wire(sign(dcc_alert_with_s1sp_alert(rid, "N999", alert), dsp.key, dsp.x509))
    _assert_schema_valid(signed)
    response = ServiceResponse.from_xml(signed)
    assert response.body_kind == "DCCAlertMessage"
    assert not response.succeeded
    assert response.s1sp_alert is not None
    assert response.s1sp_alert.code == "S1SP-RDP-FAILED"
    assert response.s1sp_alert.device_id == DEVICE
    assert response.s1sp_alert.information == "SRPD 16.1: not registered"
    verify(response.s1sp_alert_element, s1sp.x509)
    verify(signed, dsp.x509)


def test_reading_a_response_refuses_a_request(requests_built) -> None:
    with pytest.raises(MalformedMessage, match="not a DUIS Response"):
        ServiceResponse.from_xml(requests_built["4.1.1"].to_xml())
    with pytest.raises(MalformedMessage, match="no Body"):
        ServiceResponse.from_xml(etree.Element(q("Response"), nsmap={"sr": SR}))


# --- signatures --------------------------------------------------------------------------------


def test_signature_has_the_duis_algorithms_and_names_the_certificate_by_issuer_and_serial(requests_built, user) -> None:
    signed = _wire(sign(requests_built["4.1.1"].to_xml(), user.key, user.x509))
    ns = {"ds": DS}
    assert signed.find(".//ds:CanonicalizationMethod", ns).get("Algorithm") == "http://www.w3.org/2001/10/xml-exc-c14n#"
    assert (
        signed.find(".//ds:SignatureMethod", ns).get("Algorithm")
        == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    )
    assert signed.find(".//ds:DigestMethod", ns).get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    assert signed.find(".//ds:Reference", ns).get("URI") == ""
    assert signed.find(".//ds:X509Certificate", ns) is None
    assert issuer_serial(signed) == (user.x509.issuer.rfc4514_string(), user.x509.serial_number)


def test_verify_accepts_a_good_signature(requests_built, user) -> None:
    verify(_wire(sign(requests_built["6.15.1"].to_xml(), user.key, user.x509)), user.x509)


def test_verify_rejects_a_message_tampered_after_signing(requests_built, user) -> None:
    signed = _wire(sign(requests_built["6.15.1"].to_xml(), user.key, user.x509))
    signed.find(f".//{q('RemotePartyRole')}").text = "Supplier"
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify(signed, user.x509)
    signed = _wire(sign(requests_built["4.1.1"].to_xml(), user.key, user.x509))
    signed.find(f"{q('Header')}/{q('RequestID')}").text = f"{ORIGINATOR}:{DEVICE}:1201"
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify(signed, user.x509)


def test_verify_rejects_an_unsigned_message(requests_built, user) -> None:
    with pytest.raises(SignatureInvalid, match="not signed"):
        verify(requests_built["4.1.1"].to_xml(), user.x509)
    with pytest.raises(SignatureInvalid, match="not signed"):
        issuer_serial(requests_built["4.1.1"].to_xml())


def test_verify_rejects_a_signature_by_another_key(requests_built, user, dsp) -> None:
    signed = _wire(sign(requests_built["4.1.1"].to_xml(), user.key, user.x509))
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify(signed, dsp.x509)
    impostor = _wire(sign(requests_built["4.1.1"].to_xml(), dsp.key, user.x509))  # names user's certificate
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify(impostor, user.x509)


def test_inner_s1sp_and_outer_dsp_signatures_verify_separately(s1sp, dsp) -> None:
    answer = _smets1_answer(s1sp, dsp)
    inner = answer.find(f".//{q('SMETS1SignedResponse')}")
    verify(answer, dsp.x509)
    verify(inner, s1sp.x509)
    assert issuer_serial(answer)[1] == dsp.x509.serial_number
    assert issuer_serial(inner)[1] == s1sp.x509.serial_number
    with pytest.raises(SignatureInvalid):
        verify(answer, s1sp.x509)
    with pytest.raises(SignatureInvalid):
        verify(inner, dsp.x509)


def test_tampering_with_the_s1sp_response_breaks_both_signatures(s1sp, dsp) -> None:
    answer = _smets1_answer(s1sp, dsp)
    answer.find(f".//{q('SMETS1Response')}/{q('Header')}")[2].text = "1201"
    with pytest.raises(SignatureInvalid):
        verify(answer.find(f".//{q('SMETS1SignedResponse')}"), s1sp.x509)
    with pytest.raises(SignatureInvalid):
        verify(answer, dsp.x509)


def test_removing_the_s1sp_signature_breaks_the_dsp_signature(s1sp, dsp) -> None:
    """The DSP's signature covers the S1SP's: dropping the inner signature breaks the outer one."""
    answer = copy.deepcopy(_smets1_answer(s1sp, dsp))
    inner = answer.find(f".//{q('SMETS1SignedResponse')}")
    inner.remove(inner.find(q("Signature", DS)))
    with pytest.raises(SignatureInvalid):
        verify(answer, dsp.x509)


# --- identifiers -------------------------------------------------------------------------------


def test_mpan_check_digit_agrees_with_the_mpan_package_on_its_own_mpans() -> None:
    for _ in range(200):
        core = mpan.MPAN(generate_mpan()).core
        assert mpan_check_digit(core[:12]) == int(core[12])
        assert is_valid_mpan_core(core)


@given(
    distributor=st.sampled_from(sorted(ID_LOOKUP)),
    digits=st.text(alphabet="0123456789", min_size=10, max_size=10),
)
def test_mpan_check_digit_agrees_with_the_mpan_package_on_generated_cores(distributor: str, digits: str) -> None:
    first_twelve = distributor + digits
    check = mpan_check_digit(first_twelve)
    assert mpan.is_valid(first_twelve + str(check))
    assert is_valid_mpan_core(first_twelve + str(check))
    wrong = (check + 1) % 10
    assert not mpan.is_valid(first_twelve + str(wrong))
    assert not is_valid_mpan_core(first_twelve + str(wrong))


def test_generated_test_data_is_valid() -> None:
    for _ in range(50):
        assert is_valid_mpan_core(test_data.mpan_core())
        assert is_valid_mprn(test_data.mprn())
        normalise_eui64(test_data.entity_id())
        normalise_eui64(test_data.device_id())


def test_dcc_sample_mpan_fails_its_check_digit() -> None:
    assert not is_valid_mpan_core("1312345678111")
    assert not mpan.is_valid("1312345678111")


@pytest.mark.parametrize("bad", ["131234567811", "13123456781110", "13123456781a1", ""])
def test_mpan_core_must_be_thirteen_digits(bad: str) -> None:
    assert not is_valid_mpan_core(bad)


def test_mprn_check_digits() -> None:
    assert is_valid_mprn("3938424403")
    assert mprn_check_digits("39384244") == "03"
    assert not is_valid_mprn("3938424404")
    assert not is_valid_mprn("1234567890")  # DCC's sample MPRN
    assert not is_valid_mprn("12345")  # too short
    assert not is_valid_mprn("39384244030")  # too long
    assert not is_valid_mprn("39384244O3")


@given(body=st.text(alphabet="0123456789", min_size=4, max_size=8))
def test_mprn_with_its_check_digits_is_valid(body: str) -> None:
    assert is_valid_mprn(body + mprn_check_digits(body))


def _add_object(signature: etree._Element) -> None:
    etree.SubElement(signature, q("Object", DS)).text = "anything"


def _add_extra(signature: etree._Element) -> None:
    etree.SubElement(signature, q("Manifest", DS))


def _second_reference(signature: etree._Element) -> None:
    info = signature.find(q("SignedInfo", DS))
    info.append(copy.deepcopy(info.find(q("Reference", DS))))


def _reference_elsewhere(signature: etree._Element) -> None:
    signature.find(f"{q('SignedInfo', DS)}/{q('Reference', DS)}").set("URI", "#elsewhere")


def _no_enveloped_transform(signature: etree._Element) -> None:
    transforms = signature.find(f"{q('SignedInfo', DS)}/{q('Reference', DS)}/{q('Transforms', DS)}")
    for transform in list(transforms):
        if transform.get("Algorithm", "").endswith("#enveloped-signature"):
            transforms.remove(transform)


def _xpath_transform(signature: etree._Element) -> None:
    transforms = signature.find(f"{q('SignedInfo', DS)}/{q('Reference', DS)}/{q('Transforms', DS)}")
    etree.SubElement(transforms, q("Transform", DS), Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_add_object, "ds:Object"),
        (_add_extra, "SignedInfo, SignatureValue and KeyInfo"),
        (_second_reference, "one Reference"),
        (_reference_elsewhere, "one Reference"),
        (_no_enveloped_transform, "enveloped signature"),
        (_xpath_transform, "enveloped signature"),
    ],
)
def test_a_signature_outside_the_duis_profile_is_refused_before_it_is_read(requests_built, user, change, said) -> None:
    """The DUIS signature profile (DCC's tool signs so): one Signature of SignedInfo, SignatureValue and KeyInfo,
    one Reference to the whole message with the enveloped-signature transform. Anything else, a `ds:Object`
    above all (it could carry another signed request, unsigned by the enveloped reference), is refused."""
    signed = _wire(sign(requests_built["6.15.1"].to_xml(), user.key, user.x509))
    change(signed.find(q("Signature", DS)))
    with pytest.raises(SignatureInvalid, match=said):
        issuer_serial(signed)
    with pytest.raises(SignatureInvalid, match=said):
        verify(signed, user.x509)


def test_two_signatures_are_refused(requests_built, user) -> None:
    signed = _wire(sign(requests_built["6.15.1"].to_xml(), user.key, user.x509))
    signed.append(copy.deepcopy(signed.find(q("Signature", DS))))
    with pytest.raises(SignatureInvalid, match="2 signatures"):
        verify(signed, user.x509)
