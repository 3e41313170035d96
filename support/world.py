"""The test's view of the world: who the organisations are, which meter the scenario is about, and
what each request answered. Steps speak business; this turns it into DUIS requests and, to arrange
preconditions, Control API calls (through `support.seeding`).

Reaches the system only through the DUIS client and the Control API client."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric import ec

from duis.command_variants import WEB_SERVICE, WEB_SERVICE_PATHS
from duis.messages import RequestID, ServiceRequest
from duis.signature import sign
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from duis.xml import q, to_bytes
from smki.authority import TestSMKI
from smki.profile import KeyUse, RemotePartyRole
from support.control_client import ControlClient
from support.duis_client import (
    SERVICE_PATH,
    TRANSFORM_PATH,
    DUISClient,
    Exchange,
    SigningIdentity,
    sign_request,
)
from support.organisations import Organisation
from support.receiver import Receiver
from support.seeding import ACB, S1SPS, Installation, Parties, Roster, seed_installation, set_mp107

METER_KINDS = {"electricity meter": "ESME", "gas meter": "GSME"}
ROLE_OF_METER = {"electricity meter": UserRole.ELECTRICITY_DISTRIBUTOR, "gas meter": UserRole.GAS_TRANSPORTER}

__all__ = ["ACB", "S1SPS", "Roster", "World"]


@dataclass(frozen=True)
class Impostor:
    """Someone signing in another User's name with a key of their own."""

    identity: SigningIdentity
    device_signing_key: ec.EllipticCurvePrivateKey


class World:
    """Per-scenario state over per-run clients."""

    def __init__(
        self, control: ControlClient, duis: DUISClient, roster: Roster, receiver: Receiver | None = None
    ) -> None:
        self.control = control
        self.duis = duis
        self.roster = roster
        self.receiver = receiver
        self.site: Installation | None = None
        self.parties: Parties | None = None
        self.meter_kind = "electricity meter"
        self.last: Exchange | None = None
        self.alert_recipient: str | None = None
        self.enrolment: dict | None = None  # the Migration Control Centre's answer
        self.commissioning: dict | None = None

    # --- arrangement -------------------------------------------------------------------------
    def _parties(
        self,
        electricity_distributor: str | None = None,
        import_supplier: str | None = None,
        gas_transporter: str | None = None,
        gas_supplier: str | None = None,
    ) -> Parties:
        """The registered parties: those named, else the first of each role the Background lists."""
        return Parties(
            self._default(UserRole.ELECTRICITY_DISTRIBUTOR, electricity_distributor),
            self._default(UserRole.IMPORT_SUPPLIER, import_supplier),
            self._default(UserRole.GAS_TRANSPORTER, gas_transporter),
            self._default(UserRole.GAS_SUPPLIER, gas_supplier),
            self.roster.acb(),
        )

    def install(
        self, smets: int, s1sp: str | None, meter_kind: str, network_operator: str, supplier: str | None
    ) -> Installation:
        """An installation (ESME, GSME, CHF, GPF) registered and enrolled the usual way: each meter
        holds its registered Network Operator's and Supplier's certificates and the ACB's."""
        if meter_kind not in METER_KINDS:
            raise ValueError(f"meter is one of {', '.join(METER_KINDS)}, not {meter_kind!r}")
        gas = meter_kind == "gas meter"
        self.meter_kind = meter_kind
        self.parties = self._parties(
            electricity_distributor=None if gas else network_operator,
            import_supplier=None if gas else supplier,
            gas_transporter=network_operator if gas else None,
            gas_supplier=supplier if gas else None,
        )
        self.site = seed_installation(self.control, self.parties, smets=smets, s1sp=s1sp)
        return self.site

    def install_awaiting_enrolment(
        self, status: str, gas_meter_active: bool, s1sp: str, network_operator: str, supplier: str
    ) -> Installation:
        """A SMETS1 installation in the inventory and Registration Data, before enrolment: nothing
        is held at the S1SP yet."""
        self.meter_kind = "electricity meter"
        self.parties = self._parties(electricity_distributor=network_operator, import_supplier=supplier)
        self.site = seed_installation(
            self.control,
            self.parties,
            s1sp=s1sp,
            enrolled=False,
            status=status,
            gas_status="Active" if gas_meter_active else status,
        )
        return self.site

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
        return self.device(self.meter_kind)

    def device(self, which: str) -> str:
        """'meter', 'electricity meter', 'gas meter', 'communications hub', 'gas proxy function'."""
        if self.site is None:
            raise RuntimeError("no meter has been installed in this scenario")
        return self.site.device(self.meter_kind if which == "meter" else which)

    def hold(self, holder: str, role: str = "NetworkOperator", device_id: str | None = None) -> None:
        """Arrange that the meter holds `holder`'s certificates in `role` (as enrolment left it)."""
        org = self.roster[holder]
        self.control.place_trust_anchor(device_id or self.meter, role, org.ds_pem, org.ka_pem)

    def supply_gas_meter(self, supplier: str) -> None:
        """The installation's gas meter is registered to, and holds the certificates of, `supplier`."""
        if self.site is None or self.parties is None:
            raise RuntimeError("no meter has been installed in this scenario")
        self.control.register_mprn(
            self.site.mprn, self.parties.gas_transporter.entity_id, self.roster[supplier].entity_id
        )
        self.hold(supplier, "Supplier", device_id=self.site.gsme)

    def switch_mp107(self, dsp: bool, enabled_s1sps: set[str]) -> dict:
        """The DCC's switch and each S1SP's enablement; returns the states the system now reports."""
        return set_mp107(self.control, dsp, enabled_s1sps)

    # --- action ------------------------------------------------------------------------------
    def request(self, sender: str, variant: str, device_id: str | None = None, **body) -> Exchange:
        """`sender` sends a Service Request the way DUIS has it for its SRV, and waits for the answer."""
        org = self.roster[sender]
        self.last = self.duis.send(self._new_request(org, variant, device_id, **body), org)
        return self.last

    def request_as(self, sender: str, variant: str, command_variant: int) -> Exchange:
        """`sender` sends a Service Request to the meter with a Command Variant of its choosing, to the web
        service that Command Variant belongs to (whether or not the SRV offers it)."""
        org = self.roster[sender]
        request = replace(self._new_request(org, variant, None), command_variant=command_variant)
        path = WEB_SERVICE_PATHS[WEB_SERVICE[command_variant]]
        self.last = self.duis.post(request, sign_request(request, org.identity), path)
        return self.last

    def _new_request(self, org: Organisation, variant: str, device_id: str | None, **body) -> ServiceRequest:
        return ServiceRequest(
            RequestID(org.entity_id, device_id or self.meter, self.duis.counters.next(org.entity_id)),
            SERVICE_REQUEST_VARIANTS[variant],
            **body,
        )

    def replace_certificates(self, sender: str, replacement: str, role: str, variant: str = "6.15.1") -> Exchange:
        return self.request(sender, variant, **self.roster[replacement].as_replacement(role, self.issuing_ca_der()))

    def _correction(self, sender: Organisation) -> ServiceRequest:
        """`sender` asks (Command Variant 4) to place the registered Network Operator's certificates."""
        registered = self.roster[self.registered_network_operator()]
        return ServiceRequest(
            RequestID(sender.entity_id, self.meter, self.duis.counters.next(sender.entity_id)),
            SERVICE_REQUEST_VARIANTS["6.15.1"],
            4,
            **registered.as_replacement("NetworkOperator", self.issuing_ca_der()),
        )

    def send_breaking_schema(self, sender: str) -> Exchange:
        """A correction missing an element the DUIS schema requires, properly signed."""
        org = self.roster[sender]
        request = self._correction(org)
        root = request.to_xml()
        body = root.find(f"{q('Body')}/{q(request.srv.body_element)}")
        body.remove(body.find(q("ApplyTimeBasedCPVChecks")))
        signed = to_bytes(sign(root, org.identity.key, org.identity.certificate))
        self.last = self.duis.post(request, signed, TRANSFORM_PATH)
        return self.last

    def send_signed_by_stranger(self, sender: str) -> Exchange:
        """A correction signed with a key certified, in `sender`'s name, by an SMKI the DCC does not know."""
        org = self.roster[sender]
        stranger = TestSMKI()
        key = ec.generate_private_key(ec.SECP256R1())
        cert = stranger.issue(key.public_key(), org.entity_id, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS, org.name)
        impostor = Impostor(SigningIdentity(org.entity_id, key, cert.certificate), org.ds_key)
        self.last = self.duis.send(self._correction(org), impostor)
        return self.last

    def send_again(self) -> Exchange:
        """The last message the User sent, byte for byte, a second time (for a correction: its CV 5)."""
        if self.last is None:
            raise RuntimeError("no request was sent in this scenario")
        leg = self.last.last_sent
        self.last = self.duis.post(self.last.request, leg.xml, leg.path or SERVICE_PATH)
        return self.last

    def s1sp_not_answering(self, name: str) -> None:
        """The S1SP hangs up on every request (sandbox only: a fault the Control API injects)."""
        self.control.set_s1sp_fault(name, "down")

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
    def holders(self, role: str = "NetworkOperator", device_id: str | None = None) -> dict[str, str | None]:
        """Whose certificate the meter holds in each cell of `role`'s trust anchor, by name."""
        anchors = self.control.trust_anchors(device_id or self.meter)
        return {
            key_use: next(
                (self.roster.name_of(a["entity_id"]) for a in anchors if a["role"] == role and a["key_use"] == key_use),
                None,
            )
            for key_use in ("DS", "KA")
        }

    def holder(self, role: str = "NetworkOperator", device_id: str | None = None) -> str | None:
        """Whose certificate the meter holds for signing (the Critical cell) in `role`."""
        return self.holders(role, device_id)["DS"]

    def registered_network_operator(self) -> str:
        """The Network Operator registered for the scenario's meter, by name."""
        if self.parties is None:
            raise RuntimeError("no meter has been installed in this scenario")
        gas = self.meter_kind == "gas meter"
        return (self.parties.gas_transporter if gas else self.parties.electricity_distributor).name

    def anchors_evidence(self, device_id: str | None = None) -> list[dict[str, str]]:
        return self.control.trust_anchors(device_id or self.meter)

    def raise_alert(self) -> str | None:
        """The meter raises an alert for its Network Operator; returns who received it (by name)."""
        delivered = self.control.raise_alert(self.meter)
        self.alert_recipient = self.roster.name_of(delivered["delivered_to"])
        return self.alert_recipient
