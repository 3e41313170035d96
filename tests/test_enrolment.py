"""Enrolment fakes: TMAD 4.42, 5.10.12 and 5.10.17 at the Migration Control Centre, the ACB default,
the DCC Commissioning Party's SRV 6.21, and the Supplier's own SRV 6.21. Accepting and rejecting."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
import requests

from catalogue import DUIS_S1SP_COMMUNICATION, SRV_6_21, clauses_named
from duis.schema import duis_schema
from duis.signature import sign, verify
from duis.srv import REQUEST_HANDOVER
from duis.xml import parse, q, to_bytes
from fake_services.core.dcc_internal import ENVELOPE, countersigned_request, read_countersigned
from support import test_data
from support.control_client import ControlClient
from support.world_clients import WorldInterfaceError
from tests.helpers import alert_recipient, ca_der, holder_of, krp_request, simple_request


@pytest.fixture
def meter(control: ControlClient, cast):
    """An ESME (and GSME) awaiting enrolment on S1SP1: registered to Western Power / Bright Energy."""
    return _installation(control, cast, esme_status="Active")


def _installation(control, cast, esme_status: str, gsme_status: str | None = None, distributor=None):
    esme, gsme, chf = test_data.device_id(), test_data.device_id(), test_data.device_id()
    mpan, mprn = test_data.mpan_core(), test_data.mprn()
    control.register_mpan(mpan, (distributor or cast.western).entity_id, cast.supplier.entity_id)
    control.register_mprn(mprn, cast.gas_transporter.entity_id, cast.gas_supplier.entity_id)
    control.add_device(
        device_id=esme, device_type="ESME", smets=1, s1sp="S1SP1", status=esme_status, installation=chf, mpxn=mpan
    )
    control.add_device(
        device_id=gsme,
        device_type="GSME",
        smets=1,
        s1sp="S1SP1",
        status=gsme_status or esme_status,
        installation=chf,
        mpxn=mprn,
    )
    return {"esme": esme, "gsme": gsme}


def _acb(control: ControlClient) -> str:
    return control.smki()["access_control_broker"]["entity_id"]


def test_tmad_5_10_12_accepts_the_registered_network_operators_certificate(control, cast, meter, mcc):
    ma = mcc.migration_authorisation(
        meter["esme"], cast.supplier.entity_id, "DCC", cast.western.ds_pem, cast.western.ka_pem
    )
    assert ma["accepted"] and ma["source"] == "Supplier, in the Migration Authorisation"
    result = mcc.commission(ma["id"])
    assert result["accepted"], result
    assert holder_of(control, meter["esme"]) == cast.western.entity_id
    assert holder_of(control, meter["esme"], key_use="KA") == cast.western.entity_id


def test_tmad_5_10_12_refuses_another_network_operators_certificate(control, cast, meter, mcc):
    ma = mcc.migration_authorisation(
        meter["esme"], cast.supplier.entity_id, "DCC", cast.eastern.ds_pem, cast.eastern.ka_pem
    )
    assert ma == {"accepted": False, "clause": "TMAD 5.10.12", "reason": ma["reason"]}
    assert cast.eastern.entity_id in ma["reason"]
    assert control.trust_anchors(meter["esme"]) == []


@pytest.mark.parametrize("offer", ["supplier certificate", "swapped DS and KA", "two owners", "not a certificate"])
def test_tmad_5_10_17_refuses_what_is_not_a_network_operator_certificate(control, cast, meter, offer, mcc):
    ds, ka = {
        "supplier certificate": (cast.supplier.ds_pem, cast.supplier.ka_pem),
        "swapped DS and KA": (cast.western.ka_pem, cast.western.ds_pem),
        "two owners": (cast.western.ds_pem, cast.eastern.ka_pem),
        "not a certificate": ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", None),
    }[offer]
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "DCC", ds, ka)
    assert not ma["accepted"] and ma["clause"] == "TMAD 5.10.17", ma
    assert control.trust_anchors(meter["esme"]) == []


def test_tmad_4_42_provides_the_registered_network_operators_certificate(control, cast, meter, mcc):
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "DCC")
    assert ma["source"] == "DCC Migration Control Centre (TMAD 4.42)"
    mcc.commission(ma["id"])
    assert holder_of(control, meter["esme"]) == cast.western.entity_id


def test_tmad_4_42_is_for_the_electricity_meter_only(control, cast, meter, mcc):
    ma = mcc.migration_authorisation(meter["gsme"], cast.gas_supplier.entity_id, "DCC")
    assert ma["source"] == "none available: ACB default"
    mcc.commission(ma["id"])
    assert holder_of(control, meter["gsme"]) == _acb(control)


def test_no_certificate_available_leaves_the_acb_default(control, cast, mcc, meters):
    uncertified = test_data.entity_id()
    control.add_user(uncertified, "Midland Networks", "Electricity Distributor")
    meter = _installation(control, cast, "Active", distributor=SimpleNamespace(entity_id=uncertified))
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "DCC")
    assert ma["source"] == "none available: ACB default"
    result = mcc.commission(ma["id"])
    assert result["request_xml"] is None  # nothing to hand over
    anchors = {(a["role"], a["key_use"]): a["entity_id"] for a in control.trust_anchors(meter["esme"])}
    acb = _acb(control)
    assert anchors == {
        ("ACB", "DS"): acb,
        ("ACB", "KA"): acb,
        ("NetworkOperator", "DS"): acb,
        ("NetworkOperator", "KA"): acb,
        ("Supplier", "DS"): cast.supplier.entity_id,
        ("Supplier", "KA"): cast.supplier.entity_id,
    }
    assert alert_recipient(meters, control, meter["esme"]) == acb


def test_dormant_meter_migration_notification_routes(control, cast, mcc):
    meter = _installation(control, cast, "Dormant")
    given = mcc.respond_to_dormant_notification(
        mcc.dormant_meter_migration_notification(meter["esme"], cast.supplier.entity_id),
        cast.western.ds_pem,
        cast.western.ka_pem,
    )
    assert given["source"] == "Supplier, in the Dormant Meter Migration Notification response"
    refused = mcc.respond_to_dormant_notification(
        mcc.dormant_meter_migration_notification(meter["esme"], cast.supplier.entity_id),
        cast.northern.ds_pem,
        cast.northern.ka_pem,
    )
    assert refused["clause"] == "TMAD 5.10.12"
    none_given = mcc.respond_to_dormant_notification(
        mcc.dormant_meter_migration_notification(meter["esme"], cast.supplier.entity_id)
    )
    assert none_given["source"] == "DCC Migration Control Centre (TMAD 4.42)"


def test_dormant_notification_needs_a_dormant_meter(control, cast, meter, mcc):
    with pytest.raises(WorldInterfaceError, match="not a Dormant meter"):
        mcc.dormant_meter_migration_notification(meter["esme"], cast.supplier.entity_id)


def test_dormant_esme_beside_an_active_gsme_has_no_certificate_captured(control, cast, mcc):
    meter = _installation(control, cast, esme_status="Dormant", gsme_status="Active")
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "DCC")
    assert ma["source"] == "none captured: Supplier applies it later with SRV 6.21"
    mcc.commission(ma["id"])
    assert holder_of(control, meter["esme"]) == _acb(control)


def test_the_commissioning_partys_handover_is_valid_signed_duis(sandbox, control, cast, meter, mcc):
    """The Commissioning Party's 6.21 is valid DUIS it signs itself, carried to the S1SP in a Countersigned
    Service Request it signs as well (the only thing an S1SP takes)."""
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "DCC")
    result = mcc.commission(ma["id"])
    envelope = parse(result["request_xml"].encode())
    assert envelope.tag == ENVELOPE
    party = sandbox.commissioning_party.signer.certificate.certificate
    verify(envelope, party)
    request = read_countersigned(envelope).request
    assert duis_schema().validate(request), duis_schema().error_log
    verify(request, party)
    assert request.find(f"{q('Body')}/{q('RequestHandoverOfDCCControlledDevice')}") is not None
    assert "SMETS1SignedResponse" in result["response_xml"]


def _to_commissioning(sandbox, body: bytes) -> requests.Response:
    return requests.post(
        sandbox.services["S1SP1"].url + "/s1sp/v1/commissioning",
        data=body,
        headers={"Content-Type": "application/xml"},
        timeout=10,
    )


def test_s1sp_refuses_a_handover_at_enrolment_from_anyone_but_the_commissioning_party(
    sandbox, control, duis, cast, meter
):
    """The commissioning interface takes envelopes countersigned by the DCC Commissioning Party only: a
    Supplier's 6.21 sent straight, or in an envelope the Supplier (or even the DSP) signs, gets a 403 and
    changes nothing."""
    request = replace(
        krp_request(duis, control, cast.supplier, meter["esme"], cast.western), srv=REQUEST_HANDOVER, command_variant=1
    )
    signed = parse(duis.sign(request, cast.supplier.identity))
    supplier = cast.supplier.identity
    attempts = {
        "straight": to_bytes(signed),
        "countersigned by the Supplier": to_bytes(
            sign(countersigned_request(signed, None), supplier.key, supplier.certificate)
        ),
        "countersigned by the DSP": to_bytes(sandbox.dsp_signer.sign(countersigned_request(signed, None))),
    }
    before = control.fingerprint()
    for how, body in attempts.items():
        reply = _to_commissioning(sandbox, body)
        assert reply.status_code == 403, how
        assert reply.headers["Content-Type"].startswith("text/plain"), how
        assert b"S1SPAlert" not in reply.content, how
    assert control.fingerprint() == before
    assert control.trust_anchors(meter["esme"]) == []


def test_the_commissioning_interface_takes_srv_6_21_only(sandbox, control, duis, cast, meter):
    """Even from the DCC Commissioning Party, anything but a 6.21 is refused with the S1SP Alert."""
    request = krp_request(duis, control, cast.supplier, meter["esme"], cast.western)
    party = sandbox.commissioning_party.signer
    inner = party.sign(
        replace(request, request_id=replace(request.request_id, originator=party.certificate.entity_id)).to_xml()
    )
    before = control.fingerprint()
    reply = _to_commissioning(sandbox, to_bytes(party.sign(countersigned_request(inner, None))))
    assert b"S1SPAlert" in reply.content and b"S1SP-NOT-DCC" in reply.content
    assert clauses_named(reply.headers["X-DUIS-Clause"]) == (SRV_6_21,)
    assert reply.headers["X-DUIS-Clause"] == SRV_6_21.display
    assert control.fingerprint() == before


def test_supplier_commissioned_meter_gets_its_certificate_from_the_suppliers_handover(control, duis, cast, meter, mcc):
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "Supplier")
    result = mcc.commission(ma["id"])
    assert result["request_xml"] is None
    assert holder_of(control, meter["esme"]) == _acb(control)
    fields = cast.western.as_replacement("NetworkOperator", ca_der(control))
    refused = simple_request(duis, cast.gas_supplier, meter["esme"], REQUEST_HANDOVER, **fields)
    assert refused.response.response_code == "E4", refused.reason  # a Gas Supplier is not registered for the ESME
    accepted = simple_request(duis, cast.supplier, meter["esme"], REQUEST_HANDOVER, **fields)
    assert accepted.response.succeeded, accepted.reason
    assert holder_of(control, meter["esme"]) == cast.western.entity_id


def test_commissioning_with_the_s1sp_down_leaves_the_acb_default_and_says_so(sandbox, control, cast, meter, mcc):
    ma = mcc.migration_authorisation(meter["esme"], cast.supplier.entity_id, "DCC")
    control.set_s1sp_fault("S1SP1", "down")
    try:
        result = mcc.commission(ma["id"])
    finally:
        control.set_s1sp_fault("S1SP1", "none")
    assert not result["accepted"] and result["decided_by"] == DUIS_S1SP_COMMUNICATION.display, result
    assert "RequestHandoverOfDCCControlledDevice" in result["request_xml"]
    assert holder_of(control, meter["esme"]) == _acb(control)
