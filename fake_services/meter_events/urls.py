"""Meter events' route: `POST /devices/{id}/alerts`, behind the local ports' guard."""

from __future__ import annotations

from fake_services.meter_events.models import MeterEvents
from fake_services.meter_events.responses import MeterEventsResponses
from serving.web import App, Guard


def meter_events_app(events: MeterEvents, guard: Guard | None = None) -> App:
    responses = MeterEventsResponses(events)
    return App([("POST", "/devices/<device_id>/alerts", responses.raise_alert)], guard=guard)
