"""The test's view of the world: who the organisations are, which meter the scenario is about,
and what each request answered. Steps speak business; this turns it into DUIS and Control calls.

Reaches the system only through the DUIS client and the Control API client."""

from __future__ import annotations

from dataclasses import dataclass, field

from duis.messages import RequestID, ServiceRequest
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from support import test_data
from support.control_client import ControlClient
from support.duis_client import DUISClient, Exchange
from support.organisations import Organisation

ACB = "Access Control Broker"
S1SPS = ("S1SP1", "S1SP2", "S1SP3")


class Roster:
    """Organisations by name, enrolled once per run (keys once per organisation)."""

    def __init__(self, control: ControlClient) -> None:
        self.control = control
        self._by_name: dict[str, Organisation] = {}

    def ensure(self, name: str, role: str, certified: bool = True) -> Organisation:
        """The organisation, enrolled as a User (with SMKI certificates unless `certified` is False)."""
        existing = self._by_name.get(name)
        if existing:
            if role != ACB and existing.user_role.value != role:
                raise ValueError(f"{name} is already a {existing.user_role.value}, not a {role}")
            return existing
        if role == ACB:  # the DCC's own ACB: its certificates come from the system under test
            acb = self.control.smki()["access_control_broker"]
            org = Organisation(name, UserRole.OTHER_USER, acb["entity_id"], ds_pem=acb["ds"], ka_pem=acb["ka"])
        else:
            org = Organisation(name, UserRole(role), test_data.entity_id())
            if certified:
                org.enrol(self.control)
            else:
                self.control.add_user(org.entity_id, name, role)
        self._by_name[name] = org
        return org

    def __getitem__(self, name: str) -> Organisation:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{name} is not among the organisations set up for this feature") from None

    def name_of(self, entity_id: str | None) -> str | None:
        return next((o.name for o in self._by_name.values() if o.entity_id == entity_id), entity_id)

    def of_role(self, role: UserRole) -> list[Organisation]:
        return [o for o in self._by_name.values() if o.user_role is role and o.ds_pem]


@dataclass
class Site:
    """One installation: the meters sharing a Communications Hub, and who is registered for them."""

    smets: int
    s1sp: str | None
    esme: str = field(default_factory=test_data.device_id)
    gsme: str = field(default_factory=test_data.device_id)
    chf: str = field(default_factory=test_data.device_id)
    gpf: str = field(default_factory=test_data.device_id)
    mpan: str = field(default_factory=test_data.mpan_core)
    mprn: str = field(default_factory=test_data.mprn)


METER_KINDS = {"electricity meter": "esme", "gas meter": "gsme"}


class World:
    """Per-scenario state over per-run clients."""

    def __init__(self, control: ControlClient, duis: DUISClient, roster: Roster) -> None:
        self.control = control
        self.duis = duis
        self.roster = roster
        self.site: Site | None = None
        self.meter_kind = "electricity meter"
        self.last: Exchange | None = None
        self.alert_recipient: str | None = None
        self.enrolment: dict | None = None  # the Migration Control Centre's answer
        self.commissioning: dict | None = None

    # --- arrangement -------------------------------------------------------------------------
    def install(
        self, smets: int, s1sp: str | None, meter_kind: str, network_operator: str, supplier: str | None
    ) -> Site:
        """An installation (ESME, GSME, CHF, GPF) registered and enrolled the usual way: each
        meter holds its registered Network Operator's and Supplier's certificates and the ACB's."""
        if meter_kind not in METER_KINDS:
            raise ValueError(f"meter is one of {', '.join(METER_KINDS)}, not {meter_kind!r}")
        self.meter_kind = meter_kind
        site = Site(smets, s1sp if smets == 1 else None)
        gas = meter_kind == "gas meter"
        distributor = self._default(UserRole.ELECTRICITY_DISTRIBUTOR, network_operator if not gas else None)
        transporter = self._default(UserRole.GAS_TRANSPORTER, network_operator if gas else None)
        import_supplier = self._default(UserRole.IMPORT_SUPPLIER, supplier if not gas else None)
        gas_supplier = self._default(UserRole.GAS_SUPPLIER, supplier if gas else None)
        self.control.register_mpan(site.mpan, distributor.entity_id, import_supplier.entity_id)
        self.control.register_mprn(site.mprn, transporter.entity_id, gas_supplier.entity_id)
        for device_id, kind, mpxn in (
            (site.esme, "ESME", site.mpan),
            (site.gsme, "GSME", site.mprn),
            (site.chf, "CHF", None),
            (site.gpf, "GPF", None),
        ):
            self.control.add_device(
                device_id=device_id, device_type=kind, smets=smets, s1sp=site.s1sp, installation=site.chf, mpxn=mpxn
            )
        acb = self.roster[ACB]
        for device_id, no, sup in ((site.esme, distributor, import_supplier), (site.gsme, transporter, gas_supplier)):
            self.control.place_trust_anchor(device_id, "NetworkOperator", no.ds_pem, no.ka_pem)
            self.control.place_trust_anchor(device_id, "Supplier", sup.ds_pem, sup.ka_pem)
            self.control.place_trust_anchor(device_id, "ACB", acb.ds_pem, acb.ka_pem)
        self.site = site
        return site

    def install_awaiting_enrolment(
        self, status: str, gas_meter_active: bool, s1sp: str, network_operator: str, supplier: str
    ) -> Site:
        """A SMETS1 installation in the inventory and Registration Data, before enrolment: nothing
        is held at the S1SP yet."""
        site = Site(1, s1sp)
        self.meter_kind = "electricity meter"
        distributor = self._default(UserRole.ELECTRICITY_DISTRIBUTOR, network_operator)
        self.control.register_mpan(
            site.mpan, distributor.entity_id, self._default(UserRole.IMPORT_SUPPLIER, supplier).entity_id
        )
        self.control.register_mprn(
            site.mprn,
            self._default(UserRole.GAS_TRANSPORTER, None).entity_id,
            self._default(UserRole.GAS_SUPPLIER, None).entity_id,
        )
        gas_status = "Active" if gas_meter_active else status
        for device_id, kind, mpxn, device_status in (
            (site.esme, "ESME", site.mpan, status),
            (site.gsme, "GSME", site.mprn, gas_status),
            (site.chf, "CHF", None, gas_status),
            (site.gpf, "GPF", None, gas_status),
        ):
            self.control.add_device(
                device_id=device_id,
                device_type=kind,
                smets=1,
                s1sp=s1sp,
                status=device_status,
                installation=site.chf,
                mpxn=mpxn,
            )
        self.site = site
        return site

    def _default(self, role: UserRole, name: str | None) -> Organisation:
        if name:
            org = self.roster[name]
            if org.user_role is not role:
                raise ValueError(f"{name} is a {org.user_role.value}, not a {role.value}")
            return org
        candidates = self.roster.of_role(role)
        if not candidates:
            raise ValueError(f"the Background names no {role.value}")
        return candidates[0]

    @property
    def meter(self) -> str:
        if self.site is None:
            raise RuntimeError("no meter has been installed in this scenario")
        return getattr(self.site, METER_KINDS[self.meter_kind])

    def device(self, which: str) -> str:
        """'meter', 'electricity meter', 'gas meter', 'communications hub', 'gas proxy function'."""
        if self.site is None:
            raise RuntimeError("no meter has been installed in this scenario")
        names = {
            "meter": self.meter,
            "electricity meter": self.site.esme,
            "gas meter": self.site.gsme,
            "communications hub": self.site.chf,
            "gas proxy function": self.site.gpf,
        }
        return names[which]

    def hold(self, holder: str, role: str = "NetworkOperator", device_id: str | None = None) -> None:
        """Arrange that the meter holds `holder`'s certificates in `role` (as enrolment left it)."""
        org = self.roster[holder]
        self.control.place_trust_anchor(device_id or self.meter, role, org.ds_pem, org.ka_pem)

    def switch_mp107(self, dsp: bool, s1sps: dict[str, bool]) -> None:
        self.control.set_dsp_mp107(dsp)
        for name, enabled in s1sps.items():
            self.control.set_s1sp_mp107(name, enabled)

    # --- action ------------------------------------------------------------------------------
    def request(self, sender: str, variant: str, device_id: str | None = None, **body) -> Exchange:
        org = self.roster[sender]
        device_id = device_id or self.meter
        request = ServiceRequest(
            RequestID(org.entity_id, device_id, self.duis.counters.next(org.entity_id)),
            SERVICE_REQUEST_VARIANTS[variant],
            **body,
        )
        self.last = self.duis.send(request, org.identity)
        return self.last

    def replace_certificates(self, sender: str, replacement: str, role: str, variant: str = "6.15.1") -> Exchange:
        return self.request(sender, variant, **self.roster[replacement].as_replacement(role, self.issuing_ca_der()))

    def issuing_ca_der(self) -> bytes:
        return self.control.issuing_ca_der

    def authorise_migration(self, supplier: str, commissioned_by: str, certificates_of: str | None) -> dict:
        """The Supplier's Migration Authorisation, offering `certificates_of`'s certificates as the
        Network Operator's (whatever their role) or none."""
        offer = self.roster[certificates_of] if certificates_of else None
        self.enrolment = self.control.migration_authorisation(
            self.meter,
            self.roster[supplier].entity_id,
            commissioned_by,
            offer.ds_pem if offer else None,
            offer.ka_pem if offer else None,
        )
        return self.enrolment

    def dormant_migration(self, supplier: str, certificates_of: str | None) -> dict:
        """The DCC's Dormant Meter Migration Notification and the Supplier's response."""
        notification = self.control.dormant_meter_migration_notification(self.meter, self.roster[supplier].entity_id)
        offer = self.roster[certificates_of] if certificates_of else None
        self.enrolment = self.control.respond_to_dormant_notification(
            notification, offer.ds_pem if offer else None, offer.ka_pem if offer else None
        )
        return self.enrolment

    def commission(self) -> dict:
        if not self.enrolment or not self.enrolment.get("accepted"):
            raise RuntimeError(f"there is no accepted Migration Authorisation to commission: {self.enrolment}")
        self.commissioning = self.control.commission(self.enrolment["id"])
        return self.commissioning

    # --- observation -------------------------------------------------------------------------
    def holder(self, role: str = "NetworkOperator", key_use: str = "DS", device_id: str | None = None) -> str | None:
        anchors = self.control.trust_anchors(device_id or self.meter)
        held = next((a for a in anchors if a["role"] == role and a["key_use"] == key_use), None)
        return self.roster.name_of(held["entity_id"]) if held else None

    def anchors_evidence(self, device_id: str | None = None) -> list[dict[str, str]]:
        return self.control.trust_anchors(device_id or self.meter)

    def raise_alert(self) -> str | None:
        """The meter raises an alert for its Network Operator; returns who received it (by name)."""
        delivered = self.control.raise_alert(self.meter)
        self.alert_recipient = self.roster.name_of(delivered["delivered_to"])
        return self.alert_recipient
