"""An S1SP's routes: the DSP posts the Countersigned Service Requests it has passed, the DCC Commissioning
Party its handover at enrolment."""

from __future__ import annotations

from fake_services.core.faults import Faults
from fake_services.s1sp.models import S1SP
from fake_services.s1sp.responses import S1SPResponses
from serving.web import App

S1SP_PATH = "/s1sp/v1/serviceRequest"
COMMISSIONING_PATH = "/s1sp/v1/commissioning"


def s1sp_app(s1sp: S1SP, faults: Faults) -> App:
    responses = S1SPResponses(s1sp, faults)
    return App(
        [("POST", S1SP_PATH, responses.service_request), ("POST", COMMISSIONING_PATH, responses.commissioning)],
        guard=responses.injected_fault,
    )
