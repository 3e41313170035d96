"""The whole sandbox, wired: one store, the test SMKI, the DSP, three S1SPs, enrolment and the Control
API, each service on its own loopback port. Started once per test run; `reset` between scenarios is
one transaction. This module only wires; every rule lives with its service."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import replace

from fake_services.control.urls import (
    clock_routes,
    control_app,
    delivery_routes,
    fault_routes,
    installation_routes,
    observation_routes,
    party_routes,
    switch_routes,
)
from fake_services.core import boxed_pki
from fake_services.core.clock import Clock
from fake_services.core.faults import Faults
from fake_services.core.identity import Identities
from fake_services.core.parties import SMKIRepository, Users, sandbox_smki
from fake_services.core.placement import claim_a_cpu, let_go
from fake_services.core.rules import DeviationError
from fake_services.core.s1sp_link import S1SPLink
from fake_services.core.signer import ServiceSigner
from fake_services.core.store import Store
from fake_services.delivery.models import Deliveries
from fake_services.deviations import WRONG, switch_off, switch_on
from fake_services.devices.models import AlertLog
from fake_services.dsp.models import DSP, ROUTING_THREADS, TransformLimits
from fake_services.dsp.urls import dsp_app
from fake_services.enrolment.models import DCCCommissioningParty, Enrolment, MigrationControlCentre
from fake_services.enrolment.urls import mcc_app
from fake_services.meter_events.models import MeterEvents
from fake_services.meter_events.urls import meter_events_app
from fake_services.registration.models import RegistrationData, Registry, SmartMeteringInventory
from fake_services.s1sp.models import S1SP
from fake_services.s1sp.urls import COMMISSIONING_PATH, S1SP_PATH, s1sp_app
from serving.local_access import LocalAccess, local_token
from serving.loopback import is_loopback_host
from serving.server import ServerSettings, Service
from serving.web import App
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

DSP_ENTITY_ID = "90-B3-D5-1F-30-00-00-02"
ACB_ENTITY_ID = "90-B3-D5-1F-30-00-00-04"
COMMISSIONING_PARTY_ENTITY_ID = "90-B3-D5-1F-30-00-00-05"
S1SP_NAMES = ("S1SP1", "S1SP2", "S1SP3")
S1SP_TIMEOUT_SECONDS = 10.0

log = logging.getLogger("fake_services")


class InsecureBinding(ValueError):
    """Asked to listen beyond loopback without a token of the operator's own for the local JSON ports."""


class Sandbox:
    """Everything the acceptance suite drives, wired together."""

    def __init__(
        self,
        database: str = ":memory:",
        s1sp_timeout: float = S1SP_TIMEOUT_SECONDS,
        control_token: str | None = None,
        client_timeout: float = ServerSettings.client_timeout,
        pki: str = "test",
        pki_date: dt.datetime | None = None,
        transform_limits: TransformLimits | None = None,
        deviation: str | None = None,
    ) -> None:
        """`pki` "dcc-boxed" also trusts DCC Boxed's PKI (its test Users, signing as its DSP): see
        `fake_services.core.boxed_pki`; its certificates are judged as of `pki_date` (default BOXED_PKI_DATE).
        `transform_limits`: how long and how many issued Pre-Commands await their CV 5 (default 1 h, 32 a User).
        `deviation`: while it runs, the sandbox is a DCC that built one rule wrong, as `catalogue.deviations`
        names it (for proving the suite catches it: `make strength`)."""
        if deviation is not None and deviation not in WRONG:
            raise DeviationError(f"no deviation named {deviation!r}; the catalogue has: {', '.join(sorted(WRONG))}")
        self.deviation = deviation
        self.control_token = control_token or local_token()
        """The token of the Control, MCC and Meters ports: the one given, else this checkout's own
        (`.sandbox/control-token`, made at random the first time), which the suite's clients read too."""
        self._token_given = bool(control_token)
        self.local_access = LocalAccess(self.control_token)
        self._ticking = threading.Event()
        self._ticker: threading.Thread | None = None
        self._placed = False
        self.cpu: int | None = None
        """The CPU the process is kept on while this sandbox runs (None: wherever the system puts it)."""
        self.store = Store(database)
        self.identities = Identities(self.store)
        self.smki = SMKIRepository(self.store, sandbox_smki(self.identities))
        self.users = Users(self.store)
        self.registry = Registry(RegistrationData(self.store), SmartMeteringInventory(self.store))
        self.alerts = AlertLog(self.store)
        self.faults = Faults(self.store)
        self.clock = Clock(self.store)
        if pki not in ("test", "dcc-boxed"):
            raise ValueError(f"the PKI is 'test' or 'dcc-boxed', not {pki!r}")
        self.boxed = boxed_pki.trust_dcc_boxed(self.smki, self.users, pki_date) if pki == "dcc-boxed" else None
        self.dsp_signer = boxed_pki.dsp_signer(self.boxed) if self.boxed else self._signer(DSP_ENTITY_ID, "DSP")
        self.deliveries = Deliveries(self.store, self.dsp_signer, retry_initial=0.1, retry_max=5.0)
        dcc_systems = {"service": DSP_ENTITY_ID, "commissioning": COMMISSIONING_PARTY_ENTITY_ID}
        self.s1sps = {
            name: S1SP(
                name,
                self.store,
                self.users,
                self.smki,
                self.registry,
                self._signer(f"90-B3-D5-1F-30-00-01-{i:02X}", name),
                dcc_systems,
                self.clock,
                self.deliveries.enqueue,
            )
            for i, name in enumerate(S1SP_NAMES, start=1)
        }
        self.acb = boxed_pki.access_control_broker(self.boxed) if self.boxed else self._own_acb()
        self.s1sp_link = S1SPLink(lambda name: self.services[name].url, s1sp_timeout)
        self.dsp = DSP(
            self.store,
            self.users,
            self.smki,
            self.registry,
            self.dsp_signer,
            lambda name, body: self.s1sp_link.send(name, body, S1SP_PATH),
            self.deliveries.enqueue,
            self.clock,
            transform_limits,
        )
        self.mcc = MigrationControlCentre(self.store, self.registry, self.smki)
        self.commissioning_party = DCCCommissioningParty(
            self.smki, self._signer(COMMISSIONING_PARTY_ENTITY_ID, "DCC Commissioning Party")
        )
        self.enrolment = Enrolment(
            self.mcc,
            self.commissioning_party,
            self.s1sps,
            self.acb,
            lambda name, body: self.s1sp_link.send(name, body, COMMISSIONING_PATH).body,
        )
        settings = ServerSettings(client_timeout=client_timeout)
        self.services = {
            "DSP": Service("DSP", dsp_app(self.dsp, self.dsp_signer), settings),
            # an S1SP takes as many requests at once as the DSP routes (a slow S1SP holds a thread each)
            **{
                name: Service(name, s1sp_app(s1sp, self.faults), replace(settings, threads=ROUTING_THREADS))
                for name, s1sp in self.s1sps.items()
            },
            "Control": Service("Control", self._control_app(), settings),
            "MCC": Service("MCC", mcc_app(self.mcc, self.enrolment, self.local_access), settings),
            "Meters": Service(
                "Meters",
                meter_events_app(MeterEvents(self.registry.inventory, self.s1sps, self.alerts), self.local_access),
                settings,
            ),
        }

    def _signer(
        self,
        entity_id: str,
        name: str,
        role: RemotePartyRole = RemotePartyRole.XML_SIGNING_DCC,
        key_use: KeyUse = KeyUse.DS,
    ) -> ServiceSigner:
        return ServiceSigner.issue(self.smki, self.identities, entity_id, name, role, key_use)

    def _own_acb(self) -> tuple[OrganisationCertificate, OrganisationCertificate]:
        """The sandbox's Access Control Broker certificates (DS, KA), made once per sandbox database."""
        ds, ka = (
            self._signer(ACB_ENTITY_ID, "Access Control Broker", RemotePartyRole.ACCESS_CONTROL_BROKER, use).certificate
            for use in (KeyUse.DS, KeyUse.KA)
        )
        return ds, ka

    def run_due(self) -> int:
        """Every S1SP applies the future-dated commands the sandbox's clock has reached."""
        return sum(s1sp.run_due() for s1sp in self.s1sps.values())

    def _control_app(self) -> App:
        def states() -> dict[str, object]:
            return {
                "dsp_mp107": self.dsp.mp107_switch,
                "s1sp_mp107": {name: s.mp107_enabled for name, s in self.s1sps.items()},
            }

        return control_app(
            self.local_access,
            observation_routes(self.store, self.alerts, self.urls),
            party_routes(
                self.users,
                self.smki,
                self.acb,
                {"DSP": self.dsp_signer.certificate, **{n: s.signer.certificate for n, s in self.s1sps.items()}},
            ),
            installation_routes(self.store, self.registry, self.users, tuple(self.s1sps)),
            switch_routes(self.dsp.switch_mp107, {name: s.enable_mp107 for name, s in self.s1sps.items()}, states),
            fault_routes(self.faults, self.s1sps),
            delivery_routes(self.deliveries.addresses, self.deliveries),
            clock_routes(self.clock, self.run_due),
        )

    def start(self, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> dict[str, str]:
        """Start every service; port 0 (the default) picks a free one. Returns name → base URL.
        Beyond loopback the local JSON ports must have a token given by the operator (the Control API can
        rewrite any meter's certificates), and answer any Host: they are reached by other names on purpose."""
        if not is_loopback_host(host) and not self._token_given:
            raise InsecureBinding(f"listening on {host} needs a Control API token (--control-token)")
        self.local_access.any_host = not is_loopback_host(host)
        ports = ports or {}
        if self.deviation is not None:  # after provisioning: the sandbox is set up right, then deviates
            switch_on(self.deviation)
        if not self._placed:  # before any of its threads start: on one CPU no other sandbox holds (core.placement)
            self.cpu = claim_a_cpu()
            self._placed = True
        try:
            for name, service in self.services.items():
                service.start(host, ports.get(name, 0))
        except BaseException:  # a port already taken: the process runs anywhere again, as before the start
            self._placed = False
            let_go()
            raise
        self.deliveries.start()
        self.dsp.start()
        self._ticking.clear()
        self._ticker = threading.Thread(target=self._tick, name="future-dated commands", daemon=True)
        self._ticker.start()
        return self.urls()

    def _tick(self) -> None:
        """Real time passes too: due future-dated commands run within a second without anyone moving the clock."""
        while not self._ticking.wait(1.0):
            try:
                self.run_due()
            except Exception:  # the store may be closing; the next tick tries again
                log.debug("future-dated tick failed", exc_info=True)

    def urls(self) -> dict[str, str]:
        return {name: s.url for name, s in self.services.items()}

    def stop(self) -> None:
        self._ticking.set()
        self.dsp.stop()
        for service in self.services.values():
            service.stop()
        self.deliveries.close()
        self.s1sp_link.close()
        self.store.close()
        if self.deviation is not None:
            switch_off()
        if self._placed:
            self._placed = False
            let_go()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
