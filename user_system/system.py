"""What a DCC User runs, as the suite, pytest, the campaign and the benchmarks all need it: a DUIS client
and the User's own Receive Response Service (where the DCC delivers asynchronous answers), both trusting
the DCC systems' XML-signing certificates and nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from environment_file import Environment, TLSSettings
from user_system.client import Awaited, CounterSource, DUISClient
from user_system.receiver import Receiver
from user_system.trust import DCCSignatures

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
        path: str = "/smartdcc/duis",
        public_url: str | None = None,
        tls: TLSSettings | None = None,
        receiver: Receiver | None = None,
        counters: CounterSource | None = None,
    ) -> None:
        """`receiver` and `counters`: a run's process shares the run's (`support.coordinator`)."""
        self.signatures = DCCSignatures.from_pems(dcc_signers)
        self.receiver = receiver or Receiver(host, port, path, trust=self.signatures.verify, public_url=public_url)
        self.duis = DUISClient(
            dsp_url, awaiter=self.answer, verifier=self.signatures.verify, answer_timeout=answer_timeout
        )
        if counters is not None:
            self.duis.counters = counters
        if tls is not None:  # mutual TLS to a DCC User Gateway: the CA to trust and the client certificate
            self.duis.session.verify = tls.requests_verify
            self.duis.session.cert = tls.requests_cert

    def answer(self, request_id: str, timeout: float) -> Awaited:
        """The delivered answer, with what the receiver verified of it on arrival (its trust is this system's
        `signatures`) and the answer as it read it: the client does not verify or read the same bytes again."""
        received = self.receiver.wait_for(request_id, lambda r: not r.response.is_acknowledgement, timeout)
        return received.raw, received.headers, received.verified, received.response

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


def user_system_for(
    env: Environment, receiver: Receiver | None = None, counters: CounterSource | None = None
) -> UserSystem:
    """The User's system an environment file describes: its DSP, the DCC's signing certificates, its
    receiving endpoint (or the run's shared one) and its TLS material. Not started."""
    return UserSystem(
        env.dsp.url,
        {name: path.read_text() for name, path in env.dcc_signers.items()},
        answer_timeout=env.dsp.answer_timeout,
        host=env.receiver.host,
        port=env.receiver.port,
        path=env.receiver.path,
        public_url=env.receiver.public_url,
        tls=env.dsp.tls,
        receiver=receiver,
        counters=counters,
    )


def receive_url(env: Environment) -> str:
    """Where the environment's DCC delivers (the address it is told, whatever the receiver binds)."""
    r = env.receiver
    return r.public_url or f"http://{r.host}:{r.port}{r.path}"
