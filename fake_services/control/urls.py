"""The Control API's routes, one group per concern, each group given only the collaborators it needs;
`fake_services.sandbox` wires them together behind the local ports' guard."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from fake_services.control.responses import (
    ClockResponses,
    DeliveryResponses,
    FaultResponses,
    InstallationResponses,
    ObservationResponses,
    PartyResponses,
    Switch,
    SwitchResponses,
)
from fake_services.core.clock import Clock
from fake_services.core.faults import Faults
from fake_services.core.json_fields import bad_seed_is_400
from fake_services.core.parties import SMKIRepository, Users
from fake_services.core.store import Store
from fake_services.delivery.models import Deliveries, ReceiveAddresses
from fake_services.devices.models import AlertLog
from fake_services.registration.models import Registry
from serving.web import App, Guard, Route
from smki.profile import OrganisationCertificate


def observation_routes(store: Store, alerts: AlertLog, urls: Callable[[], dict[str, str]]) -> list[Route]:
    r = ObservationResponses(store, alerts, urls)
    return [
        ("GET", "/health", r.health),
        ("POST", "/reset", r.reset),
        ("GET", "/alerts", r.delivered),
        ("GET", "/fingerprint", r.fingerprint),
        ("GET", "/log", r.log),
    ]


def party_routes(
    users: Users,
    smki: SMKIRepository,
    acb: Sequence[OrganisationCertificate],
    dcc_signers: dict[str, OrganisationCertificate],
) -> list[Route]:
    r = PartyResponses(users, smki, acb, dcc_signers)
    return [
        ("GET", "/smki", r.smki_trust),
        ("POST", "/users", r.add_user),
        ("POST", "/smki/certificates", r.issue_certificate),
    ]


def installation_routes(store: Store, registry: Registry, users: Users, s1sps: Collection[str]) -> list[Route]:
    r = InstallationResponses(store, registry, users, s1sps)
    return [
        ("POST", "/registration/mpan", r.post_mpan),
        ("POST", "/registration/mprn", r.post_mprn),
        ("POST", "/devices", r.post_device),
        ("POST", "/installations", r.post_installation),
        ("PUT", "/devices/<device_id>/trust-anchors/<role>", r.put_anchor),
        ("GET", "/devices/<device_id>/trust-anchors", r.get_anchors),
    ]


def switch_routes(dsp_switch: Switch, s1sp_switches: Mapping[str, Switch], states: Callable[[], dict]) -> list[Route]:
    r = SwitchResponses(dsp_switch, s1sp_switches, states)
    return [
        ("GET", "/switches", r.get_all),
        ("PUT", "/switches", r.put_all),
        ("PUT", "/switches/dsp-mp107", r.put_dsp),
        ("PUT", "/switches/s1sp/<name>", r.put_s1sp),
    ]


def fault_routes(faults: Faults, s1sps: Collection[str]) -> list[Route]:
    return [("PUT", "/faults/s1sp/<name>", FaultResponses(faults, s1sps).put_fault)]


def delivery_routes(addresses: ReceiveAddresses, deliveries: Deliveries) -> list[Route]:
    r = DeliveryResponses(addresses, deliveries)
    return [
        ("PUT", "/users/<user_id>/receive-response-service", r.set_address),
        ("GET", "/users/<user_id>/receive-response-service", r.get_address),
        ("GET", "/deliveries", r.queue),
        ("GET", "/deliveries/policy", r.policy),
        ("GET", "/deliveries/settled", r.settled),
        ("GET", "/deliveries/<int:delivery_id>", r.message),
    ]


def clock_routes(clock: Clock, run_due: Callable[[], int]) -> list[Route]:
    r = ClockResponses(clock, run_due)
    return [("GET", "/clock", r.now), ("PUT", "/clock", r.move)]


def control_app(guard: Guard, *route_groups: Iterable[Route]) -> App:
    """The Control API behind `guard` (its token, a JSON body, a loopback Host: `serving.local_access`)."""
    routes = [(method, path, bad_seed_is_400(handler)) for group in route_groups for method, path, handler in group]
    return App(routes, guard=guard)
