"""Which DUIS message a delivery is, whatever its bytes, and the run's bounded memory of the messages seen.

The DCC delivers at least once, and a DCC that re-delivers need not send the same bytes: the message may
be laid out again (a comment or blank text added: DCC's tools sign and verify the compact form, so the
signature still verifies), signed again (another signature, its identifiers written in lower case as DCC's
duis-parser writes EUI-64s), or come after the next scenario began. So a message is known by its **DUIS
identity**, not its bytes:

- the header's `ResponseID` and `RequestID` read canonically (EUI-64s in upper case, the counter as a
  number), and its `ResponseCode`;
- the digest of its `sr:Body` in exclusive canonical form (comments and whitespace-only text are gone: the
  suite's parser drops them), which holds what was signed inside (an S1SP's signed response or alert).

The `ResponseDateTime` and the DSP's signature are left out (a message signed again carries new ones).
The ResponseID alone is not enough: a future-dated command's answer and its 8F66 alert later share the
request's ResponseID, and are two messages (the sandbox's choice, written in the README).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from lxml import etree

from duis.requests import MalformedMessage, RequestID, normalise_eui64
from duis.xml import q, text

SEEN_LIMIT = 20_000
"""Messages remembered for recognising a re-delivery: a whole run of the suite delivers about a thousand,
so a re-delivery of any message of the run is recognised; each entry costs about 200 bytes (4 MB at most)."""


def canonical_id(value: str | None) -> str | None:
    """A RequestID or ResponseID as compared here: `originator:target:counter` with upper-case EUI-64s
    and the counter as a number when it is well-formed, else as written (stripped)."""
    if not value:
        return None
    try:
        return str(RequestID.parse(value))
    except MalformedMessage:
        return value.strip()


def canonical_device(value: str | None) -> str | None:
    """A device ID as compared here: an upper-case EUI-64 when it is one, else as written (stripped)."""
    if not value:
        return None
    try:
        return normalise_eui64(value)
    except MalformedMessage:
        return value.strip()


def message_identity(root: etree._Element) -> str:
    """The DUIS identity of an `sr:Response` parsed by `duis.xml.parse` (see the module's docstring)."""
    header = "\n".join(
        canonical_id(text(root, f"sr:Header/sr:{name}")) or "" for name in ("ResponseID", "RequestID", "ResponseCode")
    )
    body = root.find(q("Body"))
    canonical = b"" if body is None else etree.tostring(body, method="c14n", exclusive=True, with_comments=False)
    return hashlib.sha256(header.encode() + b"\n" + canonical).hexdigest()


@dataclass(frozen=True)
class Sighting:
    """When a message was first accepted, and the digest of the bytes it came in then."""

    at: dt.datetime
    digest: bytes


class SeenMessages:
    """The DUIS identities accepted so far, least recently seen forgotten first beyond `limit`. Not
    thread-safe by itself (the receiver holds its lock)."""

    def __init__(self, limit: int = SEEN_LIMIT) -> None:
        if limit < 1:
            raise ValueError("the seen-set keeps at least one message")
        self.limit = limit
        self._seen: OrderedDict[str, Sighting] = OrderedDict()

    def check_in(self, identity: str, digest: bytes, at: dt.datetime) -> Sighting | None:
        """The earlier sighting of this message (now the most recently seen), or None: then it is
        remembered as first seen `at`, in bytes whose digest is `digest`."""
        earlier = self._seen.get(identity)
        if earlier is not None:
            self._seen.move_to_end(identity)
            return earlier
        self._seen[identity] = Sighting(at, digest)
        if len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return None

    def __len__(self) -> int:
        return len(self._seen)
