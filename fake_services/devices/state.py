"""Devices' SQL, all of it: the trust anchors each device holds (a SMETS1 device's, as its S1SP holds them)
and the sandbox's record of the alerts meters raised. No other module runs SQL on `trust_anchors` or `alerts`."""

from __future__ import annotations

import sqlite3

from fake_services.core.records import Anchor
from fake_services.core.store import Store
from smki.profile import KeyUse


def _anchor(row: sqlite3.Row) -> Anchor:
    return Anchor(row["role"], KeyUse(row["key_use"]), row["entity_id"], row["certificate_id"], row["pem"])


class TrustAnchorTable:
    """The certificate held per device, Remote Party Role and key use."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, device_id: str, role: str, key_use: KeyUse) -> Anchor | None:
        row = self.store.one(
            "SELECT * FROM trust_anchors WHERE device_id = ? AND role = ? AND key_use = ?",
            device_id,
            role,
            key_use.value,
        )
        return _anchor(row) if row else None

    def of_device(self, device_id: str) -> list[Anchor]:
        rows = self.store.all("SELECT * FROM trust_anchors WHERE device_id = ? ORDER BY role, key_use", device_id)
        return [_anchor(r) for r in rows]

    @staticmethod
    def put(db: sqlite3.Connection, device_id: str, anchor: Anchor) -> None:
        db.execute(
            "INSERT OR REPLACE INTO trust_anchors VALUES (?, ?, ?, ?, ?, ?)",
            (device_id, anchor.role, anchor.key_use.value, anchor.entity_id, anchor.certificate_id, anchor.pem),
        )


class AlertTable:
    """Which alert went to whom, as the sandbox records it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, device_id: str, recipient: str, alert_code: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO alerts (device_id, recipient, alert_code) VALUES (?, ?, ?)",
                (device_id, recipient, alert_code),
            )

    def all(self, recipient: str | None = None) -> list[dict[str, str]]:
        sql = "SELECT device_id, recipient, alert_code, raised_at FROM alerts"
        rows = (
            self.store.all(sql + " WHERE recipient = ? ORDER BY id", recipient)
            if recipient
            else self.store.all(sql + " ORDER BY id")
        )
        return [dict(r) for r in rows]
