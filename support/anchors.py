"""What a meter holds, read and placed through DUIS as a User would: SRV 6.24.1 'Retrieve Device Security
Credentials (KRP)' by the meter's registered supplier, and SRV 6.15.1 'Update Security Credentials' by the
holder of a certificate. The World observes outcomes with it; an environment arrangement establishes a Given
with it (`support.arrangement.Holding`). Each exchange is kept, in order, as the scenario's evidence: these
are observations and arrangements, not the scenario's own action."""

from __future__ import annotations

from duis.requests import RequestID, ServiceRequest
from duis.srv import RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, SERVICE_REQUEST_VARIANTS
from support.arrangement import Site
from support.verdicts import answered
from user_system.client import DUISClient, Exchange
from user_system.organisations import Organisation

CELLS = {"DigitalSigning": "DS", "KeyAgreement": "KA"}
"""A trust anchor's two cells, by the Certificate Usage 6.24.1 reports them under."""
Cells = dict[str, dict[str, str | None]]
"""Role → cell (DS, KA) → the entity ID whose certificate the meter holds there (None: nothing)."""


class Anchors:
    """One scenario's reads and placements of a meter's certificates (its trust anchors) through DUIS."""

    def __init__(self, duis: DUISClient, certification_path: bytes) -> None:
        self.duis = duis
        self.certification_path = certification_path
        self.exchanges: list[Exchange] = []

    def read(self, roles: tuple[str, ...], device_id: str, reader: Organisation) -> Exchange:
        """SRV 6.24.1 from `reader` (the device's registered supplier): what the device holds in `roles`.
        A read the DCC does not answer with success fails the step (the meter cannot be observed)."""
        request = ServiceRequest(
            RequestID(reader.entity_id, device_id, self.duis.counters.next(reader.entity_id)),
            RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
            remote_party_roles=roles,
        )
        exchange = self.duis.send(request, reader)
        self.exchanges.append(exchange)
        if exchange.response is None or not exchange.response.succeeded:
            raise AssertionError(f"{reader.name} could not read what {device_id} holds: {exchange.reason}")
        return exchange

    def cells(self, roles: tuple[str, ...], device_id: str, reader: Organisation) -> Cells:
        """Whose certificate the device holds in each cell of each of `roles`, read with 6.24.1."""
        response = self.read(roles, device_id, reader).response
        assert response is not None  # `read` has checked it succeeded
        found: Cells = {role: {"DS": None, "KA": None} for role in roles}
        for detail in response.remote_party_details:
            if detail.role in found and detail.usage in CELLS:
                found[detail.role][CELLS[detail.usage]] = detail.entity_id
        return found

    def holders(self, role: str, device_id: str, site: Site) -> dict[str, str | None]:
        """Whose certificate the device of `site` holds in each cell of `role` (read by its registered supplier)."""
        return self.cells((role,), device_id, site.reader(device_id))[role]

    def place(self, sender: Organisation, replacement: Organisation, role: str, device_id: str) -> bool:
        """`sender` places `replacement`'s certificates in `role` with 6.15.1; True if it worked. A DCC that
        gives no DUIS answer at all has failed, not refused: the step fails, the scenario is never skipped."""
        request = ServiceRequest(
            RequestID(sender.entity_id, device_id, self.duis.counters.next(sender.entity_id)),
            SERVICE_REQUEST_VARIANTS["6.15.1"],
            **replacement.as_replacement(role, self.certification_path),
        )
        exchange = self.duis.send(request, sender)
        self.exchanges.append(exchange)
        response = answered(exchange).response
        return response is not None and response.succeeded
