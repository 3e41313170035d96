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


# --- the DCC's standard checks, each broken one way -------------------------------------------------------
@when(r"(?P<sender>.+?) sends a correction signed with its Digital Signing certificate instead of its XML-signing"
      r" certificate")  # fmt: skip
def step_signed_with_ds(context, sender: str) -> None:
    exchange = world_of(context).send_signed_with_digital_signing_certificate(sender)
    attach_exchange(exchange, f"A correction from {sender}, signed with its Digital Signing certificate")


@when(r"(?P<signer>.+?) sends a correction in (?P<sender>.+?)'s? name, signed with its own certificate")
def step_in_the_name_of(context, signer: str, sender: str) -> None:
    exchange = world_of(context).send_in_the_name_of(signer, sender)
    attach_exchange(exchange, f"A correction in {sender}'s name, signed by {signer}")


@when(r"(?P<sender>.+?) sends a correction signed with an XML-signing certificate that expired yesterday")
def step_signed_expired(context, sender: str) -> None:
    exchange = world_of(context).send_signed_with_expired_certificate(sender)
    attach_exchange(exchange, f"A correction from {sender}, signed with an expired certificate")


COMMAND_SIGNED = {
    "with its XML-signing key instead of its Digital Signing key": "with its XML-signing key",
    "after altering it from the one the DCC issued": "altered",
    "after the DCC has stopped waiting for it": "late",
}


@when(r"(?P<sender>.+?) sends a correction whose command it signs (?P<how>" + "|".join(COMMAND_SIGNED) + ")")
def step_command_signed(context, sender: str, how: str) -> None:
    exchange = world_of(context).send_correction_signing_its_command(sender, COMMAND_SIGNED[how])
    attach_exchange(exchange, f"A correction from {sender}, its command signed {how}")


@when(r"(?P<sender>.+?) sends a correction to the DCC's Send Command service without first asking for the"
      r" command to sign")  # fmt: skip
def step_correction_to_send_command(context, sender: str) -> None:
    exchange = world_of(context).send_correction_to_send_command(sender)
    attach_exchange(exchange, f"A correction from {sender} (Command Variant 4), sent to Send Command")


@when(r"(?P<sender>.+?) asks to read the meter's security credentials as a command to be signed first")
def step_read_credentials_as_critical(context, sender: str) -> None:
    exchange = world_of(context).request_as(sender, "6.24.1", 4, remote_party_roles=("NetworkOperator",))
    attach_exchange(exchange, f"Retrieve Device Security Credentials from {sender}, as Command Variant 4")


@when(
    r"(?P<sender>.+?) asks to replace the gas meter's Network Operator certificates with (?P<replacement>.+?)'s?"
)
def step_replace_on_gas_meter(context, sender: str, replacement: str) -> None:
    exchange = world_of(context).replace_certificates(sender, replacement, "NetworkOperator", device="gas meter")
    attach_exchange(exchange, f"Update Security Credentials of the gas meter from {sender}")


@given(r"(?P<sender>.+?) has (?:since )?read the meter's import registers")
def step_has_read(context, sender: str) -> None:
    step_read(context, sender)
    verdicts.succeeded(world_of(context).last)


@when(r"the same reading reaches the DCC again")
def step_reading_again(context) -> None:
    attach_exchange(world_of(context).send_again(), "The same reading, received again")


@given(r"(?P<sender>.+?) has signed a request to restore the device log of the gas proxy function and held it back")
def step_held_back(context, sender: str) -> None:
    world = world_of(context)
    world.hold_back(sender, "8.12.2", "gas proxy function", old_gpf_id=world.device("gas proxy function"))


@when(r"(?P<sender>.+?)'s? held-back request reaches the DCC")
def step_held_back_sent(context, sender: str) -> None:
    attach_exchange(world_of(context).send_held_back(), f"The request {sender} held back, sent")


@when(r"(?P<sender>.+?) reads the security credentials of the gas meter on the same communications hub")
def step_read_gas_credentials(context, sender: str) -> None:
    exchange = world_of(context).read_as(sender, "gas meter")
    attach_exchange(exchange, f"Retrieve Device Security Credentials from {sender}, to the gas meter")


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
