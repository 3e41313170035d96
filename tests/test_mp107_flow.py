"""End to end through HTTP: the stuck meter today, and its correction with MP107 enabled."""

from __future__ import annotations

from tests.helpers import alert_recipient, holder_of, krp_update, standard_installation


def _wrong_certificate_meter(control, cast):
    return standard_installation(control, cast, no_certificate_holder=cast.eastern)


def _enable_mp107(control):
    control.set_dsp_mp107(True)
    for name in ("S1SP1", "S1SP2", "S1SP3"):
        control.set_s1sp_mp107(name, True)


def test_registered_no_is_rejected_by_certificate_owner_check(control, duis, cast):
    inst = _wrong_certificate_meter(control, cast)
    exchange = krp_update(duis, control, cast.western, inst.esme, cast.western)
    assert exchange.response.body_kind == "DCCAlertMessage"
    assert exchange.response.s1sp_alert.code == "S1SP-CERT-OWNER-MISMATCH"
    assert exchange.clause == "S1SR 4.2"
    assert holder_of(control, inst.esme) == cast.eastern.entity_id


def test_wrong_no_is_rejected_by_dsp_registration_data_check(control, duis, cast):
    inst = _wrong_certificate_meter(control, cast)
    exchange = krp_update(duis, control, cast.eastern, inst.esme, cast.western)
    assert exchange.response.response_code == "E4"
    assert exchange.clause == "SRPD 6.1(f)"
    assert holder_of(control, inst.esme) == cast.eastern.entity_id


def test_wrong_no_corrects_certificate_with_mp107(control, duis, cast, meters):
    inst = _wrong_certificate_meter(control, cast)
    _enable_mp107(control)
    assert alert_recipient(meters, control, inst.esme) == cast.eastern.entity_id
    exchange = krp_update(duis, control, cast.eastern, inst.esme, cast.western)
    assert exchange.response.succeeded, exchange.reason
    assert holder_of(control, inst.esme) == cast.western.entity_id
    assert holder_of(control, inst.esme, key_use="KA") == cast.western.entity_id
    assert alert_recipient(meters, control, inst.esme) == cast.western.entity_id
    again = krp_update(duis, control, cast.western, inst.esme, cast.western)
    assert again.response.succeeded, again.reason
