"""Registration Data at the scale of a fleet: the lookups the DSP makes per request do not grow with it."""

from __future__ import annotations

import sqlite3

from fake_services.core.store import SCHEMA
from fake_services.registration.state import INSTALLATION_QUERY


def test_finding_an_installation_uses_its_index_not_a_scan_of_the_fleet() -> None:
    """8.12.2 to a GPF reads the GPF's installation (SRPD 6.2(b)); with 50,000 devices a scan grew it
    from 7.5 to 12.4 ms. The query must be answered from the installation index."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO devices VALUES (?, 'CHF', 1, 'S1SP1', 'Active', ?, NULL)",
        ((f"00-DB-FF-00-{i >> 16:02X}-{i >> 8 & 255:02X}-{i & 255:02X}-01", f"hub-{i}") for i in range(50_000)),
    )
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + INSTALLATION_QUERY, ("hub-7",)))
    assert "USING INDEX devices_by_installation" in plan, plan
    assert "SCAN" not in plan, plan
    assert len(db.execute(INSTALLATION_QUERY, ("hub-7",)).fetchall()) == 1
