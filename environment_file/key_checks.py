"""The preflight check of an environment's key material: open every certificate and key the file names and
check each is what its use needs (the key matches its certificate, the certificate is of the SMKI role and
key use its use needs and names its organisation), so that the DCC refuses nothing for a reason the suite
could have seen before its first scenario. Separate from reading the file, because the sandbox creates the
key files it is started from after reading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from environment_file.keys import KeyMaterial, Unreadable, private_key
from environment_file.model import Environment, OrganisationEntry
from environment_file.problems import EnvironmentFileError
from smki.profile import KeyUse, RemotePartyRole


def _same_public_key(key: Any, cert: x509.Certificate) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)


def _check_material(entry: OrganisationEntry, use: str, material: KeyMaterial) -> list[str]:
    """One certificate (and key) of one organisation: readable, matching, and of the SMKI profile its use
    needs, so the DCC refuses nothing for a reason the suite could have seen before it started."""
    problems: list[str] = []
    where = material.origin
    try:
        cert = material.load_certificate()
    except EnvironmentFileError as exc:
        return [str(p) for p in exc.problems]
    if material.has_key:
        try:
            key = material.load_key()
        except EnvironmentFileError as exc:
            problems += [str(p) for p in exc.problems]
        else:
            if not _same_public_key(key, cert.certificate):
                problems.append(
                    f"{where}: the key does not match the certificate; give the key of this "
                    "certificate (or the certificate of this key)"
                )
    if cert.entity_id != entry.entity_id:
        problems.append(
            f"{where}.certificate: names {cert.entity_id}, not {entry.name}'s entity_id "
            f"{entry.entity_id}; give {entry.name}'s certificate, or correct entity_id"
        )
    if use == "xml_signing":
        wanted_role, wanted_use = RemotePartyRole.XML_SIGNING_USER, KeyUse.DS
    else:
        wanted_role = entry.certificate_role
        wanted_use = KeyUse.DS if use == "digital_signing" else KeyUse.KA
    if cert.role is not wanted_role:
        shown = cert.role.value if cert.role else "none"
        problems.append(
            f"{where}.certificate: its role (OU) is {shown}, not {wanted_role.value} "
            f"({wanted_role.name.replace('_', ' ').lower()}); give {entry.name}'s {use} certificate"
        )
    if cert.key_use is not wanted_use:
        problems.append(
            f"{where}.certificate: its key use is {cert.key_use or 'neither DS nor KA'}, not "
            f"{wanted_use.value}; give {entry.name}'s {use} certificate"
        )
    return problems


def _check_file_certificates(key: str, path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{key}: {path} cannot be read ({exc.strerror}); create it, or correct the path"
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        return f"{key}: {path} is not a PEM or DER certificate; give the certificate's file"
    return None


def check_key_material(env: Environment) -> list[str]:
    """Open every certificate and key the environment names and check each is what its use needs: the key
    matches its certificate, an XML-signing certificate is role 87 (OU=87), a Digital Signing certificate
    has the DS key use, each names its organisation's entity ID. One short problem per failure; an empty
    list means fine. This is the preflight check: run it before any scenario."""
    problems: list[str] = []
    for name, path in env.dcc_signers.items():
        problem = _check_file_certificates(f"dcc.signers.{name}", path)
        if problem:
            problems.append(problem)
    tls = env.dsp.tls
    if tls is not None:
        for name in ("ca_file", "client_certificate"):
            path = getattr(tls, name)
            problem = _check_file_certificates(f"dsp.tls.{name}", path) if path else None
            if problem:
                problems.append(problem)
        if tls.client_certificate and tls.client_key and not any(p.startswith("dsp.tls.") for p in problems):
            problems += _check_tls_pair(tls.client_certificate, tls.client_key)
    for entry in env.organisations:
        for use in ("xml_signing", "digital_signing", "key_agreement"):
            material = getattr(entry, use)
            if material is not None:
                problems += _check_material(entry, use, material)
    return problems


def _check_tls_pair(certificate: Path, key_path: Path) -> list[str]:
    try:
        data = key_path.read_bytes()
    except OSError as exc:
        return [f"dsp.tls.client_key: {key_path} cannot be read ({exc.strerror}); create it, or correct the path"]
    try:
        key = private_key(data, None)
    except Unreadable as exc:
        return [f"dsp.tls.client_key: {exc.what}; give an unencrypted PEM key (requests cannot ask for a password)"]
    pem = certificate.read_bytes()
    cert = x509.load_pem_x509_certificates(pem)[0] if b"-----BEGIN" in pem else x509.load_der_x509_certificate(pem)
    if not _same_public_key(key, cert):
        return ["dsp.tls.client_key: does not match dsp.tls.client_certificate; give the pair that belongs together"]
    return []
