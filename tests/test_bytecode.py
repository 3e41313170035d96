"""The project's modules compiled ahead (`reporting.bytecode`): what is compiled, and that it is kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from reporting.bytecode import PROJECT_ROOT, compile_project, project_packages


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[tool.setuptools.packages.find]\ninclude = ["alpha*", "beta*"]\n')
    for package in ("alpha", "steps", "unlisted"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("VALUE = 1\n")
    (root / "environment.py").write_text("def before_all(context):\n    pass\n")
    return root


def test_the_installed_packages_and_the_steps_are_the_project_packages(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert project_packages(root) == [root / "alpha", root / "steps"]  # beta has no folder; unlisted is not ours


def test_this_projects_packages_are_those_its_processes_import() -> None:
    names = {path.name for path in project_packages(PROJECT_ROOT)}
    assert {"duis", "fake_services", "support", "reporting", "steps", "user_system"} <= names


def test_compiling_leaves_the_compiled_form_where_python_reads_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert compile_project(root)
    for source in (root / "alpha" / "__init__.py", root / "steps" / "__init__.py", root / "environment.py"):
        assert Path(importlib.util.cache_from_source(str(source))).is_file()
    assert not Path(importlib.util.cache_from_source(str(root / "unlisted" / "__init__.py"))).exists()


def test_a_module_that_does_not_compile_is_reported_not_raised(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "alpha" / "broken.py").write_text("def (:\n")
    assert compile_project(root) is False
