"""Make the sandbox the environment an environment file describes (`serve --environment FILE`), so that
the suite can run against it as it would against a DCC test environment: with nothing but DUIS and the
interfaces the file declares.

What the file names but the sandbox must create, it creates at run time: each organisation's keys (where
the key file is missing; kept, so a second start reuses them) and certificates (re-issued at every start by
this sandbox's test SMKI), and the DCC systems' signing certificates the suite is to trust. Keys live only
where the file says (a git-ignored folder for the shipped files), never in the repository."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from duis.srv import UserRole
from environment_file import Environment, KeyMaterial, MeterEntry
from fake_services.core.records import Device, DeviceType, InstallStatus
from fake_services.devices.models import TrustAnchors
from fake_services.sandbox import Sandbox
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

log = logging.getLogger("fake_services")
HELD_ROLES = {"network_operator": "NetworkOperator", "supplier": "Supplier", "acb": "ACB"}


class ProvisioningError(ValueError):
    """The file asks for something the sandbox cannot be made into; the message says what."""


def _key(material: KeyMaterial, where: str) -> ec.EllipticCurvePrivateKey:
    """The key at the file's path, made now (and written, owner-only) when it is not there yet."""
    if material.key is None:
        raise ProvisioningError(f"{where}: the sandbox makes keys only at a `key` path (not from PKCS#12 or PKCS#11)")
    if material.key.exists():
        return material.load_key()
    key = ec.generate_private_key(ec.SECP256R1())
    material.key.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(material.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def _write(path: Path | None, cert: OrganisationCertificate, where: str) -> None:
    if path is None:
        raise ProvisioningError(f"{where}: the sandbox needs a `certificate` path to write the certificate to")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cert.pem())


def provision(sandbox: Sandbox, env: Environment) -> None:
    """Organisations (Users, keys, certificates, where the DCC delivers to them), the DCC's signing
    certificates, the meters (inventory, Registration Data, what each holds) and MP107's declared state."""
    _organisations(sandbox, env)
    _dcc_signers(sandbox, env)
    _meters(sandbox, env)
    sandbox.dsp.switch_mp107(env.change.dsp_switch)
    for name, s1sp in sandbox.s1sps.items():
        s1sp.enable_mp107(name in env.change.s1sps_enabled)


def _organisations(sandbox: Sandbox, env: Environment) -> None:
    authority = sandbox.smki.authority
    for n, org in enumerate(env.organisations):
        where = f"organisations[{n}] ({org.name})"
        if org.is_acb:  # the sandbox's own Access Control Broker, whatever the file calls it
            if org.entity_id != sandbox.acb[0].entity_id:
                raise ProvisioningError(
                    f"{where}.entity_id: the sandbox's Access Control Broker is {sandbox.acb[0].entity_id}; "
                    "give that entity ID"
                )
            for material, cert in ((org.digital_signing, sandbox.acb[0]), (org.key_agreement, sandbox.acb[1])):
                if material is not None:
                    _write(material.certificate, cert, where)
            continue
        slots = (
            (org.xml_signing, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS, "xml_signing"),
            (org.digital_signing, org.certificate_role, KeyUse.DS, "digital_signing"),
            (org.key_agreement, org.certificate_role, KeyUse.KA, "key_agreement"),
        )
        for material, role, use, slot in slots:
            if material is None:
                continue
            if material.key is None and material.certificate is not None:  # a KA certificate: its key stays here
                key = ec.generate_private_key(ec.SECP256R1())
            else:
                key = _key(material, f"{where}.{slot}")
            cert = authority.issue(key.public_key(), org.entity_id, role, use, org.name)
            sandbox.smki.publish(cert)
            _write(material.certificate, cert, f"{where}.{slot}")
        if org.dcc_user:
            sandbox.users.add(org.entity_id, org.name, UserRole(org.user_role))
            sandbox.deliveries.addresses.set(org.entity_id, env.receiver.url)


def _dcc_signers(sandbox: Sandbox, env: Environment) -> None:
    if env.certification_path is not None:
        env.certification_path.parent.mkdir(parents=True, exist_ok=True)
        env.certification_path.write_bytes(
            b"".join(ca.public_bytes(serialization.Encoding.PEM) for ca in sandbox.smki.issuing_cas)
        )
    own = {"DSP": sandbox.dsp_signer.certificate, **{n: s.signer.certificate for n, s in sandbox.s1sps.items()}}
    for name, path in env.dcc_signers.items():
        if name not in own:
            raise ProvisioningError(f"dcc.signers.{name}: the sandbox has no DCC system named {name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(own[name].pem())


def _certificates(env: Environment, name: str) -> list[OrganisationCertificate]:
    org = env.organisation(name)
    return [m.load_certificate() for m in (org.digital_signing, org.key_agreement) if m is not None]


def _meters(sandbox: Sandbox, env: Environment) -> None:
    registration, inventory = sandbox.registry.registration, sandbox.registry.inventory
    anchors = TrustAnchors(sandbox.store)
    with sandbox.store.transaction() as db:
        for meter in env.meters:
            _register(meter, env, registration, db)
            inventory.add(
                Device(
                    meter.device_id,
                    DeviceType(meter.device_type),
                    meter.smets,
                    meter.s1sp,
                    InstallStatus(meter.status),
                    meter.installation or meter.device_id,
                    meter.mpxn,
                ),
                db,
            )
            for role_key, role in HELD_ROLES.items():
                holder = env.holder(meter, role_key)
                if holder is None:
                    continue
                certificates = list(sandbox.acb) if env.organisation(holder).is_acb else _certificates(env, holder)
                for cert in certificates:
                    anchors.place(db, meter.device_id, role, cert)


def _register(meter: MeterEntry, env: Environment, registration, db) -> None:
    if not meter.mpxn or not meter.registered:
        return
    no = env.organisation(meter.registered["network_operator"]).entity_id
    supplier = env.organisation(meter.registered["supplier"]).entity_id
    if meter.device_type == "ESME":
        registration.register_mpan(meter.mpxn, no, supplier, db)
    else:
        registration.register_mprn(meter.mpxn, no, supplier, db)


def environment_ports(environment: Environment) -> dict[str, int]:
    """The ports an environment file gives the DSP and the interfaces it declares."""
    urls = {
        "DSP": environment.dsp.url,
        "MCC": environment.interfaces.migration_control_centre,
        "Meters": environment.interfaces.meter_events,
        "Control": environment.interfaces.control,
    }
    return {name: urlsplit(url).port or 0 for name, url in urls.items() if url}


def sandbox_for(env: Environment, **options: object) -> tuple[Sandbox, dict[str, int]]:
    """The sandbox an environment file describes, provisioned, its Control API off unless the file declares
    one, and the ports to start it on (`serve --environment FILE --no-control` in one call)."""
    sandbox = Sandbox(**options)  # type: ignore[arg-type]
    provision(sandbox, env)
    if env.interfaces.control is None:
        sandbox.services.pop("Control")
    return sandbox, environment_ports(env)
