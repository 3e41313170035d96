"""Sandbox state in SQLite (standard library): in memory for a test run, a file for standalone use.

One connection guarded by a lock: every accepted change is applied in one transaction, and a
rejected request changes nothing. The store is plumbing: the one database's schema, its transactions,
the reset between scenarios and a fingerprint of its state; the SQL on each table lives in the `state.py`
of the service that owns it (core's own tables in `fake_services.core.state`)."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    entity_id TEXT PRIMARY KEY, name TEXT NOT NULL, user_role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (
    issuer TEXT NOT NULL, serial TEXT NOT NULL, entity_id TEXT NOT NULL, role_code TEXT,
    key_use TEXT, pem TEXT NOT NULL, PRIMARY KEY (issuer, serial));
CREATE TABLE IF NOT EXISTS registration_mpan (
    mpan TEXT PRIMARY KEY, electricity_distributor TEXT NOT NULL, import_supplier TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registration_mprn (
    mprn TEXT PRIMARY KEY, gas_transporter TEXT NOT NULL, gas_supplier TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, device_type TEXT NOT NULL, smets INTEGER NOT NULL,
    s1sp TEXT, status TEXT NOT NULL, installation TEXT NOT NULL, mpxn TEXT);
CREATE TABLE IF NOT EXISTS trust_anchors (
    device_id TEXT NOT NULL, role TEXT NOT NULL, key_use TEXT NOT NULL, entity_id TEXT NOT NULL,
    certificate_id TEXT NOT NULL, pem TEXT NOT NULL, PRIMARY KEY (device_id, role, key_use));
CREATE TABLE IF NOT EXISTS counters (originator TEXT PRIMARY KEY, last_counter TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, recipient TEXT NOT NULL,
    alert_code TEXT NOT NULL, raised_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE TABLE IF NOT EXISTS identity (
    name TEXT PRIMARY KEY, key_pem TEXT NOT NULL, cert_pem TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enrolment (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, device_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    service TEXT NOT NULL, request_id TEXT, srv TEXT, sender TEXT, device_id TEXT,
    outcome TEXT NOT NULL, response_code TEXT, clause TEXT, reason TEXT);
CREATE INDEX IF NOT EXISTS devices_by_installation ON devices (installation);
CREATE TABLE IF NOT EXISTS receive_addresses (user_id TEXT PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, request_id TEXT, kind TEXT NOT NULL,
    body BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, next_attempt_at REAL NOT NULL, http_status INTEGER, response_body TEXT,
    enqueued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), delivered_at TEXT,
    evidence TEXT);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, user_id, id);
CREATE TABLE IF NOT EXISTS transforms (
    request_id TEXT PRIMARY KEY, sender TEXT NOT NULL, issued_at REAL NOT NULL, request_xml BLOB NOT NULL,
    payload BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS transforms_by_sender ON transforms (sender, issued_at);
CREATE TABLE IF NOT EXISTS commands (
    request_id TEXT PRIMARY KEY, sender TEXT NOT NULL, request_xml BLOB NOT NULL, signed_pre_command BLOB,
    verdict_clause TEXT NOT NULL, verdict_reason TEXT NOT NULL, state TEXT NOT NULL, response_code TEXT);
CREATE TABLE IF NOT EXISTS s1sp_answers (
    s1sp TEXT NOT NULL, request_id TEXT NOT NULL, answer BLOB NOT NULL, accepted INTEGER NOT NULL, reason TEXT,
    PRIMARY KEY (s1sp, request_id));
CREATE TABLE IF NOT EXISTS future_dated (
    request_id TEXT PRIMARY KEY, s1sp TEXT NOT NULL, device_id TEXT NOT NULL, role TEXT NOT NULL, due TEXT NOT NULL,
    request_xml BLOB NOT NULL);
"""

# What a scenario may change; users, their receiving addresses and SMKI certificates outlive a reset
# (keys are made once).
SCENARIO_TABLES = (
    "registration_mpan",
    "registration_mprn",
    "devices",
    "trust_anchors",
    "counters",
    "settings",
    "alerts",
    "request_log",
    "deliveries",
    "transforms",
    "commands",
    "s1sp_answers",
    "future_dated",
)

RECORDS = frozenset({"request_log", "deliveries", "transforms", "commands", "s1sp_answers", "sqlite_sequence"})
"""Records of what crossed the interfaces, not state a request may change: left out of the fingerprint
(a delivery's attempts move on in the background; an issued Pre-Command changes no meter)."""


class Store:
    """The sandbox database. `":memory:"` for a test run, a path for standalone use."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(transforms)")}
        if columns and "issued_at" not in columns:  # a database from before Pre-Commands expired
            self._db.execute("DROP TABLE transforms")  # what awaited a CV 5 there is forgotten, as if expired
        self._db.executescript(SCHEMA)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: commits on success, rolls back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def within(self, db: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        """The caller's transaction when it has one (several writes made as one), else a new one."""
        if db is not None:
            yield db
        else:
            with self.transaction() as fresh:
                yield fresh

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def reset_scenario(self) -> None:
        """Forget everything a scenario set up, keep organisations and their certificates."""
        with self.transaction() as db:
            for table in SCENARIO_TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def state(self, leave_out: frozenset[str] = frozenset()) -> dict[str, list[str]]:
        """Everything a request may change (all state but the records), table by table, each table's rows
        sorted; `leave_out` names more tables to leave out (e.g. the originator counters, which a request
        the DSP accepted and an S1SP then refused does use up)."""
        with self._lock:
            tables = [
                t for (t,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            ]
            return {
                table: sorted(repr(tuple(row)) for row in self._db.execute(f"SELECT * FROM {table}"))  # noqa: S608
                for table in tables
                if table not in RECORDS and table not in leave_out
            }

    def fingerprint(self) -> str:
        """A digest of everything a request may change (`state`): equal before and after means a request
        changed nothing."""
        digest = hashlib.sha256()
        for table, rows in self.state().items():
            digest.update(table.encode())
            for row in rows:
                digest.update(row.encode())
        return digest.hexdigest()

    def close(self) -> None:
        with self._lock:
            self._db.close()
