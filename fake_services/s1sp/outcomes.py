"""What an S1SP says, in DUIS: its decision on a countersigned request (a SMETS1 response, or a standard S1SP
Alert naming the rule that refused it), the 8F66/8F67 alert when a future-dated command has run, and a
meter's alert for its Network Operator. Built here, unsigned unless said, so that the S1SP's rules
(`models.py`) never write the wire format."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from catalogue import Clause
from duis.requests import ServiceRequest
from duis.responses import future_dated_alert, smets1_alert_response
from duis.smets1 import (
    RemotePartyDetail,
    s1sp_alert,
    smets1_credentials_read_response,
    smets1_credentials_update_response,
    smets1_device_alert,
    smets1_signed_response,
)
from fake_services.core.rejections import Rejection
from fake_services.core.signer import ServiceSigner


@dataclass
class Decision:
    """What the S1SP decided and by which checks; the signed answer goes back to the DSP."""

    answer: etree._Element
    accepted: bool
    decided_by: tuple[Clause, ...]
    reason: str


def credentials_read(request: ServiceRequest, details: Iterable[RemotePartyDetail]) -> etree._Element:
    """6.24.1's answer: one cell per trust anchor of the roles asked for."""
    return smets1_credentials_read_response(request.request_id, request.srv, request.request_id.counter, details)


def credentials_updated(request: ServiceRequest, executed: bool) -> etree._Element:
    """6.15.1's or 6.21's answer: with its ExecutionOutcome when applied now, without when future dated or
    cancelled."""
    return smets1_credentials_update_response(request.request_id, request.srv, request.request_id.counter, executed)


def done(request: ServiceRequest) -> etree._Element:
    """Any other SRV's answer: the device did it (the sandbox carries no payload)."""
    return smets1_signed_response(request.request_id, request.srv, request.request_id.counter)


def refused(request: ServiceRequest, rejection: Rejection) -> etree._Element:
    """The standard S1SP Alert for a rule the S1SP applied: its S1SP Alert code from the one table."""
    code = rejection.rule.s1sp_alert_code
    if code is None:  # every rule an S1SP can apply has its S1SP Alert code in the one table
        raise RuntimeError(f"the rule {rejection.rule.key} has no S1SP Alert code")
    return s1sp_alert(request.request_id, request.device_id, code, rejection.detail)


def future_dated_outcome(request: ServiceRequest, success: bool) -> etree._Element:
    """The DSP Response telling the sender a future-dated command has run (8F66) or failed (8F67). Its GBCS
    payload carries the RequestID and the outcome in words (a real device sends its GBCS alert; nothing in
    the suite parses it)."""
    payload = f"{request.request_id} {'executed' if success else 'failed'}".encode()
    return future_dated_alert(request.request_id, request.request_id.response_id(), request.srv, success, payload)


def device_alert(
    signer: ServiceSigner, device_id: str, recipient: str, counter: int, alert_code: str
) -> etree._Element:
    """A meter's alert for its Network Operator, signed by the S1SP, inside the Response the DCC delivers to
    the recipient (its ResponseID names device, recipient and counter)."""
    signed = signer.sign(smets1_device_alert(device_id, recipient, counter, alert_code))
    return smets1_alert_response(signed, f"{device_id}:{recipient}:{counter}")
