"""The DCC's enrolment interface, as the sandbox offers it: a Supplier submits Migration Authorisations
and answers Dormant Meter Migration Notifications to the Migration Control Centre, and asks the DCC
Commissioning Party to commission a meter (in the real world these are DCC processes and forms, not
DUIS). A refusal by a TMAD rule is a business outcome (422 with its clause); a request that names
nothing real is bad input (400). Part of the simulated world: it stays up without the Control API."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from fake_services.core.json_fields import entity_id
from fake_services.core.rejections import Rejection
from fake_services.enrolment.models import CommissionedBy, Enrolment, MigrationControlCentre
from serving.web import HTTPError, json_object, json_response
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


class EnrolmentResponses:
    """The handlers of the enrolment interface: JSON in, calls on the MCC and the Commissioning Party, JSON out."""

    def __init__(self, mcc: MigrationControlCentre, enrolment: Enrolment) -> None:
        self.mcc = mcc
        self.enrolment = enrolment

    def authorise(self, request: Request) -> Response:
        data = json_object(request)
        try:
            commissioned_by = CommissionedBy(data.get("commissioned_by", "DCC"))
        except ValueError:
            raise HTTPError(400, "commissioned_by is DCC or Supplier") from None
        try:
            ma = self.mcc.authorise(
                entity_id(data, "device_id"), entity_id(data, "supplier"), commissioned_by, _offered(data)
            )
        except Rejection as rejection:
            return _refused(rejection)
        return json_response({"accepted": True, **ma.to_json()}, 201)

    def notify_dormant(self, request: Request) -> Response:
        data = json_object(request)
        try:
            notification = self.mcc.notify_dormant_meter(entity_id(data, "device_id"), entity_id(data, "supplier"))
        except Rejection as rejection:
            return _refused(rejection)
        return json_response({"notification": notification}, 201)

    def respond_dormant(self, request: Request, notification: str) -> Response:
        try:
            ma = self.mcc.dormant_notification_response(notification, _offered(json_object(request)))
        except Rejection as rejection:
            return _refused(rejection)
        return json_response({"accepted": True, **ma.to_json()}, 201)

    def commission(self, _: Request, ma_id: str) -> Response:
        try:
            result = self.enrolment.commission(ma_id)
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
