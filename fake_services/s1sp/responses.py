"""An S1SP's wire: a Countersigned Service Request in (`application/xml`), the S1SP's signed answer out, a
SMETS1 response or an S1SP Alert, with the clauses that decided it as sandbox evidence. Anything not
countersigned by the DCC system that may use the interface gets a plain-text 403 and changes nothing; a
faulty S1SP (the fault campaign) is faulty on every interface it offers."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree
from werkzeug.wrappers import Request, Response

from duis.xml import NotXML, parse, to_bytes
from fake_services.core.duis_wire import deadline_of
from fake_services.core.evidence import Evidence
from fake_services.core.faults import Faults, act_out
from fake_services.s1sp.models import S1SP, InternalLinkRefused
from fake_services.s1sp.outcomes import Decision
from serving.web import HTTPError, xml_response

Work = Callable[[etree._Element, float | None], Decision]


def _envelope(request: Request) -> etree._Element:
    if request.mimetype != "application/xml":
        raise HTTPError(415, "send the Countersigned Service Request as Content-Type: application/xml")
    try:
        return parse(request.get_data())
    except NotXML as exc:
        raise HTTPError(400, str(exc)) from None


class S1SPResponses:
    """The handlers of one S1SP's interfaces to the DCC."""

    def __init__(self, s1sp: S1SP, faults: Faults) -> None:
        self.s1sp = s1sp
        self.faults = faults

    def service_request(self, request: Request) -> Response:
        """The DSP passes on a User's Service Request it has accepted."""
        return self._answer(self.s1sp.process, request)

    def commissioning(self, request: Request) -> Response:
        """The DCC Commissioning Party hands over a meter's first Network Operator certificate (SRV 6.21)."""
        return self._answer(self.s1sp.accept_commissioning_handover, request)

    def injected_fault(self, _: Request) -> Response | None:
        """A faulty S1SP is faulty on every interface it offers."""
        return act_out(self.faults.current(self.s1sp.name))

    @staticmethod
    def _answer(work: Work, request: Request) -> Response:
        try:
            decision = work(_envelope(request), deadline_of(request))
        except InternalLinkRefused as exc:
            raise HTTPError(403, str(exc)) from None
        return xml_response(to_bytes(decision.answer), Evidence(decision.decided_by, decision.reason).headers())
