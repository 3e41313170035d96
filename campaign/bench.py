"""The campaign's test bench: the embedded sandbox (short S1SP timeout), its organisations, one
meter whose Network Operator certificate is wrongly held, a valid correction to mutate, and a User
system (a DUIS client and its Receive Response Service) that the organisations are delivered to.

The valid correction is DUIS's critical flow: a Command Variant 4 request to the Transform service
(`serviceT`: every access-control check) that is answered with a Pre-Command, which the sender signs
with its Digital Signing key and sends as a Command Variant 5 to Send Command (`serviceS`); that is
acknowledged I99 and its answer (or a DCC Alert) is delivered later to the sender's Receive Response
Service. `Bench.post` follows whatever it sends along that flow as a User's system would, and reports
the answer that decided it."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from campaign.model import Sent
from duis.precommand import sign_pre_command
from duis.requests import MalformedMessage, RequestID, ServiceRequest
from duis.responses import ServiceResponse
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from duis.xml import NotXML, parse
from fake_services.sandbox import Sandbox
from serving.http_client import Session
from smki.authority import TestSMKI
from smki.profile import KeyUse, RemotePartyRole
from support.control_client import ControlClient
from support.seeding import S1SPS, Parties, Roster, seed_installation, set_mp107
from user_system.client import SERVICE_PATH, TRANSFORM_PATH, CounterSource, SigningIdentity, sign_request
from user_system.organisations import XML_SIGNING, Organisation
from user_system.system import UserSystem

S1SP_TIMEOUT = 0.5
ANSWER_TIMEOUT = 10.0
"""How long `post` waits for an answer the DSP acknowledged (I99) to be delivered."""
WAIT = 10.0
"""How long the bench waits for what the sandbox does in the background (a slow S1SP finishing)."""


class Bench:
    def __init__(self) -> None:
        self.sandbox = Sandbox(s1sp_timeout=S1SP_TIMEOUT)
        self.urls = self.sandbox.start()
        self.control = ControlClient(self.urls["Control"])
        self.http = Session()
        self.counters = CounterSource()
        self.user_system = UserSystem(
            self.urls["DSP"], self.control.smki()["dcc_signers"], answer_timeout=ANSWER_TIMEOUT
        ).start()
        roster = Roster(self.control, self.user_system.receive_url)
        self.registered = roster.ensure("Western Power", UserRole.ELECTRICITY_DISTRIBUTOR)
        self.holder = roster.ensure("Eastern Networks", UserRole.ELECTRICITY_DISTRIBUTOR)
        self.supplier = roster.ensure("Bright Energy", UserRole.IMPORT_SUPPLIER)
        parties = Parties(
            self.registered,
            self.supplier,
            roster.ensure("Cadent Gas", UserRole.GAS_TRANSPORTER),
            roster.ensure("Flame Gas Supply", UserRole.GAS_SUPPLIER),
            roster.acb(),
        )
        self.users = {o.entity_id: o for o in (self.registered, self.holder, self.supplier)}
        self.ca_der = self.control.issuing_ca_der
        self.control.reset()
        self.installation = seed_installation(self.control, parties, network_operator_holders={"ESME": self.holder})
        self.esme = self.installation.esme
        set_mp107(self.control, True)
        self.restore()

    def restore(self) -> None:
        """Put the wrong certificate back and heal every S1SP: each case starts from the same meter."""
        self.control.place_trust_anchor(self.esme, "NetworkOperator", self.holder.ds_pem, self.holder.ka_pem)
        for name in S1SPS:
            self.control.set_s1sp_fault(name, "none")

    # --- what a case may change --------------------------------------------------------------------
    def fingerprint(self) -> str:
        return self.control.fingerprint()

    def counters_used(self) -> dict[str, str]:
        """The last originator counter the DSP accepted, per Business Originator."""
        return {r["originator"]: r["last_counter"] for r in self.sandbox.store.all("SELECT * FROM counters")}

    def state(self) -> dict[str, list[str]]:
        """Everything the fingerprint covers but the originator counters, table by table: what a request
        the DSP accepted (I99) and an S1SP then refused must leave as it was."""
        return self.sandbox.store.state(leave_out=frozenset({"counters"}))

    def wait_for_s1sp_answer(self, request_id: str) -> None:
        """Until an S1SP has answered `request_id` (a slow one answers after the DSP gave up on it)."""
        deadline = time.monotonic() + WAIT
        while self.sandbox.store.one("SELECT 1 FROM s1sp_answers WHERE request_id = ?", request_id) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no S1SP answered {request_id} within {WAIT} s")
            time.sleep(0.01)

    # --- requests -----------------------------------------------------------------------------
    def correction(self, **changes) -> ServiceRequest:
        """The valid request as the Transform service takes it (CV 4): the NO holding the wrong
        certificate puts the registered NO's in place."""
        request = ServiceRequest(
            RequestID(self.holder.entity_id, self.esme, self.counters.next(self.holder.entity_id)),
            SERVICE_REQUEST_VARIANTS["6.15.1"],
            4,
            **self.registered.as_replacement("NetworkOperator", self.ca_der),
        )
        return replace(request, **changes)

    def read(self) -> ServiceRequest:
        """A cheap valid request: the registered NO reads the meter (CV 1, to Send Command)."""
        return ServiceRequest(
            RequestID(self.registered.entity_id, self.esme, self.counters.next(self.registered.entity_id)),
            SERVICE_REQUEST_VARIANTS["4.1.1"],
        )

    def pre_command(self, request: ServiceRequest, identity: SigningIdentity | None = None) -> bytes:
        """Send a CV 4 to the Transform service and return the Pre-Command it answers (unsigned)."""
        reply = self._post(TRANSFORM_PATH, sign_request(request, identity or self.holder.identity))
        response = ServiceResponse.from_xml(parse(reply.content))
        if response.pre_command is None:
            raise RuntimeError(f"the valid CV 4 got no Pre-Command: {reply.headers.get('X-DUIS-Reason')}")
        return response.pre_command

    def cv5(
        self,
        request: ServiceRequest,
        signed_pre_command: bytes,
        identity: SigningIdentity | None = None,
    ) -> bytes:
        """The CV 5 carrying `signed_pre_command` for `request`'s RequestID, signed as a User signs."""
        send = ServiceRequest(request.request_id, request.srv, 5, signed_pre_command=signed_pre_command)
        return sign_request(send, identity or self.holder.identity)

    def valid_cv5(self, **changes) -> bytes:
        """A valid CV 5 for a fresh correction: its Pre-Command issued, signed with the holder's DS key."""
        request = self.correction(**changes)
        return self.cv5(request, sign_pre_command(self.pre_command(request), self.holder.device_signing_key))

    def _post(self, path: str, body: bytes, content_type: str = "application/xml") -> requests.Response:
        return self.http.post(self.urls["DSP"] + path, data=body, headers={"Content-Type": content_type}, timeout=30)

    def post(self, body: bytes, content_type: str = "application/xml", path: str = TRANSFORM_PATH) -> Sent:
        """POST `body` to the web service at `path` and follow it as a User's system would: a Pre-Command
        (the Transform's I0) is signed with the sender's Digital Signing key and sent on as its CV 5; an
        I99 is followed to the answer delivered to the Receive Response Service. Returns the answer that
        decided it, and the RequestID whose counter the DSP used up if it accepted the request."""
        try:
            reply = self._post(path, body, content_type)
            sent, response = self._read(reply)
            if response is not None and response.pre_command is not None and response.response_code == "I0":
                body = self._signed_on(body, response)
                reply = self._post(SERVICE_PATH, body)
                sent, response = self._read(reply)
        except requests.RequestException as exc:
            return Sent(0, detail=f"no answer: {exc}")
        if response is None or not response.is_acknowledgement:
            return sent
        acknowledged = response.request_id or ""
        try:
            delivered = self.user_system.receiver.wait_for(
                acknowledged, lambda r: not r.response.is_acknowledgement, ANSWER_TIMEOUT
            )
        except TimeoutError as exc:  # the DSP accepted the request and never answered it
            return Sent(0, "I99", detail=f"accepted, never answered: {exc}", acknowledged=acknowledged)
        final = delivered.response
        return Sent(
            200,
            final.response_code,
            final.s1sp_alert.code if final.s1sp_alert else None,
            final.succeeded,
            f"{delivered.headers.get('X-DUIS-Clause', '')}: {delivered.headers.get('X-DUIS-Reason', '')}",
            acknowledged=acknowledged,
        )

    def _read(self, reply: requests.Response) -> tuple[Sent, ServiceResponse | None]:
        if not reply.headers.get("Content-Type", "").startswith("application/xml"):
            return Sent(reply.status_code, detail=reply.text.strip()[:200]), None
        try:
            response = ServiceResponse.from_xml(parse(reply.content))
        except (NotXML, ValueError) as exc:
            return Sent(599, detail=f"the DSP answered something that is not DUIS: {exc}"), None
        sent = Sent(
            reply.status_code,
            response.response_code,
            response.s1sp_alert.code if response.s1sp_alert else None,
            response.succeeded and response.pre_command is None,  # a Pre-Command is not yet the outcome
            f"{reply.headers.get('X-DUIS-Clause', '')}: {reply.headers.get('X-DUIS-Reason', '')}",
        )
        return sent, response

    def _signed_on(self, cv4_body: bytes, response: ServiceResponse) -> bytes:
        """The CV 5 a User sends for the CV 4 it posted: the Pre-Command signed with the Digital Signing
        key of the request's Business Originator (the holder when it is not one of the bench's Users)."""
        try:
            request = ServiceRequest.from_xml(parse(cv4_body))
        except (NotXML, MalformedMessage) as exc:  # the DSP read it, so this does not happen
            raise RuntimeError(f"the Transform answered a CV 4 the bench cannot read: {exc}") from None
        sender = self.users.get(request.originator, self.holder)
        signed = sign_pre_command(response.pre_command or b"", sender.device_signing_key)
        return self.cv5(request, signed, sender.identity)

    def alive(self) -> bool:
        """The DSP still answers a valid request correctly."""
        return self.post(sign_request(self.read(), self.registered.identity), path=SERVICE_PATH).succeeded

    # --- identities for the authentication cases -----------------------------------------------
    def identity_with(
        self, org: Organisation, *, key_use: str = "DS", role: str = XML_SIGNING, not_before=None, not_after=None
    ) -> SigningIdentity:
        """`org`'s User ID with a fresh key certified differently (expired, not yet valid, KA, another role
        than the XML-signing one)."""
        key = ec.generate_private_key(ec.SECP256R1())
        pem = self.control.issue_certificate(
            key.public_key(),
            org.entity_id,
            role,
            key_use,
            org.name,
            not_before.isoformat() if not_before else None,
            not_after.isoformat() if not_after else None,
        )
        return SigningIdentity(org.entity_id, key, x509.load_pem_x509_certificate(pem.encode()))

    def foreign_identity(self, org: Organisation, role: RemotePartyRole = RemotePartyRole.XML_SIGNING_USER):
        """`org`'s User ID certified by a CA the DCC does not know."""
        rogue = TestSMKI()
        key = ec.generate_private_key(ec.SECP256R1())
        cert = rogue.issue(key.public_key(), org.entity_id, role, KeyUse.DS, org.name)
        return SigningIdentity(org.entity_id, key, cert.certificate)

    @staticmethod
    def past(days: int) -> dt.datetime:
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)

    def close(self) -> None:
        self.http.close()
        self.control.close()
        self.user_system.close()
        self.sandbox.stop()
