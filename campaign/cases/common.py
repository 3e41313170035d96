"""What every group of named cases shares: the categories the campaign reports by, the codes each bad input
must be refused with, and the ways a case is built and sent."""

from __future__ import annotations

from collections.abc import Callable

import requests
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from campaign.bench import Bench
from campaign.model import Case, Expect, Sent
from duis.signature import sign
from duis.xml import to_bytes
from user_system.client import TRANSFORM_PATH, sign_request

NOT_DUIS = "not DUIS (HTTP 4xx)"
INVALID_DUIS = "invalid DUIS (DUIS error response)"
AUTHENTICATION = "signature and certificate"
REPLAY = "anti-replay"
DEVICE = "device"
CERTIFICATES = "replacement certificates"
CONTROL = "Control API"
CLI = "command line"
CONFIG = "configuration file"
FAULTS = "S1SP faults"
CRITICAL = "critical flow (CV, Pre-Command, bypass)"

E_SCHEMA, E_SIGNATURE, E_REPLAY, E_UNKNOWN_DEVICE, E_DEVICE_TYPE, E_S1SP = "E100", "E1", "E100", "E19", "E11", "E20"
E_COMMAND_VARIANT, E_WEB_SERVICE, E_PRE_COMMAND = "E12", "E13", "E100"
INVALID_CERTIFICATE = "S1SP-INVALID-CERTIFICATE"
OWNER_MISMATCH = "S1SP-CERT-OWNER-MISMATCH"
DER = Encoding.DER


def signed(bench: Bench, **changes) -> bytes:
    return sign_request(bench.correction(**changes), bench.holder.identity)


def resigned(bench: Bench, edit: Callable[[etree._Element], None], identity=None) -> bytes:
    """The valid request edited, then signed properly: only a check deeper than the signature can catch it."""
    root = bench.correction().to_xml()
    edit(root)
    identity = identity or bench.holder.identity
    return to_bytes(sign(root, identity.key, identity.certificate))


def case(
    category: str,
    name: str,
    body: Callable[[], bytes],
    expect: Expect,
    content_type="application/xml",
    prepare=None,
    bench: Bench | None = None,
    path: str = TRANSFORM_PATH,
) -> Case:
    assert bench is not None
    return Case(category, name, lambda: bench.post(body(), content_type, path), expect, prepare)


def http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Sent:
    """One plain HTTP request, as what came back (status 0: no answer at all)."""
    try:
        reply = requests.request(method, url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        return Sent(0, detail=str(exc))
    return Sent(reply.status_code, detail=reply.text.strip()[:200])
