"""Against an environment, a scenario's meter is chosen once the scenario uses it, by every Given said by then
(`support.environment_arrangement`): a Given only narrows what is wanted, so a scenario whose first Given
fits a meter its later Givens rule out neither waits for, leases nor reads that meter."""

from __future__ import annotations

from pathlib import Path

import pytest

from duis.srv import UserRole
from environment_file import load_environment
from support.arrangement import MeterWish, NotInThisEnvironment, Site
from support.coordinator import LeaseTable, LocalLeases
from support.environment_arrangement import EnvironmentArrangement, EnvironmentDirectory
from user_system.organisations import Organisation

TO_BE = Path(__file__).resolve().parents[1] / "support" / "environments" / "sandbox-to-be.toml"


class NamesOnly(EnvironmentDirectory):
    """The file's organisations by name and User ID, without their keys (nothing here signs)."""

    def ensure(self, name: str, role: str, certified: bool = True, user: bool = True) -> Organisation:
        entry = self._entry(name)
        role_of = UserRole.OTHER_USER if entry.is_acb else UserRole(entry.user_role)
        return self._by_name.setdefault(name, Organisation(name, role_of, entry.entity_id))


class DeclaredHolding:
    """A meter holds what the file declares: every read and placement is recorded."""

    def __init__(self, arrangement: EnvironmentArrangement) -> None:
        self.arrangement = arrangement
        self.read: list[str] = []

    def holders(self, role: str, device_id: str, site: Site) -> dict[str, str | None]:
        self.read.append(device_id)
        meter = next(m for m in self.arrangement.env.meters if m.device_id == device_id)
        key = {"NetworkOperator": "network_operator", "Supplier": "supplier"}[role]
        holder = self.arrangement.directory.ensure_known(self.arrangement.env.holder(meter, key) or "")
        return {"DS": holder.entity_id, "KA": holder.entity_id}

    def place(self, sender: Organisation, replacement: Organisation, role: str, device_id: str) -> bool:
        raise AssertionError("a meter already holding what is wanted is not changed")


@pytest.fixture
def arrangement() -> EnvironmentArrangement:
    env = load_environment(TO_BE)
    return EnvironmentArrangement(env, NamesOnly(env))


def _western_power_meter() -> MeterWish:
    return MeterWish(1, "S1SP1", "electricity meter", "Western Power", None, mp107_at_meter=True)


def test_givens_lease_nothing_and_the_first_use_leases_a_meter_fitting_them_all(arrangement: EnvironmentArrangement):
    holding = DeclaredHolding(arrangement)
    scenario = arrangement.for_scenario(holding)
    wish = _western_power_meter()
    first = scenario.install(wish, lambda: None)  # type: ignore[arg-type,return-value]
    wish.holds[("electricity meter", "NetworkOperator")] = "Eastern Networks"
    scenario.hold(first, wish, "electricity meter", "NetworkOperator", "Eastern Networks")
    assert scenario.leased == set() and holding.read == []

    site = scenario.settle(first, wish)

    assert site.entry is not None and arrangement.env.holder(site.entry, "network_operator") == "Eastern Networks"
    assert scenario.leased == {site.entry.installation}
    assert set(holding.read) == {site.entry.device_id}, "only the meter it settled on is read"


def test_a_given_no_meter_of_the_file_fits_skips_the_scenario_at_that_given(arrangement: EnvironmentArrangement):
    scenario = arrangement.for_scenario(DeclaredHolding(arrangement))
    wish = MeterWish(1, "S1SP1", "electricity meter", "Midland Networks", None)
    with pytest.raises(NotInThisEnvironment, match="declares no meter"):
        scenario.install(wish, lambda: None)  # type: ignore[arg-type,return-value]
    assert scenario.leased == set()


class WorkerLeases(LocalLeases):
    """One worker's leases in a table the run's workers share (as the coordinator keeps it)."""

    def __init__(self, table: LeaseTable, worker: str) -> None:
        self.table, self.worker = table, worker

    def lease(self, installation: str, keep: bool = False) -> str | None:
        return self.table.lease(installation, self.worker, keep)


def test_two_scenarios_in_flight_wanting_the_same_kind_of_meter_settle_on_different_installations():
    env, table, chosen = load_environment(TO_BE), LeaseTable(), []
    for worker in ("worker 1", "worker 2"):
        arrangement = EnvironmentArrangement(env, NamesOnly(env), WorkerLeases(table, worker))
        scenario = arrangement.for_scenario(DeclaredHolding(arrangement))
        wish = _western_power_meter()
        wish.holds[("electricity meter", "NetworkOperator")] = "Eastern Networks"
        site = scenario.settle(scenario.install(wish, lambda: None), wish)  # type: ignore[arg-type,return-value]
        chosen.append(site.entry.installation if site.entry else None)
    assert chosen[0] != chosen[1]
