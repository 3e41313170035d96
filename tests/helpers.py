"""Builders the fake-service tests share: an installation seeded the way enrolment leaves it."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from duis.messages import RequestID, ServiceRequest
from duis.srv import SERVICE_REQUEST_VARIANTS, ServiceReferenceVariant, UserRole
from fake_services.sandbox import S1SP_NAMES
from support import test_data
from support.control_client import ControlClient
from support.duis_client import DUISClient, Exchange
from support.organisations import Organisation


@dataclass
class Cast:
    """The organisations every test can use."""

    western: Organisation  # Electricity Distributor, registered for the meter
    eastern: Organisation  # Electricity Distributor whose certificate is wrongly held
    northern: Organisation  # a third Electricity Distributor
    gas_transporter: Organisation
    other_gas_transporter: Organisation
    supplier: Organisation  # Import Supplier
    gas_supplier: Organisation
    other_user: Organisation
    acb: Organisation


def enrol_cast(control: ControlClient) -> Cast:
    """Enrol the cast in the sandbox behind `control` (keys made here, certified by its test SMKI)."""

    def org(name: str, role: UserRole) -> Organisation:
        return Organisation(name, role, test_data.entity_id()).enrol(control)

    return Cast(
        western=org("Western Power", UserRole.ELECTRICITY_DISTRIBUTOR),
        eastern=org("Eastern Networks", UserRole.ELECTRICITY_DISTRIBUTOR),
        northern=org("Northern Grid", UserRole.ELECTRICITY_DISTRIBUTOR),
        gas_transporter=org("Cadent Gas", UserRole.GAS_TRANSPORTER),
        other_gas_transporter=org("Wales Gas", UserRole.GAS_TRANSPORTER),
        supplier=org("Bright Energy", UserRole.IMPORT_SUPPLIER),
        gas_supplier=org("Flame Gas Supply", UserRole.GAS_SUPPLIER),
        other_user=org("Meter Insights", UserRole.OTHER_USER),
        acb=_acb(control),
    )


def _acb(control: ControlClient) -> Organisation:
    """The ACB holds certificates in role 04; it is not a DUIS User."""
    acb = Organisation("Access Control Broker", UserRole.OTHER_USER, test_data.entity_id())
    acb.ds_pem = control.issue_certificate(acb.ds_key.public_key(), acb.entity_id, "04", "DS", acb.name)
    acb.ka_pem = control.issue_certificate(acb.ka_key.public_key(), acb.entity_id, "04", "KA", acb.name)
    return acb


@dataclass
class Installation:
    esme: str
    gsme: str
    chf: str
    gpf: str
    mpan: str
    mprn: str


def seed_installation(
    control: ControlClient,
    *,
    distributor: Organisation,
    supplier: Organisation,
    gas_transporter: Organisation,
    gas_supplier: Organisation,
    acb: Organisation,
    no_certificate_holder: Organisation | None = None,
    smets: int = 1,
    s1sp: str = "S1SP1",
    gas_no_holder: Organisation | None = None,
) -> Installation:
    """A SMETS1 (or 2) installation: ESME, GSME, CHF, GPF; registration; trust anchors as enrolled."""
    inst = Installation(
        test_data.device_id(),
        test_data.device_id(),
        test_data.device_id(),
        test_data.device_id(),
        test_data.mpan_core(),
        test_data.mprn(),
    )
    control.register_mpan(inst.mpan, distributor.entity_id, supplier.entity_id)
    control.register_mprn(inst.mprn, gas_transporter.entity_id, gas_supplier.entity_id)
    server = s1sp if smets == 1 else None
    group = inst.chf
    control.add_device(
        device_id=inst.esme, device_type="ESME", smets=smets, s1sp=server, installation=group, mpxn=inst.mpan
    )
    control.add_device(
        device_id=inst.gsme, device_type="GSME", smets=smets, s1sp=server, installation=group, mpxn=inst.mprn
    )
    control.add_device(device_id=inst.chf, device_type="CHF", smets=smets, s1sp=server, installation=group)
    control.add_device(device_id=inst.gpf, device_type="GPF", smets=smets, s1sp=server, installation=group)
    holder = no_certificate_holder or distributor
    control.place_trust_anchor(inst.esme, "NetworkOperator", holder.ds_pem, holder.ka_pem)
    control.place_trust_anchor(inst.esme, "Supplier", supplier.ds_pem, supplier.ka_pem)
    control.place_trust_anchor(inst.esme, "ACB", acb.ds_pem, acb.ka_pem)
    gas_holder = gas_no_holder or gas_transporter
    control.place_trust_anchor(inst.gsme, "NetworkOperator", gas_holder.ds_pem, gas_holder.ka_pem)
    control.place_trust_anchor(inst.gsme, "Supplier", gas_supplier.ds_pem, gas_supplier.ka_pem)
    control.place_trust_anchor(inst.gsme, "ACB", acb.ds_pem, acb.ka_pem)
    return inst


def ca_der(control: ControlClient) -> bytes:
    return control.issuing_ca_der


def krp_request(
    duis: DUISClient,
    control: ControlClient,
    sender: Organisation,
    device_id: str,
    replacement: Organisation,
    role: str = "NetworkOperator",
    **overrides,
) -> ServiceRequest:
    """SRV 6.15.1 from `sender` placing `replacement`'s certificates in `role` on the device (unsent)."""
    fields = replacement.as_replacement(role, ca_der(control)) | overrides
    return ServiceRequest(
        RequestID(sender.entity_id, device_id, duis.counters.next(sender.entity_id)),
        SERVICE_REQUEST_VARIANTS["6.15.1"],
        **fields,
    )


def krp_update(
    duis: DUISClient,
    control: ControlClient,
    sender: Organisation,
    device_id: str,
    replacement: Organisation,
    role: str = "NetworkOperator",
) -> Exchange:
    """SRV 6.15.1 from `sender` placing `replacement`'s certificates in `role` on the device."""
    return duis.send(krp_request(duis, control, sender, device_id, replacement, role), sender.identity)


def request_to(
    duis: DUISClient, sender: Organisation, device_id: str, srv: ServiceReferenceVariant, **body
) -> ServiceRequest:
    """A request from `sender` to the device with the sender's next counter (unsent)."""
    return ServiceRequest(RequestID(sender.entity_id, device_id, duis.counters.next(sender.entity_id)), srv, **body)


def simple_request(
    duis: DUISClient, sender: Organisation, device_id: str, srv: ServiceReferenceVariant, **body
) -> Exchange:
    return duis.send(request_to(duis, sender, device_id, srv, **body), sender.identity)


def enable_mp107(control: ControlClient, s1sps: tuple[str, ...] = S1SP_NAMES) -> None:
    """The DSP feature switch on, and each named S1SP's own enablement (PIA 3.2)."""
    control.set_dsp_mp107(True)
    for name in s1sps:
        control.set_s1sp_mp107(name, True)


def holder_of(control: ControlClient, device_id: str, role: str = "NetworkOperator", key_use: str = "DS") -> str:
    return next(
        a["entity_id"] for a in control.trust_anchors(device_id) if a["role"] == role and a["key_use"] == key_use
    )


def standard_installation(control: ControlClient, cast, **overrides) -> Installation:
    """A SMETS1 installation on S1SP1 as enrolment leaves it: the cast's registered parties hold the
    certificates (Western Power registered and holding the Network Operator certificate)."""
    parties = dict(
        distributor=cast.western,
        supplier=cast.supplier,
        gas_transporter=cast.gas_transporter,
        gas_supplier=cast.gas_supplier,
        acb=cast.acb,
    )
    parties.update(overrides)
    return seed_installation(control, **parties)


# --- the sandbox as its own process (`python -m fake_services serve`) ------------------------------

SERVICE_LINE = re.compile(r"^(?P<name>\S+) (?P<url>https?://\S+)$")
SANDBOX_SERVICES = ("DSP", *S1SP_NAMES, "Control")


@dataclass
class SandboxProcess:
    """A standalone sandbox: its process and the base URL of each service it printed."""

    process: subprocess.Popen
    urls: dict[str, str]

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or a pulled plug."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def terminate(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=10)
        self.process.stdout.close()
        return code


def start_sandbox_process(*args: str, stderr=subprocess.DEVNULL, env: dict | None = None, timeout: float = 20):
    """Start `python -m fake_services serve ARGS` and read its `NAME URL` lines. Returns a
    SandboxProcess, or the finished Popen if the command exited instead of serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_services", "serve", *args],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:  # a thread, so a line already buffered is never missed
        for _ in SANDBOX_SERVICES:
            line = process.stdout.readline()
            lines.put(line.rstrip("\n") if line else None)
            if not line:
                return

    threading.Thread(target=reader, daemon=True).start()
    urls: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(urls) < len(SANDBOX_SERVICES):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise TimeoutError(f"the sandbox printed {urls} in {timeout} s") from None
        if line is None:
            process.wait(timeout=10)
            return process
        match = SERVICE_LINE.match(line)
        if not match:
            process.kill()
            raise AssertionError(f"not 'NAME URL': {line!r}")
        urls[match["name"]] = match["url"]
    return SandboxProcess(process, urls)
