"""The DCC's internal link to an S1SP: a Countersigned Service Request.

SEC: "a communication sent by the DCC to a SMETS1 Service Provider in the circumstances set out in the
SRPD". No public artefact gives its wire format, so this is the sandbox's: an envelope in the sandbox's
own namespace carrying the User's Service Request exactly as the DCC received it (with the User's own
signature) and, for a Critical request, the User-signed Pre-Command (GBCS payload), signed as a whole
by the DCC system that sends it (the DSP, or the DCC Commissioning Party at enrolment). An S1SP takes
nothing else: a request sent straight to it by a User is refused before anything is read from it.
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass

from lxml import etree

from duis.xml import SR

INTERNAL = "urn:mp107-sandbox:dcc-internal"
ENVELOPE = f"{{{INTERNAL}}}CountersignedServiceRequest"
PRE_COMMAND = f"{{{INTERNAL}}}SignedPreCommand"


class NotCountersigned(ValueError):
    """Not a Countersigned Service Request from the DCC (an S1SP answers it with a 4xx)."""


@dataclass(frozen=True)
class Countersigned:
    """What an S1SP reads from the DCC's envelope, once its countersignature has been checked."""

    request: etree._Element
    signed_pre_command: bytes | None


def countersigned_request(request: etree._Element, signed_pre_command: bytes | None) -> etree._Element:
    """The envelope, unsigned (the sending DCC system signs it)."""
    envelope = etree.Element(ENVELOPE, nsmap={"dcc": INTERNAL, "sr": SR})
    envelope.append(copy.deepcopy(request))  # the User's request as it came, the caller's tree untouched
    if signed_pre_command is not None:
        etree.SubElement(envelope, PRE_COMMAND).text = base64.b64encode(signed_pre_command).decode()
    return envelope


def read_countersigned(envelope: etree._Element) -> Countersigned:
    """The User's request and Pre-Command from an envelope (its signature is checked by the caller)."""
    if envelope.tag != ENVELOPE:
        raise NotCountersigned(f"{envelope.tag} is not a Countersigned Service Request from the DCC")
    request = envelope.find(f"{{{SR}}}Request")
    if request is None:
        raise NotCountersigned("the Countersigned Service Request carries no Service Request")
    text = envelope.findtext(PRE_COMMAND)
    try:
        pre_command = base64.b64decode(text, validate=True) if text else None
    except (binascii.Error, ValueError):
        raise NotCountersigned("the Signed Pre-Command is not base64") from None
    return Countersigned(request, pre_command)
