"""Which of the sandbox's rules each scenario calls, recorded when the run is asked to (`-D rule_trace=FILE`,
against a sandbox in the same process: the embedded one, or one started in process from an environment file
with `-D sandbox_in_process=yes`). The strength run (`reporting.strength`) uses it to run, against a wrong DCC,
only the scenarios that call a rule the deviation replaces: before its first call of such a rule a scenario
runs exactly as against the faithful sandbox, so no other scenario can catch it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fake_services.core import rules


class RuleTrace:
    """The rules called per scenario location, written as JSON when the run ends."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.calls: dict[str, list[str]] = {}
        rules.trace()

    @classmethod
    def asked_for(cls, userdata: Mapping[str, str]) -> RuleTrace | None:
        path = userdata.get("rule_trace")
        return cls(path) if path else None

    def begin(self) -> None:
        rules.called()  # what ran between scenarios (a late delivery) belongs to none

    def end(self, location: str) -> None:
        self.calls[location] = sorted(self.calls.get(location, []) + sorted(rules.called()))

    def write(self) -> None:
        self.path.write_text(json.dumps(self.calls, indent=1, sort_keys=True), encoding="utf-8")
