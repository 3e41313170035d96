"""The DSP's wire: a DUIS Request in (`application/xml`, or a plain-text 4xx), the DSP's answer out, signed by
the DSP, with the deciding clauses and reason in X-DUIS-Clause / X-DUIS-Reason headers (sandbox evidence: no
DCC system sends them). A DUIS Request always gets a signed DUIS Response, unless its header is too broken to
echo (then a plain-text 400)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree
from werkzeug.wrappers import Request, Response

from duis.xml import to_bytes
from fake_services.core.duis_wire import read_duis_request
from fake_services.core.evidence import Evidence
from fake_services.core.signer import ServiceSigner
from fake_services.dsp.models import DSP, Outcome
from serving.web import HTTPError, xml_response


class DSPResponses:
    """The handlers of the DSP's three web services."""

    def __init__(self, dsp: DSP, signer: ServiceSigner) -> None:
        self.dsp = dsp
        self.signer = signer

    def transform(self, request: Request) -> Response:
        return self._answer(self.dsp.transform, request)

    def send_command(self, request: Request) -> Response:
        return self._answer(self.dsp.send_command, request)

    def non_device(self, request: Request) -> Response:
        return self._answer(self.dsp.non_device, request)

    def _answer(self, process: Callable[[etree._Element], Outcome], request: Request) -> Response:
        outcome = process(read_duis_request(request))
        if outcome.response is None:
            raise HTTPError(400, f"not a DUIS request this DSP can answer: {outcome.reason}")
        signed = to_bytes(self.signer.sign(outcome.response))
        return xml_response(signed, Evidence(outcome.decided_by, outcome.reason).headers())
