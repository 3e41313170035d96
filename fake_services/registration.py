"""Registration Data (who is registered for each MPAN and MPRN) and the Smart Metering Inventory
(devices, their SMETS version, serving S1SP, status and installation).

Check digits are validated here, where data is created; DUIS requests are never rejected for them
(primer section 3)."""

from __future__ import annotations

import sqlite3

from duis.identifiers import is_valid_mpan_core, is_valid_mprn
from duis.srv import UserRole
from fake_services.core.records import Device, DeviceType, InstallStatus, InvalidSeed, valid_eui64
from fake_services.core.store import Store


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


class RegistrationData:
    """MPAN → Electricity Distributor and Import Supplier; MPRN → Gas Transporter and Gas Supplier."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def register_mpan(
        self, core: str, electricity_distributor: str, import_supplier: str, db: sqlite3.Connection | None = None
    ) -> None:
        with self.store.within(db) as db:
            db.execute(
                "INSERT OR REPLACE INTO registration_mpan VALUES (?, ?, ?)",
                (valid_mpan(core), valid_eui64(electricity_distributor), valid_eui64(import_supplier)),
            )

    def register_mprn(
        self, mprn: str, gas_transporter: str, gas_supplier: str, db: sqlite3.Connection | None = None
    ) -> None:
        with self.store.within(db) as db:
            db.execute(
                "INSERT OR REPLACE INTO registration_mprn VALUES (?, ?, ?)",
                (valid_mprn(mprn), valid_eui64(gas_transporter), valid_eui64(gas_supplier)),
            )

    def registered_parties(self, mpxn: str | None) -> dict[UserRole, str]:
        """The registered party per User Role for one MPAN or MPRN."""
        if not mpxn:
            return {}
        row = self.store.one("SELECT * FROM registration_mpan WHERE mpan = ?", mpxn)
        if row:
            return {
                UserRole.ELECTRICITY_DISTRIBUTOR: row["electricity_distributor"],
                UserRole.IMPORT_SUPPLIER: row["import_supplier"],
            }
        row = self.store.one("SELECT * FROM registration_mprn WHERE mprn = ?", mpxn)
        if row:
            return {UserRole.GAS_TRANSPORTER: row["gas_transporter"], UserRole.GAS_SUPPLIER: row["gas_supplier"]}
        return {}


INSTALLATION_QUERY = "SELECT * FROM devices WHERE installation = ?"


def _device(row: sqlite3.Row) -> Device:
    return Device(
        row["device_id"],
        DeviceType(row["device_type"]),
        row["smets"],
        row["s1sp"],
        InstallStatus(row["status"]),
        row["installation"],
        row["mpxn"],
    )


class SmartMeteringInventory:
    """Devices and the relationship between Device IDs and MPANs/MPRNs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, device: Device, db: sqlite3.Connection | None = None) -> None:
        if device.smets not in (1, 2):
            raise InvalidSeed("SMETS version is 1 or 2")
        if device.smets == 1 and not device.s1sp:
            raise InvalidSeed("a SMETS1 device is served by an S1SP")
        if device.device_type in (DeviceType.ESME, DeviceType.GSME) and not device.mpxn:
            raise InvalidSeed("a meter has an MPAN or MPRN")
        if device.mpxn:
            (valid_mpan if device.device_type is DeviceType.ESME else valid_mprn)(device.mpxn)
        with self.store.within(db) as db:
            db.execute(
                "INSERT OR REPLACE INTO devices VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    valid_eui64(device.device_id),
                    device.device_type.value,
                    device.smets,
                    device.s1sp if device.smets == 1 else None,
                    device.status.value,
                    device.installation,
                    device.mpxn,
                ),
            )

    def get(self, device_id: str) -> Device | None:
        row = self.store.one("SELECT * FROM devices WHERE device_id = ?", device_id)
        return _device(row) if row is not None else None

    def installation(self, device: Device) -> list[Device]:
        """Every device sharing the Communications Hub Function with `device` (one indexed query: the
        cost does not grow with the fleet)."""
        return [_device(row) for row in self.store.all(INSTALLATION_QUERY, device.installation)]

    def meter_points(self, device: Device) -> list[str]:
        """The MPAN/MPRN a device relates to: its own, or (CHF, GPF) those of its installation's meters."""
        if device.mpxn:
            return [device.mpxn]
        meters = [d for d in self.installation(device) if d.mpxn]
        if device.device_type is DeviceType.GPF:
            meters = [d for d in meters if d.device_type is DeviceType.GSME]
        return [d.mpxn for d in meters if d.mpxn]
