"""The team's own UIT test-case IDs beside each scenario.

An optional TOML file (default ``uit-test-cases.toml`` at the project root, or ``--test-cases FILE``)::

    # A scenario is found by its name as the report shows it, or by its location; a clause by its tag
    # or its display form. A scenario's own entry wins over its clause's.
    [scenarios]
    "Eastern Networks puts Western Power's certificates on an electricity meter served by S1SP1" = "UIT-107-001"
    "features/mp107_correction.feature:61" = "UIT-107-004"

    [clauses]
    "SRPD-6.2.d" = "UIT-107-010"
    "S1SR 4.2" = "UIT-107-020"

The report shows the ID as a label and in the scenario's summary; the matrix gains a "UIT test case"
column and lists every scenario no entry maps, so nothing is hidden.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from catalogue import CLAUSES, Clause

DEFAULT_FILE = "uit-test-cases.toml"
LABEL = "uit_test_case"


class MappingError(ValueError):
    """The mapping file cannot be read as the format above."""


@dataclass(frozen=True)
class TestCaseMap:
    """Scenario (name or location) → ID, and clause tag → ID."""

    __test__ = False  # not a pytest class

    scenarios: Mapping[str, str] = field(default_factory=dict)
    clauses: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def lookup(self, name: str, location: str, clause_tags: Iterable[str]) -> str | None:
        """The scenario's test-case ID: its own entry, else its first mapped clause's, else None."""
        own = self.scenarios.get(name) or self.scenarios.get(location)
        if own:
            return own
        return next((self.clauses[tag] for tag in clause_tags if tag in self.clauses), None)

    def __bool__(self) -> bool:
        return bool(self.scenarios or self.clauses)


def load(path: Path | None, catalogue: Mapping[str, Clause] = CLAUSES) -> TestCaseMap:
    """The mapping in `path`, or an empty one when there is no file. Clauses may be named by tag or display."""
    if path is None or not path.is_file():
        return TestCaseMap()
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{path}: not TOML: {error}") from None
    unknown = set(data) - {"scenarios", "clauses"}
    if unknown:
        raise MappingError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; use [scenarios] and [clauses]")
    by_display = {clause.display: clause.tag for clause in catalogue.values()}
    clauses: dict[str, str] = {}
    for key, value in data.get("clauses", {}).items():
        tag = key if key in catalogue else by_display.get(key)
        if tag is None:
            raise MappingError(f"{path}: [clauses] {key!r} is not a catalogued clause (tag or display form)")
        clauses[tag] = str(value)
    scenarios = {str(key): str(value) for key, value in data.get("scenarios", {}).items()}
    return TestCaseMap(scenarios, clauses, str(path))
