"""DUIS on the wire, for every fake that takes it (the DSP from Users, an S1SP from the DSP): the
body must be `application/xml` holding a DUIS Request, or the answer is a plain-text 4xx; beside each DUIS
answer, the sandbox's evidence of what decided it."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from werkzeug.wrappers import Request

from catalogue import Clause
from duis.xml import NotXML, parse, q
from serving.web import HTTPError

CLAUSE_HEADER = "X-DUIS-Clause"
"""Sandbox evidence beside a DUIS answer: the catalogue clauses that decided it (display forms)."""
REASON_HEADER = "X-DUIS-Reason"
"""Sandbox evidence beside a DUIS answer: the deciding reason, in words."""
DEADLINE_HEADER = "X-DSP-Deadline"
"""On the DSP's requests to an S1SP: epoch seconds by which the S1SP must have committed, or not commit
at all (deadline propagation: a DSP that has given up waiting never leaves a change half-reported)."""


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


def header_safe(value: str) -> str:
    """A value fit for an HTTP header: Latin-1, one line, bounded."""
    return value.encode("latin-1", "replace").decode("latin-1").replace("\r", " ").replace("\n", " ")[:500]


def evidence_headers(decided_by: Iterable[Clause], reason: str) -> dict[str, str]:
    """The sandbox's evidence beside a DUIS answer (no DCC system sends it): the clauses that decided it and
    the reason, as X-DUIS-Clause / X-DUIS-Reason headers."""
    return {
        CLAUSE_HEADER: header_safe(", ".join(c.display for c in decided_by)),
        REASON_HEADER: header_safe(reason),
    }


def deadline_of(request: Request) -> float | None:
    """The DSP's deadline an S1SP must commit by, if the request carries one."""
    try:
        return float(request.headers[DEADLINE_HEADER])
    except (KeyError, ValueError):
        return None
