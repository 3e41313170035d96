"""An S1SP's interfaces to the DCC: the DSP posts the Countersigned Service Requests it has passed,
the DCC Commissioning Party its handover at enrolment. The S1SP answers a signed SMETS1 response or a
signed S1SP Alert (and, as sandbox evidence, the clauses that decided it). Anything not countersigned by
the DCC system that may use the interface gets a plain-text 403 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree
from werkzeug.wrappers import Request, Response

from duis.xml import NotXML, parse, to_bytes
from fake_services.core.duis_wire import CLAUSE_HEADER, REASON_HEADER, deadline_of, header_safe
from fake_services.core.faults import Faults, act_out
from fake_services.s1sp.models import S1SP, Decision, InternalLinkRefused
from serving.web import App, HTTPError, xml_response

S1SP_PATH = "/s1sp/v1/serviceRequest"
COMMISSIONING_PATH = "/s1sp/v1/commissioning"


def _answer(decision: Decision) -> Response:
    return xml_response(
        to_bytes(decision.answer),
        {
            CLAUSE_HEADER: header_safe(", ".join(c.display for c in decision.decided_by)),
            REASON_HEADER: header_safe(decision.reason),
        },
    )


def _envelope(request: Request) -> etree._Element:
    if request.mimetype != "application/xml":
        raise HTTPError(415, "send the Countersigned Service Request as Content-Type: application/xml")
    try:
        return parse(request.get_data())
    except NotXML as exc:
        raise HTTPError(400, str(exc)) from None


def s1sp_app(s1sp: S1SP, faults: Faults) -> App:
    def interface(work: Callable[[etree._Element, float | None], Decision]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            try:
                return _answer(work(_envelope(request), deadline_of(request)))
            except InternalLinkRefused as exc:
                raise HTTPError(403, str(exc)) from None

        return handler

    def injected_fault(_: Request) -> Response | None:
        """A faulty S1SP is faulty on every interface it offers."""
        return act_out(faults.current(s1sp.name))

    return App(
        [
            ("POST", S1SP_PATH, interface(s1sp.process)),
            ("POST", COMMISSIONING_PATH, interface(s1sp.accept_commissioning_handover)),
        ],
        guard=injected_fault,
    )
