"""One sandbox per test session (keys once per organisation), state reset per test; one JVM per test session
for DCC's tool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_services.sandbox import Sandbox
from support.control_client import ControlClient
from support.world_clients import MeterEventsClient, MigrationControlCentreClient
from tests.dcc_tool import DCCTool, find_dcc_tool
from tests.helpers import Cast, enrol_cast
from user_system.client import DUISClient
from user_system.system import UserSystem


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def dcc_tool() -> Iterator[DCCTool]:
    """DCC's own DUIS tool (skipped, or failed under CI, when Java or the jar is missing); its runs share one JVM."""
    tool = find_dcc_tool()
    yield tool
    tool.close()


@pytest.fixture(scope="session")
def control(sandbox: Sandbox) -> Iterator[ControlClient]:
    client = ControlClient(sandbox.services["Control"].url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def mcc(sandbox: Sandbox) -> Iterator[MigrationControlCentreClient]:
    """The sandbox's enrolment interface (the DCC Migration Control Centre), as a Supplier reaches it."""
    client = MigrationControlCentreClient(sandbox.services["MCC"].url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def meters(sandbox: Sandbox) -> Iterator[MeterEventsClient]:
    """The sandbox's meter-events interface: make a meter raise an alert."""
    client = MeterEventsClient(sandbox.services["Meters"].url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def user_system(sandbox: Sandbox, control: ControlClient) -> Iterator[UserSystem]:
    """The tests' User system: a DUIS client and the Receive Response Service every cast member uses."""
    with UserSystem(sandbox.services["DSP"].url, control.smki()["dcc_signers"]) as system:
        yield system


@pytest.fixture(scope="session")
def duis(user_system: UserSystem) -> DUISClient:
    return user_system.duis


@pytest.fixture(scope="session")
def cast(control: ControlClient, user_system: UserSystem) -> Cast:
    return enrol_cast(control, user_system.receive_url)


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("control").reset()
