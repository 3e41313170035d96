"""One sandbox per test session (keys once per organisation), state reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_services.sandbox import Sandbox
from support.control_client import ControlClient
from support.duis_client import DUISClient
from tests.helpers import Cast, enrol_cast


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def control(sandbox: Sandbox) -> Iterator[ControlClient]:
    client = ControlClient(sandbox.services["Control"].url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def duis(sandbox: Sandbox) -> Iterator[DUISClient]:
    client = DUISClient(sandbox.services["DSP"].url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def cast(control: ControlClient) -> Cast:
    return enrol_cast(control)


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("control").reset()
