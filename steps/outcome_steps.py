"""Then: what the DCC, the S1SP and the meter decided, and what the meter now holds.

Each outcome is judged by `support.verdicts` from what a User sees (response code, body, S1SP Alert),
against the rule the catalogue gives for it; each step checks the parties its sentence names."""

from __future__ import annotations

from catalogue import RULES
from support import verdicts
from support.stepping import then, use_step_matcher, world_of

use_step_matcher("re")


def _sender_is(context, sender: str) -> None:
    exchange = verdicts.answered(world_of(context).last)
    assert exchange.request.originator == world_of(context).roster[sender].entity_id, (
        f"the request was sent by {world_of(context).roster.name_of(exchange.request.originator)}, not {sender}"
    )


@then(r"the request succeeds")
def step_succeeds(context) -> None:
    verdicts.succeeded(world_of(context).last)


@then(r"the DCC passes the request on to the S1SP")
def step_dsp_passes(context) -> None:
    verdicts.passed_on_to_s1sp(world_of(context).last)


DCC_REJECTS = {
    "as not valid DUIS": "schema",
    "because its signature cannot be trusted": "signature",
    "because an Other User may not send it": "eligibility",
    "because the service is not offered that way": "command_variant",
    "because it has already received it": "anti_replay",
    "because it does not know the device": "device_unknown",
    "because that device cannot take it": "device_type",
}


@then(r"the DCC rejects the request (?P<why>" + "|".join(DCC_REJECTS) + ")")
def step_dcc_rejects(context, why: str) -> None:
    verdicts.rejected_by_dcc(world_of(context).last, RULES[DCC_REJECTS[why]])


@then(r"the DCC rejects the request because (?P<sender>.+?) is not a DCC User")
def step_not_a_user(context, sender: str) -> None:
    _sender_is(context, sender)
    verdicts.rejected_by_dcc(world_of(context).last, RULES["user"])


@then(r"the DCC tells the sender that the S1SP did not answer")
def step_s1sp_silent(context) -> None:
    verdicts.rejected_by_dcc(world_of(context).last, RULES["s1sp_unavailable"])


@then(r"the S1SP rejects the request because they are not Network Operator certificates")
def step_not_no_certificates(context) -> None:
    verdicts.rejected_by_s1sp(world_of(context).last, RULES["replacement_certificate"])


@then(
    r"the DCC's Registration Data check \(#1\) rejects the request because (?P<sender>.+?) is not registered for "
    r"the meter"
)
def step_dsp_rdp(context, sender: str) -> None:
    _sender_is(context, sender)
    verdicts.rejected_by_dcc(world_of(context).last, RULES["registration_data"])


@then(
    r"the S1SP's certificate owner check \(#3\) rejects the request because (?P<sender>.+?) does not own the "
    r"certificate it holds"
)
def step_s1sp_owner(context, sender: str) -> None:
    _sender_is(context, sender)
    exchange = verdicts.answered(world_of(context).last)
    verdicts.rejected_by_s1sp(exchange, RULES["certificate_owner"])
    role = exchange.request.remote_party_role or "Supplier"
    holder = world_of(context).holder(role)
    assert holder != sender, f"{sender} does own the {role} certificate the meter holds"


@then(
    r"the S1SP's Registration Data check \(#2\) rejects the request because (?P<sender>.+?) is not registered for "
    r"the meter"
)
def step_s1sp_rdp(context, sender: str) -> None:
    _sender_is(context, sender)
    verdicts.rejected_by_s1sp(world_of(context).last, RULES["s1sp_registration_data"])


@then(r"the meter rejects the request because it is not signed by the holder of its certificate")
def step_device_rejects(context) -> None:
    verdicts.rejected_by_device(world_of(context).last, RULES["device_rejected"])


@then(r"the DCC does not apply its Registration Data check \(#1\) to the request")
def step_dsp_no_rdp(context) -> None:
    verdicts.not_rejected_by(world_of(context).last, RULES["registration_data"])
    verdicts.passed_on_to_s1sp(world_of(context).last)


@then(r"the S1SP does not apply its Registration Data check \(#2\) either")
def step_s1sp_no_rdp(context) -> None:
    verdicts.not_rejected_by(world_of(context).last, RULES["s1sp_registration_data"])
    verdicts.succeeded(world_of(context).last)


@then(r"the meter (?:still )?holds (?P<holder>.+?)'s? (?P<role>Network Operator|Supplier) certificates")
def step_holds(context, holder: str, role: str) -> None:
    cells = world_of(context).holder_names(role.replace(" ", ""))
    assert cells == {"DS": holder, "KA": holder}, f"the meter holds {cells} in its {role} trust anchor"


@then(
    r"once the S1SP answers again, the meter (?:still )?holds (?P<holder>.+?)'s? "
    r"(?P<role>Network Operator|Supplier) certificates"
)
def step_holds_once_s1sp_answers(context, holder: str, role: str) -> None:
    world_of(context).s1sp_answers_again()
    step_holds(context, holder, role)


@then(r"the alert goes to (?P<receiver>.+)")
def step_alert_to(context, receiver: str) -> None:
    assert world_of(context).alert_recipient == receiver, f"the alert went to {world_of(context).alert_recipient}"


@then(r"no Network Operator receives an alert")
def step_no_alert(context) -> None:
    assert world_of(context).alert_recipient is None, f"the alert went to {world_of(context).alert_recipient}"


# --- the DCC's standard checks ----------------------------------------------------------------------------
DCC_REJECTS_COMMAND = {
    "because the command signed is not the one it issued": "pre_command",
    "because the command it issued is no longer awaited": "pre_command",
    "because it was sent to a service that does not take it": "web_service",
}


@then(r"the DCC rejects the request (?P<why>" + "|".join(DCC_REJECTS_COMMAND) + ")")
def step_dcc_rejects_command(context, why: str) -> None:
    verdicts.rejected_by_dcc(world_of(context).last, RULES[DCC_REJECTS_COMMAND[why]])


@then(r"the DCC rejects the request because (?P<sender>.+?) has since sent a later request")
def step_not_the_latest(context, sender: str) -> None:
    _sender_is(context, sender)
    verdicts.rejected_by_dcc(world_of(context).last, RULES["anti_replay"])


@then(r"the S1SP rejects the request because the command is not signed with the key of the certificate the meter"
      r" holds")  # fmt: skip
def step_command_key_not_held(context) -> None:
    verdicts.rejected_by_s1sp(world_of(context).last, RULES["certificate_owner"])


@then(r"the gas meter holds (?P<holder>.+?)'s? Network Operator certificates")
def step_gas_meter_holds(context, holder: str) -> None:
    world = world_of(context)
    cells = world.holder_names("NetworkOperator", world.device("gas meter"))
    assert cells == {"DS": holder, "KA": holder}, f"the gas meter holds {cells} in its Network Operator trust anchor"


@then(
    r"the DCC's Registration Data check \(#1\) rejects the request because (?P<sender>.+?) is not registered for "
    r"the gas meter"
)
def step_dsp_rdp_gas_meter(context, sender: str) -> None:
    step_dsp_rdp(context, sender)


@then(r"the S1SP rejects the request because each certificate is in the other's place")
def step_certificates_swapped(context) -> None:
    verdicts.rejected_by_s1sp(world_of(context).last, RULES["replacement_certificate"])
