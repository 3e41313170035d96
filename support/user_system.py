"""What a DCC User runs, as the suite, pytest, the campaign and the benchmarks all need it: a DUIS client
and the User's own Receive Response Service (where the DCC delivers asynchronous answers), both trusting
the DCC systems' XML-signing certificates and nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from support.dcc_trust import DCCSignatures
from support.duis_client import DUISClient
from support.receiver import Receiver

ANSWER_TIMEOUT_SECONDS = 10.0
"""How long a request waits for the DCC's asynchronous answer (minutes for a real environment)."""


class UserSystem:
    def __init__(
        self,
        dsp_url: str,
        dcc_signers: Mapping[str, str],
        *,
        answer_timeout: float = ANSWER_TIMEOUT_SECONDS,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
    ) -> None:
        self.signatures = DCCSignatures.from_pems(dcc_signers)
        self.receiver = Receiver(host, port, trust=self.signatures.verify, public_url=public_url)
        self.duis = DUISClient(
            dsp_url, awaiter=self._answer, verifier=self.signatures.verify, answer_timeout=answer_timeout
        )

    def _answer(self, request_id: str, timeout: float) -> tuple[bytes, dict[str, str]]:
        received = self.receiver.wait_for(request_id, lambda r: not r.response.is_acknowledgement, timeout)
        return received.raw, received.headers

    def start(self) -> UserSystem:
        self.receiver.start()
        return self

    @property
    def receive_url(self) -> str:
        """The address the DCC is told to deliver to."""
        return self.receiver.url

    def close(self) -> None:
        self.duis.close()
        self.receiver.stop()

    def __enter__(self) -> UserSystem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
