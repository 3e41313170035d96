"""What the DSP answers, in DUIS: each decision as its (unsigned) DUIS Response with the checks that decided it
and the reason in words. Built here so that the DSP's rules (`models.py`) never write the wire format: a
refusal echoing the request's header, a Pre-Command to sign, an I99, a SMETS2 device's answer, an S1SP's
signed answer passed on, or its S1SP Alert passed on as a DCC Alert."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from catalogue import S1SR_4_2, SRPD_16_1, Clause
from catalogue.rules import S1SP_ALERT_DCC_ALERT_CODE, rule_for_s1sp_alert
from duis.precommand import GBCS_VERSION
from duis.requests import ServiceRequest, request_header
from duis.responses import (
    acknowledgement,
    dcc_alert_with_s1sp_alert,
    device_response,
    pre_command_response,
    response_message,
    smets1_response,
)
from duis.sandbox_payload import sandbox_credentials_payload
from duis.schema import schema_error
from duis.smets1 import RemotePartyDetail
from duis.xml import q
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.s1sp_link import S1SPAnswer


@dataclass
class Outcome:
    """A DSP answer (unsigned) and the checks that decided it."""

    response: etree._Element | None  # None: the request could not be answered in DUIS at all
    accepted: bool
    decided_by: tuple[Clause, ...]
    reason: str
    response_code: str


def refused(root: etree._Element, request: ServiceRequest | None, rejection: Rejection) -> Outcome:
    """A request a check refused at the web service: the DUIS Response echoing its header with the rule's
    response code; no DUIS Response at all when the header is too broken to echo in a valid one (the endpoint
    then answers a plain HTTP 400)."""
    code = rejection.rule.response_code
    if request is not None:
        response: etree._Element | None = response_message(request.request_id, code, request.srv)
    else:
        request_id, srv = request_header(root)
        response = response_message(request_id, code, srv)
        response = response if schema_error(response) is None else None
    return Outcome(response, False, (rejection.rule.clause,), rejection.detail, code)


def pre_command_issued(request: ServiceRequest, verdict: Verdict, payload: bytes) -> Outcome:
    """Transform (CV 4): the Pre-Command the User is to sign, at once (I0)."""
    return Outcome(
        pre_command_response(request.request_id, request.srv, payload, GBCS_VERSION),
        True,
        (verdict.clause,),
        f"DSP: {verdict.reason}; Pre-Command issued for the User to sign",
        "I0",
    )


def acknowledged(request: ServiceRequest, verdict: Verdict) -> Outcome:
    """Send Command (CV 1, 5): accepted (I99); the answer follows at the User's Receive Response Service."""
    return Outcome(
        acknowledgement(request.request_id, request.srv),
        True,
        (verdict.clause,),
        f"DSP: {verdict.reason}; accepted, the answer follows at the User's Receive Response Service",
        "I99",
    )


def not_routed(request: ServiceRequest, verdict: Verdict, rejection: Rejection) -> Outcome:
    """An accepted command that could not be carried out (its S1SP did not answer, its device refused it)."""
    code = rejection.rule.response_code
    return Outcome(
        response_message(request.request_id, code, request.srv),
        False,
        (rejection.rule.clause,),
        f"DSP: {verdict.reason}; {rejection.detail}",
        code,
    )


def smets2_read(request: ServiceRequest, verdict: Verdict, details: list[RemotePartyDetail]) -> Outcome:
    """A SMETS2 device's answer to 6.24.1, in the sandbox's stand-in for its GBCS payload."""
    return Outcome(
        device_response(request.request_id, request.srv, sandbox_credentials_payload(details)),
        True,
        (verdict.clause,),
        f"DSP: {verdict.reason}; device: {len(details)} credential cells read",
        "I0",
    )


def smets2_done(request: ServiceRequest, verdict: Verdict, decided: str) -> Outcome:
    """A SMETS2 device's answer to any other command, with what it decided in words."""
    return Outcome(
        device_response(request.request_id, request.srv),
        True,
        (verdict.clause,),
        f"DSP: {verdict.reason}; device: {decided}",
        "I0",
    )


def s1sp_answered(request: ServiceRequest, verdict: Verdict, s1sp: str, answer: S1SPAnswer) -> Outcome:
    """An S1SP's answer passed on to the User: its signed SMETS1 response, or its S1SP Alert as a DCC Alert.
    Anything else from it is a communications failure (Rejection 's1sp_unavailable')."""
    try:
        signed = etree.fromstring(answer.body)
    except etree.XMLSyntaxError as exc:
        raise Rejection("s1sp_unavailable", f"{s1sp} answered something that is not XML: {exc}") from None
    if signed.tag == q("S1SPAlert"):
        return s1sp_alerted(request, verdict, s1sp, signed)
    if signed.tag != q("SMETS1SignedResponse"):
        raise Rejection("s1sp_unavailable", f"{s1sp} answered {signed.tag}")
    return Outcome(
        smets1_response(request.request_id, request.srv, signed),
        True,
        (verdict.clause, *answer.clauses) if answer.clauses else (verdict.clause, SRPD_16_1, S1SR_4_2),
        f"DSP: {verdict.reason}; {s1sp}: {answer.reason or 'accepted'}",
        "I0",
    )


def s1sp_alerted(request: ServiceRequest, verdict: Verdict, s1sp: str, alert: etree._Element) -> Outcome:
    """An S1SP said no with a standard S1SP Alert: the DSP passes it on as a DCC Alert whose response
    code is the rule's (never I0: nothing a User reads as success), reading which rule it stands for
    from its S1SP Alert code (the one table), never from free text."""
    code = alert.findtext(q("S1SPAlertCode")) or ""
    info = alert.findtext(q("AdditionalInformation")) or ""
    rule = rule_for_s1sp_alert(code)
    response_code = rule.response_code if rule else "E100"
    return Outcome(
        dcc_alert_with_s1sp_alert(request.request_id, S1SP_ALERT_DCC_ALERT_CODE, alert, response_code),
        False,
        (rule.clause,) if rule else (),  # a code the one table does not know names no clause
        f"DSP: {verdict.reason}; S1SP Alert {code} from {s1sp}: {info}",
        response_code,
    )
