"""The records the services hand each other: a DCC User, a device of the Smart Metering Inventory and a
trust-anchor cell; and the EUI-64 every one of them is keyed by, checked where data is created.

They are plain values: each service's `state.py` makes them from its rows, its `checks.py` judges them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from duis.requests import MalformedMessage, normalise_eui64
from duis.srv import UserRole
from smki.profile import KeyUse, OrganisationCertificate


class InvalidSeed(ValueError):
    """Seed data that the real registries would never hold."""


def valid_eui64(value: str) -> str:
    """An EUI-64 identifier, canonical (upper case), or InvalidSeed saying what it should look like."""
    if not isinstance(value, str):
        raise InvalidSeed(f"{value!r} is not an EUI-64 identifier like 90-B3-D5-1F-30-02-00-00")
    try:
        return normalise_eui64(value)
    except MalformedMessage as exc:
        raise InvalidSeed(str(exc)) from None


@dataclass(frozen=True)
class User:
    """A DCC User: one User ID per User Role (DUIS carries no role, so the DCC knows it by the ID)."""

    entity_id: str
    name: str
    user_role: UserRole


class DeviceType(enum.StrEnum):
    ESME = "ESME"
    GSME = "GSME"
    CHF = "CHF"
    GPF = "GPF"


class InstallStatus(enum.StrEnum):
    ACTIVE = "Active"
    DORMANT = "Dormant"


@dataclass(frozen=True)
class Device:
    """A device of the Smart Metering Inventory: its SMETS version, the S1SP serving a SMETS1 one, its
    installation (the devices sharing its Communications Hub Function) and its MPAN/MPRN, if a meter."""

    device_id: str
    device_type: DeviceType
    smets: int
    s1sp: str | None
    status: InstallStatus
    installation: str
    mpxn: str | None


@dataclass(frozen=True)
class Anchor:
    """A trust-anchor cell: the certificate held for a device in a Remote Party Role and key use (DS the
    Critical cell, KA the Non-Critical one)."""

    role: str
    key_use: KeyUse
    entity_id: str
    certificate_id: str
    pem: str

    def certificate(self) -> OrganisationCertificate:
        """The certificate held (its key verifies what the holder signs)."""
        return OrganisationCertificate.from_pem(self.pem)
