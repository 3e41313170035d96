"""The scenarios as written: every scenario and Scenario Outline row of the feature files, with the tags it
inherits from its Feature, Rule and Examples (gherkin-official compiles them as behave does) and the name a
reader sees. The matrix, the verdict, the report's annotations and JUnit all start from this list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler, GherkinDocumentWithURI

from catalogue import is_clause_tag
from reporting.prose import example_in_words, scenario_title, tidy

Location = tuple[Path, int]
"""A scenario's file and line: how results are joined to what is written."""


@dataclass(frozen=True)
class ScenarioCase:
    """One scenario, or one row of a Scenario Outline, as written in a feature file."""

    path: Path
    uri: str
    line: int
    definition_line: int
    feature: str
    rule: str | None
    name: str
    tags: tuple[str, ...]
    title: str = ""
    """The name a reader sees (as the report shows it): as written, read as English."""
    example: str = ""
    """For an outline row: which Examples row, and its values in words."""
    row_id: str = ""
    """For an outline row: ``1.2`` (Examples table 1, row 2), as behave numbers it."""
    steps: int = 0
    """How many steps it runs, its Background's with them."""

    @property
    def shown(self) -> str:
        return self.title or self.name

    @property
    def clause_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if is_clause_tag(tag))

    @property
    def key(self) -> Location:
        return (self.path, self.line)

    @property
    def location(self) -> str:
        return f"{self.uri}:{self.line}"


def _relative(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def feature_files(features: Path | Sequence[Path]) -> list[Path]:
    """The feature files of a folder (recursively), or the files given, in a stable order by path."""
    if isinstance(features, Path | str):
        return sorted(Path(features).resolve().rglob("*.feature"))
    return sorted(Path(path).resolve() for path in features)


def _examples_rows(scenario: dict) -> dict[str, tuple[str, str, list[tuple[str, str]]]]:
    """Row id → (Examples name, "1.2" numbering as behave gives it, the row's values)."""
    rows: dict[str, tuple[str, str, list[tuple[str, str]]]] = {}
    for table_number, examples in enumerate(scenario.get("examples", []), start=1):
        headings = [cell["value"] for cell in (examples.get("tableHeader") or {}).get("cells", [])]
        for row_number, row in enumerate(examples.get("tableBody", []), start=1):
            values = list(zip(headings, [cell["value"] for cell in row["cells"]], strict=False))
            rows[row["id"]] = (examples.get("name", ""), f"{table_number}.{row_number}", values)
    return rows


def collect_scenarios(features: Path | Sequence[Path], base_dir: Path | None = None) -> list[ScenarioCase]:
    """Every scenario and outline row under a folder (or in the files given), with its inherited tags
    (without '@') and the name a reader sees."""
    base = (base_dir or Path.cwd()).resolve()
    cases: list[ScenarioCase] = []
    for path in feature_files(features):
        parsed = Parser().parse(path.read_text(encoding="utf-8"))
        document: dict[str, Any] = dict(parsed)
        feature = document.get("feature")
        if not feature:
            continue
        rules: dict[str, str] = {}
        scenarios: dict[str, dict] = {}
        for child in feature["children"]:
            for inner in child["rule"]["children"] if "rule" in child else [child]:
                if "scenario" in inner:
                    scenario = inner["scenario"]
                    scenarios[scenario["id"]] = scenario
                    if "rule" in child:
                        rules[scenario["id"]] = child["rule"]["name"]
        uri = _relative(path, base)
        for pickle in Compiler().compile(GherkinDocumentWithURI(**parsed, uri=uri)):
            scenario_id = pickle["astNodeIds"][0]
            scenario = scenarios[scenario_id]
            row = _examples_rows(scenario).get(pickle["astNodeIds"][1]) if len(pickle["astNodeIds"]) > 1 else None
            template = scenario["name"] if row is not None else None
            cases.append(
                ScenarioCase(
                    path=path,
                    uri=uri,
                    line=pickle["location"]["line"],
                    definition_line=scenario["location"]["line"],
                    feature=feature["name"],
                    rule=rules.get(scenario_id),
                    name=pickle["name"],
                    tags=tuple(tag["name"].lstrip("@") for tag in pickle["tags"]),
                    title=scenario_title(pickle["name"], template, row[2] if row else ()),
                    example=example_in_words(tidy(row[0]), row[1], row[2]) if row else "",
                    row_id=row[1] if row else "",
                    steps=len(pickle["steps"]),
                )
            )
    return cases
