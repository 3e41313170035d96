"""The suite against an environment (here: the sandbox started from a copy of `sandbox-to-be.toml` on free
ports, its Control API off): scenarios arranged and judged through DUIS alone, the Control client never
called, and preflight ending a run that cannot work at once with one short line per problem."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from environment_file import load_environment
from reporting.sandbox_runs import on_free_ports, sandbox_from
from serving.local_access import local_token
from support.control_client import ControlClient, ControlRefused
from support.preflight import ready_user_system
from tests.helpers import free_port
from user_system.system import user_system_for

ROOT = Path(__file__).resolve().parents[1]
TO_BE = ROOT / "support" / "environments" / "sandbox-to-be.toml"
RUN_LIMIT = 15.0
"""The issue's bound for a run against a dead DSP to end (a subprocess timeout, not a measured time)."""


@pytest.fixture(scope="module")
def to_be(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = on_free_ports(TO_BE, tmp_path_factory.mktemp("to-be"))
    with sandbox_from(path):
        yield path


def behave(environment: Path, *features: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "behave", "-D", f"environment={environment}", "-f", "plain", *features],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_sandbox_from_an_environment_file_offers_no_control_api(to_be: Path):
    env = load_environment(to_be)
    assert env.interfaces.control is None
    # the interfaces the file declares are the enrolment and meter-event ones; neither is a Control API
    token = {"Authorization": f"Bearer {local_token()}"}
    for url in (env.interfaces.migration_control_centre, env.interfaces.meter_events):
        assert requests.post(f"{url}/reset", headers=token, timeout=5).status_code == 404


def test_scenarios_run_on_duis_alone_and_the_control_client_is_never_called(to_be: Path):
    result = behave(to_be, "features/what_mp107_leaves.feature", "features/mp107_correction.feature")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "ControlRefused" not in output and "Traceback" not in output
    passed = re.search(r"(\d+) scenarios? passed, (\d+) failed, (\d+) skipped", output)
    assert passed is not None and int(passed.group(1)) >= 10 and passed.group(2) == "0", output[-1500:]


def test_the_control_client_refuses_before_any_request_in_environment_mode(monkeypatch: pytest.MonkeyPatch):
    client = ControlClient("http://127.0.0.1:9")
    monkeypatch.setattr(client.session, "request", lambda *a, **k: pytest.fail("the Control API was called"))
    monkeypatch.setattr(ControlClient, "refused", "the run is against the environment 'UIT': DUIS only")
    with pytest.raises(ControlRefused, match="DUIS only"):
        client.reset()


def test_preflight_proves_the_dsp_calls_the_receiver_back(to_be: Path):
    user_system, result = ready_user_system(load_environment(to_be))
    try:
        assert result.ok and not result.notes, result.report()
        assert any(r.response.response_code == "I0" for r in user_system.receiver.arrivals())
    finally:
        user_system.close()


def test_the_user_system_trusts_the_files_dcc_signers_each_in_its_role(to_be: Path):
    """[dcc.signers] names the DSP and the S1SPs: the envelope must be the DSP's, what it carries an S1SP's."""
    user_system = user_system_for(load_environment(to_be))
    try:
        assert user_system.signatures.roles() == {"DSP": "DSP", "S1SP1": "S1SP", "S1SP2": "S1SP", "S1SP3": "S1SP"}
    finally:
        user_system.close()


def test_preflight_says_when_nothing_reaches_the_receiver(to_be: Path, tmp_path: Path):
    """The suite listens on another port than the one the DSP was given: the answer goes nowhere."""
    text = to_be.read_text()
    moved = re.sub(r"(\[receiver\][^\[]*?port = )\d+", lambda m: f"{m.group(1)}{free_port()}", text)
    moved = re.sub(r"answer_timeout_seconds = \d+", "answer_timeout_seconds = 2", moved)
    elsewhere = to_be.parent / "elsewhere.toml"
    elsewhere.write_text(moved)
    result = subprocess.run(
        [sys.executable, "-m", "support.preflight", str(elsewhere)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "delivered nothing to" in result.stderr and "Traceback" not in result.stderr


def test_a_key_that_does_not_match_its_certificate_stops_the_run_before_any_scenario(tmp_path: Path):
    path = on_free_ports(TO_BE, tmp_path)
    with sandbox_from(path):
        key = tmp_path / "keys" / "eastern-networks" / "ds.key"
        other = ec.generate_private_key(ec.SECP256R1())
        key.write_bytes(
            other.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        result = behave(path, "features/rollout.feature")
    assert result.returncode == 2
    assert "preflight: organisations[1].digital_signing: the key does not match" in result.stderr
    assert "Traceback" not in result.stderr
    assert "No scenario was run." in result.stderr
    assert "scenarios passed" not in result.stdout


def test_a_dead_dsp_ends_the_run_at_once_with_one_short_line(tmp_path: Path):
    path = on_free_ports(TO_BE, tmp_path)  # nothing started: every port is closed
    result = subprocess.run(
        [sys.executable, "-m", "reporting.run", "--environment", str(path), "--no-html", "--no-pack",
         "--reports", str(tmp_path / "reports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )  # fmt: skip
    assert result.returncode == 2
    problems = [line for line in result.stderr.splitlines() if line.startswith("preflight:")]
    assert len(problems) >= 1 and "Traceback" not in result.stderr
    assert all(len(line) < 300 for line in problems)
    assert "No scenario was run." in result.stderr


def test_a_target_that_dies_mid_run_fails_the_run_on_every_surface(tmp_path: Path):
    """The sandbox (the DCC here) is killed once the first scenario has left its messages: the scenarios
    after it error (never skip as "not in this environment"), the hooks find the DSP no longer answering,
    and the verdict is FAILED on the console, the sheet and the matrix."""
    (tmp_path / "env").mkdir()
    path = on_free_ports(TO_BE, tmp_path / "env", answer_timeout=2)
    reports = tmp_path / "reports"
    with sandbox_from(path) as dcc:
        runner = subprocess.Popen(
            [sys.executable, "-m", "reporting.run", "--environment", str(path), "--reports", str(reports),
             "--tags", "@SRPD-6.1.f", "--no-html", "--no-pack"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        messages = reports / "messages"
        deadline = time.monotonic() + 120
        while not (messages.is_dir() and any(messages.iterdir())) and runner.poll() is None:
            assert time.monotonic() < deadline, "no scenario left its messages"
            time.sleep(0.05)
        dcc.kill()
        out, _ = runner.communicate(timeout=300)
    assert runner.returncode == 1, out[-3000:]
    assert out.strip().splitlines()[-1].startswith("Verdict:  FAILED"), out[-3000:]
    assert "target: the target stopped answering during the run: nothing answers at" in out, out[-3000:]
    assert "Verdict: FAILED" in (reports / "sign-off.html").read_text()
    assert "**Verdict: FAILED**" in (reports / "traceability.md").read_text()
