"""Registration Data's and the Smart Metering Inventory's SQL, all of it: no other module runs SQL on the
`registration_mpan`, `registration_mprn` and `devices` tables.

`RegistryState` is also what the Registration Data check reads (`checks.RegistryView`): the registered
parties of a meter point, a device, and the devices of its installation, as plain records."""

from __future__ import annotations

import sqlite3

from duis.srv import UserRole
from fake_services.core.records import Device, DeviceType, InstallStatus
from fake_services.core.store import Store

INSTALLATION_QUERY = "SELECT * FROM devices WHERE installation = ?"
"""Every device of one installation: answered from the `devices_by_installation` index."""


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


class RegistryState:
    """MPAN → Electricity Distributor and Import Supplier; MPRN → Gas Transporter and Gas Supplier; and the
    Smart Metering Inventory's devices."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- Registration Data ---------------------------------------------------------------------------------
    @staticmethod
    def put_mpan(db: sqlite3.Connection, mpan: str, distributor: str, supplier: str) -> None:
        db.execute("INSERT OR REPLACE INTO registration_mpan VALUES (?, ?, ?)", (mpan, distributor, supplier))

    @staticmethod
    def put_mprn(db: sqlite3.Connection, mprn: str, transporter: str, supplier: str) -> None:
        db.execute("INSERT OR REPLACE INTO registration_mprn VALUES (?, ?, ?)", (mprn, transporter, supplier))

    def parties(self, mpxn: str) -> dict[UserRole, str]:
        """The registered party per User Role for one MPAN or MPRN ({} when it is not registered)."""
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

    # --- the Smart Metering Inventory ----------------------------------------------------------------------
    @staticmethod
    def put_device(db: sqlite3.Connection, device: Device) -> None:
        db.execute(
            "INSERT OR REPLACE INTO devices VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                device.device_id,
                device.device_type.value,
                device.smets,
                device.s1sp,
                device.status.value,
                device.installation,
                device.mpxn,
            ),
        )

    def device(self, device_id: str) -> Device | None:
        row = self.store.one("SELECT * FROM devices WHERE device_id = ?", device_id)
        return _device(row) if row is not None else None

    def installation(self, device: Device) -> list[Device]:
        """Every device sharing the Communications Hub Function with `device` (one indexed query: the
        cost does not grow with the fleet)."""
        return [_device(row) for row in self.store.all(INSTALLATION_QUERY, device.installation)]

    @staticmethod
    def set_status(db: sqlite3.Connection, device_id: str, status: InstallStatus) -> None:
        db.execute("UPDATE devices SET status = ? WHERE device_id = ?", (status.value, device_id))
