"""An S1SP's SQL, all of it: the answers it has given (so the same request again is answered the same way)
and the future-dated commands it has scheduled. No other module runs SQL on `s1sp_answers` or
`future_dated`; each S1SP reads and writes only its own rows."""

from __future__ import annotations

import sqlite3

from fake_services.core.store import Store


class S1SPState:
    """One S1SP's rows."""

    def __init__(self, store: Store, s1sp: str) -> None:
        self.store = store
        self.s1sp = s1sp

    # --- the answers given --------------------------------------------------------------------------------
    def answer(self, request_id: str) -> sqlite3.Row | None:
        """(answer, accepted, reason) given to this RequestID before, if any."""
        return self.store.one(
            "SELECT answer, accepted, reason FROM s1sp_answers WHERE s1sp = ? AND request_id = ?",
            self.s1sp,
            request_id,
        )

    def remember(self, db: sqlite3.Connection, request_id: str, answer: bytes, accepted: bool, reason: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO s1sp_answers (s1sp, request_id, answer, accepted, reason) VALUES (?, ?, ?, ?, ?)",
            (self.s1sp, request_id, answer, int(accepted), reason),
        )

    # --- future-dated commands --------------------------------------------------------------------------
    def schedule(self, request_id: str, device_id: str, role: str, due: str, request_xml: bytes) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO future_dated (request_id, s1sp, device_id, role, due, request_xml)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (request_id, self.s1sp, device_id, role, due, request_xml),
            )

    def cancel(self, device_id: str, role: str) -> int:
        """Drop what is pending for the device and role; returns how many."""
        with self.store.transaction() as db:
            return db.execute(
                "DELETE FROM future_dated WHERE s1sp = ? AND device_id = ? AND role = ?",
                (self.s1sp, device_id, role),
            ).rowcount

    def due(self, now: str) -> list[sqlite3.Row]:
        """(request_id, request_xml) of the commands due by `now` (ISO 8601, UTC), soonest first."""
        return self.store.all(
            "SELECT request_id, request_xml FROM future_dated WHERE s1sp = ? AND due <= ? ORDER BY due",
            self.s1sp,
            now,
        )

    @staticmethod
    def unschedule(db: sqlite3.Connection, request_id: str) -> None:
        db.execute("DELETE FROM future_dated WHERE request_id = ?", (request_id,))
