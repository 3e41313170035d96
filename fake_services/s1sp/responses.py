"""An S1SP's interface to the DSP: the DSP posts the User's signed request, the S1SP answers a
signed SMETS1 response or a signed S1SP Alert."""

from __future__ import annotations

from duis.xml import to_bytes
from fake_services import faults
from fake_services.dsp.responses import duis_body
from fake_services.http import Request, Response, route
from fake_services.s1sp.models import S1SP

S1SP_PATH = "/s1sp/v1/serviceRequest"
COMMISSIONING_PATH = "/s1sp/v1/commissioning"


def s1sp_app(s1sp: S1SP, commissioning_party: str):
    def answer(decision) -> Response:
        return Response(200, to_bytes(decision.answer), "application/xml", {"X-DUIS-Clause": decision.clause})

    def service_request(request: Request) -> Response:
        return answer(s1sp.process(duis_body(request), faults.deadline_of(request.headers)))

    def commissioning(request: Request) -> Response:
        return answer(
            s1sp.accept_commissioning_handover(
                duis_body(request), commissioning_party, faults.deadline_of(request.headers)
            )
        )

    handler = route({("POST", S1SP_PATH): service_request, ("POST", COMMISSIONING_PATH): commissioning})

    def with_injected_fault(request: Request) -> Response:
        """A faulty S1SP is faulty on every interface it offers."""
        return faults.show(faults.current(s1sp.store, s1sp.name)) or handler(request)

    return with_injected_fault
