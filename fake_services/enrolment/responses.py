"""Control API routes for enrolment: the steps act as the Supplier towards the DCC's Migration
Control Centre and ask the DCC Commissioning Party to commission a meter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_services.enrolment.models import CommissionedBy
from fake_services.http import HTTPError, Request, Response
from fake_services.registration import valid_eui64
from fake_services.rejections import Rejection
from smki.profile import KeyUse

if TYPE_CHECKING:
    from fake_services.sandbox import Sandbox


def _offered(data: dict[str, Any]) -> dict[KeyUse, str]:
    """The NO certificates the Supplier offers, PEM, under 'network_operator_ds' / '..._ka'."""
    offered = {}
    for key_use, name in ((KeyUse.DS, "network_operator_ds"), (KeyUse.KA, "network_operator_ka")):
        if data.get(name):
            offered[key_use] = str(data[name])
    return offered


def _rejected(rejection: Rejection) -> Response:
    """A business rejection (TMAD): 422 with the clause, so it is never mistaken for bad input."""
    return Response.json({"accepted": False, "clause": rejection.rule.clause, "reason": rejection.detail}, 422)


def enrolment_routes(sandbox: Sandbox) -> dict:
    mcc = sandbox.mcc

    def authorise(request: Request) -> Response:
        data = request.json_object()
        try:
            commissioned_by = CommissionedBy(data.get("commissioned_by", "DCC"))
        except ValueError:
            raise HTTPError(400, "commissioned_by is DCC or Supplier") from None
        if not isinstance(data.get("device_id"), str) or not isinstance(data.get("supplier"), str):
            raise HTTPError(400, "give device_id and supplier (entity identifiers)")
        try:
            ma = mcc.authorise(
                valid_eui64(data["device_id"]), valid_eui64(data["supplier"]), commissioned_by, _offered(data)
            )
        except Rejection as rejection:
            return _rejected(rejection)
        return Response.json({"accepted": True, **ma.to_json()}, 201)

    def notify_dormant(request: Request) -> Response:
        data = request.json_object()
        try:
            notification = mcc.notify_dormant_meter(
                valid_eui64(str(data.get("device_id"))), valid_eui64(str(data.get("supplier")))
            )
        except Rejection as rejection:
            return _rejected(rejection)
        return Response.json({"notification": notification}, 201)

    def respond_dormant(request: Request, notification: str) -> Response:
        try:
            ma = mcc.dormant_notification_response(notification, _offered(request.json_object()))
        except Rejection as rejection:
            return _rejected(rejection)
        return Response.json({"accepted": True, **ma.to_json()}, 201)

    def commission(request: Request, ma_id: str) -> Response:
        try:
            result = sandbox.commission(ma_id)
        except KeyError as exc:
            raise HTTPError(404, str(exc.args[0])) from None
        except Rejection as rejection:
            return _rejected(rejection)
        return Response.json(
            {
                "accepted": result.accepted,
                "decided_by": result.decided_by,
                "reason": result.reason,
                "request_xml": result.request_xml,
                "response_xml": result.response_xml,
                "migration_authorisation": result.migration_authorisation.to_json(),
            }
        )

    return {
        ("POST", "/enrolment/migration-authorisations"): authorise,
        ("POST", "/enrolment/dormant-notifications"): notify_dormant,
        ("POST", "/enrolment/dormant-notifications/{notification}/response"): respond_dormant,
        ("POST", "/enrolment/migration-authorisations/{ma_id}/commission"): commission,
    }
