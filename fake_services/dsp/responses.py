"""The DSP's DUIS endpoint, as DCC Boxed has it: `POST /api/v1/serviceS`, `application/xml`.

Anything that is not DUIS gets a plain-text 4xx; a DUIS request always gets a signed DUIS
Response, with the deciding clause and reason in X-DUIS-Clause / X-DUIS-Reason headers."""

from __future__ import annotations

from duis.xml import NotXML, parse, q, to_bytes
from fake_services.dsp.models import DSP
from fake_services.http import HTTPError, Request, Response, route
from fake_services.signer import ServiceSigner


def _header_safe(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1").replace("\r", " ").replace("\n", " ")[:500]


def duis_body(request: Request):
    """The request body parsed as a DUIS Request, or an HTTPError saying why not."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/xml":
        raise HTTPError(415, "send DUIS as Content-Type: application/xml")
    try:
        root = parse(request.body)
    except NotXML as exc:
        raise HTTPError(400, str(exc)) from None
    if root.tag != q("Request"):
        raise HTTPError(400, f"the root element {root.tag} is not a DUIS Request in the DUIS namespace")
    return root


def dsp_app(dsp: DSP, signer: ServiceSigner):
    def service_s(request: Request) -> Response:
        outcome = dsp.process(duis_body(request))
        if outcome.response is None:
            raise HTTPError(400, f"not a DUIS request this DSP can answer: {outcome.reason}")
        return Response(
            200,
            to_bytes(signer.sign(outcome.response)),
            "application/xml",
            {"X-DUIS-Clause": _header_safe(outcome.clause), "X-DUIS-Reason": _header_safe(outcome.reason)},
        )

    return route({("POST", "/api/v1/serviceS"): service_s})
