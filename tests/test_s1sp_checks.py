"""The checks each S1SP applies to a SMETS1 request the DSP passed on: SRPD 16.1 (Registration Data,
with MP107 enabled per S1SP: PIA 3.2 and 3.3), S1SR 4.2 (certificate owner), the validation of
replacement certificates, and where a meter's alerts go (PIA 2.3.2)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from catalogue import (
    DUIS_SCHEMA,
    GBCS_REPLACEMENT_CERTIFICATES,
    PIA_2_3_2_A,
    PIA_3_3,
    RULES,
    S1SR_4_2,
    SRPD_6_1_F,
    SRPD_6_2_D,
    SRPD_16_1,
    Clause,
    rule_for_s1sp_alert,
)
from duis.signature import sign, verify
from duis.srv import READ_INSTANTANEOUS_IMPORT_REGISTERS, REQUEST_HANDOVER
from duis.xml import parse, q, to_bytes
from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from support.world_clients import WorldInterfaceError
from tests.helpers import (
    alert_recipient,
    assert_decided_by,
    ca_der,
    enable_mp107,
    holder_of,
    krp_request,
    krp_update,
    request_to,
    standard_installation,
)
from user_system.client import TRANSFORM_PATH, Exchange

KRP_BY_REGISTERED = (SRPD_6_1_F, SRPD_16_1, S1SR_4_2)
"""The registered Network Operator's 6.15.1: the DSP's check, then the S1SP's RDP and owner checks."""
KRP_UNDER_MP107 = (SRPD_6_2_D, PIA_3_3, S1SR_4_2)
"""A Network Operator's 6.15.1 under MP107: 6.2(d) at the DSP, PIA 3.3 and the owner check at the S1SP."""
NON_CRITICAL_BY_REGISTERED = (SRPD_6_1_F, SRPD_16_1, PIA_2_3_2_A)
"""A registered party's non-critical request: no certificate-owner check (PIA 2.3.2 A)."""


def assert_s1sp_alert(sandbox, exchange: Exchange, code: str, clause: Clause, s1sp: str = "S1SP1") -> None:
    """Passed by the DSP (I99), rejected by the S1SP: delivered later, a DCC Alert carrying the S1SP's
    signed alert, with the response code of the rule its S1SP Alert code stands for (never I0), reported
    as that rule's clause."""
    assert exchange.http_status == 200
    response = exchange.response
    assert response is not None
    assert response.body_kind == "DCCAlertMessage"
    assert not response.succeeded
    assert response.response_code == rule_for_s1sp_alert(code).response_code != "I0", exchange.reason
    assert response.s1sp_alert is not None, exchange.reason
    assert response.s1sp_alert.code == code, exchange.reason
    assert rule_for_s1sp_alert(code).clause == clause
    assert response.s1sp_alert.device_id == exchange.request.device_id
    information = response.s1sp_alert.information
    assert information and not information.startswith(f"{clause}: "), information  # just the detail
    assert exchange.reason.startswith("DSP: "), exchange.reason
    assert exchange.reason.endswith(f"; S1SP Alert {code} from {s1sp}: {information}"), exchange.reason
    assert_decided_by(exchange, clause)
    verify(response.s1sp_alert_element, sandbox.s1sps[s1sp].signer.certificate.certificate)
    verify(parse(exchange.response_xml), sandbox.dsp_signer.certificate.certificate)


def assert_accepted(sandbox, exchange: Exchange, clauses: tuple[Clause, ...], s1sp: str = "S1SP1") -> None:
    assert exchange.http_status == 200
    assert exchange.response is not None
    assert exchange.response.succeeded, exchange.reason
    assert exchange.response.body_kind == "SMETS1ResponseMessage"
    assert_decided_by(exchange, *clauses)
    verify(exchange.response.smets1_signed_response, sandbox.s1sps[s1sp].signer.certificate.certificate)


def _certificate_ids(control, device_id: str, role: str = "NetworkOperator") -> dict[str, str]:
    return {a["key_use"]: a["certificate_id"] for a in control.trust_anchors(device_id) if a["role"] == role}


@pytest.fixture
def wrong_certificate(control, cast):
    """Western is registered for the ESME; Eastern's certificates are wrongly held (S1SP1)."""
    return standard_installation(control, cast, no_certificate_holder=cast.eastern)


# --- SRPD 16.1 at the S1SP; PIA 3.2: one DSP switch, each S1SP enables in its own release -----------


def test_pia_3_2_s1sp_not_yet_enabled_rejects_while_an_enabled_one_corrects(sandbox, control, duis, cast) -> None:
    on_s1sp1 = standard_installation(control, cast, no_certificate_holder=cast.eastern, s1sp="S1SP1")
    on_s1sp2 = standard_installation(control, cast, no_certificate_holder=cast.eastern, s1sp="S1SP2")
    enable_mp107(control, s1sps=("S1SP2",))
    assert control.switches() == {"dsp_mp107": True, "s1sp_mp107": {"S1SP1": False, "S1SP2": True, "S1SP3": False}}
    before = control.trust_anchors(on_s1sp1.esme)

    rejected = krp_update(duis, control, cast.eastern, on_s1sp1.esme, cast.western)
    assert_s1sp_alert(sandbox, rejected, "S1SP-RDP-FAILED", SRPD_16_1, s1sp="S1SP1")
    assert control.trust_anchors(on_s1sp1.esme) == before

    corrected = krp_update(duis, control, cast.eastern, on_s1sp2.esme, cast.western)
    assert_accepted(sandbox, corrected, KRP_UNDER_MP107, s1sp="S1SP2")
    assert holder_of(control, on_s1sp2.esme) == cast.western.entity_id

    control.set_s1sp_mp107("S1SP1", True)  # S1SP1's release arrives
    later = krp_update(duis, control, cast.eastern, on_s1sp1.esme, cast.western)
    assert_accepted(sandbox, later, KRP_UNDER_MP107)
    assert holder_of(control, on_s1sp1.esme) == cast.western.entity_id


def test_srpd_16_1_passes_the_registered_party_without_mp107(sandbox, control, duis, cast) -> None:
    inst = standard_installation(control, cast)
    exchange = krp_update(duis, control, cast.western, inst.esme, cast.northern)
    assert_accepted(sandbox, exchange, KRP_BY_REGISTERED)
    assert holder_of(control, inst.esme) == cast.northern.entity_id


def test_dsp_log_records_the_s1sp_alert_with_its_clause(sandbox, control, duis, cast) -> None:
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control, s1sps=())
    krp_update(duis, control, cast.eastern, inst.esme, cast.western)
    transform, accepted, entry = control.log()  # the DSP issued the Pre-Command, accepted the CV 5, then routed it
    assert [(e["service"], e["outcome"]) for e in (transform, accepted)] == [
        ("DSP T", "accepted"),
        ("DSP S", "accepted"),
    ]
    assert entry["service"] == "DSP route"
    assert entry["outcome"] == "rejected"
    assert entry["response_code"] == RULES["s1sp_registration_data"].response_code
    assert entry["clause"] == SRPD_16_1.display
    assert f"S1SP Alert {RULES['s1sp_registration_data'].s1sp_alert_code} from S1SP1: " in entry["reason"]


# --- PIA 3.3: the S1SP skips the RDP check only for 6.15.1 targeting Network Operator certificates ---


def test_pia_3_3_krp_targeting_supplier_certificates_is_still_rdp_checked(
    sandbox, control, duis, cast, wrong_certificate
) -> None:
    inst = wrong_certificate
    enable_mp107(control)
    before = control.trust_anchors(inst.esme)
    exchange = krp_update(duis, control, cast.eastern, inst.esme, cast.supplier, role="Supplier")
    assert_s1sp_alert(sandbox, exchange, "S1SP-RDP-FAILED", SRPD_16_1)
    assert control.trust_anchors(inst.esme) == before


def test_pia_3_3_registered_no_targeting_supplier_certificates_meets_the_owner_check(
    sandbox, control, duis, cast, wrong_certificate
) -> None:
    inst = wrong_certificate
    enable_mp107(control)
    before = control.trust_anchors(inst.esme)
    exchange = krp_update(duis, control, cast.western, inst.esme, cast.supplier, role="Supplier")
    assert_s1sp_alert(sandbox, exchange, "S1SP-CERT-OWNER-MISMATCH", S1SR_4_2)
    assert control.trust_anchors(inst.esme) == before


def test_pia_3_3_krp_targeting_no_certificates_skips_the_rdp_check(
    sandbox, control, duis, cast, wrong_certificate
) -> None:
    inst = wrong_certificate
    enable_mp107(control)
    exchange = krp_update(duis, control, cast.eastern, inst.esme, cast.western)
    assert_accepted(sandbox, exchange, KRP_UNDER_MP107)


# --- S1SR 4.2: the certificate owner check (#3) ----------------------------------------------------


def test_s1sr_4_2_owner_of_the_held_certificate_passes(sandbox, control, duis, cast) -> None:
    inst = standard_installation(control, cast)
    exchange = krp_update(duis, control, cast.western, inst.esme, cast.western)
    assert_accepted(sandbox, exchange, KRP_BY_REGISTERED)


@pytest.mark.parametrize("mp107", [False, True], ids=["mp107-off", "mp107-on"])
def test_s1sr_4_2_registered_no_not_holding_is_rejected(sandbox, control, duis, cast, wrong_certificate, mp107) -> None:
    inst = wrong_certificate
    if mp107:
        enable_mp107(control)
    before = control.trust_anchors(inst.esme)
    exchange = krp_update(duis, control, cast.western, inst.esme, cast.western)
    assert_s1sp_alert(sandbox, exchange, "S1SP-CERT-OWNER-MISMATCH", S1SR_4_2)
    assert f"held by {cast.eastern.entity_id}" in exchange.response.s1sp_alert.information
    assert control.trust_anchors(inst.esme) == before


def test_option_b_stays_rejected_a_third_no_cannot_place_certificates(
    sandbox, control, duis, cast, wrong_certificate
) -> None:
    """PIA 3 option B (skip #3) was rejected: with MP107 fully on, a Network Operator neither
    registered nor holding passes the DSP and the S1SP's RDP step but not S1SR 4.2."""
    inst = wrong_certificate
    enable_mp107(control)
    before = control.trust_anchors(inst.esme)
    exchange = krp_update(duis, control, cast.northern, inst.esme, cast.northern)
    assert_s1sp_alert(sandbox, exchange, "S1SP-CERT-OWNER-MISMATCH", S1SR_4_2)
    assert control.trust_anchors(inst.esme) == before


def test_s1sr_4_2_gas_meter(sandbox, control, duis, cast) -> None:
    inst = standard_installation(control, cast, gas_no_holder=cast.other_gas_transporter)
    enable_mp107(control)
    rejected = krp_update(duis, control, cast.gas_transporter, inst.gsme, cast.gas_transporter)
    assert_s1sp_alert(sandbox, rejected, "S1SP-CERT-OWNER-MISMATCH", S1SR_4_2)
    corrected = krp_update(duis, control, cast.other_gas_transporter, inst.gsme, cast.gas_transporter)
    assert_accepted(sandbox, corrected, KRP_UNDER_MP107)
    assert holder_of(control, inst.gsme) == cast.gas_transporter.entity_id


# --- replacement certificates -----------------------------------------------------------------------


def _replacement(duis, control, cast, inst, **certs) -> Exchange:
    request = krp_request(duis, control, cast.western, inst.esme, cast.northern, **certs)
    return duis.send(request, cast.western)


@pytest.fixture
def holder_installation(control, cast):
    """Western registered and holding: every check but the replacement certificates passes."""
    return standard_installation(control, cast)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("supplier-as-network-operator", "is for role 02, not 03"),
        ("ds-and-ka-swapped", "key usage is KA, DS required"),
        ("ka-in-both-slots", "key usage is KA, DS required"),
        ("not-der", "not an Organisation certificate"),
        ("unknown-ca", "does not chain to the SMKI root"),
        ("no-certification-path", "not a known SMKI CA"),
        ("acb-as-network-operator", "is for role 04, not 03"),
    ],
)
def test_invalid_replacement_certificate_is_rejected_and_nothing_changes(
    sandbox, control, duis, cast, holder_installation, case, message
) -> None:
    inst = holder_installation
    before = control.trust_anchors(inst.esme)
    foreign = SMKIAuthority()
    stranger = foreign.issue(
        cast.northern.ds_key.public_key(), cast.northern.entity_id, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS
    )
    certs = {
        "supplier-as-network-operator": dict(
            digital_signing_certificate=cast.supplier.ds_der, key_agreement_certificate=cast.supplier.ka_der
        ),
        "ds-and-ka-swapped": dict(
            digital_signing_certificate=cast.northern.ka_der, key_agreement_certificate=cast.northern.ds_der
        ),
        "ka-in-both-slots": dict(
            digital_signing_certificate=cast.northern.ka_der, key_agreement_certificate=cast.northern.ka_der
        ),
        "not-der": dict(digital_signing_certificate=b"\x30\x03\x02\x01\x01"),
        "unknown-ca": dict(digital_signing_certificate=stranger.der()),
        "no-certification-path": dict(certification_path=(cast.northern.ds_der,)),
        "acb-as-network-operator": dict(
            digital_signing_certificate=cast.acb.ds_der, key_agreement_certificate=cast.acb.ka_der
        ),
    }[case]
    exchange = _replacement(duis, control, cast, inst, **certs)
    assert_s1sp_alert(sandbox, exchange, "S1SP-INVALID-CERTIFICATE", GBCS_REPLACEMENT_CERTIFICATES)
    assert message in exchange.response.s1sp_alert.information
    assert control.trust_anchors(inst.esme) == before


def test_ka_valid_but_ds_invalid_changes_neither(sandbox, control, duis, cast, holder_installation) -> None:
    """All or nothing: a good KA certificate is not placed when the DS certificate is refused."""
    inst = holder_installation
    before = control.trust_anchors(inst.esme)
    exchange = _replacement(
        duis,
        control,
        cast,
        inst,
        digital_signing_certificate=cast.supplier.ds_der,
        key_agreement_certificate=cast.northern.ka_der,
    )
    assert_s1sp_alert(sandbox, exchange, "S1SP-INVALID-CERTIFICATE", GBCS_REPLACEMENT_CERTIFICATES)
    assert control.trust_anchors(inst.esme) == before


def test_replacement_certificate_not_base64_is_refused_by_the_dsp(sandbox, control, duis, cast, holder_installation):
    inst = holder_installation
    before = control.trust_anchors(inst.esme)
    request = krp_request(duis, control, cast.western, inst.esme, cast.northern)
    request = replace(request, command_variant=4)  # a Critical request: its content is checked at the Transform
    root = request.to_xml()
    root.find(f".//{q('DigitalSigningCertificate')}").text = "not*base64"
    identity = cast.western.identity
    exchange = duis.post(request, to_bytes(sign(root, identity.key, identity.certificate)), TRANSFORM_PATH)
    assert exchange.response.response_code == "E100"
    assert_decided_by(exchange, DUIS_SCHEMA)
    assert control.trust_anchors(inst.esme) == before


def test_accepted_update_replaces_ds_and_ka_together(sandbox, control, duis, cast, holder_installation) -> None:
    inst = holder_installation
    others_before = [a for a in control.trust_anchors(inst.esme) if a["role"] != "NetworkOperator"]
    assert set(_certificate_ids(control, inst.esme)) == {"DS", "KA"}
    exchange = _replacement(duis, control, cast, inst)
    assert_accepted(sandbox, exchange, KRP_BY_REGISTERED)
    anchors = {a["key_use"]: a for a in control.trust_anchors(inst.esme) if a["role"] == "NetworkOperator"}
    assert {k: a["entity_id"] for k, a in anchors.items()} == {
        "DS": cast.northern.entity_id,
        "KA": cast.northern.entity_id,
    }
    assert anchors["DS"]["certificate_id"] == OrganisationCertificate.from_pem(cast.northern.ds_pem).certificate_id
    assert anchors["KA"]["certificate_id"] == OrganisationCertificate.from_pem(cast.northern.ka_pem).certificate_id
    assert [a for a in control.trust_anchors(inst.esme) if a["role"] != "NetworkOperator"] == others_before


# --- alerts: PIA 2.3.2 B -------------------------------------------------------------------------------


def test_esme_alerts_go_to_the_holder_of_the_ka_network_operator_certificate(control, cast, meters) -> None:
    inst = standard_installation(control, cast)
    control.place_trust_anchor(inst.esme, "NetworkOperator", cast.western.ds_pem, cast.eastern.ka_pem)
    assert alert_recipient(meters, control, inst.esme) == cast.eastern.entity_id
    assert [a["device_id"] for a in control.alerts(cast.eastern.entity_id)] == [inst.esme]
    assert control.alerts(cast.western.entity_id) == []


def test_gsme_raises_no_network_operator_alert(control, cast, meters) -> None:
    inst = standard_installation(control, cast)
    assert alert_recipient(meters, control, inst.gsme) is None
    assert control.alerts() == []


def test_acb_default_routes_alerts_to_the_acb_until_a_supplier_applies_the_no_certificate(
    sandbox, control, duis, cast, meters
) -> None:
    inst = standard_installation(control, cast, no_certificate_holder=cast.acb)
    assert alert_recipient(meters, control, inst.esme) == cast.acb.entity_id
    handover = request_to(
        duis,
        cast.supplier,
        inst.esme,
        REQUEST_HANDOVER,
        remote_party_role="NetworkOperator",
        digital_signing_certificate=cast.western.ds_der,
        key_agreement_certificate=cast.western.ka_der,
        certification_path=(ca_der(control),),
    )
    assert_accepted(sandbox, duis.send(handover, cast.supplier), NON_CRITICAL_BY_REGISTERED)
    assert alert_recipient(meters, control, inst.esme) == cast.western.entity_id


def test_correction_with_mp107_reroutes_esme_alerts(sandbox, control, duis, cast, wrong_certificate, meters) -> None:
    inst = wrong_certificate
    assert alert_recipient(meters, control, inst.esme) == cast.eastern.entity_id
    enable_mp107(control)
    assert_accepted(sandbox, krp_update(duis, control, cast.eastern, inst.esme, cast.western), KRP_UNDER_MP107)
    assert alert_recipient(meters, control, inst.esme) == cast.western.entity_id
    assert [a["recipient"] for a in control.alerts()] == [cast.eastern.entity_id, cast.western.entity_id]


def test_alert_for_an_unknown_device_is_refused(control, meters) -> None:
    with pytest.raises(WorldInterfaceError, match="HTTP 404"):
        meters.raise_alert("00-DB-12-00-00-00-00-01")


# --- PIA 2.3.2 A: Non-Critical requests work with a wrong certificate held ---------------------------


def test_registered_no_reads_the_meter_with_a_wrong_certificate_held(
    sandbox, control, duis, cast, wrong_certificate
) -> None:
    inst = wrong_certificate
    exchange = duis.send(request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert_accepted(sandbox, exchange, NON_CRITICAL_BY_REGISTERED)
    assert holder_of(control, inst.esme) == cast.eastern.entity_id


def test_wrongly_held_no_cannot_read_the_meter(sandbox, control, duis, cast, wrong_certificate) -> None:
    """Holding the certificate gives no right to Non-Critical requests: the DSP checks registration."""
    inst = wrong_certificate
    enable_mp107(control)
    exchange = duis.send(request_to(duis, cast.eastern, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.eastern)
    assert exchange.response.response_code == "E4"
    assert_decided_by(exchange, SRPD_6_1_F)
