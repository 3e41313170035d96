"""Control API routes that arrange a meter's world: Registration Data, the Smart Metering Inventory and
what each device (or its S1SP) holds, one piece at a time or a whole installation in one call."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from typing import Any

from werkzeug.wrappers import Request, Response

from fake_services.core.json_fields import entity_id, field, objects, one_of, smets, text_field
from fake_services.core.parties import Users
from fake_services.core.records import Device, DeviceType, InstallStatus, valid_eui64
from fake_services.core.store import Store
from fake_services.devices.models import TrustAnchors
from fake_services.registration.models import Registry
from serving.web import HTTPError, Route, json_object, json_response
from smki.profile import OrganisationCertificate


def _certificates(data: dict[str, Any]) -> list[OrganisationCertificate]:
    try:
        certs = [OrganisationCertificate.from_pem(field(data, k)) for k in ("ds", "ka") if k in data]
    except ValueError as exc:
        raise HTTPError(400, f"not an Organisation certificate: {exc}") from None
    if not certs:
        raise HTTPError(400, "give 'ds' and/or 'ka' certificates (PEM)")
    return certs


def installation_routes(store: Store, registry: Registry, users: Users, s1sps: Collection[str]) -> list[Route]:
    anchors = TrustAnchors(store)
    inventory, registration = registry.inventory, registry.registration

    def device_from(data: dict[str, Any], defaults: dict[str, Any]) -> Device:
        merged = defaults | data
        s1sp = merged.get("s1sp")
        if s1sp is not None and s1sp not in s1sps:
            raise HTTPError(400, f"no S1SP named {s1sp!r}; there are {', '.join(s1sps)}")
        return Device(
            entity_id(merged, "device_id"),
            one_of(DeviceType, field(merged, "device_type")),
            smets(merged),
            s1sp,
            one_of(InstallStatus, merged.get("status", "Active")),
            str(field(merged, "installation")),
            merged.get("mpxn"),
        )

    def register_mpan(data: dict[str, Any], db: sqlite3.Connection | None = None) -> str:
        mpan = text_field(data, "mpan")
        registration.register_mpan(
            mpan, text_field(data, "electricity_distributor"), text_field(data, "import_supplier"), db
        )
        return mpan

    def register_mprn(data: dict[str, Any], db: sqlite3.Connection | None = None) -> str:
        mprn = text_field(data, "mprn")
        registration.register_mprn(mprn, text_field(data, "gas_transporter"), text_field(data, "gas_supplier"), db)
        return mprn

    def place(db: sqlite3.Connection, data: dict[str, Any]) -> None:
        for cert in _certificates(data):
            anchors.place(db, valid_eui64(text_field(data, "device_id")), text_field(data, "role"), cert)

    def post_mpan(request: Request) -> Response:
        return json_response({"registered": register_mpan(json_object(request))}, 201)

    def post_mprn(request: Request) -> Response:
        return json_response({"registered": register_mprn(json_object(request))}, 201)

    def post_device(request: Request) -> Response:
        device = device_from(json_object(request), {})
        inventory.add(device)
        return json_response({"device_id": device.device_id}, 201)

    def post_installation(request: Request) -> Response:
        """A whole installation in one transaction: its registrations, its devices (sharing one
        Communications Hub Function, with common `smets`, `s1sp` and `status` unless a device says
        otherwise) and the certificates each device holds, as enrolment would have left them."""
        data = json_object(request)
        defaults = {k: data[k] for k in ("smets", "s1sp", "status", "installation") if k in data}
        devices = objects(data, "devices")
        if not devices:
            raise HTTPError(400, "an installation has 'devices'")
        defaults.setdefault("installation", devices[0].get("device_id"))
        with store.transaction() as db:
            registered = [register_mpan(r, db) for r in objects(data, "mpan")]
            registered += [register_mprn(r, db) for r in objects(data, "mprn")]
            added = [device_from(d, defaults) for d in devices]
            for device in added:
                inventory.add(device, db)
            for holding in objects(data, "trust_anchors"):
                if holding.get("device_id") not in {d.device_id for d in added}:
                    raise HTTPError(
                        400, f"trust anchor for {holding.get('device_id')!r}, not a device of this installation"
                    )
                place(db, holding)
        return json_response(
            {
                "installation": defaults["installation"],
                "devices": [d.device_id for d in added],
                "registered": registered,
            },
            201,
        )

    def put_anchor(request: Request, device_id: str, role: str) -> Response:
        """Seed what a device (or its S1SP) holds for a role, as enrolment would have left it."""
        device_id = valid_eui64(device_id)
        if inventory.get(device_id) is None:
            raise HTTPError(404, f"device {device_id} does not exist")
        data = json_object(request)
        with store.transaction() as db:
            place(db, {**data, "device_id": device_id, "role": role})
        return json_response(read_anchors(device_id))

    def read_anchors(device_id: str) -> list[dict[str, str]]:
        return [
            {
                "role": a.role,
                "key_use": a.key_use.value,
                "entity_id": a.entity_id,
                "owner": users.name_of(a.entity_id),
                "certificate_id": a.certificate_id,
            }
            for a in anchors.all_for(device_id)
        ]

    def get_anchors(_: Request, device_id: str) -> Response:
        device_id = valid_eui64(device_id)
        if inventory.get(device_id) is None:
            raise HTTPError(404, f"device {device_id} does not exist")
        return json_response(read_anchors(device_id))

    return [
        ("POST", "/registration/mpan", post_mpan),
        ("POST", "/registration/mprn", post_mprn),
        ("POST", "/devices", post_device),
        ("POST", "/installations", post_installation),
        ("PUT", "/devices/<device_id>/trust-anchors/<role>", put_anchor),
        ("GET", "/devices/<device_id>/trust-anchors", get_anchors),
    ]
