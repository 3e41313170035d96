"""DCC Boxed's published test PKI, read at run time from DCC's npm packages (never committed): the ZAZ1
certificates and keys of `@smartdcc/dccboxed-keystore` (`keystore.json`, by EUI-64 and role) and the Z1
Organisation CA that DCC's DUIS templates (`@smartdcc/duis-templates`) carry in their Certification Path
(Boxed's root ZA is not published, so Z1 itself is the trust anchor).

Both the sandbox (`serve --pki dcc-boxed`, `fake_services.core.boxed_pki`) and the suite (the keys a DCC Boxed
environment file names, `support.environments.boxed_keys`) read it here.

Boxed's Organisation certificates expired in 2025-26; its XML-signing certificates run to 2118.
BOXED_PKI_DATE is an instant at which every certificate the critical flow uses was valid.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from smki.profile import OrganisationCertificate, RemotePartyRole

log = logging.getLogger("smki")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEYSTORE = Path("node_modules/@smartdcc/dccboxed-keystore/keystore.json")
TEMPLATES = Path("node_modules/@smartdcc/duis-templates/templates")
CA_TEMPLATE = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
BOXED_PKI_DATE = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
"""Within the validity of every Boxed certificate the flow uses (the Z1 Supplier / NO / ACB certificates end
2025-10-29, the replacement certificates in DCC's templates start 2025-09-01)."""

XML_SIGN, DSP_XML_SIGN = 135, 137
XML_SIGNING_ROLES = frozenset({XML_SIGN, DSP_XML_SIGN})
"""Boxed's XML-signing certificates chain to no published CA: they are trusted as themselves, as DCC's tool
does (it finds them by serial number)."""
DSP_ENTITY_ID = "90-B3-D5-1F-30-00-00-02"
"""Boxed's DSP, which shares its EUI-64 with its Access Control Broker."""
class BoxedPKIUnavailable(RuntimeError):
    """DCC's npm packages are not installed, or do not hold what the sandbox needs."""


@dataclass(frozen=True)
class Entry:
    """One keystore entry: a certificate, its key when Boxed publishes it, its name and keystore role."""

    name: str
    role: int
    certificate: OrganisationCertificate
    key: ec.EllipticCurvePrivateKey | None

    def __repr__(self) -> str:  # never show the key
        return f"Entry({self.name}, role {self.role})"


@dataclass(frozen=True)
class BoxedPKI:
    issuing_ca: x509.Certificate
    entries: tuple[Entry, ...]
    as_of: dt.datetime

    def named(self, name: str) -> Entry:
        try:
            return next(e for e in self.entries if e.name == name)
        except StopIteration:
            raise BoxedPKIUnavailable(f"DCC Boxed's keystore has no entry {name!r}") from None

    @property
    def dsp(self) -> Entry:
        """Boxed's DSP XML-signing identity (role 137, OU=89): what DCC's tool validates responses with."""
        return next(e for e in self.entries if e.role == DSP_XML_SIGN and e.key is not None)

    def organisation(self, entity_id: str, role: RemotePartyRole) -> list[Entry]:
        """Boxed's certificates for one organisation in one Remote Party Role, valid as of the PKI date."""
        return [
            e
            for e in self.entries
            if e.certificate.entity_id == entity_id
            and e.certificate.role is role
            and _valid_at(e.certificate, self.as_of)
        ]


def _valid_at(cert: OrganisationCertificate, moment: dt.datetime) -> bool:
    return cert.certificate.not_valid_before_utc <= moment <= cert.certificate.not_valid_after_utc


def _npm_file(relative: Path, env: str) -> Path:
    override = os.environ.get(env)
    for path in ([Path(override)] if override else []) + [PROJECT_ROOT / relative, Path.cwd() / relative]:
        if path.exists():
            return path
    raise BoxedPKIUnavailable(f"{relative} is not installed: run `npm ci` in the project folder (or set {env})")


def _issuing_ca() -> x509.Certificate:
    """Boxed's Z1 Organisation CA, as DCC's templates carry it in their Certification Path."""
    template = _npm_file(TEMPLATES, "DUIS_TEMPLATES_DIR") / CA_TEMPLATE
    root = etree.parse(str(template)).getroot()
    text = root.findtext(".//{*}CertificationPathCertificates/{*}Certificate")
    if not text:
        raise BoxedPKIUnavailable(f"{template} carries no Certification Path certificate")
    return x509.load_der_x509_certificate(base64.b64decode(text))


def load(as_of: dt.datetime = BOXED_PKI_DATE) -> BoxedPKI:
    """Read DCC Boxed's keystore (skipping, with a warning, any certificate this sandbox cannot read)."""
    keystore = json.loads(_npm_file(KEYSTORE, "DCCBOXED_KEYSTORE").read_text())
    entries = []
    for uses in keystore.values():
        for certs in uses.values():
            for serial, item in certs.items():
                try:
                    cert = OrganisationCertificate.from_pem(item["certificate"])
                except ValueError as exc:
                    log.warning("DCC Boxed keystore entry %s (%s) is skipped: %s", item.get("name"), serial, exc)
                    continue
                key = None
                if item.get("privateKey"):
                    loaded = serialization.load_pem_private_key(item["privateKey"].encode(), password=None)
                    key = loaded if isinstance(loaded, ec.EllipticCurvePrivateKey) else None
                entries.append(Entry(item.get("name", serial), int(item.get("role", -1)), cert, key))
    return BoxedPKI(_issuing_ca(), tuple(entries), as_of)
