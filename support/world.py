"""The test's view of the world: who the organisations are, which meter the scenario is about,
and what each request answered. Steps speak business; this turns it into DUIS and Control calls.

Reaches the system only through the DUIS client and the Control API client."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

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

    def ensure(self, name: str, role: str) -> Organisation:
        existing = self._by_name.get(name)
        if existing:
            if role != ACB and existing.user_role.value != role:
                raise ValueError(f"{name} is already a {existing.user_role.value}, not a {role}")
            return existing
        if role == ACB:
            org = Organisation(name, UserRole.OTHER_USER, test_data.entity_id())
            org.ds_pem = self.control.issue_certificate(org.ds_key.public_key(), org.entity_id, "04", "DS", name)
            org.ka_pem = self.control.issue_certificate(org.ka_key.public_key(), org.entity_id, "04", "KA", name)
        else:
            org = Organisation(name, UserRole(role), test_data.entity_id()).enrol(self.control)
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

    # --- arrangement -------------------------------------------------------------------------
    def install(self, smets: int, s1sp: str | None, meter_kind: str, network_operator: str, supplier: str | None) -> Site:
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
            (site.esme, "ESME", site.mpan), (site.gsme, "GSME", site.mprn), (site.chf, "CHF", None), (site.gpf, "GPF", None),
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
        names = {"meter": self.meter, "electricity meter": self.site.esme, "gas meter": self.site.gsme,
                 "communications hub": self.site.chf, "gas proxy function": self.site.gpf}
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
            SERVICE_REQUEST_VARIANTS[variant], **body,
        )
        self.last = self.duis.send(request, org.identity)
        return self.last

    def replace_certificates(self, sender: str, replacement: str, role: str, variant: str = "6.15.1") -> Exchange:
        new = self.roster[replacement]
        return self.request(
            sender, variant, remote_party_role=role, digital_signing_certificate=new.ds_der,
            key_agreement_certificate=new.ka_der, certification_path=(self.issuing_ca_der(),),
        )

    def issuing_ca_der(self) -> bytes:
        pem = self.control.smki()["issuing_ca"]
        return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)

    # --- observation -------------------------------------------------------------------------
    def holder(self, role: str = "NetworkOperator", key_use: str = "DS", device_id: str | None = None) -> str | None:
        anchors = self.control.trust_anchors(device_id or self.meter)
        held = next((a for a in anchors if a["role"] == role and a["key_use"] == key_use), None)
        return self.roster.name_of(held["entity_id"]) if held else None

    def anchors_evidence(self, device_id: str | None = None) -> str:
        anchors = self.control.trust_anchors(device_id or self.meter)
        return json.dumps(anchors, indent=1)
