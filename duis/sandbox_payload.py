"""The sandbox's stand-in for a SMETS2 device's 6.24.1 answer. A real SMETS2 device answers with a GBCS payload
(CS02a, ASN.1) that the User parses; the sandbox's is not GBCS: the marker `SANDBOX_CS02A`, then one
`role usage entity-id hash-hex` line per trust-anchor cell (the sandbox's choice, so that a User reads what a
SMETS2 meter holds through DUIS as it does for SMETS1). Both sides of the sandbox's interface speak it: the
sandbox writes it (`fake_services.dsp.outcomes`), a User reads it (`duis.responses.ServiceResponse`), so it
lives here, below both, apart from the DUIS messages themselves; from a real DCC it is never read (an answer
without the marker reads as no cells)."""

from __future__ import annotations

from duis.smets1 import RemotePartyDetail

SANDBOX_CS02A = b"MP107-SANDBOX CS02a\n"
"""A SMETS2 device answers 6.24.1 with a GBCS payload (CS02a, ASN.1) that the User parses. The sandbox's
payload is not GBCS: this marker, then one `role usage entity-id hash-hex` line per cell (the sandbox's
choice, so a User can read what a SMETS2 meter holds through DUIS as it does for SMETS1)."""


def sandbox_credentials_payload(details: list[RemotePartyDetail]) -> bytes:
    """The payload a SMETS2 device of the sandbox answers 6.24.1 with."""
    lines = (f"{d.role} {d.usage} {d.entity_id} {d.certificate_hash.hex()}" for d in details)
    return SANDBOX_CS02A + "\n".join(lines).encode()


def read_sandbox_credentials_payload(payload: bytes | None) -> tuple[RemotePartyDetail, ...]:
    """The cells a sandbox payload carries; () for any other payload (a real device's GBCS, or none)."""
    if not payload or not payload.startswith(SANDBOX_CS02A):
        return ()
    details = []
    for line in payload[len(SANDBOX_CS02A) :].decode().splitlines():
        role, usage, entity_id, digest = line.split()
        details.append(RemotePartyDetail(role, usage, entity_id, bytes.fromhex(digest)))
    return tuple(details)
