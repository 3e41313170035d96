"""The project's own modules compiled once, so that each Python process the suite starts reads them.

pip compiles an installed package's modules when it installs it; this project is installed editable, so its
own modules (about 180) are compiled only when imported, and where the environment sets
`PYTHONDONTWRITEBYTECODE` (CI images and this project's machines do) nothing keeps the result: every behave
process compiled every module it imports again, about 0.12 s of each process's start on a 2-core Xeon
(`benchmarks.embedded_suite`). Compiling them here, once, into the usual ``__pycache__`` folders (git-ignored)
is the step pip would have taken; a module edited afterwards is newer than its compiled form, so Python compiles
it again in memory rather than read a stale one, and the next run here brings it up to date (a few ms when
nothing changed). A folder that cannot be written only means each process compiles as before.

    python -m reporting.bytecode     (`make setup` runs it)
"""

from __future__ import annotations

import compileall
import sys
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL_MODULES = ("environment.py",)
"""Modules beside the packages that every behave process imports (behave's hooks)."""
TOP_LEVEL_PACKAGES = ("steps",)
"""Packages beside the installed ones that every behave process imports (behave's steps)."""


def project_packages(root: Path = PROJECT_ROOT) -> list[Path]:
    """The installed packages (pyproject's `packages.find`) and the steps: what the suite's processes import."""
    with (root / "pyproject.toml").open("rb") as file:
        patterns = tomllib.load(file)["tool"]["setuptools"]["packages"]["find"]["include"]
    names = sorted({pattern.rstrip("*").rstrip(".") for pattern in patterns} | set(TOP_LEVEL_PACKAGES))
    return [root / name for name in names if (root / name).is_dir()]


def compile_project(root: Path = PROJECT_ROOT) -> bool:
    """Compile what is not compiled yet (or is older than its source); True if everything is compiled."""
    done = [compileall.compile_dir(package, quiet=2) for package in project_packages(root)]
    done += [compileall.compile_file(root / name, quiet=2) for name in TOP_LEVEL_MODULES if (root / name).is_file()]
    return all(done)


def main() -> int:
    if not compile_project():
        print("some of the project's modules could not be compiled ahead: each process compiles them", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
