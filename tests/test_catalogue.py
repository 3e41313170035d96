"""The clause catalogue is the one home of every rule: walking it finds, for every clause, the functions
that enforce it and the scenarios that prove it; every rejection rule names a clause; and every
function named after a clause is one the catalogue knows."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from catalogue import CLAUSES, RULES, Clause, clause_for_tags, clauses_named, rules_for
from reporting.scenarios import collect_scenarios

ROOT = Path(__file__).resolve().parents[1]
CLAUSE_PREFIXES = ("srpd_", "s1sr_", "tmad_", "pia_", "duis_", "gbcs_", "srv_")


def resolve(dotted: str) -> object:
    """A function or method from its dotted path, importing the longest module prefix."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise LookupError(dotted)


@pytest.mark.parametrize("clause", CLAUSES.values(), ids=lambda c: c.tag)
def test_every_clause_names_functions_that_exist_and_say_so(clause: Clause) -> None:
    assert clause.enforced_by, f"{clause} names no enforcing function"
    for dotted in clause.enforced_by:
        function = resolve(dotted)
        assert callable(function), dotted
        doc = inspect.getdoc(function) or ""
        assert clause.display in doc, f"{dotted}'s docstring does not name {clause.display}"


SCENARIOS = collect_scenarios(ROOT / "features", ROOT)


@pytest.mark.parametrize("clause", CLAUSES.values(), ids=lambda c: c.tag)
def test_every_clause_has_a_scenario_that_proves_it(clause: Clause) -> None:
    proving = [case for case in SCENARIOS if clause in clause_for_tags(case.tags)]
    assert proving, f"no scenario is tagged @{clause.tag}"


def test_every_rule_names_a_catalogued_clause_and_every_alert_code_is_one_rule() -> None:
    catalogued = set(CLAUSES.values())
    for rule in RULES.values():
        assert rule.clause in catalogued, f"rule {rule.key} names {rule.clause}, which is not catalogued"
        assert rule in rules_for(rule.clause)
    codes = [rule.s1sp_alert_code for rule in RULES.values() if rule.s1sp_alert_code]
    assert len(codes) == len(set(codes)), "an S1SP Alert code stands for two rules"


def test_each_spelling_is_derived_from_one_entry() -> None:
    for clause in CLAUSES.values():
        assert clauses_named(clause.display) == (clause,)
        assert clause.code_name == clause.tag.lower().replace(".", "_").replace("-", "_")
    assert len({c.display for c in CLAUSES.values()}) == len(CLAUSES)


def _functions_named_after_clauses() -> set[str]:
    found = set()
    for path in (ROOT / "fake_services").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith(CLAUSE_PREFIXES):
                found.add(f"{module}.{node.name}")
    return found


def test_every_function_named_after_a_clause_is_in_the_catalogue() -> None:
    """A check written beside its clause but missing from the catalogue would be a rule nobody can find."""
    listed = {dotted for clause in CLAUSES.values() for dotted in clause.enforced_by}
    missing = _functions_named_after_clauses() - listed
    assert not missing, f"functions named after a clause but not in the catalogue: {sorted(missing)}"
