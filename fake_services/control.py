"""The Control API for the steps: seed organisations, Registration Data, devices and certificates;
flip the DSP switch and each S1SP's enablement; read trust anchors, alerts and the request log.
JSON over HTTP on its own port, apart from the DUIS endpoint."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from duis.srv import UserRole
from fake_services import faults
from fake_services.dsp.models import MP107_SWITCH
from fake_services.enrolment.responses import enrolment_routes
from fake_services.http import HTTPError, Request, Response, route
from fake_services.registration import Device, DeviceType, InstallStatus, InvalidSeed, valid_eui64
from fake_services.trust_anchors import TrustAnchors
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

if TYPE_CHECKING:
    from fake_services.sandbox import Sandbox


def _field(data: dict[str, Any], name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise HTTPError(400, f"missing field {name!r}")
    return data[name]


def _smets(data: dict[str, Any]) -> int:
    value = _field(data, "smets")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise HTTPError(400, "'smets' is 1 or 2")
    return int(value)


def _instant(data: dict[str, Any], name: str) -> dt.datetime | None:
    """An optional ISO 8601 instant with its zone (test certificates that are expired or not yet valid)."""
    value = data.get(name)
    if value is None:
        return None
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise HTTPError(400, f"{name} is not an ISO 8601 date and time") from None
    if instant.tzinfo is None:
        raise HTTPError(400, f"{name} needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return instant


def _enum(kind: type, value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise HTTPError(400, f"{value!r} is not one of: {allowed}") from None


def _switch(data: dict[str, Any]) -> str:
    enabled = _field(data, "enabled")
    if not isinstance(enabled, bool):
        raise HTTPError(400, "'enabled' is true or false")
    return "on" if enabled else "off"


def control_app(sandbox: Sandbox):
    store = sandbox.store
    anchors = TrustAnchors(store)

    def seeded(fn):
        def wrapper(request: Request, **kw: str) -> Response:
            try:
                return fn(request, **kw)
            except InvalidSeed as exc:
                raise HTTPError(400, str(exc)) from None

        return wrapper

    def health(_: Request) -> Response:
        return Response.json({"status": "ok", "services": sandbox.urls()})

    def reset(_: Request) -> Response:
        store.reset_scenario()
        return Response.json({"reset": True})

    def smki(_: Request) -> Response:
        pem = serialization.Encoding.PEM
        return Response.json(
            {
                "root": sandbox.smki.root.public_bytes(pem).decode(),
                "issuing_ca": sandbox.smki.issuing_cas[0].public_bytes(pem).decode(),
                "access_control_broker": {
                    "entity_id": sandbox.acb[0].entity_id,
                    "ds": sandbox.acb[0].pem(),
                    "ka": sandbox.acb[1].pem(),
                },
            }
        )

    @seeded
    def add_user(request: Request) -> Response:
        data = request.json_object()
        user = sandbox.users.add(
            _field(data, "entity_id"), _field(data, "name"), _enum(UserRole, _field(data, "user_role"))
        )
        return Response.json({"entity_id": user.entity_id, "name": user.name, "user_role": user.user_role.value}, 201)

    @seeded
    def issue_certificate(request: Request) -> Response:
        """The test SMKI issues an Organisation certificate for a public key the caller made."""
        data = request.json_object()
        try:
            public_key = serialization.load_pem_public_key(str(_field(data, "public_key")).encode())
        except ValueError:
            raise HTTPError(400, "public_key is not a PEM public key") from None
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise HTTPError(400, "SMKI Organisation certificates carry P-256 keys")
        try:
            cert = sandbox.smki.authority.issue(
                public_key,
                valid_eui64(_field(data, "entity_id")),
                _enum(RemotePartyRole, _field(data, "role_code")),
                _enum(KeyUse, _field(data, "key_use")),
                data.get("name"),
                _instant(data, "not_before"),
                _instant(data, "not_after"),
            )
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        sandbox.smki.publish(cert)
        return Response.json(
            {"pem": cert.pem(), "serial": f"{cert.serial:X}", "certificate_id": cert.certificate_id}, 201
        )

    @seeded
    def register_mpan(request: Request) -> Response:
        data = request.json_object()
        sandbox.registry.registration.register_mpan(
            _field(data, "mpan"), _field(data, "electricity_distributor"), _field(data, "import_supplier")
        )
        return Response.json({"registered": data["mpan"]}, 201)

    @seeded
    def register_mprn(request: Request) -> Response:
        data = request.json_object()
        sandbox.registry.registration.register_mprn(
            _field(data, "mprn"), _field(data, "gas_transporter"), _field(data, "gas_supplier")
        )
        return Response.json({"registered": data["mprn"]}, 201)

    @seeded
    def add_device(request: Request) -> Response:
        data = request.json_object()
        s1sp = data.get("s1sp")
        if s1sp is not None and s1sp not in sandbox.s1sps:
            raise HTTPError(400, f"no S1SP named {s1sp!r}; there are {', '.join(sandbox.s1sps)}")
        device = Device(
            _field(data, "device_id"),
            _enum(DeviceType, _field(data, "device_type")),
            _smets(data),
            s1sp,
            _enum(InstallStatus, data.get("status", "Active")),
            str(_field(data, "installation")),
            data.get("mpxn"),
        )
        sandbox.registry.inventory.add(device)
        return Response.json({"device_id": valid_eui64(device.device_id)}, 201)

    @seeded
    def place_anchor(request: Request, device_id: str, role: str) -> Response:
        """Seed what a device (or its S1SP) holds for a role, as enrolment would have left it."""
        device_id = valid_eui64(device_id)
        if sandbox.registry.inventory.get(device_id) is None:
            raise HTTPError(404, f"device {device_id} does not exist")
        data = request.json_object()
        try:
            certs = [OrganisationCertificate.from_pem(_field(data, k)) for k in ("ds", "ka") if k in data]
        except ValueError as exc:
            raise HTTPError(400, f"not an Organisation certificate: {exc}") from None
        if not certs:
            raise HTTPError(400, "give 'ds' and/or 'ka' certificates (PEM)")
        with store.transaction() as db:
            for cert in certs:
                anchors.place(db, device_id, role, cert)
        return Response.json(read_anchors(device_id))

    def read_anchors(device_id: str) -> list[dict[str, str]]:
        return [
            {
                "role": a.role,
                "key_use": a.key_use.value,
                "entity_id": a.entity_id,
                "owner": sandbox.users.name_of(a.entity_id),
                "certificate_id": a.certificate_id,
            }
            for a in anchors.all_for(device_id)
        ]

    @seeded
    def get_anchors(_: Request, device_id: str) -> Response:
        device_id = valid_eui64(device_id)
        if sandbox.registry.inventory.get(device_id) is None:
            raise HTTPError(404, f"device {device_id} does not exist")
        return Response.json(read_anchors(device_id))

    def dsp_switch(request: Request) -> Response:
        store.set_setting(MP107_SWITCH, _switch(request.json_object()))
        return switches(request)

    def s1sp_switch(request: Request, name: str) -> Response:
        if name not in sandbox.s1sps:
            raise HTTPError(404, f"no S1SP named {name!r}")
        store.set_setting(sandbox.s1sps[name].mp107_setting, _switch(request.json_object()))
        return switches(request)

    def s1sp_fault(request: Request, name: str) -> Response:
        """Make an S1SP go down, slow, answer garbage or fail (fault campaign); mode 'none' heals it."""
        if name not in sandbox.s1sps:
            raise HTTPError(404, f"no S1SP named {name!r}")
        fault = faults.Fault.parse(request.json_object())
        faults.set_fault(store, name, fault)
        return Response.json({"s1sp": name, "mode": fault.mode, "delay_seconds": fault.delay_seconds})

    def switches(_: Request) -> Response:
        return Response.json(
            {
                "dsp_mp107": sandbox.dsp.mp107_switch,
                "s1sp_mp107": {name: s.mp107_enabled for name, s in sandbox.s1sps.items()},
            }
        )

    @seeded
    def raise_alert(request: Request, device_id: str) -> Response:
        try:
            recipient = sandbox.alerts.raise_network_operator_alert(
                valid_eui64(device_id), str(request.json_object().get("alert_code", "PowerOutage"))
            )
        except LookupError as exc:
            raise HTTPError(404, str(exc)) from None
        return Response.json(
            {"delivered_to": recipient, "recipient_name": sandbox.users.name_of(recipient) if recipient else None}
        )

    def alerts(request: Request) -> Response:
        recipient = dict(p.split("=", 1) for p in request.query.split("&") if "=" in p).get("recipient")
        return Response.json(sandbox.alerts.delivered(recipient))

    def fingerprint(_: Request) -> Response:
        """A digest of all state but the request log: equal before and after means nothing changed."""
        return Response.json({"fingerprint": store.fingerprint()})

    def request_log(_: Request) -> Response:
        return Response.json([dict(r) for r in store.all("SELECT * FROM request_log ORDER BY id")])

    return authorised(
        sandbox.control_token,
        route(
            {
                ("GET", "/health"): health,
                ("POST", "/reset"): reset,
                ("GET", "/smki"): smki,
                ("POST", "/users"): add_user,
                ("POST", "/smki/certificates"): issue_certificate,
                ("POST", "/registration/mpan"): register_mpan,
                ("POST", "/registration/mprn"): register_mprn,
                ("POST", "/devices"): add_device,
                ("PUT", "/devices/{device_id}/trust-anchors/{role}"): place_anchor,
                ("GET", "/devices/{device_id}/trust-anchors"): get_anchors,
                ("POST", "/devices/{device_id}/alerts"): raise_alert,
                ("GET", "/alerts"): alerts,
                ("PUT", "/switches/dsp-mp107"): dsp_switch,
                ("PUT", "/switches/s1sp/{name}"): s1sp_switch,
                ("GET", "/switches"): switches,
                ("PUT", "/faults/s1sp/{name}"): s1sp_fault,
                ("GET", "/log"): request_log,
                ("GET", "/fingerprint"): fingerprint,
                **enrolment_routes(sandbox),
            }
        ),
    )


def authorised(token: str | None, handler):
    """With a token set (required when the sandbox listens beyond loopback), every Control API call
    must carry `Authorization: Bearer <token>`."""
    if not token:
        return handler
    expected = f"Bearer {token}".encode()

    def check(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return Response.text("the Control API needs its token: Authorization: Bearer <token>", 401)
        return handler(request)

    return check
