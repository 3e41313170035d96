"""Certification path validation of an Organisation certificate, as a relying party does it."""

from __future__ import annotations

import datetime as dt
import functools

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from smki.profile import POLICY_OID, KeyUse, OrganisationCertificate


class CertificateRejected(Exception):
    """The certificate does not chain to the trusted root, is out of date or is used wrongly."""


@functools.lru_cache(maxsize=4096)
def directly_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    """Raise unless `issuer`'s key signed `cert` (and the names chain). The answer depends on nothing but the
    two certificates (a certificate is equal to another, and hashes, by its DER), so a pair that verified is
    not verified again: a relying party checking the same sender's certificate on every request does the
    signature arithmetic once. A pair that fails raises every time (exceptions are not cached)."""
    cert.verify_directly_issued_by(issuer)


def validate_organisation_certificate(
    cert: OrganisationCertificate,
    issuing_cas: list[x509.Certificate],
    root: x509.Certificate | None,
    key_use: KeyUse | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Raise CertificateRejected unless `cert` is issued by a CA that chains to `root`,
    is valid at `at`, carries the SMKI policy and (if given) has the expected key use. With no `root`
    the issuing CAs themselves are the trust anchors (DCC Boxed: its Z1 CA is public, its root is not)."""
    at = at or dt.datetime.now(dt.UTC)
    c = cert.certificate
    issuer = next((ca for ca in issuing_cas if ca.subject == c.issuer), None)
    if issuer is None:
        raise CertificateRejected(f"issuer {c.issuer.rfc4514_string()} is not a known SMKI CA")
    try:
        directly_issued_by(c, issuer)
        if root is not None:
            directly_issued_by(issuer, root)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise CertificateRejected("certificate does not chain to the SMKI root") from exc
    for link in (c, issuer):
        if not (link.not_valid_before_utc <= at <= link.not_valid_after_utc):
            raise CertificateRejected(f"certificate {link.serial_number:X} is not valid at {at:%Y-%m-%dT%H:%M:%SZ}")
    try:
        policies = c.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound as exc:
        raise CertificateRejected("certificate has no SMKI certificate policy") from exc
    if not any(p.policy_identifier == POLICY_OID for p in policies):
        raise CertificateRejected("certificate does not carry the SMKI Organisation policy")
    if key_use is not None and cert.key_use is not key_use:
        raise CertificateRejected(
            f"certificate key usage is {cert.key_use.value if cert.key_use else 'unsuitable'}, {key_use.value} required"
        )
