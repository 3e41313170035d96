"""The Pre-Command: DCC's General Signing layout (its header checked against DCC's own RTDS vector), the
User's ECDSA P-256 signature in DCC's form, and what it binds (the request's Body and counter)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from duis.command_variants import xsd_gbcs_version
from duis.precommand import (
    GBCS_VERSION,
    MESSAGE_CODES,
    PreCommand,
    PreCommandInvalid,
    PreCommandSignatureInvalid,
    body_digest,
    dlms_date_time,
    message_code_for,
    parse_dlms_date_time,
    pre_command_for,
    sign_pre_command,
    split_signed,
    verify_pre_command,
)
from duis.requests import RequestID, ServiceRequest
from duis.signature import sign
from duis.srv import REQUEST_HANDOVER, UPDATE_SECURITY_CREDENTIALS_KRP
from duis.xml import parse, q, to_bytes
from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, RemotePartyRole

NETWORK_OPERATOR = "90-B3-D5-1F-30-02-00-00"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
DEVICE = "00-DB-12-34-56-78-90-A0"
EXECUTION = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)  # DCC's future-dated 6.15.1 sample

# The first 33 bytes (everything before the content length) of DCC's RTDS 4.5.0 vectors in
# SmartDCCInnovation/gbcs-parser, test/rtds/RTDS-4.5.0/6.15.1_CS02bNOByNO/
# CS02bNOByNO_6.15.1_SUCCESS_PRECOMMAND_GBCS.HEX (DUIS RequestID counter 1200) and
# 6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS_PRECOMMAND_GBCS.HEX
# (counter 1001). Only these header bytes are quoted; the files are DCC's and stay out of the repository.
DCC_NO_BY_NO_HEADER = bytes.fromhex("DF090100000000000004B00890B3D51F300200000800DB1234567890A000020103")
DCC_SUPPLIER_HEADER = bytes.fromhex("DF090100000000000003E90890B3D51F300100000800DB1234567890A000020102")
# What follows in DCC's NO-by-NO vector: the BER content length 82 05 0C (1292 bytes of CS02b ASN.1), and
# then nothing: 1328 bytes in all, no trailing signature-length byte.
DCC_NO_BY_NO_CONTENT_LENGTH = bytes.fromhex("82050C")
DCC_NO_BY_NO_TOTAL = 1328


@pytest.fixture(scope="module")
def smki() -> SMKIAuthority:
    return SMKIAuthority()


@pytest.fixture(scope="module")
def user_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _request(
    role: str = "NetworkOperator",
    originator: str = NETWORK_OPERATOR,
    counter: int = 1200,
    certificate: bytes = b"\x30\x82digital-signing",
    execution: dt.datetime | None = None,
    cv: int = 4,
) -> ServiceRequest:
    return ServiceRequest(
        RequestID(originator, DEVICE, counter),
        UPDATE_SECURITY_CREDENTIALS_KRP,
        command_variant=cv,
        remote_party_role=role,
        digital_signing_certificate=certificate,
        key_agreement_certificate=b"\x30\x82key-agreement",
        certification_path=(b"\x30\x82issuing-ca",),
        execution_date_time=execution,
    )


def _pre_command(request: ServiceRequest) -> PreCommand:
    return pre_command_for(request, parse(to_bytes(request.to_xml())))


# --- layout --------------------------------------------------------------------------------------


def test_the_header_sits_where_dccs_network_operator_vector_has_it() -> None:
    payload = _pre_command(_request()).to_bytes()
    assert payload[:33] == DCC_NO_BY_NO_HEADER
    assert payload[0:3] == b"\xdf\x09\x01"  # General Signing, CRA flag 01: a command
    assert int.from_bytes(payload[3:11], "big") == 0x4B0 == 1200  # the DUIS RequestID counter
    assert payload[11:20].hex().upper() == "0890B3D51F30020000"  # the Business Originator ID
    assert payload[20:29].hex().upper() == "0800DB1234567890A0"  # the Business Target: the device
    assert payload[29] == 0x00  # no date-time
    assert payload[30:33] == b"\x02\x01\x03"  # other information: message code networkOperatorByNetworkOperator


def test_the_header_sits_where_dccs_supplier_vector_has_it() -> None:
    """DCC's supplier vector is of a future-dated request, whose execution time DCC writes inside the
    CS02b content (date-time field 00); the sandbox writes it in the header's date-time field instead
    (a documented sandbox choice), so the comparison is with an on-demand request."""
    payload = _pre_command(_request("Supplier", SUPPLIER, 1001)).to_bytes()
    assert payload[:33] == DCC_SUPPLIER_HEADER


def test_the_content_is_a_digest_and_nothing_follows_it() -> None:
    payload = _pre_command(_request()).to_bytes()
    assert payload[33] == 32  # BER short-form length of the SHA-256 digest
    assert len(payload) == 33 + 1 + 32  # no trailing signature-length byte, as DCC returns it


def test_dccs_own_pre_command_shape_is_signed_and_split_too() -> None:
    """A payload shaped like DCC's vector (its header, its long-form content length, 1292 content bytes,
    nothing after) is a General Signing APDU the signer accepts; the sandbox's own reader refuses it only
    because its content is not the sandbox's 32-byte digest."""
    dcc_shaped = DCC_NO_BY_NO_HEADER + DCC_NO_BY_NO_CONTENT_LENGTH + bytes(0x50C)
    assert len(dcc_shaped) == DCC_NO_BY_NO_TOTAL
    key = ec.generate_private_key(ec.SECP256R1())
    signed = sign_pre_command(dcc_shaped, key)
    assert split_signed(signed)[0] == dcc_shaped
    assert verify_pre_command(signed, key.public_key()) == dcc_shaped
    with pytest.raises(PreCommandInvalid, match="32-byte SHA-256"):
        PreCommand.from_bytes(dcc_shaped)


def test_message_codes_are_gbcs_cs02b() -> None:
    assert MESSAGE_CODES == {"Supplier": 0x0102, "NetworkOperator": 0x0103}
    assert message_code_for(_request("NetworkOperator")) == 0x0103
    assert message_code_for(_request("Supplier")) == 0x0102


@pytest.mark.parametrize("role", ["ACB", "Recovery", "Root", "TransCoS", "LoadController", None])
def test_no_pre_command_for_other_roles(role: str | None) -> None:
    with pytest.raises(ValueError, match="only 6.15.1"):
        message_code_for(_request(role))  # type: ignore[arg-type]


def test_no_pre_command_for_other_srvs_or_command_variants() -> None:
    handover = ServiceRequest(RequestID(SUPPLIER, DEVICE, 5), REQUEST_HANDOVER, 4, "Supplier", b"a", b"b", (b"c",))
    with pytest.raises(ValueError, match="SRV 6.21"):
        pre_command_for(handover, handover.to_xml())
    cv1 = _request(cv=1)
    with pytest.raises(ValueError, match="CV 4"):
        pre_command_for(cv1, cv1.to_xml())


def test_the_request_and_its_root_must_be_the_same_request() -> None:
    with pytest.raises(ValueError, match="RequestID differs"):
        pre_command_for(_request(counter=1200), _request(counter=1201).to_xml())


def test_gbcs_version_is_the_one_the_duis_xsd_is_aligned_with() -> None:
    assert GBCS_VERSION == xsd_gbcs_version() == "4.1"


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("execution", [None, EXECUTION, dt.datetime(2031, 2, 28, 23, 59, 58, 990000, tzinfo=dt.UTC)])
def test_a_pre_command_reads_back(execution: dt.datetime | None, user_key) -> None:
    pre = _pre_command(_request(execution=execution))
    assert pre.execution == execution
    assert PreCommand.from_bytes(pre.to_bytes()) == pre
    assert PreCommand.from_bytes(sign_pre_command(pre.to_bytes(), user_key)) == pre  # signed: read the same


def test_the_execution_time_is_a_dlms_date_time_in_the_header() -> None:
    payload = _pre_command(_request(execution=EXECUTION)).to_bytes()
    assert payload[29] == 12
    assert payload[30:42].hex().upper() == "07EE010F02000000008000FF"  # 2030-01-15 (a Tuesday) 00:00:00.00 UTC
    assert payload[42:45] == b"\x02\x01\x03"


def test_the_pre_command_holds_time_to_the_hundredth_in_utc() -> None:
    pre = PreCommand(
        NETWORK_OPERATOR,
        DEVICE,
        1,
        0x0103,
        dt.datetime(2030, 1, 15, 1, 2, 3, 456789, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        bytes(32),
    )
    assert pre.execution == dt.datetime(2030, 1, 15, 0, 2, 3, 450000, tzinfo=dt.UTC)


def test_dlms_date_time_round_trips_and_refuses_what_the_sandbox_does_not_write() -> None:
    value = dt.datetime(2030, 12, 31, 23, 59, 59, 990000, tzinfo=dt.UTC)
    assert parse_dlms_date_time(dlms_date_time(value)) == value
    utc_deviation = bytes.fromhex("07EE010F02000000000000FF")
    assert parse_dlms_date_time(utc_deviation) == EXECUTION
    unspecified = bytes.fromhex("07EE010FFF000000FF8000FF")  # day of week and hundredths not specified
    assert parse_dlms_date_time(unspecified) == EXECUTION
    with pytest.raises(PreCommandInvalid, match="UTC only"):
        parse_dlms_date_time(bytes.fromhex("07EE010F0200000000003CFF"))  # 60 minutes' deviation
    with pytest.raises(PreCommandInvalid, match="day of week"):
        parse_dlms_date_time(bytes.fromhex("07EE010F03000000008000FF"))
    with pytest.raises(PreCommandInvalid, match="not a date"):
        parse_dlms_date_time(bytes.fromhex("07EE0D0F02000000008000FF"))  # month 13
    with pytest.raises(PreCommandInvalid, match="12 bytes"):
        parse_dlms_date_time(bytes(11))


def _valid() -> bytes:
    return _pre_command(_request(execution=EXECUTION)).to_bytes()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b"", "truncated"),
        (lambda b: b"\xdd" + b[1:], "DF 09"),
        (lambda b: b[:1] + b"\x08" + b[2:], "DF 09"),
        (lambda b: b[:2] + b"\x02" + b[3:], "CRA flag is 02"),
        (lambda b: b[:11] + b"\x07" + b[12:], "originator system title length is 7"),
        (lambda b: b[:20] + b"\x09" + b[21:], "recipient system title length is 9"),
        (lambda b: b[:29] + b"\x05" + b[30:], "date-time length is 5"),
        (lambda b: b[:42] + b"\x03" + b[43:], "other information is 3 bytes"),
        (lambda b: b[:45] + b"\x1f" + b[46:-1], "32-byte SHA-256"),
        (lambda b: b[:45] + b"\x80" + b[46:], "definite BER length"),
        (lambda b: b[:45] + b"\x7f" + b[46:], "truncated in the content"),
        (lambda b: b + b"\x00", "1 bytes follow the content"),
        (lambda b: b + b"\x40" + bytes(63), "not a 0x40 \\+ 64-byte signature"),
    ],
)
def test_malformed_pre_commands_are_refused_with_a_reason(mutate, reason: str) -> None:
    with pytest.raises(PreCommandInvalid, match=reason):
        PreCommand.from_bytes(mutate(_valid()))


def test_every_truncation_is_refused() -> None:
    payload = _valid()
    for end in range(len(payload)):
        with pytest.raises(PreCommandInvalid):
            PreCommand.from_bytes(payload[:end])


def test_a_pre_command_refuses_impossible_fields() -> None:
    with pytest.raises(PreCommandInvalid, match="8 bytes"):
        PreCommand(NETWORK_OPERATOR, DEVICE, 2**64, 0x0103, None, bytes(32))
    with pytest.raises(PreCommandInvalid, match="EUI-64"):
        PreCommand("90-B3-D5", DEVICE, 1, 0x0103, None, bytes(32))
    with pytest.raises(PreCommandInvalid, match="2 bytes"):
        PreCommand(NETWORK_OPERATOR, DEVICE, 1, 0x10000, None, bytes(32))
    with pytest.raises(PreCommandInvalid, match="32-byte"):
        PreCommand(NETWORK_OPERATOR, DEVICE, 1, 0x0103, None, bytes(20))
    lower = PreCommand(NETWORK_OPERATOR.lower(), DEVICE.lower(), 1, 0x0103, None, bytes(32))
    assert (lower.originator, lower.target) == (NETWORK_OPERATOR, DEVICE)


# --- signing -------------------------------------------------------------------------------------


def test_the_signature_is_p1363_appended_after_0x40(user_key) -> None:
    payload = _valid()
    signed = sign_pre_command(payload, user_key)
    assert signed[: len(payload)] == payload
    assert signed[len(payload)] == 0x40
    assert len(signed) == len(payload) + 1 + 64
    split_payload, signature = split_signed(signed)
    assert (split_payload, len(signature)) == (payload, 64)
    # independently of our verifier: r || s over the payload without its leading 0xDF, as DCC's client signs
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    user_key.public_key().verify(encode_dss_signature(r, s), payload[1:], ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        user_key.public_key().verify(encode_dss_signature(r, s), payload, ec.ECDSA(hashes.SHA256()))


def test_a_good_signature_verifies_with_the_key_or_its_certificate(smki, user_key) -> None:
    cert = smki.issue(user_key.public_key(), NETWORK_OPERATOR, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS)
    signed = sign_pre_command(_valid(), user_key)
    assert verify_pre_command(signed, user_key.public_key()) == _valid()
    assert verify_pre_command(signed, cert.certificate) == _valid()


def test_a_flipped_byte_anywhere_fails(user_key) -> None:
    signed = sign_pre_command(_valid(), user_key)
    for index in range(1, len(signed)):
        tampered = bytearray(signed)
        tampered[index] ^= 0x01
        with pytest.raises(PreCommandInvalid):
            verify_pre_command(bytes(tampered), user_key.public_key())


@pytest.mark.parametrize("where", ["counter", "digest", "signature"])
def test_a_flipped_byte_in_a_field_is_a_signature_failure(user_key, where: str) -> None:
    signed = bytearray(sign_pre_command(_valid(), user_key))
    signed[{"counter": 10, "digest": 50, "signature": -1}[where]] ^= 0x80
    with pytest.raises(PreCommandSignatureInvalid, match="does not verify"):
        verify_pre_command(bytes(signed), user_key.public_key())


def test_a_signature_by_another_key_fails(user_key) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(PreCommandSignatureInvalid):
        verify_pre_command(sign_pre_command(_valid(), other), user_key.public_key())
    with pytest.raises(PreCommandSignatureInvalid, match="P-256"):
        verify_pre_command(sign_pre_command(_valid(), user_key), ec.generate_private_key(ec.SECP384R1()).public_key())


def test_signing_refuses_what_is_not_an_unsigned_pre_command(user_key) -> None:
    with pytest.raises(PreCommandInvalid, match="0xDF"):
        sign_pre_command(b"\xdd" + _valid()[1:], user_key)
    with pytest.raises(PreCommandInvalid, match="0xDF"):
        sign_pre_command(b"", user_key)
    with pytest.raises(PreCommandInvalid, match="already signed"):
        sign_pre_command(sign_pre_command(_valid(), user_key), user_key)
    with pytest.raises(PreCommandInvalid, match="bytes follow"):
        sign_pre_command(_valid() + b"\x00", user_key)  # the GBCS empty signature length DCC Boxed omits
    with pytest.raises(ValueError, match="P-256"):
        sign_pre_command(_valid(), ec.generate_private_key(ec.SECP384R1()))


def test_an_unsigned_pre_command_has_no_signature_to_split_or_verify(user_key) -> None:
    with pytest.raises(PreCommandInvalid, match="not signed") as caught:
        verify_pre_command(_valid(), user_key.public_key())
    assert not isinstance(caught.value, PreCommandSignatureInvalid)
    with pytest.raises(PreCommandInvalid, match="not signed"):
        split_signed(_valid())


def test_signatures_are_randomised_but_all_verify(user_key) -> None:
    first, second = sign_pre_command(_valid(), user_key), sign_pre_command(_valid(), user_key)
    assert first != second
    for signed in (first, second):
        verify_pre_command(signed, user_key.public_key())


# --- binding -------------------------------------------------------------------------------------


def test_changing_a_certificate_changes_the_digest() -> None:
    one = _pre_command(_request(certificate=b"\x30\x82certificate-one"))
    two = _pre_command(_request(certificate=b"\x30\x82certificate-two"))
    assert one.content_digest != two.content_digest
    assert one.to_bytes() != two.to_bytes()


def test_changing_the_counter_changes_the_payload() -> None:
    one, two = _pre_command(_request(counter=1200)), _pre_command(_request(counter=1201))
    assert one.content_digest == two.content_digest  # the counter is in the header, not the body
    assert one.to_bytes() != two.to_bytes()


def test_changing_the_execution_time_or_role_changes_the_payload() -> None:
    base = _pre_command(_request()).to_bytes()
    assert _pre_command(_request(execution=EXECUTION)).to_bytes() != base
    assert _pre_command(_request(role="Supplier")).to_bytes() != base


def test_a_signature_by_the_key_of_the_old_pre_command_does_not_cover_a_new_one(user_key) -> None:
    signed = sign_pre_command(_pre_command(_request(counter=1200)).to_bytes(), user_key)
    issued_for_1201 = _pre_command(_request(counter=1201)).to_bytes()
    assert split_signed(signed)[0] != issued_for_1201


def test_the_digest_ignores_layout_and_the_xml_signature(user_key, smki) -> None:
    request = _request()
    built = request.to_xml()
    pretty = parse(etree.tostring(built, pretty_print=True))
    cert = smki.issue(user_key.public_key(), NETWORK_OPERATOR, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS)
    signed = parse(to_bytes(sign(built, user_key, cert.certificate)))
    reparsed = etree.fromstring(etree.tostring(built, pretty_print=True))  # whitespace kept
    digests = {pre_command_for(request, root).content_digest for root in (built, pretty, signed, reparsed)}
    assert len(digests) == 1


def test_the_digest_is_of_the_body_element() -> None:
    request = _request()
    root = request.to_xml()
    body = root.find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}")
    assert pre_command_for(request, root).content_digest == body_digest(body)
    assert len(body_digest(body)) == 32
    assert body_digest(body) != body_digest(_request(certificate=os.urandom(40)).to_xml()[1][0])
