"""The DCC's enrolment interface, as the sandbox offers it: a Supplier submits Migration Authorisations
and answers Dormant Meter Migration Notifications to the Migration Control Centre, and asks the DCC
Commissioning Party to commission a meter (in the real world these are DCC processes and forms, not
DUIS). A refusal by a TMAD rule is a business outcome (422 with its clause); a request that names
nothing real is bad input (400). Part of the simulated world: it stays up without the Control API."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from fake_services.core.json_fields import bad_seed_is_400, entity_id
from fake_services.core.rejections import Rejection
from fake_services.enrolment.models import CommissionedBy, Enrolment, MigrationControlCentre
from serving.web import App, Guard, HTTPError, Route, json_object, json_response
from smki.profile import KeyUse

BAD_INPUT = frozenset({"device_unknown"})
"""Rejections that mean the caller named something that does not exist: 400, not a business refusal."""


def _offered(data: dict[str, Any]) -> dict[KeyUse, str]:
    """The NO certificates the Supplier offers, PEM, under 'network_operator_ds' / '..._ka'."""
    offered = {}
    for key_use, name in ((KeyUse.DS, "network_operator_ds"), (KeyUse.KA, "network_operator_ka")):
        if data.get(name):
            offered[key_use] = str(data[name])
    return offered


def _refused(rejection: Rejection) -> Response:
    if rejection.rule.key in BAD_INPUT:
        raise HTTPError(400, rejection.detail)
    return json_response({"accepted": False, "clause": rejection.rule.clause.display, "reason": rejection.detail}, 422)


def mcc_app(mcc: MigrationControlCentre, enrolment: Enrolment, guard: Guard | None = None) -> App:
    def authorise(request: Request) -> Response:
        data = json_object(request)
        try:
            commissioned_by = CommissionedBy(data.get("commissioned_by", "DCC"))
        except ValueError:
            raise HTTPError(400, "commissioned_by is DCC or Supplier") from None
        try:
            ma = mcc.authorise(
                entity_id(data, "device_id"), entity_id(data, "supplier"), commissioned_by, _offered(data)
            )
        except Rejection as rejection:
            return _refused(rejection)
        return json_response({"accepted": True, **ma.to_json()}, 201)

    def notify_dormant(request: Request) -> Response:
        data = json_object(request)
        try:
            notification = mcc.notify_dormant_meter(entity_id(data, "device_id"), entity_id(data, "supplier"))
        except Rejection as rejection:
            return _refused(rejection)
        return json_response({"notification": notification}, 201)

    def respond_dormant(request: Request, notification: str) -> Response:
        try:
            ma = mcc.dormant_notification_response(notification, _offered(json_object(request)))
        except Rejection as rejection:
            return _refused(rejection)
        return json_response({"accepted": True, **ma.to_json()}, 201)

    def commission(_: Request, ma_id: str) -> Response:
        try:
            result = enrolment.commission(ma_id)
        except KeyError as exc:
            raise HTTPError(404, str(exc.args[0])) from None
        except Rejection as rejection:
            return _refused(rejection)
        return json_response(
            {
                "accepted": result.accepted,
                "decided_by": result.decided_by.display,
                "reason": result.reason,
                "request_xml": result.request_xml,
                "response_xml": result.response_xml,
                "migration_authorisation": result.migration_authorisation.to_json(),
            }
        )

    routes: list[Route] = [
        ("POST", "/enrolment/migration-authorisations", authorise),
        ("POST", "/enrolment/dormant-notifications", notify_dormant),
        ("POST", "/enrolment/dormant-notifications/<notification>/response", respond_dormant),
        ("POST", "/enrolment/migration-authorisations/<ma_id>/commission", commission),
    ]
    return App([(m, p, bad_seed_is_400(h)) for m, p, h in routes], guard=guard)
