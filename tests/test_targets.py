"""Target selection: the embedded sandbox by default, else the environment an environment file describes;
the old external-target settings are refused with the way to say it now."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from environment_file import EnvironmentFileError
from support.control_client import ControlClient
from support.targets import TargetError, open_target

ENVIRONMENTS = Path(__file__).resolve().parents[1] / "support" / "environments"


def test_embedded_target_starts_the_sandbox_on_loopback_and_stops_it():
    target = open_target({})
    try:
        assert target.name == "embedded sandbox" and target.environment is None
        assert target.dsp_url.startswith("http://127.0.0.1:")
        assert ControlClient(target.urls["Control"]).health()["status"] == "ok"  # the token found by the client
    finally:
        target.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(target.urls["Control"] + "/health", timeout=2)


def test_an_environment_file_is_the_target_and_starts_nothing():
    target = open_target({"environment": str(ENVIRONMENTS / "sandbox-to-be.toml")})
    assert target.environment is not None and target.urls == {}
    assert target.dsp_url == target.environment.dsp.url
    assert target.description["environment.sha256"] == target.environment.sha256


@pytest.mark.parametrize("key", ["target", "dsp_url", "control_url", "target_config"])
def test_the_old_external_settings_are_refused_naming_the_environment_file(key):
    with pytest.raises(TargetError, match="-D environment=FILE"):
        open_target({key: "x"})


def test_a_missing_environment_file_is_refused():
    with pytest.raises(EnvironmentFileError):
        open_target({"environment": "/nonexistent/environment.toml"})
