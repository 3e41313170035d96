"""Delivery's SQL, all of it: where each User's Receive Response Service listens, and the queue of messages to
deliver with each one's state, attempts and outcome. No other module runs SQL on `receive_addresses` or
`deliveries`."""

from __future__ import annotations

import sqlite3
from typing import Any

from fake_services.core.store import Store

PENDING = "pending"
DELIVERED = "delivered"
REFUSED = "refused"
GIVEN_UP = "given_up"
STATES = (PENDING, DELIVERED, REFUSED, GIVEN_UP)

_COLUMNS = (
    "id, user_id, request_id, kind, state, attempts, last_error, delivered_at, next_attempt_at, "
    "http_status, response_body, enqueued_at"
)


class AddressTable:
    """Each User's Receive Response Service address (kept across scenario resets: not a scenario table)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, user_id: str, url: str) -> bool:
        """Record (or replace) the address; True when the User had none."""
        with self.store.transaction() as db:
            existed = db.execute("SELECT 1 FROM receive_addresses WHERE user_id = ?", (user_id,)).fetchone()
            db.execute("INSERT OR REPLACE INTO receive_addresses (user_id, url) VALUES (?, ?)", (user_id, url))
        return existed is None

    def get(self, user_id: str) -> str | None:
        row = self.store.one("SELECT url FROM receive_addresses WHERE user_id = ?", user_id)
        return row["url"] if row else None

    def all(self) -> dict[str, str]:
        return {r["user_id"]: r["url"] for r in self.store.all("SELECT user_id, url FROM receive_addresses")}


class DeliveryTable:
    """The queue: one row per message, in the order queued."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def add(
        db: sqlite3.Connection, user_id: str, request_id: str | None, kind: str, body: bytes, due: float, evidence: str
    ) -> int:
        cursor = db.execute(
            "INSERT INTO deliveries (user_id, request_id, kind, body, next_attempt_at, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, request_id, kind, body, due, evidence),
        )
        return int(cursor.lastrowid or 0)

    def listing(self, user_id: str | None = None, state: str | None = None) -> list[sqlite3.Row]:
        """The queue in the order it was filled (never the bodies), optionally one User's and/or one state's."""
        where, args = [], []
        if user_id is not None:
            where.append("user_id = ?")
            args.append(user_id)
        if state is not None:
            where.append("state = ?")
            args.append(state)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self.store.all(f"SELECT {_COLUMNS} FROM deliveries{clause} ORDER BY id", *args)  # noqa: S608

    def body(self, delivery_id: int) -> bytes | None:
        row = self.store.one("SELECT body FROM deliveries WHERE id = ?", delivery_id)
        return bytes(row["body"]) if row else None

    def hurry(self, now: float, user_id: str | None = None) -> None:
        """Make pending messages due now: one User's, or every one due later (a restart)."""
        with self.store.transaction() as db:
            if user_id is not None:
                db.execute(
                    "UPDATE deliveries SET next_attempt_at = ? WHERE state = ? AND user_id = ?",
                    (now, PENDING, user_id),
                )
            else:
                db.execute(
                    "UPDATE deliveries SET next_attempt_at = ? WHERE state = ? AND next_attempt_at > ?",
                    (now, PENDING, now),
                )

    def count_pending(self) -> int:
        row = self.store.one("SELECT COUNT(*) AS n FROM deliveries WHERE state = ?", PENDING)
        return int(row["n"]) if row else 0

    def heads(self) -> list[sqlite3.Row]:
        """Each User's oldest pending message (user_id, next_attempt_at)."""
        return self.store.all(
            "SELECT d.user_id, d.next_attempt_at FROM deliveries d JOIN "
            "(SELECT user_id, MIN(id) AS id FROM deliveries WHERE state = ? GROUP BY user_id) h ON d.id = h.id",
            PENDING,
        )

    def head(self, user_id: str) -> sqlite3.Row | None:
        """The User's oldest pending message, read afresh, with what an attempt needs."""
        return self.store.one(
            "SELECT id, body, evidence, attempts, next_attempt_at, enqueued_at FROM deliveries "
            "WHERE user_id = ? AND state = ? "
            "ORDER BY id LIMIT 1",
            user_id,
            PENDING,
        )

    def record(self, delivery_id: int, changes: dict[str, Any]) -> None:
        """Write an attempt's outcome, only if the message is still pending: a scenario reset that emptied the
        queue during the POST leaves nothing to update, and nothing is brought back."""
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self.store.transaction() as db:
            db.execute(
                f"UPDATE deliveries SET {assignments} WHERE id = ? AND state = ?",  # noqa: S608 - fixed columns
                (*changes.values(), delivery_id, PENDING),
            )
