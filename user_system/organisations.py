"""Organisations in the test: a DCC User with its own keys, made once per organisation per run,
and the SMKI certificates the test SMKI issues for them (private keys never leave this process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from duis.srv import UserRole
from environment_file import OrganisationEntry
from user_system.client import SigningIdentity

XML_SIGNING = "87"
"""Remote Party Role 135 in hex: the certificate a User signs its DUIS envelopes with (DCC Boxed's keystore)."""


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class Organisation:
    """A User (one User ID, one User Role) with, as DCC issues them, an XML-signing certificate (role 135,
    OU=87) whose key signs its DUIS envelopes, and a Digital Signing and a Key Agreement certificate for
    its role (Supplier 02, Network Operator 03 ...): the DS key signs the Pre-Commands a device or S1SP
    checks, and both are what a device holds in its trust anchor."""

    name: str
    user_role: UserRole
    entity_id: str
    ds_key: ec.EllipticCurvePrivateKey = field(repr=False, default_factory=_new_key)
    ka_key: ec.EllipticCurvePrivateKey = field(repr=False, default_factory=_new_key)
    xml_key: ec.EllipticCurvePrivateKey = field(repr=False, default_factory=_new_key)
    ds_pem: str = ""
    ka_pem: str = ""
    xml_pem: str = ""

    @property
    def identity(self) -> SigningIdentity:
        """What signs this User's DUIS envelopes: its XML-signing key and certificate."""
        return SigningIdentity(self.entity_id, self.xml_key, x509.load_pem_x509_certificate(self.xml_pem.encode()))

    @property
    def device_signing_key(self) -> ec.EllipticCurvePrivateKey:
        """What signs this User's Pre-Commands: the key of its Digital Signing certificate for its role."""
        return self.ds_key

    def as_replacement(self, role: str, issuing_ca_der: bytes) -> dict:
        """The body of an SRV 6.15.1 or 6.21 that places this organisation's DS and KA certificates
        in `role` (DUIS RemotePartyRole), with the issuing CA as the Certification Path."""
        return {
            "remote_party_role": role,
            "digital_signing_certificate": self.ds_der,
            "key_agreement_certificate": self.ka_der,
            "certification_path": (issuing_ca_der,),
        }

    @property
    def ds_der(self) -> bytes:
        return _der(self.ds_pem)

    @property
    def ka_der(self) -> bytes:
        return _der(self.ka_pem)


def _der(pem: str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def organisation_identity(entry: OrganisationEntry) -> Organisation:
    """The organisation as the DUIS client sends for it (a `user_system.client.Sender`), with the keys and
    certificates its entry names, loaded now. It is an `Organisation`, so everything
    that takes one (steps, `as_replacement`, `ds_pem`/`ka_pem`) takes it unchanged.

    A key the entry does not give (the Access Control Broker's, a Key Agreement key, the keys of an
    organisation with no SMKI certificates yet) is left as the freshly generated placeholder Organisation
    makes: never used to sign anything that should verify, and never written anywhere. The ACB, which has
    no DUIS User Role, is given Other User (as `support.seeding.Roster` does).

    Raises EnvironmentFileError with a plain message when a file is missing or unreadable, a password is
    wrong, a key is not P-256, or a key is in an HSM (PKCS#11)."""
    role = UserRole.OTHER_USER if entry.is_acb else UserRole(entry.user_role)
    given: dict[str, Any] = {}
    for material, key_field, pem_field in (
        (entry.xml_signing, "xml_key", "xml_pem"),
        (entry.digital_signing, "ds_key", "ds_pem"),
        (entry.key_agreement, "ka_key", "ka_pem"),
    ):
        if material is None:
            continue
        given[pem_field] = material.load_certificate().pem()
        if material.has_key:
            given[key_field] = material.load_key()
    return Organisation(entry.name, role, entry.entity_id, **given)
