"""One verdict on every surface: each kind of failure is planted in a small behave project, alone, and the
run (and the merge of two shards of it) must say FAILED everywhere a test manager or a CI tool reads it:
the exit code, the console's last line, the sign-off sheet, ``traceability.md`` and ``.csv``, every JUnit
suite's properties and the verdict's own JUnit test case, the report's Environment panel (and, for one
plant, the HTML report's bar), and the evidence pack's manifest. A clean project says PASSED on each.
"""

from __future__ import annotations

import csv
import io
import json
import tarfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from catalogue import CLAUSES
from reporting import allure_report, run
from reporting.merge import main as merge_main
from reporting.pack import MANIFEST, PACK_NAME
from reporting.verify import main as verify_main

CATALOGUE = {tag: CLAUSES[tag] for tag in ("SRPD-6.1.f", "SRPD-6.2.d")}

GOOD = """\
Feature: Good
  @SRPD-6.1.f
  Scenario: A supplier that is not registered is rejected
    Given a SMETS1 ESME
    Then all is well

  @SRPD-6.2.d
  Scenario: The wrongly held Network Operator replaces the certificate
    Given a SMETS1 ESME
    Then all is well
"""

STEPS = """\
import os

from behave import given, then

@given("a SMETS1 ESME")
def _(context):
    pass

@then("all is well")
def _(context):
    pass

@then("the check does not hold")
def _(context):
    assert False, "S1SR 4.2: the certificate owner is not the sender"

@then("the client breaks")
def _(context):
    raise ConnectionError("the DSP closed the connection")

@then("behave itself dies")
def _(context):
    os._exit(3)
"""

TARGET_DIES = """\
import json, os
from pathlib import Path

def after_all(context):
    folder = Path(os.environ["ALLURE_RESULTS_DIR"])
    (folder / f"target-environment-{os.getpid()}.json").write_text(json.dumps({
        "target": "embedded sandbox",
        "target.answering_at_end": "no: nothing answers at http://127.0.0.1:9 (connection refused)",
    }))
"""


def _plant(then: str, tags: str = "@SRPD-6.1.f") -> str:
    return f"Feature: Planted\n  {tags}\n  Scenario: The planted scenario\n    Given a SMETS1 ESME\n    Then {then}\n"


PLANTS: dict[str, dict[str, str]] = {
    "a failed scenario": {"planted.feature": _plant("the check does not hold")},
    "an errored scenario": {"planted.feature": _plant("the client breaks")},
    "an undefined step": {"planted.feature": _plant("nobody wrote this step")},
    "a target that dies mid-run": {"planted.feature": _plant("all is well"), "environment.py": TARGET_DIES},
    "a gate finding (a scenario with no clause)": {"planted.feature": _plant("all is well", tags="@wip")},
    "missing evidence (behave dies)": {"planted.feature": _plant("behave itself dies")},
}
FINDING = {
    "a failed scenario": "failed scenario: The planted scenario (features/planted.feature:3; SRPD 6.1(f)): "
    "AssertionError: S1SR 4.2: the certificate owner is not the sender",
    "an errored scenario": "errored scenario: The planted scenario (features/planted.feature:3; SRPD 6.1(f)): "
    "ConnectionError: the DSP closed the connection",
    "an undefined step": "undefined step: The planted scenario (features/planted.feature:3; SRPD 6.1(f)): "
    "Undefined step: Then nobody wrote this step (no step definition matches it)",
    "a target that dies mid-run": "target: the target stopped answering during the run: nothing answers at "
    "http://127.0.0.1:9 (connection refused)",
    "a gate finding (a scenario with no clause)": "traceability: features/planted.feature:3 'The planted "
    "scenario': no clause tag",
    "missing evidence (behave dies)": "evidence: The planted scenario (features/planted.feature:3; SRPD 6.1(f)): "
    "the run left no result for it",
}


def _project(root: Path, plant: dict[str, str]) -> Path:
    (root / "features" / "steps").mkdir(parents=True)
    (root / "features" / "good.feature").write_text(GOOD)
    (root / "features" / "steps" / "steps.py").write_text(STEPS)
    for name, text in plant.items():
        (root / "features" / name).write_text(text)
    return root


def _surfaces(reports: Path, out: str) -> dict[str, str]:
    """The verdict as each surface states it."""
    said = {"console": out.strip().splitlines()[-1].split()[1].rstrip(":")}
    sheet = (reports / "sign-off.html").read_text()
    said["sign-off sheet"] = sheet.split('class="verdict ')[1].split("Verdict: ")[1].split(":")[0]
    markdown = (reports / "traceability.md").read_text()
    said["traceability.md"] = markdown.split("**Verdict: ")[1].split("**")[0]
    rows = list(csv.DictReader((reports / "traceability.csv").open()))
    said["traceability.csv"] = "/".join(sorted({row["run_verdict"] for row in rows}))
    suites = []
    for path in (reports / "junit").rglob("*.xml"):
        root = ElementTree.parse(path).getroot()
        suites += [root] if root.tag == "testsuite" else root.findall("testsuite")
    verdicts = {p.get("value") for suite in suites for p in suite.iter("property") if p.get("name") == "run.verdict"}
    said["JUnit properties"] = "/".join(sorted(verdicts))
    case = ElementTree.parse(reports / "junit" / "mp107-verdict.xml").getroot().find("testcase")
    said["JUnit verdict case"] = "FAILED" if case.find("failure") is not None else "PASSED"
    properties = (reports / "allure-results" / "environment.properties").read_text()
    said["report's Environment panel"] = properties.split("run.verdict=")[1].split("\n")[0]
    with tarfile.open(reports / PACK_NAME) as archive:
        manifest = archive.extractfile(MANIFEST).read().decode()  # type: ignore[union-attr]
        verdict = json.load(io.BytesIO(archive.extractfile("verdict.json").read()))  # type: ignore[union-attr]
    said["pack manifest"] = manifest.split("# Verdict: ")[1].split(":")[0]
    said["pack verdict.json"] = verdict["verdict"]
    return said


@pytest.fixture(autouse=True)
def small_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "CLAUSES", CATALOGUE)
    monkeypatch.setattr("reporting.merge.CLAUSES", CATALOGUE)


def test_a_clean_run_says_passed_on_every_surface(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = _project(tmp_path, {})
    assert run.main(["--root", str(root), "--no-html"]) == 0
    said = _surfaces(root / "reports", capsys.readouterr().out)
    assert set(said.values()) == {"PASSED"}, said


@pytest.mark.parametrize("kind", PLANTS)
def test_each_kind_of_failure_says_failed_on_every_surface(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    root = _project(tmp_path, PLANTS[kind])
    assert run.main(["--root", str(root), "--no-html"]) == 1
    out = capsys.readouterr().out
    said = _surfaces(root / "reports", out)
    assert set(said.values()) == {"FAILED"}, said
    assert any(line.strip().startswith(f"- {FINDING[kind]}") for line in out.splitlines()), out
    assert FINDING[kind] in (root / "reports" / "traceability.md").read_text().replace("\\|", "|")


@pytest.mark.parametrize("kind", PLANTS)
def test_merged_shards_get_the_verdict_one_run_would(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = _project(tmp_path, PLANTS[kind])
    for number in (1, 2):  # good.feature in one shard, planted.feature in the other
        run.main(["--root", str(root), "--no-html", "--no-pack", "--shard", f"{number}/2", "--reports", f"s{number}"])
    capsys.readouterr()
    assert merge_main([str(root / "s1"), str(root / "s2"), "--root", str(root), "--out", "merged", "--no-html"]) == 1
    out = capsys.readouterr().out
    said = _surfaces(root / "merged", out)
    assert set(said.values()) == {"FAILED"}, said
    assert FINDING[kind].split(": ", 1)[1] in (root / "merged" / "traceability.md").read_text().replace("\\|", "|")


def test_a_clause_with_a_failed_scenario_is_failed_never_covered(tmp_path: Path):
    plant = {"planted.feature": _plant("the check does not hold", tags="@SRPD-6.2.d")}
    root = _project(tmp_path, plant)
    assert run.main(["--root", str(root), "--no-html", "--no-pack"]) == 1
    rows = csv.DictReader((root / "reports" / "traceability.csv").open())
    rows = [row for row in rows if row["clause"] == "SRPD 6.2(d)"]
    assert {row["clause_status"] for row in rows} == {"failed"}  # one scenario passed, one failed: failed
    sheet = (root / "reports" / "sign-off.html").read_text()
    row = sheet.split("<td class='clause'>SRPD 6.2(d)</td>")[1].split("</tr>")[0]
    assert "<td class='num'>1</td><td class='num'>1</td><td class='num'>0</td>" in row and ">FAILED<" in row


def test_pack_verification_prints_the_verdict_the_pack_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = _project(tmp_path, PLANTS["a failed scenario"])
    run.main(["--root", str(root), "--no-html"])
    capsys.readouterr()
    assert verify_main([str(root / "reports" / PACK_NAME)]) == 0  # intact, whatever the run's verdict
    assert "the run it holds: Verdict: FAILED: 2 passed, 1 failed, 0 not run" in capsys.readouterr().out


@pytest.mark.skipif(not allure_report.ALLURE_BIN.exists(), reason="Allure 3 not installed (npm ci)")
def test_the_html_report_shows_the_verdict_on_its_bar_and_in_its_environment(tmp_path: Path):
    root = _project(tmp_path, PLANTS["a failed scenario"])
    assert run.main(["--root", str(root), "--no-pack"]) == 1
    page = (root / "reports" / "allure-report" / "index.html").read_text()
    bar = page.split('<div id="mp107-bar"')[1].split("</div>")[0]
    assert "Run verdict: FAILED" in bar and "2 passed, 1 failed, 0 not run" in bar
    assert "position:fixed" not in bar
