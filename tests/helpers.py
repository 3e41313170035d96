"""What the fake-service tests share: the cast, requests, and the sandbox as its own process. Seeding
itself is `support.seeding`, the one module every harness uses."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import SimpleNamespace

from cryptography.hazmat.primitives.asymmetric import ec

from catalogue import Clause
from duis.requests import RequestID, ServiceRequest
from duis.srv import SERVICE_REQUEST_VARIANTS, ServiceReferenceVariant, UserRole
from fake_services.core.signer import ServiceSigner
from fake_services.sandbox import S1SP_NAMES
from smki.authority import TestSMKI
from smki.profile import KeyUse, RemotePartyRole
from support import test_data
from support.arrangement import Site
from support.control_client import ControlClient
from support.seeding import Installation, Parties, Roster, enrol, seed_installation, set_mp107
from support.world import World
from support.world_clients import MeterEventsClient
from user_system.client import DUISClient, Exchange, SigningIdentity
from user_system.organisations import Organisation
from user_system.receiver import Receiver
from user_system.system import UserSystem


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


@dataclass(frozen=True)
class SignedAs:
    """A `Sender` for tests that sign as no User's own system would: any identity for the DUIS envelope
    and any key for the Pre-Command (a User is an `Organisation`, whose keys are its own)."""

    identity: SigningIdentity
    device_signing_key: ec.EllipticCurvePrivateKey


def transform(request: ServiceRequest) -> ServiceRequest:
    """A Critical request as the Transform service takes it: Command Variant 4."""
    return replace(request, command_variant=4)


def another_client(system: UserSystem) -> DUISClient:
    """One more DUIS client of the same User system (e.g. one per thread): its own HTTP session, the same
    counters, waiting at the same Receive Response Service and trusting the same DCC signatures."""

    client = DUISClient(
        system.duis.dsp_url,
        awaiter=system.answer,
        verifier=system.signatures.verify,
        answer_timeout=system.duis.answer_timeout,
    )
    client.counters = system.duis.counters
    return client


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


def new_user(control: ControlClient, receive_url: str, name: str, role: UserRole) -> Organisation:
    """A DCC User of its own (not in the cast), enrolled with its certificates and delivered to at
    `receive_url` (the tests' Receive Response Service)."""
    organisation = enrol(Organisation(name, role, test_data.entity_id()), control)
    control.set_receive_address(organisation.entity_id, receive_url)
    return organisation


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


def alert_recipient(meters: MeterEventsClient, control: ControlClient, device_id: str) -> str | None:
    """The meter raises an alert for its Network Operator; whom the S1SP sent it to (the sandbox's own
    record, read from its Control API: these are the fakes' tests, not the suite's judgement)."""
    before = len(control.alerts())
    meters.raise_alert(device_id)
    new = control.alerts()[before:]
    return new[-1]["recipient"] if new else None


def dcc_signer(smki: TestSMKI, entity_id: str, name: str) -> ServiceSigner:
    """A DCC system's XML-signing identity (role 137), certified by `smki`: a DSP or an S1SP of a test's own."""
    key = ec.generate_private_key(ec.SECP256R1())
    return ServiceSigner(key, smki.issue(key.public_key(), entity_id, RemotePartyRole.XML_SIGNING_DCC, KeyUse.DS, name))


class ScriptedMeterEvents:
    """A meter-event interface whose "raise an alert" does what a test says instead (e.g. the DCC delivering
    an earlier alert again)."""

    def __init__(self, raise_alert: Callable[[str], object]) -> None:
        self._raise_alert = raise_alert

    def raise_alert(self, device_id: str) -> None:
        self._raise_alert(device_id)


def alert_scenario(
    receiver: Receiver,
    meter_events: MeterEventsClient | ScriptedMeterEvents,
    names: Mapping[str, str],
    meter: str,
    answer_timeout: float = 10.0,
) -> World:
    """A scenario's World about the electricity meter `meter`, able to make it raise an alert and judge
    where it went (only `raise_alert` and what it records are meant to be used)."""
    scenario = SimpleNamespace(  # a DCC that cannot say when it has delivered everything, as an environment's
        meter_events=lambda: meter_events, end=lambda: None, deliveries_settled=lambda wait: False
    )
    arrangement = SimpleNamespace(for_scenario=lambda holding: scenario)
    roster = SimpleNamespace(name_of=names.get)
    duis = DUISClient("http://127.0.0.1:9", answer_timeout=answer_timeout)
    world = World(arrangement, duis, roster, receiver, b"")  # type: ignore[arg-type]
    world.site = Site(Installation(1, "S1SP1", esme=meter), parties=None)  # type: ignore[arg-type]
    return world


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


