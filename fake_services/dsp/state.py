"""The DSP's SQL, all of it: the last counter accepted per Business Originator, the Pre-Commands issued and
awaiting their CV 5, and the commands accepted and routed. No other module runs SQL on `counters`,
`transforms` or `commands`."""

from __future__ import annotations

import sqlite3

from fake_services.core.store import Store


class CounterTable:
    """The last accepted originator counter per Business Originator (DUIS anti-replay)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def last(self, originator: str) -> int | None:
        row = self.store.one("SELECT last_counter FROM counters WHERE originator = ?", originator)
        return int(row["last_counter"]) if row else None

    @staticmethod
    def last_in(db: sqlite3.Connection, originator: str) -> int | None:
        """The last counter as the caller's transaction sees it."""
        row = db.execute("SELECT last_counter FROM counters WHERE originator = ?", (originator,)).fetchone()
        return int(row["last_counter"]) if row else None

    @staticmethod
    def put(db: sqlite3.Connection, originator: str, counter: int) -> None:
        db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (originator, str(counter)))


class TransformTable:
    """The Pre-Commands issued, by RequestID: the sender, when (the sandbox's clock, epoch seconds), the CV 4
    request and the Pre-Command."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(
        self,
        request_id: str,
        sender: str,
        issued_at: float,
        request_xml: bytes,
        payload: bytes,
        keep: tuple[float, int],
    ) -> None:
        """Record an issued Pre-Command, forgetting in the same transaction those issued before `keep[0]` and
        the sender's oldest beyond its latest `keep[1]`."""
        issued_since, per_sender = keep
        with self.store.transaction() as db:
            db.execute("DELETE FROM transforms WHERE issued_at < ?", (issued_since,))
            db.execute(
                "INSERT OR REPLACE INTO transforms (request_id, sender, issued_at, request_xml, payload)"
                " VALUES (?, ?, ?, ?, ?)",
                (request_id, sender, issued_at, request_xml, payload),
            )
            db.execute(
                "DELETE FROM transforms WHERE sender = ? AND rowid NOT IN (SELECT rowid FROM transforms"
                " WHERE sender = ? ORDER BY issued_at DESC, rowid DESC LIMIT ?)",
                (sender, sender, per_sender),
            )

    def get(self, request_id: str) -> sqlite3.Row | None:
        """(request_xml, payload, issued_at), or None."""
        return self.store.one("SELECT request_xml, payload, issued_at FROM transforms WHERE request_id = ?", request_id)

    @staticmethod
    def delete(db: sqlite3.Connection, request_id: str) -> None:
        db.execute("DELETE FROM transforms WHERE request_id = ?", (request_id,))


class CommandTable:
    """The commands the DSP accepted, kept until routed (a restart loses nothing), and how each was answered."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def accept(
        db: sqlite3.Connection,
        request_id: str,
        sender: str,
        request_xml: bytes,
        signed_pre_command: bytes | None,
        verdict: tuple[str, str],
    ) -> None:
        """`verdict` is (clause tag, reason) of the check that let it through."""
        db.execute(
            "INSERT OR REPLACE INTO commands (request_id, sender, request_xml, signed_pre_command, verdict_clause,"
            " verdict_reason, state) VALUES (?, ?, ?, ?, ?, ?, 'accepted')",
            (request_id, sender, request_xml, signed_pre_command, *verdict),
        )

    @staticmethod
    def routed(db: sqlite3.Connection, request_id: str, response_code: str) -> None:
        db.execute(
            "UPDATE commands SET state = 'routed', response_code = ? WHERE request_id = ?", (response_code, request_id)
        )

    def unrouted(self) -> list[str]:
        """The RequestIDs accepted and not yet routed, in the order accepted."""
        rows = self.store.all("SELECT request_id FROM commands WHERE state = 'accepted' ORDER BY rowid")
        return [r["request_id"] for r in rows]

    def get(self, request_id: str) -> sqlite3.Row | None:
        return self.store.one("SELECT * FROM commands WHERE request_id = ?", request_id)
