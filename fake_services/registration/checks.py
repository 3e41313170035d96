"""SRPD 6.1(f), its exceptions 6.2(a)–(d), and who counts as registered: the rules the DSP applies
and, through SRPD 16.1, each S1SP applies again. One function per clause, named after it. And the checks seed
data passes where it is created (check digits, a device's SMETS version and S1SP).

The checks read Registration Data and the Smart Metering Inventory through a `RegistryView` (the service's
state, as records), handed to them by the model that calls them: a check never calls back up."""

from __future__ import annotations

from typing import Protocol

from catalogue import PIA_2_2, SRPD_6_1_F, SRPD_6_2_A, SRPD_6_2_B, SRPD_6_2_C, SRPD_6_2_D, Clause
from duis.identifiers import is_valid_mpan_core, is_valid_mprn
from duis.requests import ServiceRequest
from duis.srv import JOIN_SERVICE, RESTORE_GPF_DEVICE_LOG, UPDATE_SECURITY_CREDENTIALS_KRP, UserRole
from fake_services.core.records import Device, DeviceType, InvalidSeed, User
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.rules import rule


class RegistryView(Protocol):
    """What the Registration Data check reads (`state.RegistryState` is one): the registered party per User Role
    of an MPAN or MPRN, a device of the Smart Metering Inventory, and the devices of its installation."""

    def parties(self, mpxn: str) -> dict[UserRole, str]: ...

    def device(self, device_id: str) -> Device | None: ...

    def installation(self, device: Device) -> list[Device]: ...


# --- seed data, checked where it is created ------------------------------------------------------------
def valid_mpan(core: str) -> str:
    """A 13-digit MPAN core with a correct check digit (validated by the `mpan` package)."""
    if not isinstance(core, str) or not is_valid_mpan_core(core):
        raise InvalidSeed(f"{core!r} is not a valid MPAN core (13 digits, check digit)")
    return core


def valid_mprn(mprn: str) -> str:
    """6–10 digits ending in their two check digits."""
    if not isinstance(mprn, str) or not is_valid_mprn(mprn):
        raise InvalidSeed(f"{mprn!r} is not a valid MPRN (6 to 10 digits, check digits)")
    return mprn


def inventory_seed_check(device: Device) -> None:
    """A device the Smart Metering Inventory could hold: SMETS 1 or 2, a SMETS1 device served by an S1SP, a
    meter with a valid MPAN (electricity) or MPRN (gas)."""
    if device.smets not in (1, 2):
        raise InvalidSeed("SMETS version is 1 or 2")
    if device.smets == 1 and not device.s1sp:
        raise InvalidSeed("a SMETS1 device is served by an S1SP")
    if device.device_type in (DeviceType.ESME, DeviceType.GSME) and not device.mpxn:
        raise InvalidSeed("a meter has an MPAN or MPRN")
    if device.mpxn:
        (valid_mpan if device.device_type is DeviceType.ESME else valid_mprn)(device.mpxn)


# --- who counts as registered ----------------------------------------------------------------------------
@rule
def meter_points(device: Device, registry: RegistryView) -> list[str]:
    """The MPAN/MPRN a device relates to: its own, or (CHF, GPF) those of its installation's meters (a GPF's,
    its gas meters')."""
    if device.mpxn:
        return [device.mpxn]
    meters = [d for d in registry.installation(device) if d.mpxn]
    if device.device_type is DeviceType.GPF:
        meters = [d for d in meters if d.device_type is DeviceType.GSME]
    return [d.mpxn for d in meters if d.mpxn]


@rule
def is_registered(user: User, device: Device, registry: RegistryView) -> bool:
    """The sender is the registered party in its User Role for the device's MPAN/MPRN."""
    return any(
        registry.parties(point).get(user.user_role) == user.entity_id for point in meter_points(device, registry)
    )


@rule
def is_responsible_import_supplier_sharing_chf(user: User, device: Device, registry: RegistryView) -> bool:
    """The sender is the Responsible (Import) Supplier for an ESME sharing the device's CHF."""
    return user.user_role is UserRole.IMPORT_SUPPLIER and any(
        d.device_type is DeviceType.ESME and is_registered(user, d, registry)
        for d in registry.installation(device)
    )


# --- SRPD 6.1(f) and its exceptions ------------------------------------------------------------------------
@rule
def srpd_6_2_a_join_service(request: ServiceRequest, sender: User, device: Device, registry: RegistryView) -> bool:
    """SRPD 6.2(a): an Import Supplier that is the Responsible Supplier for a system sharing the CHF
    with a system that includes a Gas Smart Meter sends 'Join Service' to join that GSME to a GPF
    (sent to the GPF, naming the GSME as the other device)."""
    if request.srv is not JOIN_SERVICE or device.device_type is not DeviceType.GPF:
        return False
    other = registry.device(request.other_device_id or "")
    return (
        other is not None
        and other.device_type is DeviceType.GSME
        and other.installation == device.installation
        and is_responsible_import_supplier_sharing_chf(sender, device, registry)
    )


@rule
def srpd_6_2_b_restore_gpf_device_log(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView
) -> bool:
    """SRPD 6.2(b): that Import Supplier sends 'Restore GPF Device Log' to restore the Device Log of
    the GPF of a system sharing its CHF."""
    return (
        request.srv is RESTORE_GPF_DEVICE_LOG
        and device.device_type is DeviceType.GPF
        and is_responsible_import_supplier_sharing_chf(sender, device, registry)
    )


@rule
def srpd_6_2_c_other_user(request: ServiceRequest, sender: User) -> bool:
    """SRPD 6.2(c): the Service Request has been sent by a User acting in the User Role 'Other User' (whatever
    the request: the clause names the sender's User Role, not a Service Request)."""
    return sender.user_role is UserRole.OTHER_USER


@rule
def srpd_6_2_d_smets1_krp_from_network_operator(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView
) -> bool:
    """SRPD 6.2(d) (MP107): a SMETS1 Service Request with SRV 6.15.1 (Update Security Credentials)
    received from an Electricity Distributor or Gas Transporter. The clause names the sender's User
    Role, not the meter: a Gas Transporter's request to an electricity meter is let through too (the
    S1SP's owner check stops it). Nor does it look at whose certificates are placed: PIA 3 option A keeps
    only the owner check, so the holder may place any Network Operator's (the consequence the PIA accepts):
    `registry` is not read."""
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and device.smets == 1 and sender.user_role.is_network_operator


@rule
def pia_2_2_smets2_critical_skips_registration_data(request: ServiceRequest, device: Device) -> bool:
    """PIA 2.2 (and 2.1): SMETS2 Critical Commands have no Registration Data validation; the device
    itself decides whether the sender holds its certificate."""
    return device.smets == 2 and request.srv.critical


@rule
def registration_data_exception(
    request: ServiceRequest, sender: User, device: Device, registry: RegistryView, mp107_in_force: bool
) -> Clause | None:
    """Which SRPD 6.2 exception (or PIA 2.2's SMETS2 critical path) lifts the check, if any."""
    if pia_2_2_smets2_critical_skips_registration_data(request, device):
        return PIA_2_2
    if srpd_6_2_a_join_service(request, sender, device, registry):
        return SRPD_6_2_A
    if srpd_6_2_b_restore_gpf_device_log(request, sender, device, registry):
        return SRPD_6_2_B
    if srpd_6_2_c_other_user(request, sender):
        return SRPD_6_2_C
    if mp107_in_force and srpd_6_2_d_smets1_krp_from_network_operator(request, sender, device, registry):
        return SRPD_6_2_D
    return None


@rule
def srpd_6_1_f_registration_data_check(
    request: ServiceRequest,
    sender: User,
    device: Device,
    registry: RegistryView,
    *,
    mp107_in_force: bool,
    rule_key: str = "registration_data",
) -> Verdict:
    """SRPD 6.1(f), subject to 6.2: the sender must be the registered party for the MPAN/MPRN of the
    target device in its User Role. Returns what let the request through; raises Rejection(rule_key).
    The DSP applies it as itself; an S1SP as SRPD 16.1, with its own view of whether MP107 is in force."""
    exception = registration_data_exception(request, sender, device, registry, mp107_in_force)
    if exception is not None:
        return Verdict(exception, f"Registration Data not checked under {exception}")
    if not is_registered(sender, device, registry):
        raise Rejection(
            rule_key,
            f"{sender.name} is not the registered {sender.user_role.value} for device {device.device_id}",
        )
    return Verdict(SRPD_6_1_F, f"{sender.name} is the registered {sender.user_role.value}")
