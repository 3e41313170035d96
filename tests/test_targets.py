"""Target selection: the embedded sandbox by default, external endpoints by userdata or a config file."""

from __future__ import annotations

import pytest
import requests

from support.targets import TargetError, open_target


def test_embedded_target_starts_the_sandbox_on_loopback_and_stops_it():
    target = open_target({})
    try:
        assert target.name == "embedded"
        assert target.dsp_url.startswith("http://127.0.0.1:")
        assert requests.get(target.control_url + "/health", timeout=5).json()["status"] == "ok"
    finally:
        target.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(target.control_url + "/health", timeout=2)


def test_external_target_from_userdata_starts_nothing():
    target = open_target(
        {
            "target": "external",
            "dsp_url": "https://dsp.test",
            "control_url": "https://h.test",
            "control_token": "s3cret",
        }
    )
    assert (target.name, target.dsp_url, target.control_url, target.control_token) == (
        "external",
        "https://dsp.test",
        "https://h.test",
        "s3cret",
    )


def test_external_target_from_a_config_file_with_userdata_taking_precedence(tmp_path):
    config = tmp_path / "target.ini"
    config.write_text("[target]\ntarget = external\ndsp_url = https://a.test\ncontrol_url = https://b.test\n")
    target = open_target({"target_config": str(config), "dsp_url": "https://override.test"})
    assert (target.dsp_url, target.control_url) == ("https://override.test", "https://b.test")


@pytest.mark.parametrize(
    ("userdata", "message"),
    [
        ({"target": "external", "dsp_url": "https://a.test"}, "needs control_url"),
        ({"target": "staging"}, "'embedded' or 'external'"),
        ({"target_config": "/nonexistent/target.ini"}, "does not exist"),
    ],
)
def test_incomplete_targets_are_refused_with_a_reason(userdata, message):
    with pytest.raises(TargetError, match=message):
        open_target(userdata)


def test_a_config_file_without_a_target_section_is_refused(tmp_path):
    config = tmp_path / "target.ini"
    config.write_text("[other]\nx = 1\n")
    with pytest.raises(TargetError, match="no \\[target\\] section"):
        open_target({"target_config": str(config)})
