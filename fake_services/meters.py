"""The meters themselves, as the sandbox simulates them: what a person at a real meter would do to make it
raise an alert (pull its supply, open its cover) is here a request to this service. It is part of the
simulated world, not a way to judge: where the alert goes is seen only by the User that receives it."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.wrappers import Request, Response

from fake_services.core.records import valid_eui64
from fake_services.core.rejections import Rejection
from fake_services.devices.models import AlertLog
from fake_services.registration.models import SmartMeteringInventory
from fake_services.s1sp.models import S1SP
from serving.web import App, Guard, HTTPError, json_object, json_response

DEFAULT_ALERT_CODE = "8F35"
"""A GBCS alert code for the Network Operator (the sandbox carries no alert payload)."""


class MeterEvents:
    def __init__(self, inventory: SmartMeteringInventory, s1sps: Mapping[str, S1SP], log: AlertLog) -> None:
        self.inventory = inventory
        self.s1sps = s1sps
        self.log = log

    def raise_alert(self, device_id: str, alert_code: str = DEFAULT_ALERT_CODE) -> None:
        """The meter raises an alert for its Network Operator; its S1SP sends it on."""
        device = self.inventory.get(device_id)
        if device is None:
            raise LookupError(f"device {device_id} does not exist")
        if device.smets != 1 or device.s1sp not in self.s1sps:
            raise ValueError("the sandbox simulates Network Operator alerts of SMETS1 meters on a running S1SP")
        self.s1sps[device.s1sp].route_device_alert(device_id, alert_code, self.log)


def meter_events_app(events: MeterEvents, guard: Guard | None = None) -> App:
    def raise_alert(request: Request, device_id: str) -> Response:
        code = str(json_object(request).get("alert_code", DEFAULT_ALERT_CODE))
        if len(code) != 4 or any(c not in "0123456789ABCDEFabcdef" for c in code):
            raise HTTPError(400, "'alert_code' is a GBCS alert code: 4 hexadecimal digits, e.g. 8F35")
        try:
            events.raise_alert(valid_eui64(device_id), code.upper())
        except LookupError as exc:
            raise HTTPError(404, str(exc)) from None
        except (ValueError, Rejection) as exc:
            raise HTTPError(400, str(exc)) from None
        return json_response({"raised": True, "device_id": device_id, "alert_code": code.upper()}, 202)

    return App([("POST", "/devices/<device_id>/alerts", raise_alert)], guard=guard)
