"""Steps for enrolment: the Supplier's Migration Authorisation, the DCC's Dormant Meter Migration
Notification, commissioning by the DCC Commissioning Party, and the Supplier's handover request."""

from __future__ import annotations

from catalogue import TMAD_5_10_12, TMAD_5_10_17
from duis.srv import UserRole
from reporting.evidence import attach_anchor_change, attach_exchange, attach_json, attach_xml
from support import verdicts
from support.stepping import given, then, use_step_matcher, when, world_of

use_step_matcher("re")

OFFER = (
    r"giving (?:no Network Operator certificate"
    r"|(?P<owner>.+?)'s? (?:Network Operator certificates|certificates as the Network Operator's))"
)

CAME_FROM = "the Network Operator certificate came from "
NONE = "no Network Operator certificate was "
# The business sentence -> the certificate source the Migration Control Centre records.
SOURCES = {
    CAME_FROM + "the Supplier, in the Migration Authorisation": "Supplier, in the Migration Authorisation",
    CAME_FROM + "the Supplier, in the Dormant Meter Migration Notification response": (
        "Supplier, in the Dormant Meter Migration Notification response"
    ),
    CAME_FROM + "the DCC Migration Control Centre": "DCC Migration Control Centre (TMAD 4.42)",
    NONE + "available, so the Access Control Broker's stands in": "none available: ACB default",
    NONE + "captured at enrolment": "none captured: Supplier applies it later with SRV 6.21",
}


@given(
    r"an? (?P<status>Active|Dormant) SMETS1 electricity meter(?P<mixed> sharing its communications hub with an"
    r" Active gas meter,)? awaiting enrolment on (?P<s1sp>S1SP\d) whose registered Network Operator is"
    r" (?P<no>.+?) and Supplier is (?P<supplier>.+)"
)
def step_awaiting_enrolment(context, status: str, mixed: str | None, s1sp: str, no: str, supplier: str) -> None:
    world_of(context).install_awaiting_enrolment(status, bool(mixed), s1sp, no, supplier)


def _record_enrolment(context) -> None:
    attach_json(world_of(context).enrolment, "Migration Control Centre's answer")


@when(r"(?P<supplier>.+?) authorises the meter's migration for the (?P<by>DCC|Supplier) to commission, " + OFFER)
def step_authorise(context, supplier: str, by: str, owner: str | None) -> None:
    world_of(context).authorise_migration(supplier, by, owner)
    _record_enrolment(context)


@when(r"the DCC notifies (?P<supplier>.+?) of the Dormant meter's migration and (?P=supplier) responds " + OFFER)
def step_dormant(context, supplier: str, owner: str | None) -> None:
    world_of(context).dormant_migration(supplier, owner)
    _record_enrolment(context)


@when(r"the DCC Commissioning Party commissions the meter")
@when(r"the meter is enrolled for (?P<supplier>.+?) to commission")
def step_commission(context, supplier: str | None = None) -> None:
    result = world_of(context).commission()
    if result.get("request_xml"):
        attach_xml(result["request_xml"], "DUIS request: SRV 6.21 from the DCC Commissioning Party")
        attach_xml(result["response_xml"], "S1SP answer")
    attach_json(world_of(context).anchors_evidence(), "Trust anchors after commissioning")


@when(r"(?P<supplier>.+?) sends a handover request placing (?P<owner>.+?)'s? Network Operator certificates")
def step_handover(context, supplier: str, owner: str) -> None:
    world = world_of(context)
    exchange = world.replace_certificates(supplier, owner, "NetworkOperator", variant="6.21")
    attach_exchange(exchange, f"Request Handover of DCC Controlled Device from {supplier}")
    attach_anchor_change(None, world.anchors_evidence(), world.roster)


@given(r"(?P<supplier>.+?) has placed (?P<owner>.+?)'s? Network Operator certificates with a handover request")
def step_has_handed_over(context, supplier: str, owner: str) -> None:
    step_handover(context, supplier, owner)
    verdicts.succeeded(world_of(context).last)


@given(
    r"(?P<supplier>.+?) has commissioned the meter itself and placed (?P<owner>.+?)'s? Network Operator"
    r" certificates in error"
)
def step_supplier_commissioned_in_error(context, supplier: str, owner: str) -> None:
    world = world_of(context)
    world.authorise_migration(supplier, "Supplier", None)
    world.commission()
    step_has_handed_over(context, supplier, owner)


@given(r"the DCC has commissioned the meter for (?P<supplier>.+?) without a Network Operator certificate")
def step_dcc_commissioned_without(context, supplier: str) -> None:
    world_of(context).commission_without_certificate(supplier)
    attach_json(world_of(context).anchors_evidence(), "Trust anchors after commissioning")


@given(r"the meter's alerts go to (?P<receiver>.+)")
def step_alerts_go_to(context, receiver: str) -> None:
    """Where the meter's Network Operator alerts go: to the party in the Non-Critical Network Operator cell
    (PIA 2.3.2 B). A User sees an alert it receives; the Access Control Broker is the DCC's own, so for it
    the cell is read instead."""
    world = world_of(context)
    if receiver == world.roster.acb().name:
        recipient = world.holder_names("NetworkOperator")["KA"]
    else:
        recipient = world.raise_alert()
    attach_json({"delivered_to": recipient}, "Alert delivery")
    assert recipient == receiver, f"the alert went to {recipient}"


@given(r"a second meter enrolled without a Network Operator certificate, whose alerts go to the Access Control Broker")
def step_second_meter_acb(context) -> None:
    """Another meter with the same registered parties, Supplier-commissioned, no certificate given."""
    world = world_of(context)
    distributor = world.roster.of_role(UserRole.ELECTRICITY_DISTRIBUTOR)[0].name
    supplier = world.roster.of_role(UserRole.IMPORT_SUPPLIER)[0].name
    world.install_awaiting_enrolment("Active", False, "S1SP3", distributor, supplier)
    world.authorise_migration(supplier, "Supplier", None)
    world.commission()
    step_alerts_go_to(context, "Access Control Broker")


@then(r"(?P<sentence>the Network Operator certificate came from .+|no Network Operator certificate was .+)")
def step_source(context, sentence: str) -> None:
    enrolment = world_of(context).enrolment
    assert enrolment and enrolment.get("accepted"), f"the Migration Authorisation was refused: {enrolment}"
    assert sentence in SOURCES, f"unknown certificate source: {sentence}"
    assert enrolment["source"] == SOURCES[sentence], f"the certificate came from {enrolment['source']}"


@then(r"the DCC Commissioning Party placed it at the S1SP with a handover request")
def step_handover_placed(context) -> None:
    result = world_of(context).commissioning
    assert result and result["request_xml"], f"no handover request was sent: {result}"
    assert "RequestHandoverOfDCCControlledDevice" in result["request_xml"]
    assert result["accepted"], f"the S1SP refused the handover: {result['response_xml']}"


@then(
    r"the Migration Control Centre refuses the certificate because (?P<why>its owner is not the registered"
    r" Network Operator|it is not a valid Network Operator certificate)"
)
def step_mcc_refuses(context, why: str) -> None:
    enrolment = world_of(context).enrolment
    clause = TMAD_5_10_12 if why.startswith("its owner") else TMAD_5_10_17
    assert enrolment is not None and not enrolment["accepted"], f"the certificate was accepted: {enrolment}"
    assert enrolment["clause"] == clause.display, f"refused by {enrolment['clause']}: {enrolment['reason']}"


@then(r"nothing is held for the meter at the S1SP")
def step_nothing_held(context) -> None:
    assert world_of(context).holds_nothing(), f"the S1SP holds {world_of(context).anchors_evidence()}"


@when(
    r"(?P<supplier>.+?) authorises the meter's migration for the (?P<by>DCC|Supplier) to commission, giving"
    r" (?P<owner>.+?)'s? Network Operator certificates each in the other's place"
)
def step_authorise_swapped(context, supplier: str, by: str, owner: str) -> None:
    world_of(context).authorise_migration(supplier, by, owner, swapped=True)
    _record_enrolment(context)


@when(
    r"(?P<supplier>.+?) sends a handover request placing (?P<owner>its own|.+?)(?:'s?)? certificates as the"
    r" Network Operator's"
)
def step_handover_other_role(context, supplier: str, owner: str) -> None:
    world = world_of(context)
    exchange = world.replace_certificates(supplier, supplier if owner == "its own" else owner, "NetworkOperator",
                                          variant="6.21")  # fmt: skip
    attach_exchange(exchange, f"Request Handover of DCC Controlled Device from {supplier}")


@when(
    r"(?P<supplier>.+?) sends a handover request placing (?P<owner>.+?)'s? Network Operator certificates each in"
    r" the other's place"
)
def step_handover_swapped(context, supplier: str, owner: str) -> None:
    exchange = world_of(context).replace_certificates(supplier, owner, "NetworkOperator", variant="6.21", swapped=True)
    attach_exchange(exchange, f"Request Handover of DCC Controlled Device from {supplier}, certificates swapped")


@given(r"the meter has been enrolled for (?P<supplier>.+?) to commission, without a Network Operator certificate")
def step_enrolled_for_supplier(context, supplier: str) -> None:
    """Route 6's start: the Supplier commissions the meter itself and has given no certificate, so the meter
    holds the Access Control Broker's default until the Supplier's handover."""
    world_of(context).commission_for_supplier(supplier)
    attach_json(world_of(context).anchors_evidence(), "Trust anchors after enrolment")
