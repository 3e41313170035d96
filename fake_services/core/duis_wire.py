"""DUIS on the wire, for every fake that takes it (the DSP from Users, an S1SP from the DSP): the
body must be `application/xml` holding a DUIS Request, or the answer is a plain-text 4xx; an S1SP reads the
DSP's deadline beside it."""

from __future__ import annotations

from lxml import etree
from werkzeug.wrappers import Request

from duis.xml import NotXML, parse, q
from fake_services.core.evidence import DEADLINE_HEADER
from serving.web import HTTPError


def read_duis_request(request: Request) -> etree._Element:
    """The request body parsed as a DUIS Request, or an HTTPError saying why not."""
    if request.mimetype != "application/xml":
        raise HTTPError(415, "send DUIS as Content-Type: application/xml")
    try:
        root = parse(request.get_data())
    except NotXML as exc:
        raise HTTPError(400, str(exc)) from None
    if root.tag != q("Request"):
        raise HTTPError(400, f"the root element {root.tag} is not a DUIS Request in the DUIS namespace")
    return root


def deadline_of(request: Request) -> float | None:
    """The DSP's deadline an S1SP must commit by, if the request carries one."""
    try:
        return float(request.headers[DEADLINE_HEADER])
    except (KeyError, ValueError):
        return None
