"""Then: what the DCC, the S1SP and the meter decided, and what the meter now holds.

Each outcome is read from the DUIS response (code, body, S1SP Alert) and the deciding clause the
DSP reports; the Gherkin says it in business words."""

from __future__ import annotations

from behave import then, use_step_matcher

from support.duis_client import Exchange
from support.evidence import attach_json

use_step_matcher("re")

S1SP_ALERT_FOR = {
    "certificate owner": "S1SP-CERT-OWNER-MISMATCH",
    "registration data": "S1SP-RDP-FAILED",
}


def _last(context) -> Exchange:
    exchange = context.world.last
    assert exchange is not None, "no request was sent in this scenario"
    assert exchange.response is not None, f"the DCC did not answer DUIS: HTTP {exchange.http_status} {exchange.reason}"
    return exchange


def _explain(exchange: Exchange) -> str:
    r = exchange.response
    if r is None:
        return f"HTTP {exchange.http_status}: {exchange.reason}"
    alert = f", S1SP Alert {r.s1sp_alert.code}: {r.s1sp_alert.information}" if r.s1sp_alert else ""
    return f"response {r.response_code} ({r.body_kind}), decided by {exchange.clause}: {exchange.reason}{alert}"


@then(r"the request succeeds")
def step_succeeds(context) -> None:
    exchange = _last(context)
    assert exchange.response.succeeded, _explain(exchange)


@then(r"the DCC passes the request on to the S1SP")
def step_dsp_passes(context) -> None:
    exchange = _last(context)
    assert exchange.response.body_kind in ("SMETS1ResponseMessage", "DCCAlertMessage"), _explain(exchange)
    assert exchange.response.body_kind == "SMETS1ResponseMessage" or exchange.response.s1sp_alert is not None, _explain(
        exchange
    )


def _dsp_rejected_for_registration_data(exchange: Exchange) -> None:
    assert exchange.response.response_code == "E4", _explain(exchange)
    assert exchange.clause == "SRPD 6.1(f)", _explain(exchange)


def _s1sp_alert(exchange: Exchange, reason: str, clause: str) -> None:
    alert = exchange.response.s1sp_alert
    assert alert is not None, _explain(exchange)
    assert alert.code == S1SP_ALERT_FOR[reason], _explain(exchange)
    assert exchange.clause == clause, _explain(exchange)


@then(r"the DCC rejects the request because (?P<sender>.+?) is not registered for the meter")
def step_dsp_rdp(context, sender: str) -> None:
    exchange = _last(context)
    _dsp_rejected_for_registration_data(exchange)
    assert context.world.roster[sender].entity_id == exchange.request.originator


@then(r"the DCC rejects the request for Registration Data")
def step_dsp_rdp_short(context) -> None:
    _dsp_rejected_for_registration_data(_last(context))


@then(r"the S1SP rejects the request because (?P<sender>.+?) does not own the certificate it holds")
def step_s1sp_owner(context, sender: str) -> None:
    _s1sp_alert(_last(context), "certificate owner", "S1SR 4.2")


@then(r"the S1SP rejects the request because (?P<sender>.+?) is not registered for the meter")
def step_s1sp_rdp(context, sender: str) -> None:
    _s1sp_alert(_last(context), "registration data", "SRPD 16.1")


@then(r"the S1SP rejects the request with an S1SP Alert for Registration Data")
def step_s1sp_rdp_short(context) -> None:
    _s1sp_alert(_last(context), "registration data", "SRPD 16.1")


@then(r"the meter rejects the request because it is not signed by the holder of its certificate")
def step_device_rejects(context) -> None:
    exchange = _last(context)
    assert not exchange.response.succeeded, _explain(exchange)
    assert exchange.clause == "GBCS KRP update (SMETS2 device)", _explain(exchange)


@then(r"the DCC does not check Registration Data for the request")
def step_dsp_no_rdp(context) -> None:
    exchange = _last(context)
    assert exchange.response.response_code != "E4", _explain(exchange)
    assert exchange.response.succeeded, _explain(exchange)


@then(r"the S1SP does not reject it for Registration Data")
def step_s1sp_no_rdp(context) -> None:
    exchange = _last(context)
    assert exchange.response.body_kind == "SMETS1ResponseMessage", _explain(exchange)


@then(r"the meter (?:still )?holds (?P<holder>.+?)'s? (?P<role>Network Operator|Supplier) certificates")
def step_holds(context, holder: str, role: str) -> None:
    world = context.world
    cells = {key_use: world.holder(role.replace(" ", ""), key_use) for key_use in ("DS", "KA")}
    assert cells == {"DS": holder, "KA": holder}, f"the meter holds {cells} in its {role} trust anchor"


@then(r"the alert goes to (?P<receiver>.+)")
def step_alert_to(context, receiver: str) -> None:
    assert context.world.alert_recipient == receiver, f"the alert went to {context.world.alert_recipient}"


@then(r"no Network Operator receives an alert")
def step_no_alert(context) -> None:
    assert context.world.alert_recipient is None, f"the alert went to {context.world.alert_recipient}"


@then(r"when the meter raises an alert for its Network Operator the alert goes to (?P<receiver>.+)")
def step_alert_after(context, receiver: str) -> None:
    recipient = context.world.raise_alert()
    attach_json({"delivered_to": recipient}, "Alert delivery")
    assert recipient == receiver, f"the alert went to {recipient}"
