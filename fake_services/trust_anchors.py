"""Trust anchors: the certificate held per device, Remote Party Role and key use.

For a SMETS1 device the S1SP that serves it holds them (as Certificate IDs); a SMETS2 device holds
its own. DS is the Critical cell, KA the Non-Critical one (primer section 4)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from fake_services.core.store import Store
from smki.profile import KeyUse, OrganisationCertificate


@dataclass(frozen=True)
class Anchor:
    role: str
    key_use: KeyUse
    entity_id: str
    certificate_id: str
    pem: str


class TrustAnchors:
    def __init__(self, store: Store) -> None:
        self.store = store

    def held(self, device_id: str, role: str, key_use: KeyUse) -> Anchor | None:
        row = self.store.one(
            "SELECT * FROM trust_anchors WHERE device_id = ? AND role = ? AND key_use = ?",
            device_id,
            role,
            key_use.value,
        )
        return (
            Anchor(row["role"], KeyUse(row["key_use"]), row["entity_id"], row["certificate_id"], row["pem"])
            if row
            else None
        )

    def all_for(self, device_id: str) -> list[Anchor]:
        rows = self.store.all("SELECT * FROM trust_anchors WHERE device_id = ? ORDER BY role, key_use", device_id)
        return [Anchor(r["role"], KeyUse(r["key_use"]), r["entity_id"], r["certificate_id"], r["pem"]) for r in rows]

    @staticmethod
    def place(db: sqlite3.Connection, device_id: str, role: str, cert: OrganisationCertificate) -> None:
        """Put `cert` in the cell for its key use, inside the caller's transaction."""
        if cert.key_use is None:
            raise ValueError("a trust anchor holds a DS or a KA certificate")
        db.execute(
            "INSERT OR REPLACE INTO trust_anchors VALUES (?, ?, ?, ?, ?, ?)",
            (device_id, role, cert.key_use.value, cert.entity_id, cert.certificate_id, cert.pem()),
        )
