"""behave runs started cheaply: each a child forked from one process that imported behave and the project once.

A strength run starts a few hundred short behave runs (one deviation, one target, one stage each). Started as
``python -m behave`` each pays an interpreter's start and the import of behave, the steps' libraries and the
sandbox (about half a second of CPU) before its first scenario, often more than the scenarios themselves
take. Here a server process (multiprocessing's *forkserver*: single-threaded, so a fork of it is safe)
imports all of that once, and each run is a child forked from it that calls behave's main with the run's
arguments, in the project's folder, its output to a file of its own. What a run does is what
``python -m behave ARGS`` in the project's folder does: behave loads the hooks and the steps itself, and the
child ends when its run does.

    with BehaveForks(root) as forks:
        forks.run(["-f", "json", "-o", "out.json", "features/x.feature:12"])
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence
from multiprocessing.context import ForkServerContext
from pathlib import Path
from types import TracebackType

from reporting.scenario_pool import print_to, warm_modules


def _behave(root: str, args: list[str], output: str) -> None:
    """In the child: ``python -m behave ARGS`` in `root`, everything it prints to `output`."""
    print_to(output)
    os.chdir(root)
    if root not in sys.path:
        sys.path.insert(0, root)  # as `python -m behave` puts the working folder first
    from behave.__main__ import main as behave_main

    sys.exit(int(behave_main(args) or 0))


class BehaveForks:
    """A server that forks a behave run on demand; `run` may be called from many threads at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._context: ForkServerContext | None = None

    def __enter__(self) -> BehaveForks:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(warm_modules(self.root))
        self._context = context
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._context = None

    def run(self, args: Sequence[str], output: Path, timeout: float = 900) -> int | None:
        """behave with `args` in a child; its exit code (None if it outlived `timeout` and was killed)."""
        if self._context is None:
            raise RuntimeError("BehaveForks.run outside its with-block")
        child = self._context.Process(target=_behave, args=(str(self.root), list(args), str(output)), daemon=True)
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
            return None
        return child.exitcode
