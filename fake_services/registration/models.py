"""Registration Data and the Smart Metering Inventory as the other services use them: seed data checked
where it is created (check digits, EUI-64s: DUIS requests are never rejected for them, primer section 3),
then kept through the service's state; and the `Registry` the Registration Data check reads."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from duis.srv import UserRole
from fake_services.core.records import Device, DeviceType, InstallStatus, valid_eui64
from fake_services.core.store import Store
from fake_services.registration.checks import inventory_seed_check, valid_mpan, valid_mprn
from fake_services.registration.state import InventoryTable, RegistrationTable


class RegistrationData:
    """MPAN → Electricity Distributor and Import Supplier; MPRN → Gas Transporter and Gas Supplier."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = RegistrationTable(store)

    def register_mpan(
        self, core: str, electricity_distributor: str, import_supplier: str, db: sqlite3.Connection | None = None
    ) -> None:
        row = (valid_mpan(core), valid_eui64(electricity_distributor), valid_eui64(import_supplier))
        with self.store.within(db) as conn:
            self.table.put_mpan(conn, *row)

    def register_mprn(
        self, mprn: str, gas_transporter: str, gas_supplier: str, db: sqlite3.Connection | None = None
    ) -> None:
        row = (valid_mprn(mprn), valid_eui64(gas_transporter), valid_eui64(gas_supplier))
        with self.store.within(db) as conn:
            self.table.put_mprn(conn, *row)

    def registered_parties(self, mpxn: str | None) -> dict[UserRole, str]:
        """The registered party per User Role for one MPAN or MPRN."""
        if not mpxn:
            return {}
        row = self.table.mpan(mpxn)
        if row:
            return {
                UserRole.ELECTRICITY_DISTRIBUTOR: row["electricity_distributor"],
                UserRole.IMPORT_SUPPLIER: row["import_supplier"],
            }
        row = self.table.mprn(mpxn)
        if row:
            return {UserRole.GAS_TRANSPORTER: row["gas_transporter"], UserRole.GAS_SUPPLIER: row["gas_supplier"]}
        return {}


class SmartMeteringInventory:
    """Devices and the relationship between Device IDs and MPANs/MPRNs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = InventoryTable(store)

    def add(self, device: Device, db: sqlite3.Connection | None = None) -> None:
        inventory_seed_check(device)
        kept = Device(
            valid_eui64(device.device_id),
            device.device_type,
            device.smets,
            device.s1sp if device.smets == 1 else None,
            device.status,
            device.installation,
            device.mpxn,
        )
        with self.store.within(db) as conn:
            self.table.put(conn, kept)

    def get(self, device_id: str) -> Device | None:
        return self.table.get(device_id)

    def installation(self, device: Device) -> list[Device]:
        """Every device sharing the Communications Hub Function with `device` (one indexed query: the
        cost does not grow with the fleet)."""
        return self.table.installation(device.installation)

    def meter_points(self, device: Device) -> list[str]:
        """The MPAN/MPRN a device relates to: its own, or (CHF, GPF) those of its installation's meters."""
        if device.mpxn:
            return [device.mpxn]
        meters = [d for d in self.installation(device) if d.mpxn]
        if device.device_type is DeviceType.GPF:
            meters = [d for d in meters if d.device_type is DeviceType.GSME]
        return [d.mpxn for d in meters if d.mpxn]

    def activate(self, db: sqlite3.Connection, device_id: str) -> None:
        """The device is enrolled: Active (within the enrolling S1SP's transaction)."""
        self.table.set_status(db, device_id, InstallStatus.ACTIVE)


@dataclass(frozen=True)
class Registry:
    """What the Registration Data check reads: Registration Data and the Smart Metering Inventory."""

    registration: RegistrationData
    inventory: SmartMeteringInventory
