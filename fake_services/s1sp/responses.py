"""An S1SP's interfaces to the DCC: the DSP posts the User's request it has passed, the DCC
Commissioning Party posts its handover at enrolment; the S1SP answers a signed SMETS1 response or a
signed S1SP Alert (and, as sandbox evidence, the clauses that decided it)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from duis.xml import to_bytes
from fake_services.duis_wire import CLAUSE_HEADER, REASON_HEADER, deadline_of, header_safe, read_duis_request
from fake_services.faults import Faults, act_out
from fake_services.s1sp.models import S1SP, Decision
from serving.web import App, xml_response

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


def s1sp_app(s1sp: S1SP, commissioning_party: str, faults: Faults) -> App:
    def service_request(request: Request) -> Response:
        return _answer(s1sp.process(read_duis_request(request), deadline_of(request)))

    def commissioning(request: Request) -> Response:
        return _answer(
            s1sp.accept_commissioning_handover(read_duis_request(request), commissioning_party, deadline_of(request))
        )

    def injected_fault(_: Request) -> Response | None:
        """A faulty S1SP is faulty on every interface it offers."""
        return act_out(faults.current(s1sp.name))

    return App(
        [("POST", S1SP_PATH, service_request), ("POST", COMMISSIONING_PATH, commissioning)],
        guard=injected_fault,
    )
