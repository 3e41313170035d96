"""The DSP: the DCC's three DUIS web services as DCC Boxed exposes them, each request checked in SRPD
order by one function per clause (`checks.py`).

- Transform (`serviceT`, Command Variant 4): a Critical Service Request is checked and answered at once
  with the Pre-Command the User must sign (its GBCS payload binds the request's content and counter).
- Send Command (`serviceS`, CV 1 non-critical, CV 5 the User-signed Pre-Command with the CV 4 RequestID):
  once access control has passed the DSP answers `I99` and routes the command in the background; the
  real answer, or a DCC Alert, reaches the User later at its Receive Response Service.
- Non-Device (`serviceD`, CV 2/6/8 where the SRV offers them): the same checks, answered synchronously.

Requests for different devices are routed in parallel; requests for one device one after the other. What the
DSP answers is built in `outcomes.py`, what it remembers kept in `state.py`."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from catalogue import CLAUSES
from duis.precommand import pre_command_for
from duis.requests import RequestID, ServiceRequest
from duis.srv import RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP
from duis.xml import parse, to_bytes
from fake_services.core.authentication import duis_signature_check
from fake_services.core.clock import Clock
from fake_services.core.dcc_internal import countersigned_request
from fake_services.core.evidence import Evidence
from fake_services.core.locks import KeyedLocks
from fake_services.core.parties import SMKIRepository, Users
from fake_services.core.records import Device, User
from fake_services.core.rejections import Rejection, Verdict
from fake_services.core.s1sp_link import S1SPSend
from fake_services.core.signer import ServiceSigner
from fake_services.core.state import RequestLogTable, SettingsTable
from fake_services.core.store import Store
from fake_services.delivery.checks import RESPONSE, delivery_recipient
from fake_services.devices.models import SMETS2Device
from fake_services.dsp import outcomes
from fake_services.dsp.checks import (
    MP107_SWITCH,
    NON_DEVICE,
    SEND,
    SIGNED_PRE_COMMAND_VARIANTS,
    TRANSFORM,
    TransformLimits,
    access_control_order,
    duis_anti_replay_check,
    duis_anti_replay_scope,
    duis_command_variant_check,
    duis_device_check,
    duis_eligibility_check,
    duis_schema_check,
    duis_signature_pre_command_awaited_check,
    duis_signature_pre_command_check,
    duis_signature_sender_check,
    duis_user_check,
    gbcs_replacement_mode_check,
    pia_3_2_dsp_feature_switch,
)
from fake_services.dsp.outcomes import Outcome
from fake_services.dsp.state import CommandTable, CounterTable, TransformTable
from fake_services.registration.checks import srpd_6_1_f_registration_data_check
from fake_services.registration.models import Registry
from smki.profile import OrganisationCertificate

__all__ = ["DSP", "Accepted", "Deliver", "OriginatorCounters", "Outcome", "TransformLimits", "Transforms"]

log = logging.getLogger("fake_services.dsp")


class Deliver(Protocol):
    """Queue a response for a User's Receive Response Service, within the caller's transaction `db` when
    given (so that marking a command routed and queueing its answer stand or fall together), with the
    sandbox's evidence of what decided it (`fake_services.delivery.models.Deliveries.enqueue`)."""

    def __call__(
        self,
        user_id: str,
        response: etree._Element,
        request_id: str | None,
        kind: str,
        *,
        db: sqlite3.Connection | None = None,
        evidence: Evidence | None = None,
    ) -> int: ...


@dataclass(frozen=True)
class Accepted:
    """A command that has passed access control: what the DSP routes."""

    request: ServiceRequest
    """The Service Request's content: the CV 1/2 request itself, or the CV 4 request a CV 5/6 signs."""
    root: etree._Element
    sender: User
    device: Device
    verdict: Verdict
    signed_pre_command: bytes | None


@dataclass
class Checking:
    """One request going through access control: what the checks so far have established."""

    request: ServiceRequest
    root: etree._Element
    web_service: str
    signer: OrganisationCertificate | None = None
    sender: User | None = None
    content: ServiceRequest = field(init=False)
    """The Service Request judged: the request itself, or the CV 4 request a CV 5 signs."""
    content_root: etree._Element = field(init=False)
    signed: bytes | None = None
    device: Device | None = None
    verdict: Verdict | None = None

    def __post_init__(self) -> None:
        self.content, self.content_root = self.request, self.root

    def accepted(self) -> Accepted:
        assert self.sender and self.device and self.verdict, "every check of access control has run"
        return Accepted(self.content, self.content_root, self.sender, self.device, self.verdict, self.signed)


class OriginatorCounters:
    """The last accepted counter per Business Originator (DUIS anti-replay), kept under the key
    `duis_anti_replay_scope` gives."""

    def __init__(self, store: Store) -> None:
        self.table = CounterTable(store)

    def last(self, request: ServiceRequest) -> int | None:
        """The last counter accepted before, of those `request`'s counter is compared with."""
        return self.table.last(duis_anti_replay_scope(request))

    def consume(self, request: ServiceRequest, db: sqlite3.Connection) -> None:
        """Check and write the counter inside the caller's transaction, so two requests racing from one
        sender can never both pass."""
        scope = duis_anti_replay_scope(request)
        duis_anti_replay_check(request, self.table.last_in(db, scope))
        self.table.put(db, scope, request.request_id.counter)


class Transforms:
    """The Pre-Commands the DSP has issued and that await their CV 5, by RequestID, each with the CV 4
    request it was made from; bounded by `TransformLimits` (expired and surplus ones are forgotten when
    the next is issued) and forgotten when completed."""

    def __init__(self, store: Store, clock: Clock, limits: TransformLimits | None = None) -> None:
        self.table = TransformTable(store)
        self.clock = clock
        self.limits = limits or TransformLimits()

    def issue(self, request: ServiceRequest, root: etree._Element, payload: bytes) -> None:
        now = self.clock.now().timestamp()
        keep = (now - self.limits.lifetime_seconds, self.limits.per_user)
        self.table.put(str(request.request_id), request.originator, now, to_bytes(root), payload, keep)

    def awaiting(self, request_id: RequestID) -> tuple[etree._Element, bytes]:
        """The CV 4 request and Pre-Command awaiting this RequestID's Signed Pre-Command; raises
        Rejection('pre_command') saying why there is none."""
        row = self.table.get(str(request_id))
        issued_at = float(row["issued_at"]) if row is not None else None
        duis_signature_pre_command_awaited_check(request_id, issued_at, self.clock.now().timestamp(), self.limits)
        assert row is not None
        return parse(row["request_xml"]), bytes(row["payload"])

    def complete(self, request_id: RequestID, db: sqlite3.Connection) -> None:
        """The CV 5 is accepted: its Pre-Command awaits nothing more (within the caller's transaction)."""
        self.table.delete(db, str(request_id))


ROUTING_THREADS = 128
"""Commands routed to the S1SPs at once. A routing thread waits for its S1SP's answer, and an S1SP of a DCC
test environment answers in seconds (`serve --s1sp-latency`): with 8 the sandbox carried 4 answers a second
at 2 s each and a run with many scenarios in flight waited for the sandbox, not for the S1SPs (the to-be run
of `benchmarks/environment_run.py` took 135 s where its longest scenario waits 26 s); with 48, the ~95
scenarios that file's run has in flight at once queued for a thread at its start (an answer 3.5 s after its
request instead of 2). The threads sleep while they wait; each S1SP's own server takes as many at once."""


class DSP:
    """The DCC Data Service Provider's rules, for the three web services."""

    def __init__(
        self,
        store: Store,
        users: Users,
        smki: SMKIRepository,
        registry: Registry,
        signer: ServiceSigner,
        send_to_s1sp: S1SPSend,
        deliver: Deliver,
        clock: Clock,
        transform_limits: TransformLimits | None = None,
        routing_threads: int = ROUTING_THREADS,
    ) -> None:
        self.store = store
        self.users = users
        self.smki = smki
        self.registry = registry
        self.signer = signer
        self.send_to_s1sp = send_to_s1sp
        self.deliver = deliver
        self.counters = OriginatorCounters(store)
        self.transforms = Transforms(store, clock, transform_limits)
        self.commands = CommandTable(store)
        self.request_log = RequestLogTable(store)
        self.smets2 = SMETS2Device(store, smki)
        self._devices = KeyedLocks()
        self._routing: queue.Queue[Accepted | None] = queue.Queue()
        self._unrouted = 0
        self._routed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._route_forever, name=f"DSP routing {i}", daemon=True)
            for i in range(routing_threads)
        ]

    @property
    def mp107_switch(self) -> bool:
        return pia_3_2_dsp_feature_switch(self.store)

    def switch_mp107(self, enabled: bool) -> None:
        """The DSP's one MP107 switch (PIA 3.2), on or off."""
        SettingsTable(self.store).set(MP107_SWITCH, "on" if enabled else "off")

    # --- the web services ------------------------------------------------------------------------------
    def transform(self, root: etree._Element) -> Outcome:
        """Transform (CV 4): check the Critical request and answer its Pre-Command at once (I0)."""
        return self._answer(root, TRANSFORM, self._transform)

    def send_command(self, root: etree._Element) -> Outcome:
        """Send Command (CV 1 or 5): check it, answer I99 and route it in the background."""
        return self._answer(root, SEND, self._acknowledge)

    def non_device(self, root: etree._Element) -> Outcome:
        """Non-Device (CV 2, 6 or 8): check it, route it and answer the outcome synchronously."""
        return self._answer(root, NON_DEVICE, self._route_now)

    def _answer(self, root: etree._Element, web_service: str, then: Callable[[Accepted], Outcome]) -> Outcome:
        request: ServiceRequest | None = None
        try:
            request = duis_schema_check(root)
            accepted = self._access_control(root, request, web_service)
            outcome = then(accepted)
        except Rejection as rejection:
            outcome = outcomes.refused(root, request, rejection)
        self._log(request, outcome, web_service)
        return outcome

    def _access_control(self, root: etree._Element, request: ServiceRequest, web_service: str) -> Accepted:
        """The checks, in the order `access_control_order` gives. For a signed Pre-Command the Service Request
        checked after the Pre-Command is the CV 4 request it was issued for."""
        checking = Checking(request, root, web_service)
        steps: dict[str, Callable[[Checking], None]] = {
            "signature": self._signature,
            "user": self._user,
            "command_variant": lambda c: duis_command_variant_check(c.request, c.web_service),
            "pre_command": self._pre_command,
            "eligibility": self._eligibility,
            "anti_replay": lambda c: duis_anti_replay_check(c.content, self.counters.last(c.content)),
            "device": self._device,
            "registration_data": self._registration_data,
        }
        for step in access_control_order():
            steps[step](checking)
        return checking.accepted()

    def _signature(self, c: Checking) -> None:
        c.signer = duis_signature_check(c.root, self.smki)
        duis_signature_sender_check(c.request, c.signer)

    def _user(self, c: Checking) -> None:
        c.sender = duis_user_check(c.request, self.users)

    def _pre_command(self, c: Checking) -> None:
        if c.request.command_variant not in SIGNED_PRE_COMMAND_VARIANTS:
            return
        # A completed Pre-Command is forgotten: its CV 5 sent again is a replay, and is said so.
        duis_anti_replay_check(c.request, self.counters.last(c.request))
        c.content_root, payload = self.transforms.awaiting(c.request.request_id)
        c.content = ServiceRequest.from_xml(c.content_root)
        assert c.signer is not None, "the signature is checked before the Pre-Command"
        duis_signature_pre_command_check(c.request.signed_pre_command, payload, c.signer)
        c.signed = c.request.signed_pre_command

    def _eligibility(self, c: Checking) -> None:
        duis_eligibility_check(c.content, self._sender(c, "eligibility"))

    def _device(self, c: Checking) -> None:
        c.device = duis_device_check(c.content, self.registry.inventory.get(c.content.device_id))

    def _registration_data(self, c: Checking) -> None:
        device = c.device or self.registry.inventory.get(c.content.device_id)
        if device is None:
            raise Rejection("registration_data", f"no Registration Data relates to device {c.content.device_id}")
        c.verdict = srpd_6_1_f_registration_data_check(
            c.content, self._sender(c, "registration_data"), device, self.registry.view,
            mp107_in_force=pia_3_2_dsp_feature_switch(self.store, device.s1sp),  # one switch, whichever S1SP
        )  # fmt: skip

    def _sender(self, c: Checking, rule_key: str) -> User:
        """The sender as the User check found it; a check that needs its User Role before that check has run
        finds it in the register, and a sender that is not a User has no User Role to pass it with."""
        sender = c.sender or self.users.get(c.request.originator)
        if sender is None:
            raise Rejection(rule_key, f"{c.request.originator} has no User Role: it is not a DCC User")
        return sender

    def _transform(self, accepted: Accepted) -> Outcome:
        gbcs_replacement_mode_check(accepted.request)
        payload = pre_command_for(accepted.request, accepted.root).to_bytes()
        self.transforms.issue(accepted.request, accepted.root, payload)
        return outcomes.pre_command_issued(accepted.request, accepted.verdict, payload)

    def _consume(self, accepted: Accepted) -> None:
        """Accept the command: its counter is used up, and it is kept until routed (a restart loses nothing)."""
        with self.store.transaction() as db:
            self.counters.consume(accepted.request, db)
            if accepted.signed_pre_command is not None:
                self.transforms.complete(accepted.request.request_id, db)
            self.commands.accept(
                db,
                str(accepted.request.request_id),
                accepted.sender.entity_id,
                to_bytes(accepted.root),
                accepted.signed_pre_command,
                (accepted.verdict.clause.tag, accepted.verdict.reason),
            )

    def _acknowledge(self, accepted: Accepted) -> Outcome:
        self._consume(accepted)
        self._queue(accepted)
        return outcomes.acknowledged(accepted.request, accepted.verdict)

    def _route_now(self, accepted: Accepted) -> Outcome:
        self._consume(accepted)
        return self._route(accepted)

    # --- routing ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start routing, beginning with commands accepted before a restart and not yet routed."""
        for thread in self._threads:
            thread.start()
        for request_id in self.commands.unrouted():
            accepted = self._reload(request_id)
            if accepted is not None:
                self._queue(accepted)

    def _queue(self, accepted: Accepted) -> None:
        with self._routed:
            self._unrouted += 1
        self._routing.put(accepted)

    def wait_routed(self, timeout: float) -> bool:
        """True once every accepted command has been routed and its answer queued for delivery."""
        with self._routed:
            return self._routed.wait_for(lambda: self._unrouted == 0, timeout)

    def stop(self) -> None:
        for _ in self._threads:
            self._routing.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _reload(self, request_id: str) -> Accepted | None:
        row = self.commands.get(request_id)
        if row is None:
            return None
        root = parse(row["request_xml"])
        request = ServiceRequest.from_xml(root)
        sender = self.users.get(row["sender"])
        device = self.registry.inventory.get(request.device_id)
        if sender is None or device is None:
            return None
        verdict = Verdict(CLAUSES[row["verdict_clause"]], row["verdict_reason"])
        return Accepted(request, root, sender, device, verdict, row["signed_pre_command"])

    def _route_forever(self) -> None:
        while (accepted := self._routing.get()) is not None:
            try:
                self._route(accepted, deliver_answer=True)
            except Exception:  # a routing failure must never stop routing
                log.exception("routing %s failed", accepted.request.request_id)
            finally:
                with self._routed:
                    self._unrouted -= 1
                    self._routed.notify_all()

    def _route(self, accepted: Accepted, deliver_answer: bool = False) -> Outcome:
        """Route an accepted command to its device (SMETS2) or the S1SP that serves it (SMETS1) and turn
        the answer into the User's response; marks the command routed and (`deliver_answer`) queues the
        answer for the sender in the same transaction: a crash keeps both or neither, so an accepted
        command is either routed again after a restart (the S1SP answers it as before) or answered."""
        request = accepted.request
        with self._devices.hold(accepted.device.device_id):
            try:
                outcome = self._to_smets2_device(accepted) if accepted.device.smets == 2 else self._to_s1sp(accepted)
            except Rejection as rejection:
                outcome = outcomes.not_routed(request, accepted.verdict, rejection)
            # still holding the device: the log's order is the order its changes were made in
            recipient = delivery_recipient(
                accepted.sender.entity_id, RESPONSE, request, outcome.accepted, outcome.response_code
            )
            with self.store.transaction() as db:
                self.commands.routed(db, str(request.request_id), outcome.response_code)
                if deliver_answer and outcome.response is not None and recipient is not None:
                    self.deliver(
                        recipient,
                        outcome.response,
                        str(request.request_id),
                        RESPONSE,
                        db=db,
                        evidence=Evidence(outcome.decided_by, outcome.reason),
                    )
                self._log(request, outcome, "route", db)
        return outcome

    def _to_smets2_device(self, accepted: Accepted) -> Outcome:
        request = accepted.request
        if request.srv is RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP:
            details = self.smets2.read_security_credentials(request)
            return outcomes.smets2_read(request, accepted.verdict, details)
        decided = self.smets2.update_security_credentials(request, accepted.root, accepted.signed_pre_command)
        return outcomes.smets2_done(request, accepted.verdict, decided)

    def _to_s1sp(self, accepted: Accepted) -> Outcome:
        s1sp = accepted.device.s1sp or ""
        envelope = self.signer.sign(countersigned_request(accepted.root, accepted.signed_pre_command))
        answer = self.send_to_s1sp(s1sp, to_bytes(envelope))
        return outcomes.s1sp_answered(accepted.request, accepted.verdict, str(accepted.device.s1sp), answer)

    def _log(
        self, request: ServiceRequest | None, outcome: Outcome, service: str, db: sqlite3.Connection | None = None
    ) -> None:
        """The request log (evidence), written within the caller's transaction `db` when given."""
        entry = (
            (str(request.request_id), request.srv.variant, request.originator, request.device_id)
            if request
            else (None, None, None, None)
        )
        self.request_log.write(
            f"DSP {service}",
            entry,
            "accepted" if outcome.accepted else "rejected",
            outcome.response_code,
            ", ".join(c.display for c in outcome.decided_by),
            outcome.reason,
            db,
        )
