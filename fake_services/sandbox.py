"""The whole sandbox: one store, the test SMKI, the DSP, three S1SPs and the Control API, each on
its own loopback port. Started once per test run; `reset` between scenarios is one transaction."""

from __future__ import annotations

import ipaddress
import time

import requests

from fake_services.access_control import Registry
from fake_services.control import control_app
from fake_services.devices import Alerts
from fake_services.dsp.models import DSP, S1SPUnavailable
from fake_services.dsp.responses import dsp_app
from fake_services.enrolment.models import Commissioning, DCCCommissioningParty, MigrationControlCentre, commission
from fake_services.faults import DEADLINE_HEADER
from fake_services.http import Service
from fake_services.identity import Identities
from fake_services.parties import SMKIRepository, Users
from fake_services.registration import RegistrationData, SmartMeteringInventory
from fake_services.rejections import Rejection
from fake_services.s1sp.models import S1SP
from fake_services.s1sp.responses import COMMISSIONING_PATH, S1SP_PATH, s1sp_app
from fake_services.signer import ServiceSigner
from fake_services.store import Store
from smki.authority import TestSMKI
from smki.profile import KeyUse, RemotePartyRole

DSP_ENTITY_ID = "90-B3-D5-1F-30-00-00-02"
ACB_ENTITY_ID = "90-B3-D5-1F-30-00-00-04"
COMMISSIONING_PARTY_ENTITY_ID = "90-B3-D5-1F-30-00-00-05"
S1SP_NAMES = ("S1SP1", "S1SP2", "S1SP3")
S1SP_TIMEOUT_SECONDS = 10.0
DEADLINE_SHARE = 0.8
"""The S1SP must commit within this share of the DSP's timeout, so its answer arrives in time."""


class InsecureBinding(ValueError):
    """Asked to listen beyond loopback with an open Control API."""


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Sandbox:
    """Everything the acceptance suite drives, wired together."""

    def __init__(
        self, database: str = ":memory:", s1sp_timeout: float = S1SP_TIMEOUT_SECONDS, control_token: str | None = None
    ) -> None:
        self.s1sp_timeout = s1sp_timeout
        self.control_token = control_token
        self.store = Store(database)
        self.identities = Identities(self.store)
        self.smki = SMKIRepository(self.store, self._test_smki())
        self.users = Users(self.store)
        self.registry = Registry(RegistrationData(self.store), SmartMeteringInventory(self.store))
        self.alerts = Alerts(self.store, self.registry.inventory)
        self.s1sps = {
            name: S1SP(
                name,
                self.store,
                self.users,
                self.smki,
                self.registry,
                ServiceSigner.issue(self.smki, self.identities, f"90-B3-D5-1F-30-00-01-{i:02X}", name),
            )
            for i, name in enumerate(S1SP_NAMES, start=1)
        }
        self._s1sp_session = requests.Session()
        self.dsp_signer = ServiceSigner.issue(self.smki, self.identities, DSP_ENTITY_ID, "DSP")
        self.acb = tuple(
            ServiceSigner.issue(
                self.smki,
                self.identities,
                ACB_ENTITY_ID,
                "Access Control Broker",
                RemotePartyRole.ACCESS_CONTROL_BROKER,
                key_use,
            ).certificate
            for key_use in (KeyUse.DS, KeyUse.KA)
        )
        self.mcc = MigrationControlCentre(self.store, self.registry, self.smki)
        self.commissioning_party = DCCCommissioningParty(
            self.smki,
            ServiceSigner.issue(self.smki, self.identities, COMMISSIONING_PARTY_ENTITY_ID, "DCC Commissioning Party"),
        )
        self.dsp = DSP(self.store, self.users, self.smki, self.registry, self._send_to_s1sp)
        self.services = {
            "DSP": Service("DSP", dsp_app(self.dsp, self.dsp_signer)),
            **{
                name: Service(name, s1sp_app(s1sp, self.commissioning_party.entity_id))
                for name, s1sp in self.s1sps.items()
            },
            "Control": Service("Control", control_app(self)),
        }

    def _test_smki(self) -> TestSMKI:
        """The SMKI this store was made with, or a new one (keys once per sandbox database)."""
        root, ca = self.identities.load("smki-root"), self.identities.load("smki-issuing-ca")
        if root and ca:
            return TestSMKI.restore(root, ca)
        smki = TestSMKI()
        for name, pair in smki.keys.items():
            self.identities.save(name, pair)
        return smki

    def commission(self, ma_id: str) -> Commissioning:
        """The DCC Commissioning Party commissions the meter of a Migration Authorisation."""
        ma = self.mcc.get(ma_id)

        def enrol(device_id: str, supplier: str) -> None:
            device = self.registry.inventory.get(device_id)
            if device is None or device.s1sp not in self.s1sps:
                raise Rejection("device_unknown", f"{device_id} is not a SMETS1 meter in the inventory")
            supplier_certs = self.smki.organisation_certificates(supplier, RemotePartyRole.SUPPLIER)
            self.s1sps[device.s1sp].enrol(device_id, list(supplier_certs.values()), list(self.acb))

        def send_handover(device_id: str, body: bytes) -> bytes:
            device = self.registry.inventory.get(device_id)
            try:
                return self._send_to_s1sp(device.s1sp if device else "", body, COMMISSIONING_PATH)
            except S1SPUnavailable as exc:
                raise Rejection("s1sp_unavailable", str(exc)) from None

        return commission(ma, self.commissioning_party, enrol, send_handover)

    def _send_to_s1sp(self, name: str, body: bytes, path: str = S1SP_PATH) -> bytes:
        """The DSP's link to an S1SP, over HTTP like the real interface."""
        try:
            deadline = time.time() + self.s1sp_timeout * DEADLINE_SHARE
            reply = self._s1sp_session.post(
                self.services[name].url + path,
                data=body,
                headers={"Content-Type": "application/xml", DEADLINE_HEADER: f"{deadline:.3f}"},
                timeout=self.s1sp_timeout,
            )
        except (requests.RequestException, KeyError) as exc:
            raise S1SPUnavailable(f"{name} did not answer: {exc}") from None
        if reply.status_code != 200:
            raise S1SPUnavailable(f"{name} answered HTTP {reply.status_code}: {reply.text.strip()}")
        return reply.content

    def start(self, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> dict[str, str]:
        """Start every service; port 0 (the default) picks a free one. Returns name → base URL.
        Beyond loopback the Control API must have a token: it can rewrite any meter's certificates."""
        if not is_loopback(host) and not self.control_token:
            raise InsecureBinding(f"listening on {host} needs a Control API token (--control-token)")
        ports = ports or {}
        for name, service in self.services.items():
            service.start(host, ports.get(name, 0))
        return self.urls()

    def urls(self) -> dict[str, str]:
        return {name: s.url for name, s in self.services.items()}

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        self._s1sp_session.close()
        self.store.close()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
