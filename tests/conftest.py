"""One sandbox per test session (keys once per organisation), state reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from duis.srv import UserRole
from fake_services.sandbox import Sandbox
from support import test_data
from support.control_client import ControlClient
from support.duis_client import DUISClient
from support.organisations import Organisation


@dataclass
class Cast:
    """The organisations every test can use."""

    western: Organisation  # Electricity Distributor, registered for the meter
    eastern: Organisation  # Electricity Distributor whose certificate is wrongly held
    northern: Organisation  # a third Electricity Distributor
    gas_transporter: Organisation
    other_gas_transporter: Organisation
    supplier: Organisation  # Import Supplier
    gas_supplier: Organisation
    other_user: Organisation
    acb: Organisation


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
    def org(name: str, role: UserRole) -> Organisation:
        return Organisation(name, role, test_data.entity_id()).enrol(control)

    return Cast(
        western=org("Western Power", UserRole.ELECTRICITY_DISTRIBUTOR),
        eastern=org("Eastern Networks", UserRole.ELECTRICITY_DISTRIBUTOR),
        northern=org("Northern Grid", UserRole.ELECTRICITY_DISTRIBUTOR),
        gas_transporter=org("Cadent Gas", UserRole.GAS_TRANSPORTER),
        other_gas_transporter=org("Wales Gas", UserRole.GAS_TRANSPORTER),
        supplier=org("Bright Energy", UserRole.IMPORT_SUPPLIER),
        gas_supplier=org("Flame Gas Supply", UserRole.GAS_SUPPLIER),
        other_user=org("Meter Insights", UserRole.OTHER_USER),
        acb=_acb(control),
    )


def _acb(control: ControlClient) -> Organisation:
    """The ACB holds certificates in role 04; it is not a DUIS User."""
    acb = Organisation("Access Control Broker", UserRole.OTHER_USER, test_data.entity_id())
    acb.ds_pem = control.issue_certificate(acb.ds_key.public_key(), acb.entity_id, "04", "DS", acb.name)
    acb.ka_pem = control.issue_certificate(acb.ka_key.public_key(), acb.entity_id, "04", "KA", acb.name)
    return acb


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("control").reset()
