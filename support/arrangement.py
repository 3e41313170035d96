"""How a scenario's Givens come true, in either kind of run, behind one interface:

- the embedded sandbox (`support.sandbox_arrangement`): its Control API seeds exactly what a Given says (a
  test harness: it arranges, it never judges);
- an environment file (`support.environment_arrangement`): a Given picks a meter from the file that
  satisfies it and, where the meter must hold someone's certificates, establishes that through DUIS (the
  current holder places them with 6.15.1). When a Given cannot be met there (the environment declares MP107
  on and the scenario needs it off, or declares no enrolment interface), the scenario is skipped with that
  reason (`NotInThisEnvironment`).

An `Arrangement` lives for the run; `for_scenario` gives the scenario's own (`ScenarioArrangement`), bound to
what it needs of the scenario: the means to read and place a meter's certificates through DUIS (`Holding`),
never the World itself. Either way an outcome is judged only from what a User sees (`support.world`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from environment_file import MeterEntry
from support.seeding import Installation, Parties
from support.world_clients import MeterEventsClient, MigrationControlCentreClient
from user_system.client import SigningIdentity
from user_system.organisations import Organisation

METER_KINDS = {"electricity meter": "ESME", "gas meter": "GSME"}


class NotInThisEnvironment(Exception):  # noqa: N818 - a reason to skip, not an error
    """A Given this environment cannot meet; the scenario is skipped with this reason."""


@dataclass
class Site:
    """The installation a scenario is about and who is registered for its meters."""

    installation: Installation
    parties: Parties
    meter_kind: str = "electricity meter"
    entry: MeterEntry | None = None
    """Environment mode: the file's entry for the scenario's meter."""

    def device(self, which: str) -> str:
        return self.installation.device(self.meter_kind if which == "meter" else which)

    def reader(self, device_id: str) -> Organisation:
        """Who may read the device's credentials: its registered supplier (6.24.1 is checked against
        Registration Data like any non-critical request)."""
        return self.parties.gas_supplier if device_id == self.installation.gsme else self.parties.import_supplier


@dataclass
class MeterWish:
    """What the scenario's Givens have asked of its meter so far (environment mode re-selects by it)."""

    smets: int
    s1sp: str | None
    meter_kind: str
    network_operator: str | None
    supplier: str | None
    gas_supplier: str | None = None
    enrolled: bool = True
    status: str = "Active"
    gas_meter_active: bool = False
    s1sp_down: bool = False
    mp107_at_meter: bool | None = None
    """Whether MP107 must be in force at the meter's S1SP (None: the scenario does not say)."""
    holds: dict[tuple[str, str], str] = field(default_factory=dict)
    """(device kind, role) -> organisation name the meter must hold."""


class Holding(Protocol):
    """What establishing a holding through DUIS needs of a scenario: to read what a meter holds (6.24.1, by
    the candidate site's registered supplier) and to place certificates (6.15.1), each exchange kept as the
    scenario's evidence (`support.anchors.Anchors` is one)."""

    def holders(self, role: str, device_id: str, site: Site) -> dict[str, str | None]: ...

    def place(self, sender: Organisation, replacement: Organisation, role: str, device_id: str) -> bool: ...


class ScenarioArrangement(Protocol):
    """One scenario's arrangement: each Given, as the run's kind of target can meet it."""

    def organisation(self, name: str, role: str, certified: bool, user: bool) -> Organisation: ...

    def install(self, wish: MeterWish, parties: Callable[[], Parties]) -> Site: ...

    def hold(self, site: Site, wish: MeterWish, device_kind: str, role: str, holder: str) -> Site: ...

    def supply_gas_meter(self, site: Site, wish: MeterWish, supplier: str) -> Site: ...

    def s1sp_not_answering(self, site: Site, wish: MeterWish) -> Site: ...

    def s1sp_answers_again(self, site: Site) -> None: ...

    def switch(self, dsp: bool, enabled: set[str]) -> dict: ...

    def require_mp107(self, dsp: bool, at_meter: bool) -> dict: ...

    def rearrange(self, site: Site, wish: MeterWish) -> Site: ...

    def settle(self, site: Site, wish: MeterWish) -> Site:
        """The meter the scenario is about, as every Given said so far has it, when the scenario first uses
        it: what `install`, `hold` and the like returned may be provisional (an environment chooses its meter
        once it knows all that is asked of it, not Given by Given)."""
        ...

    def enrolment(self) -> MigrationControlCentreClient: ...

    def meter_events(self) -> MeterEventsClient: ...

    def deliveries_settled(self, wait: float) -> bool:
        """True once the DCC has delivered (or refused, or given up) everything it has queued so far, waiting
        up to `wait` seconds; False when that cannot be known (an environment's DCC does not say)."""
        ...

    def end(self) -> None:
        """The scenario is over: what it held (meters leased in an environment) is free again."""

    def expired_signing_identity(self, organisation: Organisation) -> SigningIdentity:
        """An XML-signing certificate the DCC's SMKI issued `organisation`, expired yesterday, with its key (the
        sandbox's SMKI issues one; an environment's issues nothing to the suite)."""
        ...

    def pre_commands_outlived(self) -> Callable[[], None]:
        """What moves the DCC's clock past the time it awaits a Signed Pre-Command, to be done between a
        Pre-Command's issue and its signing (the sandbox's clock; an environment's cannot be moved, which
        raises NotInThisEnvironment at once, before anything is sent)."""
        ...


class Arrangement(Protocol):
    """The run's arrangement: the target's means of making Givens true, for each scenario in turn."""

    def for_scenario(self, holding: Holding) -> ScenarioArrangement: ...

    def close(self) -> None: ...
