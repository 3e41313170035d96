"""What the fake-service tests share: the cast, requests, and the sandbox as its own process. Seeding
itself is `support.seeding`, the one module every harness uses."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue import Clause
from duis.messages import RequestID, ServiceRequest
from duis.srv import SERVICE_REQUEST_VARIANTS, ServiceReferenceVariant, UserRole
from fake_services.sandbox import S1SP_NAMES
from support.control_client import ControlClient
from support.duis_client import DUISClient, Exchange
from support.organisations import Organisation
from support.seeding import Installation, Parties, Roster, seed_installation, set_mp107


@dataclass
class Cast:
    """The organisations every test can use."""

    western: Organisation  # Electricity Distributor, registered for the meter
    eastern: Organisation  # Electricity Distributor whose certificate is wrongly held
    northern: Organisation  # a third Electricity Distributor
    gas_transporter: Organisation
    other_gas_transporter: Organisation
    supplier: Organisation  # Import Supplier
    gas_supplier: Organisation
    other_user: Organisation
    acb: Organisation  # the sandbox's own Access Control Broker


def enrol_cast(control: ControlClient, receive_url: str | None = None) -> Cast:
    """Enrol the cast in the sandbox behind `control` (keys made here, certified by its test SMKI), each
    delivered to at `receive_url` (the tests' Receive Response Service) when given."""
    roster = Roster(control, receive_url)
    return Cast(
        western=roster.ensure("Western Power", UserRole.ELECTRICITY_DISTRIBUTOR),
        eastern=roster.ensure("Eastern Networks", UserRole.ELECTRICITY_DISTRIBUTOR),
        northern=roster.ensure("Northern Grid", UserRole.ELECTRICITY_DISTRIBUTOR),
        gas_transporter=roster.ensure("Cadent Gas", UserRole.GAS_TRANSPORTER),
        other_gas_transporter=roster.ensure("Wales Gas", UserRole.GAS_TRANSPORTER),
        supplier=roster.ensure("Bright Energy", UserRole.IMPORT_SUPPLIER),
        gas_supplier=roster.ensure("Flame Gas Supply", UserRole.GAS_SUPPLIER),
        other_user=roster.ensure("Meter Insights", UserRole.OTHER_USER),
        acb=roster.acb(),
    )


def standard_installation(
    control: ControlClient,
    cast: Cast,
    *,
    distributor: Organisation | None = None,
    supplier: Organisation | None = None,
    no_certificate_holder: Organisation | None = None,
    gas_no_holder: Organisation | None = None,
    smets: int = 1,
    s1sp: str = "S1SP1",
) -> Installation:
    """An installation as enrolment leaves it, seeded by `support.seeding`: the cast's registered parties
    hold the certificates (Western Power registered and holding the Network Operator certificate),
    unless another Network Operator's are said to be held on the electricity or gas meter."""
    parties = Parties(
        distributor or cast.western, supplier or cast.supplier, cast.gas_transporter, cast.gas_supplier, cast.acb
    )
    holders = {k: v for k, v in (("ESME", no_certificate_holder), ("GSME", gas_no_holder)) if v is not None}
    return seed_installation(control, parties, smets=smets, s1sp=s1sp, network_operator_holders=holders)


def ca_der(control: ControlClient) -> bytes:
    return control.issuing_ca_der


def krp_request(
    duis: DUISClient,
    control: ControlClient,
    sender: Organisation,
    device_id: str,
    replacement: Organisation,
    role: str = "NetworkOperator",
    **overrides,
) -> ServiceRequest:
    """SRV 6.15.1 from `sender` placing `replacement`'s certificates in `role` on the device (unsent)."""
    fields = replacement.as_replacement(role, ca_der(control)) | overrides
    return ServiceRequest(
        RequestID(sender.entity_id, device_id, duis.counters.next(sender.entity_id)),
        SERVICE_REQUEST_VARIANTS["6.15.1"],
        **fields,
    )


def krp_update(
    duis: DUISClient,
    control: ControlClient,
    sender: Organisation,
    device_id: str,
    replacement: Organisation,
    role: str = "NetworkOperator",
) -> Exchange:
    """SRV 6.15.1 from `sender` placing `replacement`'s certificates in `role` on the device."""
    return duis.send(krp_request(duis, control, sender, device_id, replacement, role), sender)


def request_to(
    duis: DUISClient, sender: Organisation, device_id: str, srv: ServiceReferenceVariant, **body
) -> ServiceRequest:
    """A request from `sender` to the device with the sender's next counter (unsent)."""
    return ServiceRequest(RequestID(sender.entity_id, device_id, duis.counters.next(sender.entity_id)), srv, **body)


def simple_request(
    duis: DUISClient, sender: Organisation, device_id: str, srv: ServiceReferenceVariant, **body
) -> Exchange:
    return duis.send(request_to(duis, sender, device_id, srv, **body), sender)


def assert_decided_by(exchange: Exchange, *clauses: Clause) -> None:
    """The sandbox names exactly these catalogue entries, in this order, as what decided the exchange
    (`X-DUIS-Clause`: their display forms, comma-separated, and nothing else)."""
    assert exchange.decided_by == clauses, f"{exchange.clause!r}: {exchange.reason}"
    assert exchange.clause == ", ".join(clause.display for clause in clauses), exchange.reason


def enable_mp107(control: ControlClient, s1sps: tuple[str, ...] = S1SP_NAMES) -> None:
    """The DSP feature switch on, and each named S1SP's own enablement (PIA 3.2)."""
    set_mp107(control, True, s1sps)


def holder_of(control: ControlClient, device_id: str, role: str = "NetworkOperator", key_use: str = "DS") -> str:
    return next(
        a["entity_id"] for a in control.trust_anchors(device_id) if a["role"] == role and a["key_use"] == key_use
    )


# --- the sandbox as its own process: `support.sandbox_process` (the benchmarks use it too) -----------
