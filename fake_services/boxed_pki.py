"""DCC Boxed's PKI, for `serve --pki dcc-boxed`: the sandbox trusts the ZAZ1 certificates of DCC Boxed's
keystore, knows its test Users in their User Roles, and signs as Boxed's DSP, so that requests made from
DCC's templates and signed by DCC's own tool (with its built-in keys) are accepted, and DCC's tool
validates everything the sandbox sends back.

Everything is read at run time from DCC's npm packages, never committed:
- `@smartdcc/dccboxed-keystore` (`keystore.json`): certificates and keys by EUI-64 and role;
- `@smartdcc/duis-templates`: the Z1 Organisation CA certificate, from the Certification Path DCC's 6.15.1
  templates carry (Boxed's root ZA is not published, so Z1 itself is the trust anchor).

Boxed's Organisation certificates (Supplier, Network Operator, ACB ...) chain to that Z1; its XML-signing
certificates (roles 135 and 137) chain to no published CA, so they are trusted as themselves (pinned).
The Organisation certificates expired in 2025–26; its
XML-signing certificates run to 2118. The sandbox judges Boxed's certificates as of BOXED_PKI_DATE, an
instant at which every certificate the critical flow uses was valid (override with `--pki-date`); the
sandbox's own systems (S1SPs, Commissioning Party) keep their run-time certificates, judged as of now.
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

from duis.srv import UserRole
from smki.profile import OrganisationCertificate, RemotePartyRole

log = logging.getLogger("fake_services")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEYSTORE = Path("node_modules/@smartdcc/dccboxed-keystore/keystore.json")
TEMPLATES = Path("node_modules/@smartdcc/duis-templates/templates")
CA_TEMPLATE = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
BOXED_PKI_DATE = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
"""Within the validity of every Boxed certificate the flow uses (the Z1 Supplier / NO / ACB certificates end
2025-10-29, the replacement certificates in DCC's templates start 2025-09-01)."""

XML_SIGN, DSP_XML_SIGN = 135, 137
XML_SIGNING_ROLES = frozenset({XML_SIGN, DSP_XML_SIGN})
"""Boxed's XML-signing certificates chain to no published CA: the sandbox trusts them as themselves, as
DCC's tool does (it finds them by serial number)."""
# Boxed's test Users (keystore.json) and the User Role the sandbox gives each: its Supplier acts as the
# Import Supplier, its Network Operator as the Electricity Distributor of DCC's templates' meter.
BOXED_USERS = {
    "90-B3-D5-1F-30-01-00-00": ("GITTESTSUPPLIER (DCC Boxed)", UserRole.IMPORT_SUPPLIER),
    "90-B3-D5-1F-30-02-00-00": ("Network Operator (DCC Boxed)", UserRole.ELECTRICITY_DISTRIBUTOR),
    "00-DB-12-34-56-78-00-04": ("Other User (DCC Boxed)", UserRole.OTHER_USER),
}
DSP_ENTITY_ID = "90-B3-D5-1F-30-00-00-02"


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
