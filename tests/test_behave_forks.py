"""The strength run's behave runs, forked from one process that imported behave once: each does what
`python -m behave ARGS` in the project's folder does, and says how it ended."""

from __future__ import annotations

import json
from pathlib import Path

from reporting.behave_forks import BehaveForks
from reporting.scenario_pool import warm_modules

FEATURE = """Feature: a small project
  Scenario: passes
    Given nothing
  Scenario: fails
    Given a failure
"""
STEPS = """from behave import given

@given("nothing")
def _nothing(context):
    pass

@given("a failure")
def _failure(context):
    raise AssertionError("as asked")
"""


def _project(root: Path) -> Path:
    (root / "features").mkdir(parents=True)
    (root / "steps").mkdir()
    (root / "features" / "small.feature").write_text(FEATURE)
    (root / "steps" / "small_steps.py").write_text(STEPS)
    return root


def test_a_forked_run_is_behave_in_the_projects_folder(tmp_path: Path):
    root = _project(tmp_path / "project")
    report = tmp_path / "behave.json"
    with BehaveForks(root) as forks:
        passed = forks.run(["-f", "json", "-o", str(report), "features/small.feature:2"], tmp_path / "one.out")
        statuses = [e["status"] for f in json.loads(report.read_text()) for e in f["elements"]]
        failed = forks.run(["features/small.feature:4"], tmp_path / "two.out")
    assert passed == 0 and statuses == ["passed", "skipped"]  # as behave reports a scenario not selected
    assert failed == 1 and "as asked" in (tmp_path / "two.out").read_text()


def test_the_server_imports_what_the_hooks_and_steps_import(tmp_path: Path):
    root = _project(tmp_path / "project")
    (root / "environment.py").write_text("import json\nfrom xml.dom import minidom\n")
    names = warm_modules(root)
    assert {"behave.__main__", "json", "xml.dom", "behave"} <= set(names)
    assert len(names) == len(set(names))


def test_a_strength_stage_whose_target_does_not_start_says_so_instead_of_survived(tmp_path: Path):
    """A behave run that reports no scenario (here its hooks fail, as when the target does not start) is a
    stage not run, never a deviation that survived, and says why."""
    import pytest

    from reporting.strength import StageNotRun, _run_behave

    root = _project(tmp_path / "project")
    (root / "environment.py").write_text("def before_all(context):\n    raise RuntimeError('no sandbox today')\n")
    said = "reported no scenario: HOOK-ERROR.*no sandbox today"  # the hook's error, not "ABORTED: By user."
    with BehaveForks(root) as forks, pytest.raises(StageNotRun, match=said):
        _run_behave(forks, [], ["features/small.feature:2"], False, tmp_path / "behave.json")


def test_a_strength_stage_whose_ports_were_taken_is_run_again_on_other_ports(tmp_path: Path):
    """A port chosen for a stage's sandbox can be taken by another process before the sandbox listens there
    (`Address already in use`): the stage is run again, choosing again, rather than failing the strength
    run. Any other failure of its target is said at once."""
    import pytest

    from reporting.strength import PORT_ATTEMPTS, StageNotRun, _run_behave, on_fresh_ports

    root = _project(tmp_path / "project")
    started = tmp_path / "started"
    (root / "environment.py").write_text(
        "import errno, os, pathlib\n"
        "def before_all(context):\n"
        "    started = pathlib.Path(context.config.userdata['started'])\n"
        "    started.write_text(started.read_text() + 'x' if started.exists() else 'x')\n"
        "    if len(started.read_text()) < int(context.config.userdata['free_after']):\n"
        "        raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE))\n"
    )
    report = tmp_path / "behave.json"

    def stage(free_after: int) -> None:
        _run_behave(
            forks, [f"started={started}", f"free_after={free_after}"], ["features/small.feature:2"], False, report
        )

    with BehaveForks(root) as forks:
        on_fresh_ports(lambda: stage(free_after=2))  # taken once, then free: the stage runs
        assert started.read_text() == "xx" and report.is_file()

        started.unlink()
        with pytest.raises(StageNotRun, match="Address already in use"):  # taken every time: said, not hidden
            on_fresh_ports(lambda: stage(free_after=PORT_ATTEMPTS + 1))
        assert len(started.read_text()) == PORT_ATTEMPTS

        started.unlink()
        (root / "environment.py").write_text("def before_all(context):\n    raise RuntimeError('no sandbox today')\n")
        attempts = []
        with pytest.raises(StageNotRun, match="no sandbox today"):  # not a taken port: not run again
            on_fresh_ports(lambda: attempts.append(1) or stage(free_after=0))
        assert attempts == [1]
