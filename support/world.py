"""The test's view of the world: who the organisations are, which meter the scenario is about, and what
each request answered. Steps speak business; this turns it into DUIS requests, arranges the Givens
through the run's arrangement (`support.arrangement`: the sandbox's Control API, or an environment file
and DUIS), and judges outcomes only from what a User sees: DUIS answers, alerts it receives, and the
meter's credentials read with SRV 6.24.1."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from duis.command_variants import WEB_SERVICE, WEB_SERVICE_PATHS
from duis.precommand import sign_pre_command
from duis.requests import RequestID, ServiceRequest
from duis.signature import sign
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from duis.xml import q, to_bytes
from smki.authority import TestSMKI
from smki.profile import KeyUse, RemotePartyRole
from support.anchors import Anchors, Cells
from support.arrangement import METER_KINDS, Arrangement, MeterWish, NotInThisEnvironment, Site
from support.outcome import Outcome
from support.seeding import ACB, S1SPS, Parties, Roster
from support.verdicts import alert_not_counted
from support.world_clients import MeterEventsClient, MigrationControlCentreClient
from user_system.client import (
    SERVICE_PATH,
    TRANSFORM_PATH,
    DUISClient,
    Exchange,
    PreCommandSigning,
    SigningIdentity,
    sign_request,
)
from user_system.message_identity import canonical_device
from user_system.organisations import Organisation
from user_system.receiver import Received, Receiver, Repeat, in_words

ALERT_SILENCE_SECONDS = 1.0
"""How long a step waits to be sure no alert came (only where the scenario says none should)."""

__all__ = ["ACB", "S1SPS", "NotInThisEnvironment", "Roster", "World"]


@dataclass(frozen=True)
class Impostor:
    """Someone signing in another User's name with a key of their own."""

    identity: SigningIdentity
    device_signing_key: ec.EllipticCurvePrivateKey


class World:
    """Per-scenario state over per-run clients."""

    def __init__(
        self,
        arrangement: Arrangement,
        duis: DUISClient,
        roster: Roster,
        receiver: Receiver | None,
        certification_path: bytes,
    ) -> None:
        self.anchors = Anchors(duis, certification_path)
        """The meter's certificates read (6.24.1) and placed (6.15.1) to observe or arrange, kept as evidence."""
        self.arrangement = arrangement.for_scenario(self.anchors)
        self.duis = duis
        self.roster = roster
        self.receiver = receiver
        self.certification_path = certification_path
        self.site: Site | None = None
        """The meter the scenario is about as the Givens so far have it: the arrangement may leave it
        provisional (an environment chooses once it knows every Given) until the scenario uses it (`_site`)."""
        self._settled = False
        self.wish: MeterWish | None = None
        self.mp107_at_meter: bool | None = None
        self.meter_kind = "electricity meter"
        self.last: Exchange | None = None
        self.alert_recipient: str | None = None
        self.alert_raised = False
        self.observed: dict[str, str | None] = {}
        """Role → whose certificate the scenario's meter held when last read (for the outcome)."""
        self.enrolment: dict | None = None  # the Migration Control Centre's answer
        self.commissioning: dict | None = None
        self.began = receiver.mark() if receiver is not None else 0
        """Where the receiver stood when the scenario began: what it accepts after is this scenario's time."""
        self._not_counted: list[dict[str, str]] = []
        self._held_back: tuple[ServiceRequest, bytes] | None = None

    # --- arrangement -------------------------------------------------------------------------
    def take_part(self, name: str, role: str, certified: bool = True, user: bool = True) -> Organisation:
        return self.arrangement.organisation(name, role, certified, user)

    def _parties(self, electricity_distributor: str | None, import_supplier: str | None,
                 gas_transporter: str | None, gas_supplier: str | None) -> Parties:  # fmt: skip
        """The registered parties: those named, else the first of each role the Background lists."""
        return Parties(
            self._default(UserRole.ELECTRICITY_DISTRIBUTOR, electricity_distributor),
            self._default(UserRole.IMPORT_SUPPLIER, import_supplier),
            self._default(UserRole.GAS_TRANSPORTER, gas_transporter),
            self._default(UserRole.GAS_SUPPLIER, gas_supplier),
            self.roster.acb(),
        )

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

    def install(
        self, smets: int, s1sp: str | None, meter_kind: str, network_operator: str, supplier: str | None
    ) -> Site:
        """A meter of the kind, registered to the parties named, enrolled the usual way: it holds its
        registered Network Operator's and Supplier's certificates and the ACB's."""
        if meter_kind not in METER_KINDS:
            raise ValueError(f"meter is one of {', '.join(METER_KINDS)}, not {meter_kind!r}")
        gas = meter_kind == "gas meter"
        self.meter_kind = meter_kind
        self.wish = MeterWish(smets, s1sp if smets == 1 else None, meter_kind, network_operator, supplier)
        self.wish.mp107_at_meter = self.mp107_at_meter

        def parties() -> Parties:
            return self._parties(
                None if gas else network_operator, None if gas else supplier, network_operator if gas else None,
                supplier if gas else None,
            )  # fmt: skip

        return self._provisionally(self.arrangement.install(self.wish, parties))

    def install_awaiting_enrolment(
        self, status: str, gas_meter_active: bool, s1sp: str, network_operator: str, supplier: str
    ) -> Site:
        """A SMETS1 electricity meter in the inventory and Registration Data, not yet enrolled: nothing is
        held at the S1SP yet."""
        self.meter_kind = "electricity meter"
        self.wish = MeterWish(
            1, s1sp, "electricity meter", network_operator, supplier,
            enrolled=False, status=status, gas_meter_active=gas_meter_active, mp107_at_meter=self.mp107_at_meter,
        )  # fmt: skip
        return self._provisionally(
            self.arrangement.install(self.wish, lambda: self._parties(network_operator, supplier, None, None))
        )

    @property
    def meter(self) -> str:
        return self.device("meter")

    def device(self, which: str) -> str:
        """'meter', 'electricity meter', 'gas meter', 'communications hub', 'gas proxy function'."""
        return self._site().device(which)

    def hold(self, holder: str, role: str = "NetworkOperator", device_kind: str = "meter") -> None:
        """Arrange that the meter holds `holder`'s certificates in `role`."""
        assert self.wish is not None and self.site is not None
        kind = self.meter_kind if device_kind == "meter" else device_kind
        self.wish.holds[(kind, role)] = holder
        self._provisionally(self.arrangement.hold(self.site, self.wish, kind, role, holder))

    def supply_gas_meter(self, supplier: str) -> None:
        """The installation's gas meter is registered to, and holds the certificates of, `supplier`."""
        assert self.wish is not None and self.site is not None
        self.wish.gas_supplier = supplier
        self._provisionally(self.arrangement.supply_gas_meter(self.site, self.wish, supplier))

    def switch_mp107(self, dsp: bool, enabled_s1sps: set[str]) -> dict:
        """Exactly this state of MP107 (the DCC's switch, each S1SP's enablement); returns it as known."""
        return self.arrangement.switch(dsp, enabled_s1sps)

    def require_mp107(self, dsp: bool, at_meter: bool) -> dict:
        """MP107 switched at the DCC as `dsp` says, and in force at the meter's S1SP or not (sandbox: every
        S1SP or none; environment: a meter on an S1SP that has, or has not, enabled it)."""
        states = self.arrangement.require_mp107(dsp, at_meter)
        self.mp107_at_meter = at_meter
        if self.wish is not None and self.site is not None:
            self.wish.mp107_at_meter = at_meter
            self._provisionally(self.arrangement.rearrange(self.site, self.wish))
        return states

    def s1sp_not_answering(self) -> None:
        """The S1SP serving the meter does not answer (sandbox: a fault injected; environment: a meter on
        an S1SP the environment declares down)."""
        assert self.wish is not None and self.site is not None
        self.wish.s1sp_down = True
        self._provisionally(self.arrangement.s1sp_not_answering(self.site, self.wish))

    def s1sp_answers_again(self) -> None:
        """The S1SP that did not answer answers again (sandbox: the fault healed; an environment that declares
        it down cannot, and the scenario is not run there)."""
        self.arrangement.s1sp_answers_again(self._site())

    def end(self) -> None:
        """The scenario is over: its arrangement frees what it held (an environment's meters)."""
        self.arrangement.end()

    def _provisionally(self, site: Site) -> Site:
        """A Given has changed what the meter must be: `site` is the arrangement's answer, which it may settle
        only when the scenario next uses its meter (`_site`)."""
        self.site, self._settled = site, False
        return site

    def _site(self) -> Site:
        """The scenario's meter, settled by every Given said so far (the first use after a Given settles it)."""
        if self.site is None:
            raise RuntimeError("no meter has been installed in this scenario")
        if not self._settled and self.wish is not None:  # a site given without a wish is as it was given
            self.site = self.arrangement.settle(self.site, self.wish)
        self._settled = True
        return self.site

    @property
    def parties(self) -> Parties:
        return self._site().parties

    # --- action ------------------------------------------------------------------------------
    def request(self, sender: str, variant: str, device_id: str | None = None, **body) -> Exchange:
        """`sender` sends a Service Request the way DUIS has it for its SRV, and waits for the answer."""
        org = self.roster[sender]
        self.last = self.duis.send(self._new_request(org, variant, device_id, **body), org)
        return self.last

    def request_as(self, sender: str, variant: str, command_variant: int, **body) -> Exchange:
        """`sender` sends a Service Request to the meter with a Command Variant of its choosing, to the web
        service that Command Variant belongs to (whether or not the SRV offers it)."""
        org = self.roster[sender]
        request = replace(self._new_request(org, variant, None, **body), command_variant=command_variant)
        path = WEB_SERVICE_PATHS[WEB_SERVICE[command_variant]]
        self.last = self.duis.post(request, sign_request(request, org.identity), path)
        return self.last

    def _new_request(self, org: Organisation, variant: str, device_id: str | None, **body) -> ServiceRequest:
        return ServiceRequest(
            RequestID(org.entity_id, device_id or self.meter, self.duis.counters.next(org.entity_id)),
            SERVICE_REQUEST_VARIANTS[variant],
            **body,
        )

    def replace_certificates(
        self, sender: str, replacement: str, role: str, variant: str = "6.15.1", device: str = "meter", *,
        swapped: bool = False, only: KeyUse | None = None,
    ) -> Exchange:
        """`sender` places `replacement`'s certificates in `role` (SRV 6.15.1, or 6.21) on `device`: both, each in
        its place; or each in the other's place (`swapped`: the key agreement certificate where the Digital Signing
        one goes); or `only` the one of that key use (DUIS: each is optional in a 6.15.1)."""
        body = self.roster[replacement].as_replacement(role, self.certification_path)
        places = {KeyUse.DS: "digital_signing_certificate", KeyUse.KA: "key_agreement_certificate"}
        if swapped:
            body[places[KeyUse.DS]], body[places[KeyUse.KA]] = body[places[KeyUse.KA]], body[places[KeyUse.DS]]
        if only is not None:
            body.update({place: None for use, place in places.items() if use is not only})
        return self.request(sender, variant, self.device(device), **body)

    def _correction(self, sender: Organisation) -> ServiceRequest:
        """`sender` asks (Command Variant 4) to place the registered Network Operator's certificates."""
        registered = self.roster[self.registered_network_operator()]
        return ServiceRequest(
            RequestID(sender.entity_id, self.meter, self.duis.counters.next(sender.entity_id)),
            SERVICE_REQUEST_VARIANTS["6.15.1"],
            4,
            **registered.as_replacement("NetworkOperator", self.certification_path),
        )

    def send_breaking_schema(self, sender: str) -> Exchange:
        """A correction missing an element the DUIS schema requires, properly signed."""
        org = self.roster[sender]
        request = self._correction(org)
        root = request.to_xml()
        body = root.find(f"{q('Body')}/{q(request.srv.body_element)}")
        required = body.find(q("ApplyTimeBasedCPVChecks")) if body is not None else None
        if body is None or required is None:
            raise RuntimeError(f"the correction has no {request.srv.body_element}/ApplyTimeBasedCPVChecks to remove")
        body.remove(required)
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

    # --- a correction that breaks one of the DCC's standard checks ---------------------------------
    def send_signed_with_digital_signing_certificate(self, sender: str) -> Exchange:
        """A correction whose DUIS envelopes `sender` signs with its Digital Signing certificate for its role
        instead of its XML-signing certificate (the Pre-Command signed as DUIS has it)."""
        org = self.roster[sender]
        own_ds = SigningIdentity(org.entity_id, org.ds_key, x509.load_pem_x509_certificate(org.ds_pem.encode()))
        self.last = self.duis.send(self._correction(org), Impostor(own_ds, org.ds_key))
        return self.last

    def send_in_the_name_of(self, signer: str, sender: str) -> Exchange:
        """A correction naming `sender` as its Business Originator, signed throughout with `signer`'s own keys."""
        org = self.roster[signer]
        self.last = self.duis.send(self._correction(self.roster[sender]), Impostor(org.identity, org.ds_key))
        return self.last

    def send_signed_with_expired_certificate(self, sender: str) -> Exchange:
        """A correction `sender` signs with an XML-signing certificate the DCC's SMKI issued it, expired yesterday."""
        org = self.roster[sender]
        expired = self.arrangement.expired_signing_identity(org)
        self.last = self.duis.send(self._correction(org), Impostor(expired, org.ds_key))
        return self.last

    def send_correction_signing_its_command(self, sender: str, how: str) -> Exchange:
        """A correction whose Pre-Command `sender` signs otherwise than DUIS has it: `how` is "with its
        XML-signing key", "altered" (a byte of the payload changed first) or "late" (after the DCC's clock
        has passed the time it awaits it)."""
        org = self.roster[sender]
        ds, xml = org.ds_key, org.xml_key
        signings = {
            "with its XML-signing key": lambda: PreCommandSigning(
                "Pre-Command signed with the User's XML-signing key", lambda pc: sign_pre_command(pc, xml)
            ),
            "altered": lambda: PreCommandSigning(
                "Pre-Command altered (its last byte), then signed with the User's Digital Signing key",
                lambda pc: sign_pre_command(pc[:-1] + bytes([pc[-1] ^ 0xFF]), ds),
            ),
            "late": lambda: PreCommandSigning(
                "Pre-Command signed with the User's Digital Signing key after the DCC stopped awaiting it",
                lambda pc: sign_pre_command(pc, ds),
                self.arrangement.pre_commands_outlived(),
            ),
        }
        signing = signings[how]()  # before anything is sent: an environment that cannot says so first
        self.last = self.duis.send(self._correction(org), org, signing)
        return self.last

    def send_correction_to_send_command(self, sender: str) -> Exchange:
        """`sender`'s correction (Command Variant 4) sent to the Send Command service rather than Transform."""
        org = self.roster[sender]
        request = self._correction(org)
        self.last = self.duis.post(request, sign_request(request, org.identity), SERVICE_PATH)
        return self.last

    def hold_back(self, sender: str, variant: str, device: str, **body) -> None:
        """`sender` signs a request now (taking its counter) and keeps it to send later (`send_held_back`)."""
        org = self.roster[sender]
        request = self._new_request(org, variant, self.device(device), **body)
        self.duis.counters.done(org.entity_id)  # a later request may take a counter: this one waits unsent
        self._held_back = (request, sign_request(request, org.identity))

    def send_held_back(self) -> Exchange:
        if self._held_back is None:
            raise RuntimeError("no request was held back in this scenario")
        request, signed = self._held_back
        self.last = self.duis.post(request, signed)
        return self.last

    # --- enrolment (the DCC's own processes) ---------------------------------------------------
    @property
    def mcc(self) -> MigrationControlCentreClient:
        return self.arrangement.enrolment()

    def authorise_migration(
        self, supplier: str, commissioned_by: str, certificates_of: str | None, *, swapped: bool = False
    ) -> dict:
        """The Supplier's Migration Authorisation, offering `certificates_of`'s certificates as the
        Network Operator's (whatever their role) or none; `swapped`: each in the other's place."""
        offer = self.roster[certificates_of] if certificates_of else None
        signing, key_agreement = (offer.ds_pem, offer.ka_pem) if offer else (None, None)
        if swapped:
            signing, key_agreement = key_agreement, signing
        self.enrolment = self.mcc.migration_authorisation(
            self.meter, self.roster[supplier].entity_id, commissioned_by, signing, key_agreement
        )
        return self.enrolment

    def dormant_migration(self, supplier: str, certificates_of: str | None) -> dict:
        """The DCC's Dormant Meter Migration Notification and the Supplier's response."""
        notification = self.mcc.dormant_meter_migration_notification(self.meter, self.roster[supplier].entity_id)
        offer = self.roster[certificates_of] if certificates_of else None
        self.enrolment = self.mcc.respond_to_dormant_notification(
            notification, offer.ds_pem if offer else None, offer.ka_pem if offer else None
        )
        return self.enrolment

    def commission_without_certificate(self, supplier: str) -> dict:
        """The Supplier authorises the migration for the DCC to commission, giving no certificate, and the
        DCC Commissioning Party commissions the meter (what Route 5 leaves: no certificate captured)."""
        self.authorise_migration(supplier, "DCC", None)
        return self.commission()

    def commission_for_supplier(self, supplier: str) -> dict:
        """The Supplier authorises the migration for itself to commission, giving no certificate, and the meter
        is enrolled (Route 6 before the Supplier's handover: the Access Control Broker's default is held)."""
        self.authorise_migration(supplier, "Supplier", None)
        return self.commission()

    def commission(self) -> dict:
        if not self.enrolment or not self.enrolment.get("accepted"):
            raise RuntimeError(f"there is no accepted Migration Authorisation to commission: {self.enrolment}")
        self.commissioning = self.mcc.commission(self.enrolment["id"])
        return self.commissioning

    # --- observation: what a User sees ---------------------------------------------------------
    def read_credentials(self, roles: tuple[str, ...], device_id: str | None = None) -> Exchange:
        """SRV 6.24.1 from the registered supplier: what the scenario's meter holds in `roles`, cell by cell."""
        device_id = device_id or self.meter
        return self.anchors.read(roles, device_id, self._site().reader(device_id))

    def read_as(self, sender: str, which: str = "meter") -> Exchange:
        """`sender` reads what a device of the installation (`which`, as `device` names it; the scenario's
        meter unless said) holds in every role (SRV 6.24.1, non-critical): the scenario's own request, judged
        like any other (not an observation)."""
        roles = ("NetworkOperator", "Supplier", "ACB")
        return self.request(sender, "6.24.1", device_id=self.device(which), remote_party_roles=roles)

    def holders(self, role: str = "NetworkOperator", device_id: str | None = None) -> dict[str, str | None]:
        """The entity ID whose certificate the meter holds in each cell (DS, KA) of `role`, read with 6.24.1."""
        return self._cells((role,), device_id)[role]

    def _cells(self, roles: tuple[str, ...], device_id: str | None) -> Cells:
        device_id = device_id or self.meter
        return self.anchors.cells(roles, device_id, self._site().reader(device_id))

    def holder_names(self, role: str = "NetworkOperator", device_id: str | None = None) -> dict[str, str | None]:
        names = {
            cell: self.roster.name_of(entity) if entity else None
            for cell, entity in self.holders(role, device_id).items()
        }
        if device_id in (None, self.meter):
            self.observed[role] = names["DS"]
        return names

    def holder(self, role: str = "NetworkOperator", device_id: str | None = None) -> str | None:
        """Whose certificate the meter holds for signing (the Critical cell) in `role`, by name."""
        return self.holder_names(role, device_id)["DS"]

    def holds_nothing(self) -> bool:
        """No trust-anchor cell of the meter holds a certificate the DCC placed (awaiting enrolment)."""
        cells = self._cells(("NetworkOperator", "Supplier", "ACB"), None)
        return not any(entity for role in cells.values() for entity in role.values())

    def anchors_evidence(self, device_id: str | None = None) -> list[dict[str, str]]:
        """The meter's trust anchors as 6.24.1 reports them, with owners' names (evidence: a read that
        cannot be made, e.g. while its S1SP is down, says so instead of failing the step)."""
        try:
            cells = self._cells(("NetworkOperator", "Supplier", "ACB"), device_id)
        except AssertionError as exc:
            return [{"role": "(not read)", "key_use": "", "entity_id": "", "owner": str(exc)}]
        return [
            {"role": role, "key_use": cell, "entity_id": entity or "", "owner": self.roster.name_of(entity) or ""}
            for role, held in cells.items()
            for cell, entity in held.items()
        ]

    def outcome(self) -> dict[str, str]:
        """The scenario's outcome in a few words (`support.outcome`): the impact matrix compares these."""
        sender = self.roster.name_of(self.last.request.request_id.originator) if self.last else None
        return self._outcome(sender or "").as_dict()

    def _outcome(self, sender: str = "") -> Outcome:
        return Outcome(
            self.last,
            sender,
            dict(self.observed),
            self.alert_recipient,
            self.alert_raised,
            self.enrolment,
            self.commissioning,
        )

    @property
    def has_outcome(self) -> bool:
        """Whether the scenario did anything an outcome can say (a request, a read, an alert, enrolment)."""
        return not self._outcome().empty

    def registered_network_operator(self) -> str:
        """The Network Operator registered for the scenario's meter, by name."""
        gas = self.meter_kind == "gas meter"
        return (self.parties.gas_transporter if gas else self.parties.electricity_distributor).name

    def raise_alert(self) -> str | None:
        """The meter raises an alert for its Network Operator; returns who received it (by name), as the
        Users see it: the DCC delivers the S1SP's alert to the one it is for. Only an alert that counts for
        this scenario (`verdicts.alert_not_counted`) is taken; those about its meter that do not are
        recorded (`deliveries_not_counted`)."""
        events: MeterEventsClient = self.arrangement.meter_events()
        device = self.meter
        assert self.receiver is not None
        self.alert_raised = True
        mark = self.receiver.mark()
        asked_at = dt.datetime.now(dt.UTC)
        events.raise_alert(device)
        # a gas meter sends none (wait a moment to see none comes), an electricity meter one (wait as long as
        # for an answer); either way no longer than the DCC has something left to deliver: what the sandbox
        # sends about an alert is queued before the alert is acknowledged, so once it says its queue has
        # settled, what has arrived is all that will (an environment's DCC cannot say, and is waited for)
        patience = ALERT_SILENCE_SECONDS if self.meter_kind == "gas meter" else self.duis.answer_timeout
        timeout = 0.0 if self.arrangement.deliveries_settled(patience) else patience
        alert = self._counted_alert(device, asked_at, mark, timeout)
        recipient = alert.response_id.split(":")[1] if alert and alert.response_id else None
        self.alert_recipient = self.roster.name_of(recipient) if recipient else None
        return self.alert_recipient

    def _counted_alert(self, device: str, asked_at: dt.datetime, mark: int, timeout: float) -> Received | None:
        """The first alert delivered after `mark` that counts for this scenario, waiting up to `timeout`
        (what has already arrived is looked at even when `timeout` is 0)."""
        assert self.receiver is not None
        deadline = time.monotonic() + timeout
        while True:
            deliveries, mark = self.receiver.deliveries_after(mark, max(deadline - time.monotonic(), 0.0))
            if not deliveries and time.monotonic() >= deadline:
                return None
            for delivery in deliveries:
                if not isinstance(delivery, Received) or delivery.request_id is not None:
                    continue  # a repeat is never counted; an answer to a request is not an alert
                why = alert_not_counted(delivery, device, asked_at)
                if why is None:
                    return delivery
                if delivery.device == canonical_device(device):
                    self._not_counted.append(_row(delivery.received_at, delivery.what(), why))

    def deliveries_not_counted(self) -> list[dict[str, str]]:
        """What the DCC delivered during the scenario about its devices that counted for nothing, in the
        order it arrived: messages delivered again, and alerts raised before the scenario's request."""
        rows = list(self._not_counted)
        if self.receiver is not None and self.site is not None and (self._settled or self.wish is None):
            installation = self.site.installation
            devices = {canonical_device(d) for d in (installation.esme, installation.gsme, installation.chf,
                                                     installation.gpf)}  # fmt: skip
            deliveries, _ = self.receiver.deliveries_after(self.began, 0)
            rows += [
                _row(d.received_at, d.what(), d.words())
                for d in deliveries
                if isinstance(d, Repeat) and d.device in devices
            ]
        return sorted(rows, key=lambda row: row["delivered_at"])


def _row(at: dt.datetime, what: str, why: str) -> dict[str, str]:
    """One delivery that did not count, as the evidence shows it."""
    return {"delivered_at": in_words(at), "message": what, "why": why}
