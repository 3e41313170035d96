"""The DCC's link to the S1SPs: the DCC's own systems (the DSP, the DCC Commissioning Party) talking to an
S1SP over HTTP, as the real interface does.

Each request carries the DSP's deadline: an S1SP that cannot commit before the DSP stops waiting rolls
back, so an E20 answer always means nothing changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from catalogue import Clause, clauses_named
from fake_services.core.evidence import CLAUSE_HEADER, DEADLINE_HEADER, REASON_HEADER
from fake_services.core.rejections import Rejection
from serving.http_client import Session

DEADLINE_SHARE = 0.8
"""The S1SP must commit within this share of the DSP's timeout, so its answer arrives in time."""


@dataclass(frozen=True)
class S1SPAnswer:
    """What an S1SP sent back: its signed answer and, as sandbox evidence, the clauses it applied."""

    body: bytes
    clauses: tuple[Clause, ...] = ()
    reason: str = ""


S1SPSend = Callable[[str, bytes], S1SPAnswer]
"""Send a countersigned request to the named S1SP and return its answer (raises Rejection on failure)."""


class S1SPLink:
    """Sends the DSP's countersigned requests to the S1SP that serves a device."""

    def __init__(self, url_of: Callable[[str], str], timeout: float) -> None:
        self.url_of = url_of
        self.timeout = timeout
        self.session = Session(pool_connections=4, pool_maxsize=32)

    def send(self, s1sp: str, body: bytes, path: str) -> S1SPAnswer:
        """DUIS communications failure: an S1SP that cannot be reached, answers late or answers
        something that is not DUIS is an E20 for the User, never a change half reported."""
        try:
            url = self.url_of(s1sp) + path
        except KeyError:
            raise Rejection("s1sp_unavailable", f"no S1SP named {s1sp!r}") from None
        deadline = time.time() + self.timeout * DEADLINE_SHARE
        try:
            reply = self.session.post(
                url,
                data=body,
                headers={"Content-Type": "application/xml", DEADLINE_HEADER: f"{deadline:.3f}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise Rejection("s1sp_unavailable", f"{s1sp} did not answer: {exc}") from None
        if reply.status_code != 200:
            raise Rejection("s1sp_unavailable", f"{s1sp} answered HTTP {reply.status_code}: {reply.text.strip()}")
        return S1SPAnswer(
            reply.content,
            clauses_named(reply.headers.get(CLAUSE_HEADER, "")),
            reply.headers.get(REASON_HEADER, ""),
        )

    def close(self) -> None:
        self.session.close()
