"""Organisations in the test: a DCC User with its own keys, made once per organisation per run,
and the SMKI certificates the test SMKI issues for them (private keys never leave this process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from duis.srv import UserRole
from support.control_client import ControlClient
from support.duis_client import SigningIdentity


@dataclass
class Organisation:
    """A User (one User ID, one User Role) with a DS and a KA certificate for its role."""

    name: str
    user_role: UserRole
    entity_id: str
    ds_key: ec.EllipticCurvePrivateKey = field(
        repr=False, default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    ka_key: ec.EllipticCurvePrivateKey = field(
        repr=False, default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    ds_pem: str = ""
    ka_pem: str = ""

    def enrol(self, control: ControlClient) -> Organisation:
        """Register the User and have the test SMKI certify its keys for its role, in one call."""
        added = control.add_user(
            self.entity_id,
            self.name,
            self.user_role.value,
            certify=[(self.ds_key.public_key(), "DS"), (self.ka_key.public_key(), "KA")],
        )
        self.ds_pem, self.ka_pem = (issued["pem"] for issued in added["certificates"])
        return self

    def certify(self, control: ControlClient) -> Organisation:
        """Have the test SMKI certify its keys for its role without making it a DCC User."""
        role = self.user_role.certificate_role.value
        self.ds_pem = control.issue_certificate(self.ds_key.public_key(), self.entity_id, role, "DS", self.name)
        self.ka_pem = control.issue_certificate(self.ka_key.public_key(), self.entity_id, role, "KA", self.name)
        return self

    @property
    def identity(self) -> SigningIdentity:
        return SigningIdentity(self.entity_id, self.ds_key, x509.load_pem_x509_certificate(self.ds_pem.encode()))

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
