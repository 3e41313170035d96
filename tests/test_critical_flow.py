"""DCC's real interface, end to end (issue 9): the critical flow leg by leg, I99 then the answer at the
User's own endpoint, a Critical SRV refused as CV 1, the S1SP reachable only through the DCC, the owner
check verifying the Pre-Command's signature, SRV 6.24.1 reading what the meter holds, and a User endpoint
that is down for a while receiving every answer once."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import requests
from cryptography.hazmat.primitives.asymmetric import ec

from catalogue import PIA_3_3, RULES, S1SR_4_2, SRPD_6_2_D
from duis.precommand import PreCommand, sign_pre_command, split_signed
from duis.responses import ServiceResponse
from duis.srv import RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP
from duis.xml import parse, to_bytes
from fake_services.core.dcc_internal import countersigned_request
from fake_services.core.signer import ServiceSigner
from fake_services.s1sp.urls import S1SP_PATH
from smki.profile import OrganisationCertificate
from tests.helpers import (
    ScriptedMeterEvents,
    alert_scenario,
    enable_mp107,
    holder_of,
    krp_request,
    krp_update,
    request_to,
    standard_installation,
)
from user_system.client import SERVICE_PATH, TRANSFORM_PATH, sign_request
from user_system.system import UserSystem


def test_a_critical_request_goes_transform_pre_command_signed_cv5_i99_then_the_answer(control, duis, cast):
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    exchange = krp_update(duis, control, cast.eastern, inst.esme, cast.western)

    names = [leg.name for leg in exchange.legs]
    assert names == [
        "CV 4 request (Transform)",
        "Pre-Command",
        "Pre-Command signed with the User's Digital Signing key",
        "CV 5 request (Signed Pre-Command)",
        "Acknowledgement (I99)",
        "Response (I0)",
    ]
    transform, pre_command, signed, cv5, ack, answer = exchange.legs
    assert transform.path == TRANSFORM_PATH and cv5.path == SERVICE_PATH
    assert pre_command.http_status == 200 and ack.http_status == 200 and answer.http_status is None
    for leg in (pre_command, ack, answer):
        assert "XSD valid" in leg.verified and "Response signed by the DSP" in leg.verified, leg.verified
    assert "SMETS1SignedResponse signed by the S1SP1" in answer.verified
    # The Pre-Command binds this request: its counter, originator, target and message code (NO by NO).
    payload = ServiceResponse.from_xml(parse(pre_command.xml)).pre_command
    decoded = PreCommand.from_bytes(payload)
    assert (decoded.originator, decoded.target, decoded.counter) == (
        cast.eastern.entity_id,
        inst.esme,
        exchange.request.request_id.counter,
    )
    assert decoded.message_code == 0x0103
    assert split_signed(signed.xml)[0] == payload
    assert exchange.response.succeeded
    assert exchange.decided_by == (SRPD_6_2_D, PIA_3_3, S1SR_4_2)
    assert holder_of(control, inst.esme) == cast.western.entity_id


def test_a_critical_srv_sent_as_command_variant_1_is_refused_e12_and_changes_nothing(control, duis, cast):
    inst = standard_installation(control, cast)
    request = krp_request(duis, control, cast.western, inst.esme, cast.western)
    before = control.fingerprint()
    exchange = duis.post(request, sign_request(replace(request, command_variant=1), cast.western.identity))
    assert exchange.response.response_code == RULES["command_variant"].response_code == "E12"
    assert "not offered for SRV 6.15.1" in exchange.reason
    assert control.fingerprint() == before


def test_a_command_variant_sent_to_the_wrong_web_service_is_refused_e13(control, duis, cast):
    inst = standard_installation(control, cast)
    request = replace(krp_request(duis, control, cast.western, inst.esme, cast.western), command_variant=4)
    exchange = duis.post(request, sign_request(request, cast.western.identity), SERVICE_PATH)
    assert exchange.response.response_code == RULES["web_service"].response_code == "E13"


def test_a_cv5_must_carry_the_pre_command_the_dcc_issued(control, duis, cast):
    """A CV 5 whose Pre-Command was never issued (no CV 4 first) is refused, and uses up nothing."""
    inst = standard_installation(control, cast)
    request = krp_request(duis, control, cast.western, inst.esme, cast.western)
    forged = PreCommand(cast.western.entity_id, inst.esme, request.request_id.counter, 0x0103, None, b"\0" * 32)

    cv5 = replace(
        request,
        command_variant=5,
        remote_party_role=None,
        digital_signing_certificate=None,
        key_agreement_certificate=None,
        certification_path=(),
        signed_pre_command=sign_pre_command(forged.to_bytes(), cast.western.device_signing_key),
    )
    exchange = duis.post(cv5, sign_request(cv5, cast.western.identity))
    assert exchange.response.response_code == RULES["pre_command"].response_code
    assert "no Pre-Command awaits a Signed Pre-Command" in exchange.reason and "none was issued" in exchange.reason


def test_an_s1sp_refuses_a_request_a_user_sends_straight_to_it(sandbox, control, duis, cast):
    """Internal links are DCC-only: a User-signed request (here an accepted one, replayed) and a request
    refused by the DSP, posted straight to the S1SP, each get a 4xx and change nothing."""
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    accepted = krp_update(duis, control, cast.eastern, inst.esme, cast.eastern)  # Eastern re-places its own
    assert accepted.response.succeeded
    before = control.fingerprint()
    s1sp = sandbox.services["S1SP1"].url + S1SP_PATH
    for body in (accepted.legs[0].xml, accepted.last_sent.xml):
        reply = requests.post(s1sp, data=body, headers={"Content-Type": "application/xml"}, timeout=10)
        assert reply.status_code == 403, reply.text
        assert reply.headers["Content-Type"].startswith("text/plain")
    # Countersigned, but by a User rather than the DSP: refused just the same.
    user_signer = ServiceSigner(cast.eastern.xml_key, OrganisationCertificate.from_pem(cast.eastern.xml_pem))
    envelope = user_signer.sign(countersigned_request(parse(accepted.legs[0].xml), accepted.legs[2].xml))
    reply = requests.post(s1sp, data=to_bytes(envelope), headers={"Content-Type": "application/xml"}, timeout=10)
    assert reply.status_code == 403, reply.text
    assert "may not use" in reply.text
    assert control.fingerprint() == before


def test_the_right_originator_with_a_wrong_digital_signing_key_is_refused_by_the_s1sp(control, duis, cast):
    """S1SR 4.2 checks the key as well as the ID: Eastern holds the certificate, but signs the Pre-Command
    with a key that is not its certified one."""
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    impostor = _WrongKey(cast.eastern)
    exchange = duis.send(krp_request(duis, control, cast.eastern, inst.esme, cast.western), impostor)
    assert exchange.response.s1sp_alert is not None
    assert exchange.response.s1sp_alert.code == RULES["certificate_owner"].s1sp_alert_code
    assert exchange.response.response_code == RULES["certificate_owner"].response_code != "I0"
    assert "not signed with the key" in exchange.response.s1sp_alert.information
    assert holder_of(control, inst.esme) == cast.eastern.entity_id


class _WrongKey:
    """Eastern's own XML-signing identity, but a Pre-Command key that is not its certified one."""

    def __init__(self, org) -> None:
        self.identity = org.identity
        self.device_signing_key = ec.generate_private_key(ec.SECP256R1())


def test_6_24_1_reads_each_cell_the_meter_holds_with_its_owner_and_certificate_hash(control, duis, cast):
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    request = request_to(
        duis,
        cast.supplier,
        inst.esme,
        RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
        remote_party_roles=("NetworkOperator", "Supplier"),
    )
    exchange = duis.send(request, cast.supplier)
    assert exchange.response.succeeded, exchange.reason
    details = {(d.role, d.usage): d for d in exchange.response.remote_party_details}
    assert set(details) == {
        ("NetworkOperator", "DigitalSigning"),
        ("NetworkOperator", "KeyAgreement"),
        ("Supplier", "DigitalSigning"),
        ("Supplier", "KeyAgreement"),
    }
    ds = details[("NetworkOperator", "DigitalSigning")]
    assert ds.entity_id == cast.eastern.entity_id
    assert ds.certificate_hash == hashlib.sha1(OrganisationCertificate.from_pem(cast.eastern.ds_pem).der()).digest()  # noqa: S324
    assert details[("Supplier", "KeyAgreement")].entity_id == cast.supplier.entity_id


def test_a_user_endpoint_that_was_down_receives_every_answer_once_in_order(sandbox, control, cast, user_system):
    """The DCC keeps what it could not deliver and retries; once the User's endpoint is back every answer
    arrives, once each, in the order the DCC sent them."""
    inst = standard_installation(control, cast)
    with UserSystem(sandbox.services["DSP"].url, control.smki()["dcc_signers"], answer_timeout=20) as late:
        port = int(late.receive_url.rsplit(":", 1)[1].split("/")[0])
        late.receiver.stop()  # down: connections refused
        control.set_receive_address(cast.western.entity_id, late.receive_url)
        try:
            ids = []
            for _ in range(3):
                request = request_to(
                    late.duis,
                    cast.western,
                    inst.esme,
                    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
                    remote_party_roles=("NetworkOperator",),
                )
                ids.append(str(request.request_id))
                body = sign_request(replace(request, command_variant=1), cast.western.identity)
                reply = requests.post(
                    sandbox.services["DSP"].url + SERVICE_PATH,
                    data=body,
                    headers={"Content-Type": "application/xml"},
                    timeout=10,
                )
                assert ServiceResponse.from_xml(parse(reply.content)).is_acknowledgement
            assert sandbox.dsp.wait_routed(10)
            pending = control.deliveries(cast.western.entity_id, "pending")
            assert [d["request_id"] for d in pending] == ids
            late.receiver.port = port
            late.receiver.start()  # back, on the same address
            for request_id in ids:
                late.receiver.wait_for(request_id, timeout=20)
            assert sandbox.deliveries.wait_idle(10)
            assert [r.response.request_id for r in late.receiver.arrivals()] == ids
            assert late.receiver.duplicates == 0
            assert [d["state"] for d in control.deliveries(cast.western.entity_id)] == ["delivered"] * 3
        finally:
            control.set_receive_address(cast.western.entity_id, user_system.receive_url)


def _deliver_again(receiver, body: bytes) -> int:
    """What a DCC re-delivering does: POST the message once more to the User's Receive Response Service."""
    return requests.post(receiver.url, data=body, headers={"Content-Type": "application/xml"}, timeout=10).status_code


def test_answers_and_alerts_delivered_again_are_recorded_and_count_for_no_later_scenario(
    control, duis, cast, user_system, meters
):
    """The sandbox's own messages, signed by its DSP and S1SP: an answer delivered again (the same bytes,
    laid out again, and after the next scenario began) is recorded once as an answer and otherwise as a
    repeat; the meter's alert replayed during a later scenario about the same meter satisfies nothing."""
    receiver = user_system.receiver
    inst = standard_installation(control, cast)
    request = request_to(duis, cast.supplier, inst.esme, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
                         remote_party_roles=("NetworkOperator",))  # fmt: skip
    answer = duis.send(request, cast.supplier).legs[-1].xml
    names = {org.entity_id: org.name for org in (cast.western, cast.eastern, cast.supplier)}
    earlier = alert_scenario(receiver, meters, names, inst.esme)
    assert earlier.raise_alert() == cast.western.name
    alert = next(r.raw for r in reversed(receiver.unsolicited()) if r.device == inst.esme)
    repeats_before = len(receiver.repeats())

    later = alert_scenario(  # the next scenario, about the same meter: the DCC delivers old messages again
        receiver,
        ScriptedMeterEvents(lambda _: [_deliver_again(receiver, body) for body in (alert, answer)]),
        names,
        inst.esme,
        answer_timeout=1.0,
    )
    assert _deliver_again(receiver, answer.replace(b"><", b">\n<")) == 204
    assert later.raise_alert() is None and later.alert_recipient is None
    assert len(receiver.received(str(request.request_id))) == 1
    repeats = receiver.repeats()[repeats_before:]
    assert [r.request_id or r.response_id for r in repeats] == [
        str(request.request_id),
        next(r.response_id for r in receiver.unsolicited() if r.raw == alert),
        str(request.request_id),
    ]
    assert [r.exact for r in repeats] == [False, True, True]
    rows = later.deliveries_not_counted()
    assert len(rows) == 3 and all("re-delivered (seen first at" in row["why"] for row in rows)


def test_eui64s_written_in_lower_case_complete_the_flow_and_are_echoed_as_written(control, duis, cast):
    """The XSD allows EUI-64s in either case and DCC's own `duis-parser` writes them in lower case: the DSP
    compares them canonically (originator, target, the Pre-Command's system titles, the Registration Data,
    the S1SP's owner check) and echoes the RequestID as the User wrote it."""
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    request = krp_request(duis, control, cast.eastern, inst.esme, cast.western)
    written = str(request.request_id).lower()
    request = replace(request, request_id=replace(request.request_id, written=written))
    assert written.encode() in to_bytes(request.to_xml())
    exchange = duis.send(request, cast.eastern)
    assert exchange.response.succeeded, exchange.reason
    assert exchange.decided_by == (SRPD_6_2_D, PIA_3_3, S1SR_4_2)
    assert holder_of(control, inst.esme) == cast.western.entity_id
    answers = [leg for leg in exchange.legs if leg.name in ("Pre-Command", "Acknowledgement (I99)", "Response (I0)")]
    assert len(answers) == 3
    for leg in answers:
        assert ServiceResponse.from_xml(parse(leg.xml)).request_id == written, leg.name
