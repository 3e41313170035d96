"""Enrolment's SQL, all of it: the Migration Authorisations and Dormant Meter Migration Notifications the
Migration Control Centre holds. No other module runs SQL on `enrolment`."""

from __future__ import annotations

import json
from typing import Any

from fake_services.core.store import Store

MIGRATION_AUTHORISATION = "migration-authorisation"
DORMANT_NOTIFICATION = "dormant-notification"


class EnrolmentTable:
    """Each record by id and kind, with its device and its data (JSON)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, kind: str, record_id: str, device_id: str, data: dict[str, Any]) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO enrolment (id, kind, device_id, data) VALUES (?, ?, ?, ?)",
                (record_id, kind, device_id, json.dumps(data)),
            )

    def get(self, kind: str, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """(device ID, data), or None."""
        row = self.store.one("SELECT device_id, data FROM enrolment WHERE id = ? AND kind = ?", record_id, kind)
        return (row["device_id"], json.loads(row["data"])) if row else None
