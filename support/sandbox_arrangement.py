"""The embedded sandbox's arrangement: its Control API seeds exactly what each Given says (a test harness:
it arranges, it never judges). Each scenario starts from a reset sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from fake_services.dsp.checks import TransformLimits
from support.arrangement import Holding, MeterWish, Site
from support.control_client import ControlClient
from support.seeding import S1SPS, Parties, Roster, seed_installation, set_mp107
from support.world_clients import MeterEventsClient, MigrationControlCentreClient
from user_system.client import SigningIdentity
from user_system.organisations import XML_SIGNING, Organisation


class SandboxArrangement:
    """The embedded sandbox: its Control API arranges each Given exactly."""

    kind = "sandbox"

    def __init__(self, control: ControlClient, roster: Roster, mcc_url: str, meters_url: str) -> None:
        self.control = control
        self.roster = roster
        self.mcc = MigrationControlCentreClient(mcc_url)
        self.meters = MeterEventsClient(meters_url)

    def for_scenario(self, holding: Holding) -> SandboxArrangement:
        """A reset sandbox; the Control API arranges everything, so nothing of the scenario is needed."""
        self.control.reset()
        return self

    def end(self) -> None:
        """Nothing to free: the next scenario resets the sandbox."""

    def organisation(self, name: str, role: str, certified: bool, user: bool) -> Organisation:
        return self.roster.ensure(name, role, certified, user)

    def install(self, wish: MeterWish, parties: Callable[[], Parties]) -> Site:
        """Seed the installation the wish describes, registered to `parties`."""
        chosen = parties()
        installation = seed_installation(
            self.control,
            chosen,
            smets=wish.smets,
            s1sp=wish.s1sp,
            enrolled=wish.enrolled,
            status=wish.status,
            gas_status="Active" if wish.gas_meter_active else wish.status,
        )
        return Site(installation, chosen, wish.meter_kind)

    def hold(self, site: Site, wish: MeterWish, device_kind: str, role: str, holder: str) -> Site:
        organisation = self.roster[holder]
        self.control.place_trust_anchor(site.device(device_kind), role, organisation.ds_pem, organisation.ka_pem)
        return site

    def supply_gas_meter(self, site: Site, wish: MeterWish, supplier: str) -> Site:
        organisation = self.roster[supplier]
        self.control.register_mprn(
            site.installation.mprn, site.parties.gas_transporter.entity_id, organisation.entity_id
        )
        self.control.place_trust_anchor(site.installation.gsme, "Supplier", organisation.ds_pem, organisation.ka_pem)
        return Site(
            site.installation,
            Parties(
                site.parties.electricity_distributor,
                site.parties.import_supplier,
                site.parties.gas_transporter,
                organisation,
                site.parties.acb,
            ),
            site.meter_kind,
        )

    def s1sp_not_answering(self, site: Site, wish: MeterWish) -> Site:
        self.control.set_s1sp_fault(site.installation.s1sp or "", "down")
        return site

    def s1sp_answers_again(self, site: Site) -> None:
        """The S1SP the scenario took down answers again (so that what the meter holds can be read)."""
        self.control.set_s1sp_fault(site.installation.s1sp or "", "none")

    def switch(self, dsp: bool, enabled: set[str]) -> dict:
        return set_mp107(self.control, dsp, enabled)

    def require_mp107(self, dsp: bool, at_meter: bool) -> dict:
        """The sandbox can be switched: MP107 at the DCC as `dsp` says, and at every S1SP or none."""
        return self.switch(dsp, set(S1SPS) if at_meter else set())

    def rearrange(self, site: Site, wish: MeterWish) -> Site:
        """The sandbox's meter stays the one it seeded (a Given that changes the wish acts on it directly)."""
        return site

    def settle(self, site: Site, wish: MeterWish) -> Site:
        """The sandbox made each Given true as it was said: its site is never provisional."""
        return site

    def enrolment(self) -> MigrationControlCentreClient:
        return self.mcc

    def meter_events(self) -> MeterEventsClient:
        return self.meters

    def deliveries_settled(self, wait: float) -> bool:
        """The sandbox's DSP says when its delivery queue is empty (`GET /deliveries/settled`)."""
        return self.control.deliveries_settled(wait)

    def close(self) -> None:
        self.mcc.close()
        self.meters.close()

    def expired_signing_identity(self, organisation: Organisation) -> SigningIdentity:
        """The test SMKI issues `organisation` an XML-signing certificate valid for a year until yesterday."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        pem = self.control.issue_certificate(
            key.public_key(), organisation.entity_id, XML_SIGNING, "DS", f"{organisation.name} (expired)",
            not_before=(now - dt.timedelta(days=366)).isoformat(), not_after=(now - dt.timedelta(days=1)).isoformat(),
        )  # fmt: skip
        return SigningIdentity(organisation.entity_id, key, x509.load_pem_x509_certificate(pem.encode()))

    def pre_commands_outlived(self) -> Callable[[], None]:
        """The sandbox's clock moved a minute past the time its DSP awaits a Signed Pre-Command."""

        def outlive() -> None:
            self.control.move_clock(advance_seconds=TransformLimits().lifetime_seconds + 60)

        return outlive
