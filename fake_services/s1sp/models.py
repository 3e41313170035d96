"""An S1SP: serves a set of SMETS1 devices and holds their trust anchors. It takes only Countersigned
Service Requests from the DCC, applies its checks (`checks.py`: SRPD 16.1, S1SR 4.2) and answers a signed
SMETS1 response or a standard S1SP Alert (`outcomes.py`).

A future-dated 6.15.1 is checked on receipt and applied when the sandbox's clock reaches its
ExecutionDateTime (the sandbox's reading of DUIS "Device" future dating for a SMETS1 device)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable

from lxml import etree

from catalogue import PIA_2_3_2_A, SRV_6_21
from duis.requests import RequestID, ServiceRequest
from duis.srv import REQUEST_HANDOVER, RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP, UPDATE_SECURITY_CREDENTIALS_KRP
from duis.xml import parse, to_bytes
from fake_services.core.authentication import duis_signature_check
from fake_services.core.clock import Clock
from fake_services.core.dcc_internal import Countersigned, NotCountersigned, read_countersigned
from fake_services.core.parties import SMKIRepository, Users
from fake_services.core.records import Device, User
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.signer import ServiceSigner
from fake_services.core.state import SettingsTable
from fake_services.core.store import Store
from fake_services.delivery.checks import DEVICE_ALERT, delivery_recipient
from fake_services.devices.checks import gbcs_replacement_certificates, pia_2_3_2_b_alert_target
from fake_services.devices.models import AlertLog, TrustAnchors
from fake_services.registration.models import Registry
from fake_services.s1sp import outcomes
from fake_services.s1sp.checks import (
    acting_role,
    duis_s1sp_deadline_check,
    enablement_setting,
    pia_2_3_2_a_owner_check_applies,
    pia_3_2_s1sp_enablement,
    s1sr_4_2_certificate_owner_check,
    srpd_16_1_s1sp_registration_data_check,
    srv_6_21_request_handover,
)
from fake_services.s1sp.outcomes import Decision
from fake_services.s1sp.state import S1SPState
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

CANCELLATION = dt.datetime(3000, 12, 31, tzinfo=dt.UTC)
"""DCC's cancellation sample (`…_6.15.1_CANCELLATION_…`) future-dates the command to 3000-12-31: the
sandbox reads it as "cancel what is pending for this device and role"."""

Notify = Callable[[str, etree._Element, str, str], object]
"""Pass an alert to the DCC for a User: (user, DUIS Response, request id, kind)."""


class InternalLinkRefused(Exception):
    """Not from the DCC: the S1SP answers with an HTTP 4xx and reads nothing further."""


class S1SP:
    """One SMETS1 Service Provider, with its own MP107 enablement."""

    def __init__(
        self,
        name: str,
        store: Store,
        users: Users,
        smki: SMKIRepository,
        registry: Registry,
        signer: ServiceSigner,
        dcc: dict[str, str],
        clock: Clock,
        notify: Notify,
    ) -> None:
        self.name = name
        self.store = store
        self.users = users
        self.smki = smki
        self.registry = registry
        self.anchors = TrustAnchors(store)
        self.state = S1SPState(store, name)
        self.signer = signer
        self.dcc = dcc
        """Which DCC system may send on which interface: {"service": DSP entity ID, "commissioning": ...}."""
        self.clock = clock
        self.notify = notify

    @property
    def mp107_enabled(self) -> bool:
        return pia_3_2_s1sp_enablement(self.store, self.name)

    def enable_mp107(self, enabled: bool) -> None:
        """This S1SP's own release of MP107 (PIA 3.2), on or off."""
        SettingsTable(self.store).set(enablement_setting(self.name), "on" if enabled else "off")

    # --- the DCC's requests ----------------------------------------------------------------------------
    def countersigned_by(self, envelope: etree._Element, interface: str) -> Countersigned:
        """The DCC system that may use `interface` signed this envelope, or InternalLinkRefused."""
        try:
            signer = duis_signature_check(envelope, self.smki)
            content = read_countersigned(envelope)
        except (Rejection, NotCountersigned) as exc:
            raise InternalLinkRefused(f"not a request countersigned by the DCC: {exc}") from None
        if signer.role is not RemotePartyRole.XML_SIGNING_DCC or signer.entity_id != self.dcc[interface]:
            raise InternalLinkRefused(f"{signer.entity_id} may not use the {self.name} {interface} interface")
        return content

    def process(self, envelope: etree._Element, deadline: float | None = None) -> Decision:
        """Run the S1SP's checks on a request the DSP has passed on; apply it or raise an S1SP Alert.
        The same request reaching it twice (a DSP resending after a restart) is answered as before."""
        content = self.countersigned_by(envelope, "service")
        request = ServiceRequest.from_xml(content.request)
        earlier = self._answered(request.request_id)
        if earlier is not None:
            return earlier
        try:
            sender, device = self._sender_and_device(request)
            rdp = srpd_16_1_s1sp_registration_data_check(
                request, sender, device, self.registry.view, self.mp107_enabled
            )
            if pia_2_3_2_a_owner_check_applies(request):
                held = self.anchors.held(request.device_id, acting_role(request), KeyUse.DS)
                owner = s1sr_4_2_certificate_owner_check(request, content.request, content.signed_pre_command, held)
            else:
                owner = Verdict(PIA_2_3_2_A, "not a Critical request: no certificate-owner check")
            answer, how, placing = self._carry_out(request, content.request)
            decision = Decision(
                self.signer.sign(answer), True, (rdp.clause, owner.clause), f"{rdp.reason}; {owner.reason}; {how}"
            )
            if placing is not None:  # applied and remembered in one transaction: a crash keeps both or neither
                self._apply(request, placing, deadline, remember=decision)
                return decision
        except Rejection as rejection:
            return self._remember(request, self._alert(request, rejection))
        return self._remember(request, decision)

    def _carry_out(
        self, request: ServiceRequest, root: etree._Element
    ) -> tuple[etree._Element, str, list[OrganisationCertificate] | None]:
        """What an accepted request asks: its answer, in words, and the certificates to place now (None when
        nothing is placed now: a read, a cancellation, or a future-dated update scheduled for later)."""
        if request.srv is RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP:
            details = self.anchors.credentials(request.device_id, request.remote_party_roles)
            return outcomes.credentials_read(request, details), "read", None
        if request.srv not in (UPDATE_SECURITY_CREDENTIALS_KRP, REQUEST_HANDOVER):
            return outcomes.done(request), "done", None
        when = request.execution_date_time
        if when is not None and when >= CANCELLATION:
            cancelled = self.state.cancel(request.device_id, request.remote_party_role or "")
            how = f"cancelled {cancelled} pending future-dated update(s)"
            return outcomes.credentials_updated(request, False), how, None
        if when is not None and when > self.clock.now():
            self._certificates(request)  # checked on receipt, applied when due
            self.state.schedule(
                str(request.request_id),
                request.device_id,
                request.remote_party_role or "",
                when.astimezone(dt.UTC).isoformat(),
                to_bytes(root),
            )
            how = f"future-dated: to be applied at {when.isoformat()}"
            return outcomes.credentials_updated(request, False), how, None
        return outcomes.credentials_updated(request, True), "applied", self._certificates(request)

    def _certificates(self, request: ServiceRequest) -> list[OrganisationCertificate]:
        """The certificates an update or a handover places, checked (GBCS replacement rules, SRV 6.21)."""
        if request.srv is UPDATE_SECURITY_CREDENTIALS_KRP:
            return list(gbcs_replacement_certificates(request, self.smki))
        return list(srv_6_21_request_handover(request, self.smki))

    def _answered(self, request_id: RequestID) -> Decision | None:
        row = self.state.answer(str(request_id))
        if row is None:
            return None
        return Decision(parse(row["answer"]), bool(row["accepted"]), (), f"answered before: {row['reason']}")

    def _remember(self, request: ServiceRequest, decision: Decision, db: sqlite3.Connection | None = None) -> Decision:
        """Keep the answer, so that the same request again is answered the same way (within the caller's
        transaction `db` when the answer must stand or fall with a change)."""
        with self.store.within(db) as conn:
            self.state.remember(
                conn, str(request.request_id), to_bytes(decision.answer), decision.accepted, decision.reason
            )
        return decision

    # --- future dating ---------------------------------------------------------------------------------
    def run_due(self) -> int:
        """Apply the future-dated updates whose time has come by the sandbox's clock, and tell each
        sender how it went (8F66 success, 8F67 error). Returns how many ran."""
        due = self.state.due(self.clock.now().isoformat())
        for row in due:
            request = ServiceRequest.from_xml(parse(row["request_xml"]))
            try:
                self._apply(request, self._certificates(request), None, future_dated=row["request_id"])
                success = True
            except Rejection:
                success = False
                with self.store.transaction() as db:
                    self.state.unschedule(db, row["request_id"])
            alert = outcomes.future_dated_outcome(request, success)
            self.notify(request.originator, alert, str(request.request_id), "future-dated alert")
        return len(due)

    # --- device alerts ---------------------------------------------------------------------------------
    def route_device_alert(self, device_id: str, alert_code: str, log: AlertLog) -> str | None:
        """A meter this S1SP serves raised an alert for its Network Operator: the S1SP sends it, signed, to
        the party the certificate it holds names (PIA 2.3.2 B); the DCC delivers it to that User. Returns
        the recipient (None: no Network Operator alert, as from a gas meter)."""
        device = self.served_device(device_id)
        held = {use: self.anchors.held(device_id, "NetworkOperator", use) for use in (KeyUse.DS, KeyUse.KA)}
        recipient = pia_2_3_2_b_alert_target(device, held, self.registry.view)
        if recipient is None:
            return None
        log.record(device_id, recipient, alert_code)
        if self.users.get(recipient) is None:  # the Access Control Broker is the DCC's own: no User to tell
            return recipient
        user = delivery_recipient(recipient, DEVICE_ALERT, None, True, alert_code)
        if user is not None:
            counter = time.time_ns() // 1000
            response = outcomes.device_alert(self.signer, device_id, recipient, counter, alert_code)
            self.notify(user, response, "", DEVICE_ALERT)
        return recipient

    # --- enrolment -------------------------------------------------------------------------------------
    def enrol(
        self, device_id: str, supplier: list[OrganisationCertificate], acb: list[OrganisationCertificate]
    ) -> None:
        """What enrolment leaves at the S1SP before any NO certificate: the Supplier's and the ACB's
        certificates, with the ACB's as the default in the Network Operator trust anchor (PIA 2.3.2)."""
        self.served_device(device_id)
        with self.store.transaction() as db:
            for cert in acb:
                self.anchors.place(db, device_id, "ACB", cert)
                self.anchors.place(db, device_id, "NetworkOperator", cert)
            for cert in supplier:
                self.anchors.place(db, device_id, "Supplier", cert)
            self.registry.inventory.activate(db, device_id)

    def accept_commissioning_handover(self, envelope: etree._Element, deadline: float | None = None) -> Decision:
        """SRV 6.21 from the DCC Commissioning Party at enrolment: the certificates it carries are
        validated and placed; no User is involved, so no Registration Data or owner check applies."""
        content = self.countersigned_by(envelope, "commissioning")
        request = ServiceRequest.from_xml(content.request)
        try:
            if request.srv is not REQUEST_HANDOVER:
                raise Rejection(
                    "commissioning_party", f"the commissioning interface takes SRV 6.21, not {request.srv.variant}"
                )
            self.served_device(request.device_id)
            self._apply(request, self._certificates(request), deadline)
        except Rejection as rejection:
            return self._alert(request, rejection)
        answer = outcomes.credentials_updated(request, True)
        return Decision(self.signer.sign(answer), True, (SRV_6_21,), "DCC Commissioning Party: certificates placed")

    # --- helpers ---------------------------------------------------------------------------------------
    def _alert(self, request: ServiceRequest, rejection: Rejection) -> Decision:
        alert = outcomes.refused(request, rejection)
        return Decision(self.signer.sign(alert), False, (rejection.rule.clause,), rejection.detail)

    def _sender_and_device(self, request: ServiceRequest) -> tuple[User, Device]:
        sender = self.users.get(request.originator)
        if sender is None:
            raise Rejection("user", f"{request.originator} is not a User")
        return sender, self.served_device(request.device_id)

    def served_device(self, device_id: str) -> Device:
        """The device, if this S1SP serves it: an S1SP holds nothing for other S1SPs' devices."""
        device = self.registry.inventory.get(device_id)
        if device is None or device.s1sp != self.name:
            raise Rejection("device_unknown", f"{device_id} is not served by {self.name}")
        return device

    def _apply(
        self,
        request: ServiceRequest,
        certificates: list[OrganisationCertificate],
        deadline: float | None,
        future_dated: str | None = None,
        remember: Decision | None = None,
    ) -> None:
        """Accepted credential updates replace the role's anchors in one transaction, committed only
        while the DSP is still waiting for the answer, with the answer remembered (and, for a future-dated
        one, its schedule entry removed) in the same transaction."""
        with self.store.transaction() as db:
            for cert in certificates:
                self.anchors.place(db, request.device_id, request.remote_party_role or "", cert)
            if future_dated is not None:
                self.state.unschedule(db, future_dated)
            if remember is not None:
                self._remember(request, remember, db)
            duis_s1sp_deadline_check(deadline)
