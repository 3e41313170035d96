"""Registration Data's and the Smart Metering Inventory's SQL, all of it: no other module runs SQL on the
`registration_mpan`, `registration_mprn` and `devices` tables."""

from __future__ import annotations

import sqlite3

from fake_services.core.records import Device, DeviceType, InstallStatus
from fake_services.core.store import Store

INSTALLATION_QUERY = "SELECT * FROM devices WHERE installation = ?"
"""Every device of one installation: answered from the `devices_by_installation` index."""


class RegistrationTable:
    """MPAN → Electricity Distributor and Import Supplier; MPRN → Gas Transporter and Gas Supplier."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put_mpan(self, db: sqlite3.Connection, mpan: str, distributor: str, supplier: str) -> None:
        db.execute("INSERT OR REPLACE INTO registration_mpan VALUES (?, ?, ?)", (mpan, distributor, supplier))

    def put_mprn(self, db: sqlite3.Connection, mprn: str, transporter: str, supplier: str) -> None:
        db.execute("INSERT OR REPLACE INTO registration_mprn VALUES (?, ?, ?)", (mprn, transporter, supplier))

    def mpan(self, mpan: str) -> sqlite3.Row | None:
        return self.store.one("SELECT * FROM registration_mpan WHERE mpan = ?", mpan)

    def mprn(self, mprn: str) -> sqlite3.Row | None:
        return self.store.one("SELECT * FROM registration_mprn WHERE mprn = ?", mprn)


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


class InventoryTable:
    """The Smart Metering Inventory's devices."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, db: sqlite3.Connection, device: Device) -> None:
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

    def get(self, device_id: str) -> Device | None:
        row = self.store.one("SELECT * FROM devices WHERE device_id = ?", device_id)
        return _device(row) if row is not None else None

    def installation(self, installation: str) -> list[Device]:
        return [_device(row) for row in self.store.all(INSTALLATION_QUERY, installation)]

    def set_status(self, db: sqlite3.Connection, device_id: str, status: InstallStatus) -> None:
        db.execute("UPDATE devices SET status = ? WHERE device_id = ?", (status.value, device_id))
