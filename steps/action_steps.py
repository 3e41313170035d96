"""When: the requests a User sends and the alerts a meter raises."""

from __future__ import annotations

from reporting.evidence import attach_anchor_change, attach_exchange, attach_json
from smki.profile import KeyUse
from support import test_data, verdicts
from support.stepping import given, use_step_matcher, when, world_of

use_step_matcher("re")

ROLES = {"Network Operator": "NetworkOperator", "Supplier": "Supplier"}


def _replace(context, sender: str, role: str, replacement: str) -> None:
    world = world_of(context)
    attach_json(world.anchors_evidence(), "Trust anchors before")
    owner = sender if replacement == "its own" else replacement
    exchange = world.replace_certificates(sender, owner, ROLES[role])
    attach_exchange(exchange, f"Update Security Credentials from {sender}")
    attach_anchor_change(None, world.anchors_evidence(), world.roster)


@when(
    r"(?P<sender>.+?) asks to replace the meter's (?P<role>Network Operator|Supplier) certificates"
    r" with (?P<replacement>its own|.+?)(?:'s?)?"
)
def step_replace(context, sender: str, role: str, replacement: str) -> None:
    _replace(context, sender, role, replacement)


@given(r"(?P<sender>.+?) has replaced the meter's Network Operator certificates with (?P<replacement>.+?)'s?")
def step_has_replaced(context, sender: str, replacement: str) -> None:
    _replace(context, sender, "Network Operator", replacement)
    verdicts.succeeded(world_of(context).last)


@when(r"(?P<sender>.+?) reads the meter's import registers")
def step_read(context, sender: str) -> None:
    attach_exchange(world_of(context).request(sender, "4.1.1"), f"Read Instantaneous Import Registers from {sender}")


@when(r"(?P<sender>.+?) reads the meter's security credentials")
def step_read_credentials(context, sender: str) -> None:
    attach_exchange(world_of(context).read_as(sender), f"Retrieve Device Security Credentials from {sender}")


@when(r"(?P<sender>.+?) joins the gas meter to the gas proxy function")
def step_join(context, sender: str) -> None:
    world = world_of(context)
    exchange = world.request(
        sender, "8.7.2", device_id=world.device("gas proxy function"), other_device_id=world.device("gas meter")
    )
    attach_exchange(exchange, f"Join Service from {sender}")


@when(r"(?P<sender>.+?) restores the device log of the gas proxy function")
def step_restore(context, sender: str) -> None:
    world = world_of(context)
    gpf = world.device("gas proxy function")
    exchange = world.request(sender, "8.12.2", device_id=gpf, old_gpf_id=gpf)
    attach_exchange(exchange, f"Restore GPF Device Log from {sender}")


@when(r"the meter raises an alert for its Network Operator")
def step_alert(context) -> None:
    attach_json({"delivered_to": world_of(context).raise_alert()}, "Alert delivery")


@when(r"(?P<sender>.+?) sends a correction that does not follow the DUIS schema")
def step_breaking_schema(context, sender: str) -> None:
    attach_exchange(
        world_of(context).send_breaking_schema(sender), f"A correction from {sender} missing a required element"
    )


@when(r"(?P<sender>.+?) sends a correction signed with a certificate the SMKI did not issue")
def step_signed_by_stranger(context, sender: str) -> None:
    attach_exchange(
        world_of(context).send_signed_by_stranger(sender), f"A correction in {sender}'s name, signed by a stranger"
    )


@when(r"the same (?:correction|handover request) reaches the DCC again")
def step_again(context) -> None:
    attach_exchange(world_of(context).send_again(), "The same request, received again")


@when(r"(?P<sender>.+?) asks to read the meter's import registers as a command to be signed first")
def step_read_as_critical(context, sender: str) -> None:
    exchange = world_of(context).request_as(sender, "4.1.1", command_variant=4)
    attach_exchange(exchange, f"Read Instantaneous Import Registers from {sender}, as Command Variant 4")


@when(r"(?P<sender>.+?) reads the import registers of a meter the DCC does not know")
def step_read_unknown(context, sender: str) -> None:
    exchange = world_of(context).request(sender, "4.1.1", device_id=test_data.device_id())
    attach_exchange(exchange, f"Read Instantaneous Import Registers from {sender}, to an unknown device")


@when(r"(?P<sender>.+?) reads the import registers of the gas meter on the same communications hub")
def step_read_gas(context, sender: str) -> None:
    exchange = world_of(context).request(sender, "4.1.1", device_id=world_of(context).device("gas meter"))
    attach_exchange(exchange, f"Read Instantaneous Import Registers from {sender}, to a gas meter")


@given(
    r"(?P<sender>.+?) has replaced only the meter's Network Operator key agreement certificate with"
    r" (?P<replacement>.+?)'s?"
)
def step_has_replaced_key_agreement(context, sender: str, replacement: str) -> None:
    """Only the Key Agreement (Non-Critical) certificate is replaced: the Digital Signing one stays."""
    world = world_of(context)
    before = world.holder_names("NetworkOperator")
    exchange = world.replace_certificates(sender, replacement, "NetworkOperator", only=KeyUse.KA)
    attach_exchange(exchange, f"Update Security Credentials from {sender}, the key agreement certificate only")
    verdicts.succeeded(exchange)
    after = world.holder_names("NetworkOperator")
    assert after == {"DS": before["DS"], "KA": replacement}, f"the meter holds {after} in its Network Operator cells"
