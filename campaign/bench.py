"""The campaign's test bench: the embedded sandbox (short S1SP timeout), its organisations, one
meter whose Network Operator certificate is wrongly held, and a valid correction to mutate."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from campaign.model import Sent
from duis.messages import RequestID, ServiceRequest, ServiceResponse
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from duis.xml import NotXML, parse
from fake_services.sandbox import Sandbox
from smki.authority import TestSMKI
from smki.profile import KeyUse, RemotePartyRole
from support.control_client import ControlClient
from support.duis_client import CounterSource, SigningIdentity, sign_request
from support.organisations import Organisation
from support.seeding import S1SPS, Parties, Roster, seed_installation, set_mp107

S1SP_TIMEOUT = 0.5


class Bench:
    def __init__(self) -> None:
        self.sandbox = Sandbox(s1sp_timeout=S1SP_TIMEOUT)
        self.urls = self.sandbox.start()
        self.control = ControlClient(self.urls["Control"])
        self.http = requests.Session()
        self.counters = CounterSource()
        roster = Roster(self.control)
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

    def fingerprint(self) -> str:
        return self.control.fingerprint()

    # --- requests -----------------------------------------------------------------------------
    def correction(self, **changes) -> ServiceRequest:
        """The valid request: the NO holding the wrong certificate puts the registered NO's in place."""
        request = ServiceRequest(
            RequestID(self.holder.entity_id, self.esme, self.counters.next(self.holder.entity_id)),
            SERVICE_REQUEST_VARIANTS["6.15.1"],
            **self.registered.as_replacement("NetworkOperator", self.ca_der),
        )
        return replace(request, **changes)

    def read(self) -> ServiceRequest:
        """A cheap valid request: the registered NO reads the meter."""
        return ServiceRequest(
            RequestID(self.registered.entity_id, self.esme, self.counters.next(self.registered.entity_id)),
            SERVICE_REQUEST_VARIANTS["4.1.1"],
        )

    def post(self, body: bytes, content_type: str = "application/xml") -> Sent:
        try:
            reply = self.http.post(
                self.urls["DSP"] + "/api/v1/serviceS", data=body, headers={"Content-Type": content_type}, timeout=30
            )
        except requests.RequestException as exc:
            return Sent(0, detail=f"no answer: {exc}")
        if not reply.headers.get("Content-Type", "").startswith("application/xml"):
            return Sent(reply.status_code, detail=reply.text.strip()[:200])
        try:
            response = ServiceResponse.from_xml(parse(reply.content))
        except (NotXML, ValueError) as exc:
            return Sent(599, detail=f"the DSP answered something that is not DUIS: {exc}")
        return Sent(
            reply.status_code,
            response.response_code,
            response.s1sp_alert.code if response.s1sp_alert else None,
            response.succeeded,
            f"{reply.headers.get('X-DUIS-Clause', '')}: {reply.headers.get('X-DUIS-Reason', '')}",
        )

    def alive(self) -> bool:
        """The DSP still answers a valid request correctly."""
        return self.post(sign_request(self.read(), self.registered.identity)).succeeded

    # --- identities for the authentication cases -----------------------------------------------
    def identity_with(self, org: Organisation, *, key_use: str = "DS", not_before=None, not_after=None):
        """`org`'s User ID with a fresh key certified differently (expired, not yet valid, KA)."""
        key = ec.generate_private_key(ec.SECP256R1())
        pem = self.control.issue_certificate(
            key.public_key(),
            org.entity_id,
            org.user_role.certificate_role.value,
            key_use,
            org.name,
            not_before.isoformat() if not_before else None,
            not_after.isoformat() if not_after else None,
        )
        return SigningIdentity(org.entity_id, key, x509.load_pem_x509_certificate(pem.encode()))

    def foreign_identity(self, org: Organisation) -> SigningIdentity:
        """`org`'s User ID certified by a CA the DCC does not know."""
        rogue = TestSMKI()
        key = ec.generate_private_key(ec.SECP256R1())
        cert = rogue.issue(key.public_key(), org.entity_id, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS, org.name)
        return SigningIdentity(org.entity_id, key, cert.certificate)

    @staticmethod
    def past(days: int) -> dt.datetime:
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)

    def close(self) -> None:
        self.http.close()
        self.control.close()
        self.sandbox.stop()
