"""A quiet behave formatter: one line per feature file when it ends, and for each scenario that did not
pass, its name, location, the clauses it proves and the first line of why. No timings (behave's are zero when a
formatter runs in a subprocess), no banner, no summary: the runner prints the totals.

    python -m behave -f reporting.progress:FeatureProgress --no-summary ...
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from behave.formatter.base import Formatter
from behave.model import Feature, Scenario

from catalogue import clause_for_tags
from reporting.prose import scenario_title


def _why(scenario: Scenario) -> str:
    for step in scenario.all_steps if hasattr(scenario, "all_steps") else scenario.steps:
        if step.status.name in ("failed", "error", "undefined", "hook_error"):
            message = (step.error_message or step.status.name).strip().splitlines()
            return f"{step.keyword} {step.name}: {message[-1] if message else step.status.name}"
    return getattr(scenario, "error_message", None) or scenario.status.name


class FeatureProgress(Formatter):
    """``ok     features/x.feature: 7 scenarios: 7 passed`` when a feature file ends (``ok     features/x.feature:12:
    passed`` when the run has only that scenario of the file)."""

    name = "feature-progress"
    description = "One line per feature file, and why each scenario that did not pass did not"

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        self.stream = self.open()
        self.current: Feature | None = None

    def feature(self, feature: Feature) -> None:
        self.current = feature

    def eof(self) -> None:
        feature, self.current = self.current, None
        if feature is None:
            return
        scenarios = [scenario for scenario in feature.walk_scenarios() if scenario.status.name != "untested"]
        counts = Counter(scenario.status.name for scenario in scenarios)
        bad = [scenario for scenario in scenarios if scenario.status.name not in ("passed", "skipped")]
        tally = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        verdict = "ok    " if not bad else "FAILED"
        if len(scenarios) == 1 and len(feature.walk_scenarios()) == 1:  # one scenario's process (a scenario pool)
            summary = f"{scenarios[0].location}: {scenarios[0].status.name}"
        else:
            summary = f"{feature.location.filename}: {len(scenarios)} scenarios: {tally or 'none run'}"
        self.stream.write(f"{verdict} {summary}\n")
        for scenario in bad:
            template = scenario.parent.name if hasattr(scenario.parent, "examples") else None
            row = getattr(scenario, "_row", None)
            values = list(zip(row.headings, row.cells, strict=False)) if row is not None else []
            title = scenario_title(scenario.name, template, values)
            clauses = ", ".join(clause.display for clause in clause_for_tags(sorted(scenario.effective_tags)))
            self.stream.write(
                f"         - {title} ({scenario.location}; {clauses or 'no catalogued clause'}): {_why(scenario)}\n"
            )
        self.stream.flush()
