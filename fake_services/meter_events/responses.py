"""Meter events' wire: JSON in (`{"alert_code": "8F35"}`, optional), the meter raises its alert, 202 out; an
unknown device is a 404, anything the sandbox cannot simulate a 400."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from fake_services.core.records import valid_eui64
from fake_services.core.rejections import Rejection
from fake_services.meter_events.models import DEFAULT_ALERT_CODE, MeterEvents
from serving.web import HTTPError, json_object, json_response


class MeterEventsResponses:
    def __init__(self, events: MeterEvents) -> None:
        self.events = events

    def raise_alert(self, request: Request, device_id: str) -> Response:
        code = str(json_object(request).get("alert_code", DEFAULT_ALERT_CODE))
        if len(code) != 4 or any(c not in "0123456789ABCDEFabcdef" for c in code):
            raise HTTPError(400, "'alert_code' is a GBCS alert code: 4 hexadecimal digits, e.g. 8F35")
        try:
            self.events.raise_alert(valid_eui64(device_id), code.upper())
        except LookupError as exc:
            raise HTTPError(404, str(exc)) from None
        except (ValueError, Rejection) as exc:
            raise HTTPError(400, str(exc)) from None
        return json_response({"raised": True, "device_id": device_id, "alert_code": code.upper()}, 202)
