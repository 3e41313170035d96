"""The project's HTTP session (`serving.http_client`): loopback reached directly, anything else as requests does."""

from __future__ import annotations

import pytest
import requests

from serving.http_client import Session
from serving.loopback import is_loopback_url
from serving.server import Service
from serving.web import App, xml_response

UNREACHABLE_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture
def echo_url():
    echo = Service("echo", App([("POST", "/echo", lambda request: xml_response(request.get_data()))]))
    url = echo.start() + "/echo"
    yield url
    echo.stop()


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment whose proxy would take every request, loopback too (no NO_PROXY)."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, UNREACHABLE_PROXY)


def test_a_loopback_service_is_reached_directly_whatever_proxy_the_environment_names(echo_url, proxied) -> None:
    with requests.Session() as plain:  # the premise: requests alone sends loopback requests to the proxy
        with pytest.raises(requests.exceptions.ProxyError):
            plain.post(echo_url, data=b"<a/>", timeout=5)
    with Session() as session:
        reply = session.post(echo_url, data=b"<a/>", timeout=5)
    assert reply.status_code == 200 and reply.content == b"<a/>"


def test_a_host_beyond_loopback_still_goes_through_the_environments_proxy(proxied) -> None:
    with Session() as session:
        settings = session.merge_environment_settings("http://dsp.dcc.example/duis", {}, None, None, None)
    assert settings["proxies"].get("http") == UNREACHABLE_PROXY


def test_the_proxies_a_session_is_given_are_kept_for_loopback_too() -> None:
    with Session() as session:
        session.proxies = {"http": "http://127.0.0.1:3128"}
        settings = session.merge_environment_settings("http://127.0.0.1:8080/x", {}, None, True, None)
    assert settings["proxies"] == {"http": "http://127.0.0.1:3128"} and settings["verify"] is True


def test_the_ca_a_session_is_given_outranks_the_environments_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    url = "https://dsp.dcc.example/duis"
    with requests.Session() as plain:  # the premise: requests alone lets the environment's bundle win
        plain.verify = "/uit/dcc-ca.pem"
        assert plain.merge_environment_settings(url, {}, None, None, None)["verify"] != "/uit/dcc-ca.pem"
    with Session() as session:
        session.verify = "/uit/dcc-ca.pem"
        assert session.merge_environment_settings(url, {}, None, None, None)["verify"] == "/uit/dcc-ca.pem"
        assert session.merge_environment_settings(url, {}, None, False, None)["verify"] is False  # the request's own
    with Session() as default:
        assert default.merge_environment_settings(url, {}, None, None, None)["verify"] == (
            "/etc/ssl/certs/ca-certificates.crt"
        )  # given nothing, the environment's bundle as ever


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/duis", True),
        ("http://127.8.9.10/", True),
        ("http://localhost/", True),
        ("http://[::1]:8443/", True),
        ("https://dsp.dcc.example/duis", False),
        ("http://10.0.0.1/", False),
        ("", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback
