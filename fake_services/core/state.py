"""Core's SQL, all of it: the tables every service shares. Settings (MP107's switches, S1SP faults, the
clock's offset), the sandbox's own keys, the DCC's register of Users, the SMKI Repository's certificates and
the request log. No other module runs SQL on these tables."""

from __future__ import annotations

import sqlite3
from typing import Any

from fake_services.core.store import Store


class SettingsTable:
    """Named values a scenario may change (a reset clears them)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, name: str, default: str = "") -> str:
        row = self.store.one("SELECT value FROM settings WHERE name = ?", name)
        return row["value"] if row else default

    def set(self, name: str, value: str) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, value))


class IdentityTable:
    """The sandbox's own keys and certificates, PEM, by name."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, name: str) -> tuple[str, str] | None:
        """(key PEM, certificate PEM), or None."""
        row = self.store.one("SELECT key_pem, cert_pem FROM identity WHERE name = ?", name)
        return (row["key_pem"], row["cert_pem"]) if row else None

    def put(self, name: str, key_pem: str, cert_pem: str) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO identity VALUES (?, ?, ?)", (name, key_pem, cert_pem))


class UserTable:
    """The DCC's register of Users: entity ID, name, User Role."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, entity_id: str, name: str, user_role: str) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?)", (entity_id, name, user_role))

    def get(self, entity_id: str) -> sqlite3.Row | None:
        return self.store.one("SELECT * FROM users WHERE entity_id = ?", entity_id)


class CertificateTable:
    """Every Organisation certificate the sandbox knows, PEM, by issuer and serial."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(
        self, issuer: str, serial: str, entity_id: str, role_code: str | None, key_use: str | None, pem: str
    ) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO certificates VALUES (?, ?, ?, ?, ?, ?)",
                (issuer, serial, entity_id, role_code, key_use, pem),
            )

    def issued_to(self, entity_id: str, role_code: str) -> list[str]:
        """The PEMs issued to `entity_id` in a role, oldest first."""
        rows = self.store.all(
            "SELECT pem FROM certificates WHERE entity_id = ? AND role_code = ? ORDER BY rowid", entity_id, role_code
        )
        return [row["pem"] for row in rows]

    def find(self, issuer: str, serial: str) -> str | None:
        row = self.store.one("SELECT pem FROM certificates WHERE issuer = ? AND serial = ?", issuer, serial)
        return row["pem"] if row else None


class RequestLogTable:
    """The sandbox's evidence of each request a service decided: who sent what, the outcome and the clause."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def write(
        self,
        service: str,
        entry: tuple[str | None, str | None, str | None, str | None],
        outcome: str,
        response_code: str,
        clause: str,
        reason: str,
        db: sqlite3.Connection | None = None,
    ) -> None:
        """`entry` is (request ID, SRV, sender, device ID); written within the caller's transaction `db` when given."""
        with self.store.within(db) as conn:
            conn.execute(
                "INSERT INTO request_log (service, request_id, srv, sender, device_id, outcome,"
                " response_code, clause, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (service, *entry, outcome, response_code, clause, reason),
            )

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.all("SELECT * FROM request_log ORDER BY id")]
