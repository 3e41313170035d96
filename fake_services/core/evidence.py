"""The sandbox's evidence beside a DUIS answer (no DCC system sends it): the clauses that decided it and the
reason, carried in X-DUIS-Clause / X-DUIS-Reason headers on every answer, delivery and S1SP reply; and the
DSP's deadline on its requests to an S1SP. Names and values only: no HTTP server or client here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from catalogue import Clause

CLAUSE_HEADER = "X-DUIS-Clause"
"""Sandbox evidence beside a DUIS answer: the catalogue clauses that decided it (display forms)."""
REASON_HEADER = "X-DUIS-Reason"
"""Sandbox evidence beside a DUIS answer: the deciding reason, in words."""
DEADLINE_HEADER = "X-DSP-Deadline"
"""On the DSP's requests to an S1SP: epoch seconds by which the S1SP must have committed, or not commit
at all (deadline propagation: a DSP that has given up waiting never leaves a change half-reported)."""


def header_safe(value: str) -> str:
    """A value fit for an HTTP header: Latin-1, one line, bounded."""
    return value.encode("latin-1", "replace").decode("latin-1").replace("\r", " ").replace("\n", " ")[:500]


@dataclass(frozen=True)
class Evidence:
    """What decided a DUIS answer: the clauses, and the reason in words."""

    decided_by: Iterable[Clause]
    reason: str

    def headers(self) -> dict[str, str]:
        return {
            CLAUSE_HEADER: header_safe(", ".join(c.display for c in self.decided_by)),
            REASON_HEADER: header_safe(self.reason),
        }
