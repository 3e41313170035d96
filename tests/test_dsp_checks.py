"""Every check the DSP applies, over HTTP, with one accepting and one rejecting case each: the DUIS
response code, the deciding clause (X-DUIS-Clause) and, for a rejection, that nothing changed.

Every DUIS answer is also checked for what a User's system would check: valid against DCC's DUIS
XSD and signed by the DSP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from catalogue import (
    DUIS_ANTI_REPLAY,
    DUIS_COMMAND_VARIANT,
    DUIS_DEVICE,
    DUIS_ELIGIBILITY,
    DUIS_SCHEMA,
    DUIS_SIGNATURE,
    DUIS_USER,
    PIA_2_2,
    PIA_2_3_2_A,
    PIA_3_3,
    S1SR_4_2,
    SRPD_6_1_F,
    SRPD_6_2_A,
    SRPD_6_2_B,
    SRPD_6_2_C,
    SRPD_6_2_D,
    SRPD_16_1,
    Clause,
    clauses_named,
)
from catalogue.rules import RULES
from duis.requests import RequestID, ServiceRequest
from duis.responses import ServiceResponse
from duis.schema import duis_schema
from duis.signature import sign, verify
from duis.srv import (
    JOIN_SERVICE,
    READ_INSTANTANEOUS_IMPORT_REGISTERS,
    REQUEST_HANDOVER,
    RESTORE_GPF_DEVICE_LOG,
    UserRole,
)
from duis.xml import parse, q, to_bytes
from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, RemotePartyRole
from support import test_data
from tests.helpers import (
    SignedAs,
    assert_decided_by,
    ca_der,
    enable_mp107,
    holder_of,
    krp_request,
    new_user,
    request_to,
    standard_installation,
    transform,
)
from user_system.client import SERVICE_PATH, TRANSFORM_PATH, Exchange, SigningIdentity
from user_system.organisations import XML_SIGNING, Organisation

ROOT = Path(__file__).resolve().parents[1]
KRP_BY_REGISTERED = (SRPD_6_1_F, SRPD_16_1, S1SR_4_2)
"""A registered party's 6.15.1 to a SMETS1 meter: the DSP's check, then the S1SP's two."""
READ_BY_REGISTERED = (SRPD_6_1_F, SRPD_16_1, PIA_2_3_2_A)
"""A registered party's non-critical request: no certificate-owner check at the S1SP (PIA 2.3.2 A)."""


# --- what every DUIS answer must be --------------------------------------------------------------


def assert_duis_answer(sandbox, exchange: Exchange) -> None:
    """HTTP 200, a DUIS Response valid against the XSD, signed by the DSP, echoing the RequestID."""
    assert exchange.http_status == 200, exchange.reason
    assert exchange.response is not None
    root = parse(exchange.response_xml)
    schema = duis_schema()
    assert schema.validate(root), schema.error_log.last_error
    verify(root, sandbox.dsp_signer.certificate.certificate)
    assert exchange.response.request_id == str(exchange.request.request_id)


def assert_accepted(sandbox, exchange: Exchange, clauses: tuple[Clause, ...]) -> None:
    assert_duis_answer(sandbox, exchange)
    assert exchange.response.response_code == "I0", exchange.reason
    assert exchange.response.succeeded, exchange.reason
    assert_decided_by(exchange, *clauses)


def assert_rejected(sandbox, exchange: Exchange, code: str, clause: Clause) -> None:
    assert_duis_answer(sandbox, exchange)
    assert exchange.response.response_code == code, exchange.reason
    assert exchange.response.body_kind == "ResponseMessage"
    assert not exchange.response.succeeded
    assert_decided_by(exchange, clause)


class Unchanged:
    """Trust anchors of the given devices, to compare after a rejection."""

    def __init__(self, control, *devices: str) -> None:
        self.control = control
        self.before = {d: control.trust_anchors(d) for d in devices}

    def check(self) -> None:
        assert {d: self.control.trust_anchors(d) for d in self.before} == self.before


@pytest.fixture
def inst(control, cast):
    return standard_installation(control, cast)


@pytest.fixture(scope="module")
def second_supplier(control, user_system) -> Organisation:
    """An Import Supplier registered for nothing in these tests."""
    return new_user(control, user_system.receive_url, "Other Energy", UserRole.IMPORT_SUPPLIER)


def _krp(duis, control, cast, inst, sender=None, replacement=None, **overrides) -> ServiceRequest:
    """Western (registered, holding) replaces the ESME's NO certificates with Northern's."""
    return krp_request(duis, control, sender or cast.western, inst.esme, replacement or cast.northern, **overrides)


def _signed(request: ServiceRequest, identity: SigningIdentity) -> bytes:
    return to_bytes(sign(request.to_xml(), identity.key, identity.certificate))


# --- DUIS schema --------------------------------------------------------------------------------


def test_schema_valid_request_is_accepted(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(_krp(duis, control, cast, inst), cast.western)
    assert_accepted(sandbox, exchange, KRP_BY_REGISTERED)
    assert holder_of(control, inst.esme) == cast.northern.entity_id


def test_schema_invalid_request_is_rejected_e100(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    request = transform(_krp(duis, control, cast, inst))
    root = request.to_xml()
    body = root.find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}")
    body.remove(body.find(q("RemotePartyRole")))
    identity = cast.western.identity
    exchange = duis.post(request, to_bytes(sign(root, identity.key, identity.certificate)), TRANSFORM_PATH)
    assert_rejected(sandbox, exchange, "E100", DUIS_SCHEMA)
    assert exchange.response.service_reference_variant == "6.15.1"
    assert "RemotePartyRole" in exchange.reason
    unchanged.check()


def test_srv_not_offered_is_rejected_e100_echoing_its_header(sandbox, control, duis, cast, inst) -> None:
    """Valid DUIS for an SRV this sandbox does not serve: still a valid DUIS answer naming it."""
    request = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    root = request.to_xml()
    root.find(f"{q('Header')}/{q('ServiceReference')}").text = "4.2"
    root.find(f"{q('Header')}/{q('ServiceReferenceVariant')}").text = "4.2"
    identity = cast.western.identity
    exchange = duis.post(request, to_bytes(sign(root, identity.key, identity.certificate)))
    assert_rejected(sandbox, exchange, "E100", DUIS_SCHEMA)
    assert exchange.response.service_reference_variant == "4.2"
    assert "not offered" in exchange.reason


# --- HTTP: not DUIS at all ---------------------------------------------------------------------


def _post(sandbox, body: bytes, content_type: str = "application/xml", path: str = SERVICE_PATH) -> requests.Response:
    return requests.post(
        sandbox.services["DSP"].url + path, data=body, headers={"Content-Type": content_type}, timeout=10
    )


def test_duis_with_charset_parameter_is_accepted(sandbox, control, duis, cast, inst, user_system) -> None:
    """Accepted at once (I99, access control decided by 6.1(f)); the answer reaches the User later."""
    request = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    reply = _post(sandbox, _signed(request, cast.western.identity), "application/xml; charset=utf-8")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/xml"
    assert ServiceResponse.from_xml(parse(reply.content)).is_acknowledgement
    assert clauses_named(reply.headers["X-DUIS-Clause"]) == (SRPD_6_1_F,)
    answer = user_system.receiver.wait_for(str(request.request_id), lambda r: not r.response.is_acknowledgement)
    assert answer.response.succeeded
    assert clauses_named(answer.headers["X-DUIS-Clause"]) == READ_BY_REGISTERED
    assert answer.headers["X-DUIS-Clause"] == ", ".join(c.display for c in READ_BY_REGISTERED)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"this is not xml", "application/xml", 400, "not well-formed XML"),
        (b"", "application/xml", 400, "empty"),
        (b"<Request/>", "application/xml", 400, "is not a DUIS Request in the DUIS namespace"),
        (
            b'<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.1"/>',
            "application/xml",
            400,
            "is not a DUIS Request",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            "application/xml",
            400,
            "DOCTYPE",
        ),
        (b"<sr:Request/>", "text/plain", 415, "Content-Type: application/xml"),
    ],
    ids=["not-xml", "empty", "wrong-namespace", "wrong-root", "doctype", "content-type"],
)
def test_what_is_not_duis_gets_plain_text_4xx(sandbox, control, inst, body, content_type, status, message) -> None:
    unchanged = Unchanged(control, inst.esme)
    reply = _post(sandbox, body, content_type)
    assert reply.status_code == status
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert "X-DUIS-Clause" not in reply.headers
    assert message in reply.text
    assert control.log() == []
    unchanged.check()


def test_wrong_content_type_with_valid_duis_is_still_refused(sandbox, control, duis, cast, inst) -> None:
    request = transform(_krp(duis, control, cast, inst))
    reply = _post(sandbox, _signed(request, cast.western.identity), "text/xml", TRANSFORM_PATH)
    assert reply.status_code == 415
    assert holder_of(control, inst.esme) == cast.western.entity_id


# --- message signing --------------------------------------------------------------------------


def test_unsigned_request_is_rejected(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    request = transform(_krp(duis, control, cast, inst))
    exchange = duis.post(request, to_bytes(request.to_xml()), TRANSFORM_PATH)
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "not signed" in exchange.reason
    unchanged.check()


def test_request_tampered_after_signing_is_rejected(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    request = transform(_krp(duis, control, cast, inst))
    tampered = _signed(request, cast.western.identity).replace(b">NetworkOperator<", b">Supplier<")
    exchange = duis.post(request, tampered, TRANSFORM_PATH)
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "does not verify" in exchange.reason
    unchanged.check()


def test_certificate_unknown_to_the_smki_is_rejected(sandbox, control, duis, cast, inst) -> None:
    """Western's own XML-signing key, but certified by another SMKI with the same CA names."""
    unchanged = Unchanged(control, inst.esme)
    foreign = SMKIAuthority().issue(
        cast.western.xml_key.public_key(), cast.western.entity_id, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS
    )
    identity = SigningIdentity(cast.western.entity_id, cast.western.xml_key, foreign.certificate)
    request = _krp(duis, control, cast, inst)
    exchange = duis.send(request, SignedAs(identity, cast.western.device_signing_key))
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "no SMKI certificate" in exchange.reason
    unchanged.check()


@pytest.mark.parametrize(
    ("issuer_name", "accepted"),
    [("CN=Z1, OU=07", True), ("cn=Z1,ou=07", True), ("CN=Z2,OU=07", False), ("OU=07,CN=Z1", False)],
)
def test_signing_certificate_is_found_by_issuer_name_as_a_distinguished_name(
    sandbox, control, duis, cast, inst, issuer_name, accepted
) -> None:
    """KeyInfo is outside what the signature covers; DCC's sample requests write `CN=U1, OU=07`."""
    request = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    identity = cast.western.identity
    root = sign(request.to_xml(), identity.key, identity.certificate)
    root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509IssuerName").text = issuer_name
    exchange = duis.post(request, to_bytes(root))
    if accepted:
        assert_accepted(sandbox, exchange, READ_BY_REGISTERED)
    else:
        assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
        assert "no SMKI certificate" in exchange.reason


def test_expired_certificate_is_rejected(sandbox, control, duis, cast, user_system) -> None:
    """An expired certificate, as the SMKI Repository would still list it. A Network Operator of its
    own, so the certificate stays out of the cast's way for the rest of the session."""
    holder = new_user(control, user_system.receive_url, "Expired Networks", UserRole.ELECTRICITY_DISTRIBUTOR)
    inst = standard_installation(control, cast, distributor=holder)
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    expired = sandbox.smki.authority.issue(
        key.public_key(),
        holder.entity_id,
        RemotePartyRole.XML_SIGNING_USER,
        KeyUse.DS,
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=35),
    )
    sandbox.smki.publish(expired)
    unchanged = Unchanged(control, inst.esme)
    request = krp_request(duis, control, holder, inst.esme, cast.northern)
    identity = SigningIdentity(holder.entity_id, key, expired.certificate)
    exchange = duis.send(request, SignedAs(identity, holder.device_signing_key))
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "not valid at" in exchange.reason
    unchanged.check()
    assert_accepted(sandbox, duis.send(request, holder), KRP_BY_REGISTERED)


def test_key_agreement_certificate_cannot_sign(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    ka = SigningIdentity(
        cast.western.entity_id, cast.western.ka_key, x509.load_pem_x509_certificate(cast.western.ka_pem.encode())
    )
    exchange = duis.send(_krp(duis, control, cast, inst), SignedAs(ka, cast.western.device_signing_key))
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "key usage is KA, DS required" in exchange.reason
    unchanged.check()


def test_originator_must_be_the_signer(sandbox, control, duis, cast, inst) -> None:
    """Eastern signs a request that claims Western as its Business Originator."""
    unchanged = Unchanged(control, inst.esme)
    exchange = duis.send(_krp(duis, control, cast, inst), cast.eastern)
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert f"is not the signer {cast.eastern.entity_id}" in exchange.reason
    unchanged.check()


# --- the sender is a User ----------------------------------------------------------------------


def test_certificate_role_must_fit_the_user_role(sandbox, control, duis, cast, user_system) -> None:
    """An Import Supplier signing its DUIS envelope with a Network Operator (03) certificate of its own,
    or with its own Supplier (02) Digital Signing certificate: a valid signature, but a DUIS envelope is
    signed with the User's XML-signing certificate (role 135, OU=87) and nothing else (DUIS signature, E1)."""
    supplier = new_user(control, user_system.receive_url, "Two Hats Energy", UserRole.IMPORT_SUPPLIER)
    inst = standard_installation(control, cast, supplier=supplier)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = control.issue_certificate(key.public_key(), supplier.entity_id, "03", "DS", "wrong role")
    identity = SigningIdentity(supplier.entity_id, key, x509.load_pem_x509_certificate(pem.encode()))
    request = request_to(duis, supplier, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    exchange = duis.send(request, SignedAs(identity, supplier.device_signing_key))
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "signed with an XML-signing certificate (OU=87), not role 03" in exchange.reason
    own_ds = SigningIdentity(
        supplier.entity_id, supplier.ds_key, x509.load_pem_x509_certificate(supplier.ds_pem.encode())
    )
    exchange = duis.send(request, SignedAs(own_ds, supplier.device_signing_key))
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert "signed with an XML-signing certificate (OU=87), not role 02" in exchange.reason
    assert_accepted(sandbox, duis.send(request, supplier), READ_BY_REGISTERED)


def acb_sender(sandbox, control, cast) -> SignedAs:
    """The sandbox's own Access Control Broker, with an XML-signing certificate (OU=87) the test SMKI
    issues it, and its own DS key for Pre-Commands."""
    key, _ = sandbox.identities.load("Access Control Broker/DS")
    xml_key = ec.generate_private_key(ec.SECP256R1())
    pem = control.issue_certificate(xml_key.public_key(), cast.acb.entity_id, XML_SIGNING, "DS", "ACB XML signing")
    return SignedAs(SigningIdentity(cast.acb.entity_id, xml_key, x509.load_pem_x509_certificate(pem.encode())), key)


def test_known_user_is_accepted_and_unknown_user_rejected(sandbox, control, duis, cast, inst) -> None:
    """The ACB holds valid SMKI certificates (an XML-signing one too) but is not a DCC User."""
    request = request_to(duis, cast.acb, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    exchange = duis.send(request, acb_sender(sandbox, control, cast))
    assert_rejected(sandbox, exchange, "E1", DUIS_USER)
    assert "is not a DCC User" in exchange.reason
    ok = duis.send(request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert_accepted(sandbox, ok, READ_BY_REGISTERED)


# --- eligibility and Command Variant -------------------------------------------------------------


def _handover(duis, control, sender, device_id, replacement) -> ServiceRequest:
    return request_to(
        duis,
        sender,
        device_id,
        REQUEST_HANDOVER,
        remote_party_role="NetworkOperator",
        digital_signing_certificate=replacement.ds_der,
        key_agreement_certificate=replacement.ka_der,
        certification_path=(ca_der(control),),
    )


def test_supplier_may_send_6_21(sandbox, control, duis, cast) -> None:
    inst = standard_installation(control, cast, no_certificate_holder=cast.acb)
    exchange = duis.send(_handover(duis, control, cast.supplier, inst.esme, cast.western), cast.supplier)
    assert_accepted(sandbox, exchange, READ_BY_REGISTERED)  # 6.21 is not Critical: no owner check
    assert holder_of(control, inst.esme) == cast.western.entity_id


def test_electricity_distributor_may_not_send_6_21(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    exchange = duis.send(_handover(duis, control, cast.western, inst.esme, cast.northern), cast.western)
    assert_rejected(sandbox, exchange, "E2", DUIS_ELIGIBILITY)
    assert "Electricity Distributor may not send SRV 6.21" in exchange.reason
    unchanged.check()


def test_other_user_may_not_send_6_15_1(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    request = krp_request(duis, control, cast.other_user, inst.esme, cast.northern)
    exchange = duis.send(request, cast.other_user)
    assert_rejected(sandbox, exchange, "E2", DUIS_ELIGIBILITY)
    unchanged.check()


@pytest.mark.parametrize(("command_variant", "path"), [(3, SERVICE_PATH), (1, SERVICE_PATH), (8, "/api/v1/serviceD")])
def test_command_variant_not_offered_is_rejected(sandbox, control, duis, cast, inst, command_variant, path) -> None:
    """6.15.1 is Critical: the XSD offers it as CV 4-7 only, so never as CV 1 (nor 3 or 8)."""
    unchanged = Unchanged(control, inst.esme)
    request = _krp(duis, control, cast, inst, command_variant=command_variant)
    exchange = duis.post(request, _signed(request, cast.western.identity), path)
    assert_rejected(sandbox, exchange, "E12", DUIS_COMMAND_VARIANT)
    assert f"Command Variant {command_variant} is not offered for SRV 6.15.1" in exchange.reason
    unchanged.check()


@pytest.mark.parametrize(
    ("srv", "command_variant", "path"),
    [("6.15.1", 4, SERVICE_PATH), ("6.15.1", 4, "/api/v1/serviceD"), ("4.1.1", 1, TRANSFORM_PATH)],
)
def test_command_variant_sent_to_the_wrong_web_service_is_rejected_e13(
    sandbox, control, duis, cast, inst, srv, command_variant, path
) -> None:
    unchanged = Unchanged(control, inst.esme)
    if srv == "6.15.1":
        request = _krp(duis, control, cast, inst, command_variant=command_variant)
    else:
        request = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    exchange = duis.post(request, _signed(request, cast.western.identity), path)
    assert_rejected(sandbox, exchange, "E13", DUIS_COMMAND_VARIANT)
    assert f"Command Variant {command_variant} is sent to /api/v1/service" in exchange.reason
    unchanged.check()


# --- anti-replay ---------------------------------------------------------------------------------


def test_same_counter_twice_is_rejected(sandbox, control, duis, cast, inst) -> None:
    request = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    body = _signed(request, cast.western.identity)
    assert_accepted(sandbox, duis.post(request, body), READ_BY_REGISTERED)
    replay = duis.post(request, body)
    assert_rejected(sandbox, replay, "E100", DUIS_ANTI_REPLAY)
    assert f"counter {request.request_id.counter} is not above {request.request_id.counter}" in replay.reason


def test_decreasing_counter_is_rejected_and_the_last_one_kept(sandbox, control, duis, cast, inst) -> None:
    unchanged = Unchanged(control, inst.esme)
    first = _krp(duis, control, cast, inst, replacement=cast.western)
    assert_accepted(sandbox, duis.send(first, cast.western), KRP_BY_REGISTERED)
    unchanged.check()  # the same certificates placed again
    counter = first.request_id.counter
    older = dataclasses.replace(
        first,
        request_id=RequestID(cast.western.entity_id, inst.esme, counter - 1),
        digital_signing_certificate=cast.northern.ds_der,
        key_agreement_certificate=cast.northern.ka_der,
    )
    exchange = duis.send(older, cast.western)
    assert_rejected(sandbox, exchange, "E100", DUIS_ANTI_REPLAY)
    assert f"counter {counter - 1} is not above {counter}" in exchange.reason
    unchanged.check()
    newer = ServiceRequest(
        RequestID(cast.western.entity_id, inst.esme, counter + 1), READ_INSTANTANEOUS_IMPORT_REGISTERS
    )
    assert_accepted(sandbox, duis.send(newer, cast.western), READ_BY_REGISTERED)


def test_a_rejected_request_does_not_use_up_its_counter(sandbox, control, duis, cast, inst) -> None:
    request = _krp(duis, control, cast, inst)
    exchange = duis.post(transform(request), to_bytes(transform(request).to_xml()), TRANSFORM_PATH)  # unsigned
    assert_rejected(sandbox, exchange, "E1", DUIS_SIGNATURE)
    assert_accepted(sandbox, duis.send(request, cast.western), KRP_BY_REGISTERED)


def test_counters_are_per_originator(sandbox, control, duis, cast, inst) -> None:
    high = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    assert_accepted(sandbox, duis.send(high, cast.western), READ_BY_REGISTERED)
    low = ServiceRequest(RequestID(cast.other_user.entity_id, inst.esme, 1), READ_INSTANTANEOUS_IMPORT_REGISTERS)
    assert_accepted(sandbox, duis.send(low, cast.other_user), (SRPD_6_2_C, SRPD_16_1, PIA_2_3_2_A))


# --- the device ----------------------------------------------------------------------------------


def test_unknown_device_is_rejected_e19(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(
        request_to(duis, cast.western, test_data.device_id(), READ_INSTANTANEOUS_IMPORT_REGISTERS),
        cast.western,
    )
    assert_rejected(sandbox, exchange, "E19", DUIS_DEVICE)
    assert "not in the Smart Metering Inventory" in exchange.reason
    known = duis.send(request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert_accepted(sandbox, known, READ_BY_REGISTERED)


def test_srv_to_the_wrong_device_type_is_rejected_e11(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(request_to(duis, cast.western, inst.gsme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert_rejected(sandbox, exchange, "E11", DUIS_DEVICE)
    assert "cannot be sent to a GSME" in exchange.reason
    unchanged = Unchanged(control, inst.gpf)
    krp_to_gpf = duis.send(krp_request(duis, control, cast.western, inst.gpf, cast.northern), cast.western)
    assert_rejected(sandbox, krp_to_gpf, "E11", DUIS_DEVICE)
    unchanged.check()


# --- SRPD 6.1(f): Registration Data ------------------------------------------------------------


def test_registered_party_passes_registration_data_check(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert_accepted(sandbox, exchange, READ_BY_REGISTERED)
    assert exchange.reason.startswith(f"DSP: {cast.western.name} is the registered Electricity Distributor")
    gas = duis.send(
        krp_request(duis, control, cast.gas_transporter, inst.gsme, cast.gas_transporter),
        cast.gas_transporter,
    )
    assert_accepted(sandbox, gas, KRP_BY_REGISTERED)


def test_party_not_registered_is_rejected_e4(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(request_to(duis, cast.eastern, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.eastern)
    assert_rejected(sandbox, exchange, "E4", SRPD_6_1_F)
    assert "is not the registered Electricity Distributor" in exchange.reason
    unchanged = Unchanged(control, inst.gsme)
    gas = duis.send(
        krp_request(duis, control, cast.other_gas_transporter, inst.gsme, cast.other_gas_transporter),
        cast.other_gas_transporter,
    )
    assert_rejected(sandbox, gas, "E4", SRPD_6_1_F)
    unchanged.check()


# --- SRPD 6.2(a): Join Service -----------------------------------------------------------------


def test_6_2_a_import_supplier_joins_the_gas_meter_to_the_gpf(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(
        request_to(duis, cast.supplier, inst.gpf, JOIN_SERVICE, other_device_id=inst.gsme), cast.supplier
    )
    assert_accepted(sandbox, exchange, (SRPD_6_2_A, SRPD_16_1, PIA_2_3_2_A))
    assert exchange.reason.startswith("DSP: Registration Data not checked under SRPD 6.2(a)")


def test_6_2_a_does_not_cover_a_gas_meter_of_another_installation(
    sandbox, control, duis, cast, inst, second_supplier
) -> None:
    other = standard_installation(control, cast)
    exchange = duis.send(
        request_to(duis, cast.supplier, inst.gpf, JOIN_SERVICE, other_device_id=other.gsme), cast.supplier
    )
    assert_rejected(sandbox, exchange, "E4", SRPD_6_1_F)
    not_responsible = duis.send(
        request_to(duis, second_supplier, inst.gpf, JOIN_SERVICE, other_device_id=inst.gsme),
        second_supplier,
    )
    assert_rejected(sandbox, not_responsible, "E4", SRPD_6_1_F)


# --- SRPD 6.2(b): Restore GPF Device Log ---------------------------------------------------------


def test_6_2_b_import_supplier_restores_the_gpf_device_log(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(
        request_to(duis, cast.supplier, inst.gpf, RESTORE_GPF_DEVICE_LOG, old_gpf_id=test_data.device_id()),
        cast.supplier,
    )
    assert_accepted(sandbox, exchange, (SRPD_6_2_B, SRPD_16_1, PIA_2_3_2_A))
    assert exchange.reason.startswith("DSP: Registration Data not checked under SRPD 6.2(b)")


def test_6_2_b_does_not_cover_an_import_supplier_not_responsible(
    sandbox, control, duis, cast, inst, second_supplier
) -> None:
    exchange = duis.send(
        request_to(duis, second_supplier, inst.gpf, RESTORE_GPF_DEVICE_LOG, old_gpf_id=test_data.device_id()),
        second_supplier,
    )
    assert_rejected(sandbox, exchange, "E4", SRPD_6_1_F)


# --- SRPD 6.2(c): Other User ---------------------------------------------------------------------


def test_6_2_c_other_user_reads_without_registration(sandbox, control, duis, cast, inst) -> None:
    exchange = duis.send(
        request_to(duis, cast.other_user, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.other_user
    )
    assert_accepted(sandbox, exchange, (SRPD_6_2_C, SRPD_16_1, PIA_2_3_2_A))
    assert exchange.reason.startswith("DSP: Registration Data not checked under SRPD 6.2(c)")


def test_6_2_c_is_only_for_the_other_user_role(sandbox, control, duis, cast, inst, second_supplier) -> None:
    """The same read from Users in other roles that are not registered is still checked."""
    for sender in (cast.eastern, second_supplier):
        exchange = duis.send(request_to(duis, sender, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), sender)
        assert_rejected(sandbox, exchange, "E4", SRPD_6_1_F)


# --- SRPD 6.2(d): MP107, behind the DSP switch --------------------------------------------------


@pytest.fixture
def wrong_certificate(control, cast):
    """Western is registered; Eastern's certificates are wrongly held for the ESME."""
    return standard_installation(control, cast, no_certificate_holder=cast.eastern)


def test_6_2_d_switch_off_rejects_the_wrong_no_at_the_dsp(sandbox, control, duis, cast, wrong_certificate) -> None:
    inst = wrong_certificate
    control.set_dsp_mp107(False)
    for name in ("S1SP1", "S1SP2", "S1SP3"):
        control.set_s1sp_mp107(name, True)
    unchanged = Unchanged(control, inst.esme)
    exchange = duis.send(krp_request(duis, control, cast.eastern, inst.esme, cast.western), cast.eastern)
    assert_rejected(sandbox, exchange, "E4", SRPD_6_1_F)
    unchanged.check()
    assert holder_of(control, inst.esme) == cast.eastern.entity_id


def test_6_2_d_switch_on_passes_the_wrong_no_through_the_dsp(sandbox, control, duis, cast, wrong_certificate) -> None:
    inst = wrong_certificate
    enable_mp107(control)
    exchange = duis.send(krp_request(duis, control, cast.eastern, inst.esme, cast.western), cast.eastern)
    assert_accepted(sandbox, exchange, (SRPD_6_2_D, PIA_3_3, S1SR_4_2))
    assert exchange.reason.startswith("DSP: Registration Data not checked under SRPD 6.2(d)")
    assert holder_of(control, inst.esme) == cast.western.entity_id
    assert holder_of(control, inst.esme, key_use="KA") == cast.western.entity_id


def test_6_2_d_covers_only_6_15_1_from_a_network_operator(
    sandbox, control, duis, cast, wrong_certificate, second_supplier
) -> None:
    inst = wrong_certificate
    enable_mp107(control)
    read = duis.send(request_to(duis, cast.eastern, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.eastern)
    assert_rejected(sandbox, read, "E4", SRPD_6_1_F)
    unchanged = Unchanged(control, inst.esme)
    supplier = duis.send(
        krp_request(duis, control, second_supplier, inst.esme, second_supplier, role="Supplier"),
        second_supplier,
    )
    assert_rejected(sandbox, supplier, "E4", SRPD_6_1_F)
    unchanged.check()


def test_6_2_d_gas_transporter(sandbox, control, duis, cast) -> None:
    inst = standard_installation(control, cast, gas_no_holder=cast.other_gas_transporter)
    control.set_dsp_mp107(False)
    sender = cast.other_gas_transporter
    off = duis.send(krp_request(duis, control, sender, inst.gsme, cast.gas_transporter), sender)
    assert_rejected(sandbox, off, "E4", SRPD_6_1_F)
    enable_mp107(control)
    on = duis.send(krp_request(duis, control, sender, inst.gsme, cast.gas_transporter), sender)
    assert_accepted(sandbox, on, (SRPD_6_2_D, PIA_3_3, S1SR_4_2))
    assert holder_of(control, inst.gsme) == cast.gas_transporter.entity_id


# --- SMETS2: no Registration Data check on Critical; the device decides ------------------------------


@pytest.fixture
def smets2(control, cast):
    return standard_installation(control, cast, no_certificate_holder=cast.eastern, smets=2)


def test_smets2_holder_of_the_no_certificate_replaces_it(sandbox, control, duis, cast, smets2) -> None:
    control.set_dsp_mp107(False)
    exchange = duis.send(krp_request(duis, control, cast.eastern, smets2.esme, cast.western), cast.eastern)
    assert_accepted(sandbox, exchange, (PIA_2_2,))
    assert exchange.reason.startswith("DSP: Registration Data not checked under PIA 2.2")
    assert exchange.response.body_kind == "ResponseMessage"
    assert holder_of(control, smets2.esme) == cast.western.entity_id
    assert holder_of(control, smets2.esme, key_use="KA") == cast.western.entity_id


def test_smets2_device_rejects_anyone_else(sandbox, control, duis, cast, smets2) -> None:
    unchanged = Unchanged(control, smets2.esme)
    enable_mp107(control)
    for sender in (cast.western, cast.northern):
        exchange = duis.send(krp_request(duis, control, sender, smets2.esme, sender), sender)
        assert_rejected(sandbox, exchange, "E100", PIA_2_2)
        assert "not signed with the NetworkOperator certificate the device holds" in exchange.reason
    unchanged.check()


def test_smets2_non_critical_keeps_the_registration_data_check(sandbox, control, duis, cast, smets2) -> None:
    exchange = duis.send(request_to(duis, cast.eastern, smets2.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.eastern)
    assert_rejected(sandbox, exchange, "E4", SRPD_6_1_F)
    ok = duis.send(request_to(duis, cast.western, smets2.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert_accepted(sandbox, ok, (SRPD_6_1_F,))  # a read changes nothing on the device: 6.1(f) decided it


def test_rejections_are_logged_with_their_clause(sandbox, control, duis, cast, inst) -> None:
    duis.send(request_to(duis, cast.eastern, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.eastern)
    [entry] = control.log()
    assert entry["service"] == "DSP S"
    assert entry["outcome"] == "rejected"
    assert entry["response_code"] == "E4"
    assert entry["clause"] == SRPD_6_1_F.display
    assert entry["sender"] == cast.eastern.entity_id


# --- every refusal names the check that made it ---------------------------------------------------------------


def _refusals(sandbox, control, duis, cast, inst) -> dict[str, Exchange]:
    """One request per rule the DSP refuses with at once, each made so that only that check can catch it."""
    western, signer = cast.western, cast.western.identity
    krp = transform(_krp(duis, control, cast, inst))
    refused: dict[str, Exchange] = {}

    root = krp.to_xml()
    root.find(f"{q('Body')}/{q('UpdateSecurityCredentialsKRP')}").remove(root.find(f".//{q('RemotePartyRole')}"))
    refused["schema"] = duis.post(krp, _signed_root(root, signer), TRANSFORM_PATH)
    refused["signature"] = duis.post(krp, to_bytes(krp.to_xml()), TRANSFORM_PATH)
    read = request_to(duis, cast.acb, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    refused["user"] = duis.send(read, acb_sender(sandbox, control, cast))
    by_other_user = transform(_krp(duis, control, cast, inst, sender=cast.other_user))
    refused["eligibility"] = duis.send(by_other_user, cast.other_user)
    cv1 = dataclasses.replace(_krp(duis, control, cast, inst), command_variant=1)
    refused["command_variant"] = duis.post(cv1, _signed(cv1, signer), SERVICE_PATH)
    cv4 = transform(_krp(duis, control, cast, inst))
    refused["web_service"] = duis.post(cv4, _signed(cv4, signer), SERVICE_PATH)
    cv5 = ServiceRequest(cv4.request_id, cv4.srv, 5, signed_pre_command=b"\xdf\x09" + bytes(60))
    refused["pre_command"] = duis.post(cv5, _signed(cv5, signer), SERVICE_PATH)
    accepted = request_to(duis, western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    assert duis.send(accepted, western).response.succeeded
    refused["anti_replay"] = duis.post(accepted, _signed(accepted, signer), SERVICE_PATH)
    unknown = request_to(duis, western, test_data.device_id(), READ_INSTANTANEOUS_IMPORT_REGISTERS)
    refused["device_unknown"] = duis.send(unknown, western)
    to_gas = request_to(duis, western, inst.gsme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    refused["device_type"] = duis.send(to_gas, western)
    not_registered = request_to(duis, cast.northern, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    refused["registration_data"] = duis.send(not_registered, cast.northern)
    acb_role = transform(_krp(duis, control, cast, inst, remote_party_role="ACB"))
    refused["replacement_mode"] = duis.post(acb_role, _signed(acb_role, signer), TRANSFORM_PATH)
    return refused


def _signed_root(root, identity: SigningIdentity) -> bytes:
    return to_bytes(sign(root, identity.key, identity.certificate))


def _rules_the_dsp_refuses_with_at_once() -> set[str]:
    """Every rule key raised by the DSP's checks and its authentication (not those of routing, which reach the
    User later: an S1SP that does not answer)."""
    keys: set[str] = set()
    for module in ("fake_services/dsp/checks.py", "fake_services/core/authentication.py"):
        keys |= set(re.findall(r'Rejection\(\s*"(\w+)"', (ROOT / module).read_text()))
    keys |= set(re.findall(r'rule_key: str = "(\w+)"', (ROOT / "fake_services/registration/checks.py").read_text()))
    return keys - {"s1sp_unavailable"}


def test_every_refusal_names_the_check_that_made_it(sandbox, control, duis, cast, inst) -> None:
    """A walk through every rule the DSP refuses with: each refusal carries that rule's response code and only
    that rule's clause in X-DUIS-Clause, and a reason in X-DUIS-Reason. (A 6.15.1 written in lower case was
    once refused E100 labelled "DUIS schema" by a Pre-Command check comparing RequestID text.)"""
    refused = _refusals(sandbox, control, duis, cast, inst)
    assert set(refused) == _rules_the_dsp_refuses_with_at_once(), "a rule the DSP refuses with is not walked"
    labels = {key: (e.response.response_code, e.clause, bool(e.reason)) for key, e in refused.items()}
    expected = {key: (RULES[key].response_code, RULES[key].clause.display, True) for key in refused}
    assert labels == expected
    assert len({(code, clause) for code, clause, _ in labels.values()}) == len(labels)  # each tells its rule apart
