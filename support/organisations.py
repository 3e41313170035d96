"""Organisations in the test: a DCC User with its own keys, made once per organisation per run,
and the SMKI certificates the test SMKI issues for them (private keys never leave this process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from duis.srv import UserRole
from support.control_client import ControlClient
from support.duis_client import SigningIdentity

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

    def enrol(self, control: ControlClient) -> Organisation:
        """Register the User and have the test SMKI certify its keys for its role, in one call."""
        added = control.add_user(
            self.entity_id,
            self.name,
            self.user_role.value,
            certify=[
                (self.ds_key.public_key(), "DS", None),
                (self.ka_key.public_key(), "KA", None),
                (self.xml_key.public_key(), "DS", XML_SIGNING),
            ],
        )
        self.ds_pem, self.ka_pem, self.xml_pem = (issued["pem"] for issued in added["certificates"])
        return self

    def certify(self, control: ControlClient) -> Organisation:
        """Have the test SMKI certify its keys for its role without making it a DCC User."""
        role = self.user_role.certificate_role.value
        self.ds_pem = control.issue_certificate(self.ds_key.public_key(), self.entity_id, role, "DS", self.name)
        self.ka_pem = control.issue_certificate(self.ka_key.public_key(), self.entity_id, role, "KA", self.name)
        self.xml_pem = control.issue_certificate(
            self.xml_key.public_key(), self.entity_id, XML_SIGNING, "DS", self.name
        )
        return self

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
