"""The test SMKI: a root (OU=00, CN=ZA) and an Organisation CA (OU=07, CN=Z1) that issue
Organisation certificates with the SMKI profile. Keys are made at run time, never stored."""

from __future__ import annotations

import datetime as dt
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smki.profile import POLICY_OID, KeyUse, OrganisationCertificate, RemotePartyRole, x500_unique_identifier

VALIDITY = dt.timedelta(days=365)


def _name(role: RemotePartyRole, cn: str | None, entity_id: str) -> x509.Name:
    """An Organisation certificate subject: CN (optional), OU = role code, x500UniqueIdentifier."""
    attrs: list[x509.NameAttribute] = []  # str values, and the entity ID as a BitString of bytes
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value))
    attrs.append(
        x509.NameAttribute(
            NameOID.X500_UNIQUE_IDENTIFIER,
            x500_unique_identifier(entity_id),
            _type=x509.name._ASN1Type.BitString,
        )
    )
    return x509.Name(attrs)


def _ca_name(role: RemotePartyRole, cn: str) -> x509.Name:
    """A CA name as DCC's have it: OU first, then CN (`OU=07, CN=Z1`; root `OU=00, CN=ZA`)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value, _type=x509.name._ASN1Type.PrintableString),
            x509.NameAttribute(NameOID.COMMON_NAME, cn, _type=x509.name._ASN1Type.PrintableString),
        ]
    )


def _key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """SMKI uses 8-byte key identifiers."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest[:8]


def _serial() -> int:
    return int.from_bytes(os.urandom(15), "big") >> 1 | 1


def _key_usage(use: KeyUse | None, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=use is KeyUse.DS,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=use is KeyUse.KA,
        key_cert_sign=ca,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


class TestSMKI:
    """Root and Organisation CA made once per run (or restored from a sandbox's own store);
    issues Organisation certificates."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        now = now or dt.datetime.now(dt.UTC)
        self._root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _ca_name(RemotePartyRole.ROOT, "ZA")
        self.root = self._ca_cert(root_name, root_name, self._root_key.public_key(), self._root_key, now)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _ca_name(RemotePartyRole.ISSUING_AUTHORITY, "Z1")
        self.issuing_ca = self._ca_cert(ca_name, root_name, self._ca_key.public_key(), self._root_key, now)

    @classmethod
    def restore(
        cls,
        root: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
        ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    ) -> TestSMKI:
        """The same SMKI again (a file-backed sandbox restarting): certificates it issued still chain."""
        smki = cls.__new__(cls)
        smki._root_key, smki.root = root
        smki._ca_key, smki.issuing_ca = ca
        return smki

    @property
    def keys(self) -> dict[str, tuple[ec.EllipticCurvePrivateKey, x509.Certificate]]:
        """What a sandbox keeps to restore this SMKI; never logged or served."""
        return {"smki-root": (self._root_key, self.root), "smki-issuing-ca": (self._ca_key, self.issuing_ca)}

    @staticmethod
    def _ca_cert(subject, issuer, public_key, signing_key, now) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(_serial())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + 10 * VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(None, ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier(_key_id(public_key)), critical=False)
            .sign(signing_key, hashes.SHA256())
        )

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        entity_id: str,
        role: RemotePartyRole,
        key_use: KeyUse,
        name: str | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> OrganisationCertificate:
        """An Organisation certificate for `entity_id` in `role`, for signing (DS) or key agreement (KA)."""
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise ValueError("SMKI Organisation certificates carry P-256 keys only")
        now = dt.datetime.now(dt.UTC)
        not_before = not_before or now - dt.timedelta(minutes=5)
        not_after = not_after or now + VALIDITY
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(role, name, entity_id))
            .issuer_name(self.issuing_ca.subject)
            .public_key(public_key)
            .serial_number(_serial())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(_key_usage(key_use), critical=True)
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(POLICY_OID, None)]), critical=True)
            .add_extension(x509.SubjectKeyIdentifier(_key_id(public_key)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier(_key_id(self._ca_key.public_key()), None, None),
                critical=False,
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        return OrganisationCertificate.from_certificate(cert)
