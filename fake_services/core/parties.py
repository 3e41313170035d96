"""Users (who may send Service Requests, in which User Role) and the SMKI Repository (every
Organisation certificate the test SMKI has issued, found by issuer and serial): the parties every service
asks about."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from duis.srv import UserRole
from fake_services.core.identity import Identities
from fake_services.core.records import User, valid_eui64
from fake_services.core.state import CertificateTable, UserTable
from fake_services.core.store import Store
from smki.authority import TestSMKI
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from smki.validation import CertificateRejected, validate_organisation_certificate


class Users:
    """The DCC's register of Users and their User Roles (one User ID per role)."""

    def __init__(self, store: Store) -> None:
        self.table = UserTable(store)

    def add(self, entity_id: str, name: str, user_role: UserRole) -> User:
        user = User(valid_eui64(entity_id), name, user_role)
        self.table.put(user.entity_id, name, user_role.value)
        return user

    def get(self, entity_id: str) -> User | None:
        row = self.table.get(entity_id)
        return User(row["entity_id"], row["name"], UserRole(row["user_role"])) if row else None

    def name_of(self, entity_id: str) -> str:
        user = self.get(entity_id)
        return user.name if user else entity_id


@dataclass(frozen=True)
class TrustAnchor:
    """A PKI the sandbox trusts: its issuing CAs, the root they chain to (None: the CAs are the anchors
    themselves) and the instant its certificates are judged at (None: now)."""

    name: str
    issuing_cas: tuple[x509.Certificate, ...]
    root: x509.Certificate | None
    as_of: dt.datetime | None = None
    pinned: frozenset[bytes] = frozenset()
    """Certificates trusted as themselves (DER), not by a chain: DCC Boxed's XML-signing certificates,
    which no published CA issued and which DCC's own tool looks up by serial number."""


def check_pinned(cert: OrganisationCertificate, key_use: KeyUse | None, at: dt.datetime | None) -> None:
    """A pinned certificate is trusted as itself; its dates and key use still count."""
    moment = at or dt.datetime.now(dt.UTC)
    c = cert.certificate
    if not c.not_valid_before_utc <= moment <= c.not_valid_after_utc:
        raise CertificateRejected(f"certificate {c.serial_number:X} is not valid at {moment:%Y-%m-%dT%H:%M:%SZ}")
    if key_use is not None and cert.key_use is not key_use:
        raise CertificateRejected(f"certificate key usage is {cert.key_use or 'unsuitable'}, {key_use.value} required")


class SMKIRepository:
    """The certificates the sandbox knows, found by issuer and serial, and the PKIs it trusts: always its
    own test SMKI (which issues every certificate made at run time), and DCC Boxed's when asked."""

    def __init__(self, store: Store, authority: TestSMKI) -> None:
        self.certificates = CertificateTable(store)
        self.authority = authority
        self.anchors: list[TrustAnchor] = [TrustAnchor("test SMKI", (authority.issuing_ca,), authority.root)]

    def trust(self, anchor: TrustAnchor) -> None:
        self.anchors.append(anchor)

    def validate(
        self,
        cert: OrganisationCertificate,
        key_use: KeyUse | None = None,
        path: Sequence[x509.Certificate] | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Raise CertificateRejected unless `cert` chains to a trusted PKI, valid at that PKI's instant (or
        `at`, when given), with the SMKI policy and the key use. Given a Certification Path (a replacement
        certificate's), the issuer must come from it and reach the PKI's root (or, for a PKI whose CAs are
        its anchors, be one of them); else the PKI's own issuing CAs are used."""
        reasons = []
        for anchor in self.anchors:
            moment = at or anchor.as_of
            if anchor.pinned and cert.der() in anchor.pinned:
                return check_pinned(cert, key_use, moment)
            if path is None:
                cas = list(anchor.issuing_cas)
            elif anchor.root is not None:
                cas = list(path)
            else:
                cas = [ca for ca in path if ca in anchor.issuing_cas]
            try:
                validate_organisation_certificate(cert, cas, anchor.root, key_use, moment)
                return
            except CertificateRejected as exc:
                reasons.append(str(exc))
        raise CertificateRejected(reasons[0] if len(reasons) == 1 else "; ".join(dict.fromkeys(reasons)))

    @property
    def root(self) -> x509.Certificate:
        return self.authority.root

    @property
    def issuing_cas(self) -> list[x509.Certificate]:
        return [self.authority.issuing_ca]

    def publish(self, cert: OrganisationCertificate) -> None:
        self.certificates.put(
            cert.certificate.issuer.rfc4514_string(),
            str(cert.serial),
            cert.entity_id,
            cert.role.value if cert.role else None,
            cert.key_use.value if cert.key_use else None,
            cert.pem(),
        )

    def organisation_certificates(self, entity_id: str, role: RemotePartyRole) -> dict[KeyUse, OrganisationCertificate]:
        """The newest DS and KA certificates the SMKI has issued to `entity_id` in `role` that are
        valid now (an expired certificate is never offered for a trust anchor)."""
        found = {}
        now = dt.datetime.now(dt.UTC)
        for pem in self.certificates.issued_to(entity_id, role.value):
            cert = OrganisationCertificate.from_pem(pem)
            valid = cert.certificate.not_valid_before_utc <= now <= cert.certificate.not_valid_after_utc
            if cert.key_use is not None and valid:
                found[cert.key_use] = cert
        return found

    def find(self, issuer: str, serial: int) -> OrganisationCertificate | None:
        """The certificate an XML signature names by X509IssuerName and serial. The name is compared
        as a Distinguished Name, not as text: `CN=Z1, OU=07` (as in DCC's sample requests) is `CN=Z1,OU=07`."""
        pem = self.certificates.find(_distinguished_name(issuer), str(serial))
        return OrganisationCertificate.from_pem(pem) if pem else None


def sandbox_smki(identities: Identities) -> TestSMKI:
    """The test SMKI this store was made with, or a new one (its keys made once per sandbox database)."""
    root, ca = identities.load("smki-root"), identities.load("smki-issuing-ca")
    if root and ca:
        return TestSMKI.restore(root, ca)
    smki = TestSMKI()
    for name, pair in smki.keys.items():
        identities.save(name, pair)
    return smki


def _distinguished_name(text: str) -> str:
    """An RFC 4514 name as `rfc4514_string()` writes it: no blanks around `,` and `=`, attribute
    types upper-case. Escaped commas stay inside their value."""
    parts = re.split(r"(?<!\\),", text)
    attributes = []
    for part in parts:
        kind, sep, value = part.partition("=")
        attributes.append(f"{kind.strip().upper()}{sep}{value.strip()}" if sep else part.strip())
    return ",".join(attributes)
