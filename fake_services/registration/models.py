"""Registration Data and the Smart Metering Inventory as the other services use them: seed data checked
where it is created (check digits, EUI-64s: DUIS requests are never rejected for them, primer section 3),
then kept through the service's state; and the `Registry` that hands the Registration Data check what it
reads."""

from __future__ import annotations

import sqlite3

from duis.srv import UserRole
from fake_services.core.records import Device, InstallStatus, valid_eui64
from fake_services.core.store import Store
from fake_services.registration.checks import inventory_seed_check, meter_points, valid_mpan, valid_mprn
from fake_services.registration.state import RegistryState


class RegistrationData:
    """MPAN → Electricity Distributor and Import Supplier; MPRN → Gas Transporter and Gas Supplier."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.state = RegistryState(store)

    def register_mpan(
        self, core: str, electricity_distributor: str, import_supplier: str, db: sqlite3.Connection | None = None
    ) -> None:
        row = (valid_mpan(core), valid_eui64(electricity_distributor), valid_eui64(import_supplier))
        with self.store.within(db) as conn:
            self.state.put_mpan(conn, *row)

    def register_mprn(
        self, mprn: str, gas_transporter: str, gas_supplier: str, db: sqlite3.Connection | None = None
    ) -> None:
        row = (valid_mprn(mprn), valid_eui64(gas_transporter), valid_eui64(gas_supplier))
        with self.store.within(db) as conn:
            self.state.put_mprn(conn, *row)

    def registered_parties(self, mpxn: str | None) -> dict[UserRole, str]:
        """The registered party per User Role for one MPAN or MPRN."""
        return self.state.parties(mpxn) if mpxn else {}


class SmartMeteringInventory:
    """Devices and the relationship between Device IDs and MPANs/MPRNs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.state = RegistryState(store)

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
            self.state.put_device(conn, kept)

    def get(self, device_id: str) -> Device | None:
        return self.state.device(device_id)

    def installation(self, device: Device) -> list[Device]:
        """Every device sharing the Communications Hub Function with `device`."""
        return self.state.installation(device)

    def meter_points(self, device: Device) -> list[str]:
        """The MPAN/MPRN a device relates to: its own, or (CHF, GPF) those of its installation's meters."""
        return meter_points(device, self.state)

    def activate(self, db: sqlite3.Connection, device_id: str) -> None:
        """The device is enrolled: Active (within the enrolling S1SP's transaction)."""
        self.state.set_status(db, device_id, InstallStatus.ACTIVE)


class Registry:
    """Registration Data and the Smart Metering Inventory together, and `view`: what the Registration Data
    check reads (the service's state, as records: reading applies no rule)."""

    def __init__(self, registration: RegistrationData, inventory: SmartMeteringInventory) -> None:
        self.registration = registration
        self.inventory = inventory
        self.view = RegistryState(inventory.store)
