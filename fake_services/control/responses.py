"""The Control API's wire: JSON in, calls on the services' backends, JSON out; each field checked, each mistake
a 400 that says which field (`fake_services.core.json_fields`). The Control API has no rules of its own: it
arranges a precondition in the other services (who takes part, a meter's world, MP107's switches, S1SP faults,
where the DCC delivers, the clock) and reads back what they hold; it never judges an outcome."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.wrappers import Request, Response

from duis.srv import UserRole
from fake_services.core.clock import Clock
from fake_services.core.faults import Fault, Faults
from fake_services.core.json_fields import (
    enabled,
    entity_id,
    field,
    instant,
    objects,
    one_of,
    smets,
    text_field,
)
from fake_services.core.parties import SMKIRepository, Users
from fake_services.core.records import Device, DeviceType, InstallStatus, valid_eui64
from fake_services.core.state import RequestLogTable
from fake_services.core.store import Store
from fake_services.delivery.models import STATES, Deliveries, ReceiveAddresses
from fake_services.devices.models import AlertLog, TrustAnchors
from fake_services.registration.models import Registry
from serving.web import HTTPError, json_object, json_response, xml_response
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

Switch = Callable[[bool], None]
MAX_SETTLE_WAIT_SECONDS = 30.0
"""The longest `GET /deliveries/settled` holds its answer (a client's timeout is longer)."""


# --- what the sandbox shows about itself, and the reset between scenarios ----------------------------------
class ObservationResponses:
    """Its health, its request log, a fingerprint of its state, the alerts its meters raised; the reset."""

    def __init__(self, store: Store, alerts: AlertLog, urls: Callable[[], dict[str, str]]) -> None:
        self.store = store
        self.alerts = alerts
        self.urls = urls
        self.request_log = RequestLogTable(store)

    def health(self, _: Request) -> Response:
        return json_response({"status": "ok", "services": self.urls()})

    def reset(self, _: Request) -> Response:
        self.store.reset_scenario()
        return json_response({"reset": True})

    def delivered(self, request: Request) -> Response:
        return json_response(self.alerts.delivered(request.args.get("recipient")))

    def fingerprint(self, _: Request) -> Response:
        """A digest of all state but the request log: equal before and after means nothing changed."""
        return json_response({"fingerprint": self.store.fingerprint()})

    def log(self, _: Request) -> Response:
        return json_response(self.request_log.all())


# --- who takes part: DCC Users and the certificates the test SMKI issues them -------------------------------
def _certify(smki: SMKIRepository, owner: str, name: str | None, data: dict[str, Any], role: Any) -> dict[str, object]:
    """The test SMKI issues an Organisation certificate for a public key the caller made."""
    try:
        public_key = serialization.load_pem_public_key(str(field(data, "public_key")).encode())
    except ValueError:
        raise HTTPError(400, "public_key is not a PEM public key") from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise HTTPError(400, "SMKI Organisation certificates carry P-256 keys")
    try:
        cert = smki.authority.issue(
            public_key,
            owner,
            one_of(RemotePartyRole, data.get("role_code", role) or field(data, "role_code")),
            one_of(KeyUse, field(data, "key_use")),
            name,
            instant(data, "not_before"),
            instant(data, "not_after"),
        )
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from None
    smki.publish(cert)
    return {
        "pem": cert.pem(),
        "serial": f"{cert.serial:X}",
        "certificate_id": cert.certificate_id,
        "key_use": cert.key_use,
    }


class PartyResponses:
    def __init__(
        self,
        users: Users,
        smki: SMKIRepository,
        acb: Sequence[OrganisationCertificate],
        dcc_signers: dict[str, OrganisationCertificate],
    ) -> None:
        self.users = users
        self.smki = smki
        self.acb = acb
        self.dcc_signers = dcc_signers

    def smki_trust(self, _: Request) -> Response:
        """The trust a User system is configured with: the SMKI root and CA, the ACB's certificates, and
        the XML-signing certificates of the DCC systems whose signatures it checks (DSP, S1SPs)."""
        pem = serialization.Encoding.PEM
        acb = self.acb
        return json_response(
            {
                "root": self.smki.root.public_bytes(pem).decode(),
                "issuing_ca": self.smki.issuing_cas[0].public_bytes(pem).decode(),
                "access_control_broker": {"entity_id": acb[0].entity_id, "ds": acb[0].pem(), "ka": acb[1].pem()},
                "dcc_signers": {name: cert.pem() for name, cert in self.dcc_signers.items()},
            }
        )

    def add_user(self, request: Request) -> Response:
        """A DCC User in a User Role, and (optionally, in the same call) its certificates for that role."""
        data = json_object(request)
        role = one_of(UserRole, field(data, "user_role"))
        user = self.users.add(entity_id(data, "entity_id"), str(field(data, "name")), role)
        issued = [
            _certify(self.smki, user.entity_id, user.name, wanted, role.certificate_role.value)
            for wanted in objects(data, "certificates")
        ]
        body = {"entity_id": user.entity_id, "name": user.name, "user_role": user.user_role.value}
        return json_response(body | ({"certificates": issued} if issued else {}), 201)

    def issue_certificate(self, request: Request) -> Response:
        data = json_object(request)
        return json_response(_certify(self.smki, entity_id(data, "entity_id"), data.get("name"), data, None), 201)


# --- a meter's world: Registration Data, the inventory and what each device holds --------------------------
def _certificates(data: dict[str, Any]) -> list[OrganisationCertificate]:
    try:
        certs = [OrganisationCertificate.from_pem(field(data, k)) for k in ("ds", "ka") if k in data]
    except ValueError as exc:
        raise HTTPError(400, f"not an Organisation certificate: {exc}") from None
    if not certs:
        raise HTTPError(400, "give 'ds' and/or 'ka' certificates (PEM)")
    return certs


class InstallationResponses:
    """Registration Data, the Smart Metering Inventory and what each device (or its S1SP) holds, one piece at a
    time or a whole installation in one call."""

    def __init__(self, store: Store, registry: Registry, users: Users, s1sps: Collection[str]) -> None:
        self.store = store
        self.registration = registry.registration
        self.inventory = registry.inventory
        self.anchors = TrustAnchors(store)
        self.users = users
        self.s1sps = s1sps

    def _device(self, data: dict[str, Any], defaults: dict[str, Any]) -> Device:
        merged = defaults | data
        s1sp = merged.get("s1sp")
        if s1sp is not None and s1sp not in self.s1sps:
            raise HTTPError(400, f"no S1SP named {s1sp!r}; there are {', '.join(self.s1sps)}")
        return Device(
            entity_id(merged, "device_id"),
            one_of(DeviceType, field(merged, "device_type")),
            smets(merged),
            s1sp,
            one_of(InstallStatus, merged.get("status", "Active")),
            str(field(merged, "installation")),
            merged.get("mpxn"),
        )

    def _register_mpan(self, data: dict[str, Any], db: sqlite3.Connection | None = None) -> str:
        mpan = text_field(data, "mpan")
        self.registration.register_mpan(
            mpan, text_field(data, "electricity_distributor"), text_field(data, "import_supplier"), db
        )
        return mpan

    def _register_mprn(self, data: dict[str, Any], db: sqlite3.Connection | None = None) -> str:
        mprn = text_field(data, "mprn")
        self.registration.register_mprn(
            mprn, text_field(data, "gas_transporter"), text_field(data, "gas_supplier"), db
        )
        return mprn

    def _place(self, db: sqlite3.Connection, data: dict[str, Any]) -> None:
        for cert in _certificates(data):
            self.anchors.place(db, valid_eui64(text_field(data, "device_id")), text_field(data, "role"), cert)

    def post_mpan(self, request: Request) -> Response:
        return json_response({"registered": self._register_mpan(json_object(request))}, 201)

    def post_mprn(self, request: Request) -> Response:
        return json_response({"registered": self._register_mprn(json_object(request))}, 201)

    def post_device(self, request: Request) -> Response:
        device = self._device(json_object(request), {})
        self.inventory.add(device)
        return json_response({"device_id": device.device_id}, 201)

    def post_installation(self, request: Request) -> Response:
        """A whole installation in one transaction: its registrations, its devices (sharing one
        Communications Hub Function, with common `smets`, `s1sp` and `status` unless a device says
        otherwise) and the certificates each device holds, as enrolment would have left them."""
        data = json_object(request)
        defaults: dict[str, Any] = {k: data[k] for k in ("smets", "s1sp", "status", "installation") if k in data}
        devices = objects(data, "devices")
        if not devices:
            raise HTTPError(400, "an installation has 'devices'")
        defaults.setdefault("installation", devices[0].get("device_id"))
        with self.store.transaction() as db:
            registered = [self._register_mpan(r, db) for r in objects(data, "mpan")]
            registered += [self._register_mprn(r, db) for r in objects(data, "mprn")]
            added = [self._device(d, defaults) for d in devices]
            for device in added:
                self.inventory.add(device, db)
            for holding in objects(data, "trust_anchors"):
                if holding.get("device_id") not in {d.device_id for d in added}:
                    raise HTTPError(
                        400, f"trust anchor for {holding.get('device_id')!r}, not a device of this installation"
                    )
                self._place(db, holding)
        return json_response(
            {
                "installation": defaults["installation"],
                "devices": [d.device_id for d in added],
                "registered": registered,
            },
            201,
        )

    def put_anchor(self, request: Request, device_id: str, role: str) -> Response:
        """Seed what a device (or its S1SP) holds for a role, as enrolment would have left it."""
        device_id = self._known(device_id)
        data = json_object(request)
        with self.store.transaction() as db:
            self._place(db, {**data, "device_id": device_id, "role": role})
        return json_response(self._anchors(device_id))

    def get_anchors(self, _: Request, device_id: str) -> Response:
        return json_response(self._anchors(self._known(device_id)))

    def _known(self, device_id: str) -> str:
        device_id = valid_eui64(device_id)
        if self.inventory.get(device_id) is None:
            raise HTTPError(404, f"device {device_id} does not exist")
        return device_id

    def _anchors(self, device_id: str) -> list[dict[str, str]]:
        return [
            {
                "role": a.role,
                "key_use": a.key_use.value,
                "entity_id": a.entity_id,
                "owner": self.users.name_of(a.entity_id),
                "certificate_id": a.certificate_id,
            }
            for a in self.anchors.all_for(device_id)
        ]


# --- how far MP107 is switched on (PIA 3.2), and the faults an S1SP can be made to show -----------------------
class SwitchResponses:
    def __init__(
        self,
        dsp_switch: Switch,
        s1sp_switches: Mapping[str, Switch],
        states: Callable[[], dict],
    ) -> None:
        self.dsp_switch = dsp_switch
        self.s1sp_switches = s1sp_switches
        self.states = states

    def _s1sp(self, name: str) -> Switch:
        if name not in self.s1sp_switches:
            raise HTTPError(404, f"no S1SP named {name!r}")
        return self.s1sp_switches[name]

    def get_all(self, _: Request) -> Response:
        return json_response(self.states())

    def put_dsp(self, request: Request) -> Response:
        self.dsp_switch(enabled(json_object(request)))
        return json_response(self.states())

    def put_s1sp(self, request: Request, name: str) -> Response:
        self._s1sp(name)(enabled(json_object(request)))
        return json_response(self.states())

    def put_all(self, request: Request) -> Response:
        """Every switch in one call: `{"dsp_mp107": true, "s1sp_mp107": {"S1SP1": true, ...}}`."""
        data = json_object(request)
        wanted = field(data, "s1sp_mp107")
        if not isinstance(wanted, dict):
            raise HTTPError(400, "'s1sp_mp107' maps S1SP names to true or false")
        settings = {name: enabled(wanted, name) for name in wanted}
        dsp_on = enabled(data, "dsp_mp107")
        for name in settings:
            self._s1sp(name)
        self.dsp_switch(dsp_on)
        for name, on in settings.items():
            self.s1sp_switches[name](on)
        return json_response(self.states())



class FaultResponses:
    def __init__(self, faults: Faults, s1sps: Collection[str]) -> None:
        self.faults = faults
        self.s1sps = s1sps

    def put_fault(self, request: Request, name: str) -> Response:
        """Make an S1SP go down, slow, answer garbage or fail (fault campaign); mode 'none' heals it."""
        if name not in self.s1sps:
            raise HTTPError(404, f"no S1SP named {name!r}")
        fault = Fault.parse(json_object(request))
        self.faults.set(name, fault)
        return json_response({"s1sp": name, "mode": fault.mode, "delay_seconds": fault.delay_seconds})


# --- asynchronous delivery: where each User's Receive Response Service listens, and the DSP's queue ------------
def _user(value: str) -> str:
    """A User ID in the path or query: an EUI-64, else a 400 (whichever App serves these routes)."""
    try:
        return valid_eui64(value)
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from None


class DeliveryResponses:
    """Where each User's Receive Response Service listens (what DCC Boxed's "Receive Response Service address"
    field holds), and the DSP's delivery queue, read back as evidence of what was sent to whom, when, how the
    User's system answered, how often it was tried and how it ended, beside the retry policy that decides it."""

    def __init__(self, addresses: ReceiveAddresses, deliveries: Deliveries) -> None:
        self.addresses = addresses
        self.deliveries = deliveries

    def set_address(self, request: Request, user_id: str) -> Response:
        """Set (201) or replace (200) a User's address; waiting messages are tried at once."""
        user = _user(user_id)
        url = text_field(json_object(request), "url")
        try:
            created = self.addresses.set(user, url)
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        self.deliveries.retry_now(user)
        return json_response({"user_id": user, "url": self.addresses.get(user)}, 201 if created else 200)

    def get_address(self, _: Request, user_id: str) -> Response:
        user = _user(user_id)
        url = self.addresses.get(user)
        if url is None:
            raise HTTPError(404, f"no Receive Response Service address is set for {user}")
        return json_response({"user_id": user, "url": url})

    def queue(self, request: Request) -> Response:
        """`?user=<EUI-64>&state=pending|delivered|refused|given_up`, both optional; oldest first. Each
        entry: its state, attempts, last error, HTTP status and its outcome in words."""
        user, state = request.args.get("user"), request.args.get("state")
        if state is not None and state not in STATES:
            raise HTTPError(400, f"state is one of {', '.join(STATES)}")
        return json_response(self.deliveries.all(_user(user) if user else None, state))

    def message(self, _: Request, delivery_id: int) -> Response:
        """The signed `sr:Response` exactly as it is (or was) sent."""
        body = self.deliveries.message(delivery_id)
        if body is None:
            raise HTTPError(404, f"no delivery {delivery_id}")
        return xml_response(body)

    def policy(self, _: Request) -> Response:
        """How the DSP retries and when it gives up (the sandbox's choice: `fake_services.delivery.checks`)."""
        return json_response(self.deliveries.policy())

    def settled(self, request: Request) -> Response:
        """`?wait=SECONDS` (0 to 30, default 0): whether every message queued so far has been delivered,
        refused or given up, waiting up to that long for it. What the sandbox sends about an event is queued
        before the call that caused it is answered, so once settled, whatever it was going to deliver has been."""
        try:
            wait = float(request.args.get("wait", "0"))
        except ValueError:
            raise HTTPError(400, "wait is a number of seconds") from None
        if not 0 <= wait <= MAX_SETTLE_WAIT_SECONDS:
            raise HTTPError(400, f"wait is between 0 and {MAX_SETTLE_WAIT_SECONDS:g} seconds")
        return json_response({"settled": self.deliveries.wait_idle(wait)})


# --- the sandbox's clock --------------------------------------------------------------------------------------
class ClockResponses:
    """Move the sandbox's clock so a future-dated command comes due (its S1SP applies it and tells the sender)
    without waiting for the real date."""

    def __init__(self, clock: Clock, run_due: Callable[[], int]) -> None:
        self.clock = clock
        self.run_due = run_due

    def now(self, _: Request) -> Response:
        return json_response({"now": self.clock.now().isoformat()})

    def move(self, request: Request) -> Response:
        """`{"now": "2030-01-15T00:00:00Z"}` or `{"advance_seconds": 60}`; runs what has come due."""
        data = json_object(request)
        if "now" in data:
            moment = instant(data, "now")
            assert moment is not None
            self.clock.move_to(moment)
        else:
            seconds = field(data, "advance_seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise HTTPError(400, "'advance_seconds' is a number of seconds, not negative")
            self.clock.advance(seconds)
        return json_response({"now": self.clock.now().isoformat(), "ran": self.run_due()})
