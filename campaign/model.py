"""What a campaign case is, what it expects, and how its result is judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sent:
    """What came back: an HTTP status (or a command's exit code), the DUIS response code and S1SP
    Alert code (if DUIS) of the answer that decided it (for a request the DSP acknowledged, the one
    delivered later), and whether it was a success."""

    status: int
    response_code: str | None = None
    alert: str | None = None
    succeeded: bool = False
    detail: str = ""
    kind: str = "http"  # "http", "exit" (a command) or "raised" (a library call that refused)
    acknowledged: str | None = None
    """The RequestID the DSP accepted (I99) before the answer reported here: its originator counter is
    used up whatever came after, so that is the one change a refused request may leave."""

    @property
    def crashed(self) -> bool:
        """A 5xx, a dropped connection, or a command that died instead of refusing."""
        if self.kind == "http":
            return self.status >= 500 or self.status == 0
        if self.kind == "exit":
            return self.status not in (0, 2)
        return self.status == 1  # "raised": 2 is a clear refusal, 1 an unexpected exception


@dataclass(frozen=True)
class Expect:
    """The rejection a case must get: an HTTP 4xx (or exit code), a DUIS response code, an S1SP
    Alert code, or for generated mutations any rejection (or a success that changed nothing signed)."""

    status: int | None = None
    response_code: str | None = None
    alert: str | None = None
    harmless_success: bool = False  # a generated mutation may still be valid DUIS (and then succeed)

    def met_by(self, sent: Sent) -> bool:
        if sent.crashed:
            return False
        if sent.succeeded:
            return self.harmless_success
        return all(
            want is None or want == got
            for want, got in (
                (self.status, sent.status),
                (self.response_code, sent.response_code),
                (self.alert, sent.alert),
            )
        )


@dataclass(frozen=True)
class Case:
    """One attempt. `prepare` runs before the state is fingerprinted (e.g. the first send of a replay)."""

    category: str
    name: str
    run: Callable[[], Sent]
    expect: Expect
    prepare: Callable[[], None] | None = None


@dataclass
class Tally:
    cases: int = 0
    correct: int = 0
    state_changes: int = 0
    crashes: int = 0
    failures: list[str] = field(default_factory=list)
