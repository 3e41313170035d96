"""Rooms with one job: no module of the fakes imports one that imports it back (directly or round a
longer loop, type-checking imports included); an S1SP's wire layer does not lean on the DSP's; the
catalogue is the ground floor; benchmarks never import tests; the Registration Data lookups the DSP
makes per request do not grow with the fleet."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

from fake_services.registration import INSTALLATION_QUERY
from fake_services.store import SCHEMA

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(package: str) -> dict[str, set[str]]:
    """module -> the project modules it imports (every import statement, wherever it stands)."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        module = _module(path)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[module] = found
    known = set(graph)
    return {module: {m for m in found if m in known and m != module} for module, found in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_fakes_imports_one_that_imports_it_back() -> None:
    assert cycles(imports_of("fake_services")) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_an_s1sp_does_not_import_the_dsp_and_the_control_api_does_not_import_the_sandbox() -> None:
    graph = imports_of("fake_services")
    for module, imported in graph.items():
        if module.startswith("fake_services.s1sp"):
            assert not {m for m in imported if m.startswith("fake_services.dsp")}, module
        if module.startswith("fake_services.control"):
            assert "fake_services.sandbox" not in imported, module
    sandbox_users = sorted(m for m, imported in graph.items() if "fake_services.sandbox" in imported)
    assert sandbox_users == ["fake_services.cli", "fake_services.provisioning"]


def test_the_catalogue_is_the_ground_floor() -> None:
    for path in (ROOT / "catalogue").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in {"fake_services", "support", "duis", "smki", "tests"}, path


def test_benchmarks_never_import_tests() -> None:
    for path in (ROOT / "benchmarks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not any(name.split(".")[0] == "tests" for name in names), path


def test_finding_an_installation_uses_its_index_not_a_scan_of_the_fleet() -> None:
    """8.12.2 to a GPF reads the GPF's installation (SRPD 6.2(b)); with 50,000 devices a scan grew it
    from 7.5 to 12.4 ms. The query must be answered from the installation index."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO devices VALUES (?, 'CHF', 1, 'S1SP1', 'Active', ?, NULL)",
        ((f"00-DB-FF-00-{i >> 16:02X}-{i >> 8 & 255:02X}-{i & 255:02X}-01", f"hub-{i}") for i in range(50_000)),
    )
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + INSTALLATION_QUERY, ("hub-7",)))
    assert "USING INDEX devices_by_installation" in plan, plan
    assert "SCAN" not in plan, plan
    assert len(db.execute(INSTALLATION_QUERY, ("hub-7",)).fetchall()) == 1
