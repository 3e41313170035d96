"""An environment file's arrangement: a DCC test environment (or the sandbox started from the file, its
Control API off) reached with nothing but DUIS and the interfaces the file declares. The Givens say what
the meter must be; when the scenario first uses it, a meter of the file that satisfies every Given so far is
leased and, where it must hold someone's certificates, brought there through DUIS (the current holder places
them with 6.15.1); when that cannot be met there, the scenario is skipped with the reason
(`NotInThisEnvironment`). Meters are leased to one scenario at a time,
across the run's processes (`support.coordinator`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from duis.srv import UserRole
from environment_file import Environment, MeterEntry, OrganisationEntry
from support.arrangement import METER_KINDS, Holding, MeterWish, NotInThisEnvironment, Site
from support.coordinator import IN_USE, Leases, LocalLeases
from support.seeding import ACB, S1SPS, Installation, Parties, Roster
from support.world_clients import MeterEventsClient, MigrationControlCentreClient
from user_system.client import SigningIdentity
from user_system.organisations import Organisation, organisation_identity

LEASE_WAIT_SECONDS = 120.0
"""How long a scenario waits for a fitting meter that other scenarios of the run are using while none of
them gives a meter back (longer still against an environment whose answers are slow: `patience`). A wait
that long means the scenarios wait on each other; the one that asks gives up (skipped, saying so)."""
ANSWERS_PER_SCENARIO = 10
"""How many DUIS answers a long scenario waits for, one after another: a wait for a meter lasts at least
that many answer timeouts, so that a scenario holding the meter can finish against a slow environment."""


class EnvironmentDirectory(Roster):
    """The organisations an environment file declares, by the names the features use (with their keys
    from the file); a Background naming one the file lacks, or in another role, skips the scenario."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._by_name: dict[str, Organisation] = {}

    def ensure(self, name: str, role: str, certified: bool = True, user: bool = True) -> Organisation:
        if name in self._by_name:
            return self._by_name[name]
        entry = self._entry(name)
        if entry.user_role != role and not (role == ACB and entry.is_acb):
            raise NotInThisEnvironment(f"{name} is a {entry.user_role} in this environment, not a {role}")
        if entry.dcc_user != user and not entry.is_acb:
            raise NotInThisEnvironment(f"{name} is {'' if entry.dcc_user else 'not '}a DCC User in this environment")
        if certified != (entry.digital_signing is not None or entry.is_acb):
            raise NotInThisEnvironment(f"{name}'s SMKI certificates are not as the scenario needs in this environment")
        self._by_name[name] = organisation_identity(entry)
        return self._by_name[name]

    def _entry(self, name: str) -> OrganisationEntry:
        try:
            return self.env.organisation(name)
        except KeyError:
            raise NotInThisEnvironment(f"the environment declares no organisation named {name}") from None

    def ensure_known(self, name: str) -> Organisation:
        """An organisation the scenario already named, else the file's entry by that name."""
        if name in self._by_name:
            return self._by_name[name]
        entry = self._entry(name)
        return self.ensure(
            name,
            ACB if entry.is_acb else entry.user_role,
            entry.digital_signing is not None or entry.is_acb,
            entry.dcc_user,
        )

    def known(self) -> list[Organisation]:
        """Every organisation the file declares with its keys (to find who holds a meter's certificate)."""
        return [self.ensure_known(entry.name) for entry in self.env.organisations]

    def acb(self) -> Organisation:
        entry = self.env.acb
        if entry is None:
            raise NotInThisEnvironment("the environment declares no Access Control Broker")
        return self.ensure(entry.name, ACB)

    def of_role(self, role: UserRole) -> list[Organisation]:
        return [o for o in self._by_name.values() if o.user_role is role and o.ds_pem]

    def name_of(self, entity_id: str | None) -> str | None:
        """The name the features use for an entity ID the file declares (else the ID itself)."""
        return next((o.name for o in self.env.organisations if o.entity_id == entity_id), entity_id)


class EnvironmentArrangement:
    """A DCC test environment (or the sandbox started from an environment file, its Control API off)."""

    kind = "environment"

    def __init__(
        self,
        env: Environment,
        directory: EnvironmentDirectory,
        leases: Leases | None = None,
        token: str | None = None,
    ) -> None:
        self.env = env
        self.installations = env.installations()
        """The file's installations, grouped once: every Given and every choice of meter looks them up."""
        self.leases: Leases = leases or LocalLeases()
        """Which installations this scenario uses (shared with the run's other processes, if any)."""
        self.directory = directory
        ifaces = env.interfaces
        self.mcc = (
            MigrationControlCentreClient(ifaces.migration_control_centre, token)
            if ifaces.migration_control_centre
            else None
        )
        self.meters = MeterEventsClient(ifaces.meter_events, token) if ifaces.meter_events else None
        self.patience = max(LEASE_WAIT_SECONDS, ANSWERS_PER_SCENARIO * env.dsp.answer_timeout)
        """How long a scenario waits for a meter while no scenario of the run gives one back."""

    def organisation(self, name: str, role: str, certified: bool, user: bool) -> Organisation:
        return self.directory.ensure(name, role, certified, user)

    def candidates(self, wish: MeterWish) -> list[MeterEntry]:
        device_type = METER_KINDS[wish.meter_kind]
        installations = self.installations
        found = []
        for meter in self.env.meters:
            if meter.device_type != device_type or meter.smets != wish.smets or meter.enrolled != wish.enrolled:
                continue
            down = meter.s1sp in self.env.change.s1sps_not_answering
            if wish.s1sp_down != down or (not wish.s1sp_down and wish.s1sp and meter.s1sp != wish.s1sp):
                continue
            registered = meter.registered
            if wish.network_operator and registered.get("network_operator") != wish.network_operator:
                continue
            if wish.supplier and registered.get("supplier") != wish.supplier:
                continue
            if not wish.enrolled and meter.status != wish.status:
                continue
            siblings = installations.get(meter.installation or "", ())
            gas = next((m for m in siblings if m.device_type == "GSME"), None)
            if wish.gas_meter_active != (gas is not None and gas.status == "Active" and meter.status == "Dormant"):
                if not wish.enrolled:
                    continue
            if wish.gas_supplier and (gas is None or gas.registered.get("supplier") != wish.gas_supplier):
                continue
            if wish.mp107_at_meter is not None and meter.smets == 1 and not wish.s1sp_down:
                if (meter.s1sp in self.env.change.s1sps_enabled) != wish.mp107_at_meter:
                    continue
            found.append(meter)
        return found

    def site_of(self, meter: MeterEntry, wish: MeterWish) -> Site:
        siblings = {m.device_type: m for m in self.installations.get(meter.installation or "", (meter,))}
        electricity, gas = siblings.get("ESME"), siblings.get("GSME")
        ids = {kind: (siblings[kind].device_id if kind in siblings else "") for kind in ("ESME", "GSME", "CHF", "GPF")}
        installation = Installation(
            meter.smets,
            meter.s1sp,
            ids["ESME"],
            ids["GSME"],
            ids["CHF"],
            ids["GPF"],
            electricity.mpxn if electricity and electricity.mpxn else "",
            gas.mpxn if gas and gas.mpxn else "",
        )
        d = self.directory

        def party(entry: MeterEntry | None, role_key: str, role: UserRole) -> Organisation:
            name = entry.registered.get(role_key) if entry else None
            return d.ensure(name, role.value) if name else _placeholder(role)

        parties = Parties(
            party(electricity, "network_operator", UserRole.ELECTRICITY_DISTRIBUTOR),
            party(electricity, "supplier", UserRole.IMPORT_SUPPLIER),
            party(gas, "network_operator", UserRole.GAS_TRANSPORTER),
            party(gas, "supplier", UserRole.GAS_SUPPLIER),
            d.acb() if self.env.acb else _placeholder(UserRole.OTHER_USER),
        )
        return Site(installation, parties, wish.meter_kind, meter)

    def require_dsp_switch(self, dsp: bool) -> dict:
        """The DCC's switch must be as the scenario says (whether the meter's S1SP has enabled MP107 is
        left to the choice of meter)."""
        declared = self.env.change
        if declared.dsp_switch != dsp:
            raise NotInThisEnvironment(
                f"the environment declares the DCC's MP107 switch {'on' if declared.dsp_switch else 'off'}; "
                f"this scenario needs it {'on' if dsp else 'off'}"
            )
        return self._declared()

    def _declared(self) -> dict:
        declared = self.env.change
        return {
            "dsp_mp107": declared.dsp_switch,
            "s1sp_mp107": {n: n in declared.s1sps_enabled for n in sorted(self.env.s1sps)},
            "declared by": str(self.env.path.name),
        }

    def switch(self, dsp: bool, enabled: set[str]) -> dict:
        """The environment's declared state must be the scenario's, for the S1SPs both know."""
        declared = self.env.change
        considered = set(S1SPS) & set(self.env.s1sps)
        if declared.dsp_switch != dsp or (declared.s1sps_enabled & considered) != (enabled & considered):
            raise NotInThisEnvironment(
                f"the environment declares MP107 {'on' if declared.dsp_switch else 'off'} at the DCC and enabled at "
                f"{', '.join(sorted(declared.s1sps_enabled)) or 'no S1SP'}; this scenario needs it "
                f"{'on' if dsp else 'off'} at the DCC and enabled at {', '.join(sorted(enabled)) or 'no S1SP'}"
            )
        return self._declared()

    def enrolment(self) -> MigrationControlCentreClient:
        return self.require_mcc()

    def meter_events(self) -> MeterEventsClient:
        return self.require_meter_events()

    def require_mcc(self) -> MigrationControlCentreClient:
        if self.mcc is None:
            raise NotInThisEnvironment("the environment declares no enrolment interface (Migration Control Centre)")
        return self.mcc

    def require_meter_events(self) -> MeterEventsClient:
        if self.meters is None:
            raise NotInThisEnvironment("the environment declares no way to make a meter raise an alert")
        return self.meters

    def close(self) -> None:
        for client in (self.mcc, self.meters):
            if client is not None:
                client.close()

    def for_scenario(self, holding: Holding) -> EnvironmentScenario:
        """The scenario's own arrangement: meters chosen and brought to what its Givens say through `holding`."""
        return EnvironmentScenario(self, holding)


class EnvironmentScenario:
    """One scenario's Givens in an environment: the meter it is about, chosen from the file and brought
    through DUIS (with the scenario's `holding`) to hold what the Givens say."""

    def __init__(self, run: EnvironmentArrangement, holding: Holding) -> None:
        self.run = run
        self.holding = holding
        self.installation: str | None = None
        """The installation of the meter the scenario is about (leased to it)."""
        self.leased: set[str] = set()
        """Every installation this scenario has leased (and not given back)."""

    def organisation(self, name: str, role: str, certified: bool, user: bool) -> Organisation:
        return self.run.organisation(name, role, certified, user)

    def switch(self, dsp: bool, enabled: set[str]) -> dict:
        return self.run.switch(dsp, enabled)

    def enrolment(self) -> MigrationControlCentreClient:
        return self.run.enrolment()

    def meter_events(self) -> MeterEventsClient:
        return self.run.meter_events()

    def deliveries_settled(self, wait: float) -> bool:
        """An environment's DCC never says it has nothing more to deliver: it cannot be known."""
        return False

    def select(self, wish: MeterWish) -> Site:
        """A meter of the file that satisfies every Given so far, brought (through DUIS) to hold what they
        say; the first that can be, else the scenario is skipped saying what was looked for. When every
        fitting meter is in another scenario of the run, it waits for one, in turn with the other scenarios
        waiting for it, as long as the run's scenarios keep giving meters back (`patience`)."""
        candidates = self.run.candidates(wish)
        if not candidates:
            raise NotInThisEnvironment(f"the environment declares no meter that is {_describe(wish)}")
        # the meters the file declares already hold what is wanted come first, and are waited for while
        # another scenario has them: establishing a holding through DUIS costs requests, and in an
        # environment where MP107 is not in force it may leave a meter in a state nobody can undo
        wanted = {meter.device_id: _wanted_holds(wish, meter) for meter in candidates}
        ready = [
            m for m in candidates if _declared_matches(self.run.env, m, wanted[m.device_id]) == len(wanted[m.device_id])
        ]
        others = [m for m in candidates if m not in ready]
        leases, patience = self.run.leases, self.run.patience
        progress, deadline = leases.progress(), time.monotonic() + patience
        while True:
            reasons: list[str] = []
            busy: list[str] = []
            site = self._first_fit(ready, wish, wanted, reasons, busy)
            if leases.progress() != progress:  # another scenario gave its meters back: the wait is not hopeless
                progress, deadline = leases.progress(), time.monotonic() + patience
            waiting = bool(busy) and time.monotonic() < deadline
            if site is None and not waiting:  # wait for a fitting meter rather than change another one
                site = self._first_fit(others, wish, wanted, reasons, busy)
            if site is not None:
                return self._moved_to(site)
            if not busy or time.monotonic() >= deadline:
                break
            leases.wait(busy, deadline - time.monotonic())
        raise NotInThisEnvironment(
            f"no meter that is {_describe(wish)} could be brought to that state: {'; '.join(reasons[:3])}"
        )

    def _moved_to(self, site: Site) -> Site:
        """The scenario is about `site` now: the meter it was about before (a later Given narrowed what fits)
        is given back, for another scenario to use while this one goes on."""
        installation = _installation(site.entry) if site.entry is not None else None
        if self.installation is not None and self.installation != installation:
            self.run.leases.release(self.installation)
            self.leased.discard(self.installation)
        self.installation = installation
        return site

    def _first_fit(
        self,
        meters: list[MeterEntry],
        wish: MeterWish,
        wanted: dict[str, dict[tuple[str, str], str]],
        reasons: list[str],
        busy: list[str],
    ) -> Site | None:
        """The first of `meters` this scenario can lease and bring (through DUIS) to what it wants; why each
        other could not be, in `reasons`, and the installations other scenarios are using, in `busy`."""
        for meter in meters:
            # a meter awaiting enrolment is enrolled by the scenario: used once per run
            installation = _installation(meter)
            refused = self.run.leases.lease(installation, keep=not wish.enrolled)
            if refused:
                reasons.append(f"{meter.device_id}: {refused}")
                if refused == IN_USE:
                    busy.append(installation)
                continue
            newly = installation not in self.leased
            self.leased.add(installation)
            site = self.run.site_of(meter, wish)
            try:
                for (device_kind, role), holder in wanted[meter.device_id].items():
                    self._establish(site, device_kind, role, self.run.directory.ensure_known(holder))
            except NotInThisEnvironment as exc:
                reasons.append(f"{meter.device_id}: {exc}")
                if newly:  # of no use to this scenario: another may use it
                    self.run.leases.release(installation)
                    self.leased.discard(installation)
                continue
            return site
        return None

    def _establish(self, site: Site, device_kind: str, role: str, holder: Organisation) -> None:
        """Make the meter hold `holder`'s certificates in `role`, through DUIS: nothing to do when it does;
        else its current holder places them (with 6.15.1), if the DCC lets that holder do so here."""
        device_id = site.device(device_kind)
        if site.entry is not None and site.entry.s1sp in self.run.env.change.s1sps_not_answering:
            return  # an S1SP declared down cannot be read: its declared state stands
        current = self.holding.holders(role, device_id, site)
        if current.get("DS") == holder.entity_id and current.get("KA") == holder.entity_id:
            return
        owner_id = current.get("DS")
        owner = next((o for o in self.run.directory.known() if o.entity_id == owner_id), None)
        if owner is None:
            raise NotInThisEnvironment(f"its {role} certificate is held by {owner_id}, whose keys are not declared")
        if not self.holding.place(owner, holder, role, device_id):
            raise NotInThisEnvironment(
                f"{owner.name} holds its {role} certificate and cannot replace it with {holder.name}'s here"
            )

    def install(self, wish: MeterWish, parties: Callable[[], Parties]) -> Site:
        """A meter of the file that fits the wish (the registered parties are the file's, not `parties`)."""
        if not wish.enrolled:
            self.run.require_mcc()  # enrolment scenarios need the environment's enrolment interface
        return self._provisional(wish)

    def hold(self, site: Site, wish: MeterWish, device_kind: str, role: str, holder: str) -> Site:
        return self._provisional(wish)

    def supply_gas_meter(self, site: Site, wish: MeterWish, supplier: str) -> Site:
        return self._provisional(wish)

    def s1sp_not_answering(self, site: Site, wish: MeterWish) -> Site:
        return self._provisional(wish)

    def s1sp_answers_again(self, site: Site) -> None:
        """An S1SP the environment declares not answering stays so: what its meter holds cannot be read."""
        s1sp = site.entry.s1sp if site.entry is not None else "its S1SP"
        raise NotInThisEnvironment(
            f"the environment declares {s1sp} not answering and cannot bring it back, so what the meter holds "
            "after the request cannot be read here"
        )

    def require_mp107(self, dsp: bool, at_meter: bool) -> dict:
        """An environment cannot be switched: the DCC's switch must be declared as `dsp` says (whether MP107
        is in force at the meter's S1SP is met by choosing the meter: `rearrange`)."""
        return self.run.require_dsp_switch(dsp)

    def rearrange(self, site: Site, wish: MeterWish) -> Site:
        return self._provisional(wish)

    def _provisional(self, wish: MeterWish) -> Site:
        """A Given has narrowed the wish: the first meter of the file that could fit it, neither leased nor
        brought to anything yet (`settle` chooses once the scenario uses its meter). Chosen Given by Given,
        a scenario whose first Given fits a meter its later Givens rule out would wait for, lease and read
        meters it then gives back; a wish no meter of the file fits skips the scenario at its Given."""
        candidates = self.run.candidates(wish)
        if not candidates:
            raise NotInThisEnvironment(f"the environment declares no meter that is {_describe(wish)}")
        return self.run.site_of(candidates[0], wish)

    def settle(self, site: Site, wish: MeterWish) -> Site:
        """The scenario uses its meter: lease one that fits every Given said so far and bring it to what
        they say (`select`)."""
        return self.select(wish)

    def end(self) -> None:
        """The scenario's meters are free for the next (those it enrolled stay used)."""
        self.run.leases.release_all()
        self.leased.clear()
        self.installation = None

    def expired_signing_identity(self, organisation: Organisation) -> SigningIdentity:
        raise NotInThisEnvironment(f"the environment's SMKI issues no expired certificate for {organisation.name}")

    def pre_commands_outlived(self) -> Callable[[], None]:
        raise NotInThisEnvironment("the environment's clock cannot be moved past the time it awaits a Pre-Command")


def _installation(meter: MeterEntry) -> str:
    """What a scenario leases for a meter: its installation (a meter of none, by itself)."""
    return meter.installation or meter.device_id


def _wanted_holds(wish: MeterWish, meter: MeterEntry) -> dict[tuple[str, str], str]:
    """What the meter must hold: an enrolled SMETS1 meter holds its registered parties' certificates, as
    the sandbox installs it, unless a Given says otherwise (a meter awaiting enrolment holds nothing)."""
    wanted: dict[tuple[str, str], str] = {}
    if wish.enrolled and meter.smets == 1:
        for role, key in (("NetworkOperator", "network_operator"), ("Supplier", "supplier")):
            if meter.registered.get(key):
                wanted[(wish.meter_kind, role)] = meter.registered[key]
    wanted.update(wish.holds)
    return wanted


def _declared_matches(env: Environment, meter: MeterEntry, wanted: dict[tuple[str, str], str]) -> int:
    """How many of the wanted holdings the file declares the meter already has."""
    key = {"NetworkOperator": "network_operator", "Supplier": "supplier"}
    return sum(1 for (_kind, role), holder in wanted.items() if env.holder(meter, key[role]) == holder)


def _placeholder(role: UserRole) -> Organisation:
    """A party the environment leaves unnamed (never sent as, never held)."""
    return Organisation(f"(no {role.value})", role, "00-00-00-00-00-00-00-00")


def _describe(wish: MeterWish) -> str:
    parts = [f"a SMETS{wish.smets} {wish.meter_kind}"]
    if wish.s1sp_down:
        parts.append("on an S1SP declared not answering")
    elif wish.s1sp:
        parts.append(f"served by {wish.s1sp}")
    if not wish.enrolled:
        parts.append(f"{wish.status.lower()} and awaiting enrolment")
    if wish.network_operator:
        parts.append(f"registered to {wish.network_operator}")
    if wish.supplier:
        parts.append(f"supplied by {wish.supplier}")
    if wish.gas_supplier:
        parts.append(f"whose gas meter is supplied by {wish.gas_supplier}")
    return " ".join(parts)
