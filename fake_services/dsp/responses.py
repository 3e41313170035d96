"""The DSP's DUIS web services, as DCC Boxed exposes them: `POST /api/v1/serviceT` (Transform),
`/api/v1/serviceS` (Send Command) and `/api/v1/serviceD` (Non-Device), each `application/xml`.

Anything that is not DUIS gets a plain-text 4xx; a DUIS request always gets a signed DUIS Response, with
the deciding clauses and reason in X-DUIS-Clause / X-DUIS-Reason headers (sandbox evidence: no DCC
system sends them)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree
from werkzeug.wrappers import Request, Response

from duis.xml import to_bytes
from fake_services.core.duis_wire import CLAUSE_HEADER, REASON_HEADER, header_safe, read_duis_request
from fake_services.core.signer import ServiceSigner
from fake_services.dsp.models import DSP, Outcome
from serving.web import App, HTTPError, xml_response

TRANSFORM_PATH = "/api/v1/serviceT"
SERVICE_PATH = "/api/v1/serviceS"
NON_DEVICE_PATH = "/api/v1/serviceD"


def dsp_app(dsp: DSP, signer: ServiceSigner) -> App:
    def answering(process: Callable[[etree._Element], Outcome]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            outcome = process(read_duis_request(request))
            if outcome.response is None:
                raise HTTPError(400, f"not a DUIS request this DSP can answer: {outcome.reason}")
            return xml_response(
                to_bytes(signer.sign(outcome.response)),
                {
                    CLAUSE_HEADER: header_safe(", ".join(c.display for c in outcome.decided_by)),
                    REASON_HEADER: header_safe(outcome.reason),
                },
            )

        return handler

    return App(
        [
            ("POST", TRANSFORM_PATH, answering(dsp.transform)),
            ("POST", SERVICE_PATH, answering(dsp.send_command)),
            ("POST", NON_DEVICE_PATH, answering(dsp.non_device)),
        ]
    )
