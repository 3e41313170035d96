"""DUIS messages, each name from its one home: identifiers and Service Requests (`duis.requests`), the DSP's
Responses and what a User reads from them (`duis.responses`), and what an S1SP says (`duis.smets1`).

This module only gathers those names, for importers that take them all from one place; the project's own
modules import from the homes themselves."""

from __future__ import annotations

from duis.requests import (
    MalformedMessage,
    RequestID,
    ServiceRequest,
    format_xml_datetime,
    normalise_eui64,
    parse_xml_datetime,
    request_header,
)
from duis.responses import (
    FUTURE_DATED_FAILURE,
    FUTURE_DATED_SUCCESS,
    S1SPAlertInfo,
    ServiceResponse,
    acknowledgement,
    dcc_alert_with_s1sp_alert,
    device_response,
    future_dated_alert,
    pre_command_response,
    response_message,
    smets1_alert_response,
    smets1_response,
)
from duis.smets1 import (
    CREDENTIALS_REPLACEMENT_MODES,
    RemotePartyDetail,
    s1sp_alert,
    smets1_credentials_read_response,
    smets1_credentials_update_response,
    smets1_device_alert,
    smets1_signed_response,
)
from duis.xml import DS

__all__ = [
    "CREDENTIALS_REPLACEMENT_MODES",
    "DS",
    "FUTURE_DATED_FAILURE",
    "FUTURE_DATED_SUCCESS",
    "MalformedMessage",
    "RemotePartyDetail",
    "RequestID",
    "S1SPAlertInfo",
    "ServiceRequest",
    "ServiceResponse",
    "acknowledgement",
    "dcc_alert_with_s1sp_alert",
    "device_response",
    "format_xml_datetime",
    "future_dated_alert",
    "normalise_eui64",
    "parse_xml_datetime",
    "pre_command_response",
    "request_header",
    "response_message",
    "s1sp_alert",
    "smets1_alert_response",
    "smets1_credentials_read_response",
    "smets1_credentials_update_response",
    "smets1_device_alert",
    "smets1_response",
    "smets1_signed_response",
]
