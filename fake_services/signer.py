"""A DCC service's own signing identity (DSP or S1SP): a key made at start-up and its certificate."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from duis.signature import sign
from fake_services.parties import SMKIRepository
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole


@dataclass(frozen=True)
class ServiceSigner:
    key: ec.EllipticCurvePrivateKey
    certificate: OrganisationCertificate

    @classmethod
    def issue(cls, smki: SMKIRepository, entity_id: str, name: str) -> ServiceSigner:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = smki.authority.issue(key.public_key(), entity_id, RemotePartyRole.XML_SIGNING_DCC, KeyUse.DS, name)
        smki.publish(cert)
        return cls(key, cert)

    def sign(self, root: etree._Element) -> etree._Element:
        return sign(root, self.key, self.certificate.certificate)

    def __repr__(self) -> str:  # never show the key
        return f"ServiceSigner({self.certificate.entity_id})"
