"""The DSP's DUIS endpoint, as DCC Boxed has it: `POST /api/v1/serviceS`, `application/xml`.

Anything that is not DUIS gets a plain-text 4xx; a DUIS request always gets a signed DUIS
Response, with the deciding clauses and reason in X-DUIS-Clause / X-DUIS-Reason headers (sandbox
evidence: no DCC system sends them)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from duis.xml import to_bytes
from fake_services.dsp.models import DSP
from fake_services.duis_wire import CLAUSE_HEADER, REASON_HEADER, header_safe, read_duis_request
from fake_services.signer import ServiceSigner
from serving.web import App, HTTPError, xml_response

SERVICE_PATH = "/api/v1/serviceS"


def dsp_app(dsp: DSP, signer: ServiceSigner) -> App:
    def service_s(request: Request) -> Response:
        outcome = dsp.process(read_duis_request(request))
        if outcome.response is None:
            raise HTTPError(400, f"not a DUIS request this DSP can answer: {outcome.reason}")
        return xml_response(
            to_bytes(signer.sign(outcome.response)),
            {
                CLAUSE_HEADER: header_safe(", ".join(c.display for c in outcome.decided_by)),
                REASON_HEADER: header_safe(outcome.reason),
            },
        )

    return App([("POST", SERVICE_PATH, service_s)])
