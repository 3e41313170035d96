"""A DCC service's own signing identity (DSP or S1SP): a key made at start-up and its certificate."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from duis.signature import sign
from fake_services.core.identity import Identities
from fake_services.core.parties import SMKIRepository
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole


@dataclass(frozen=True)
class ServiceSigner:
    key: ec.EllipticCurvePrivateKey
    certificate: OrganisationCertificate

    @classmethod
    def issue(
        cls,
        smki: SMKIRepository,
        identities: Identities,
        entity_id: str,
        name: str,
        role: RemotePartyRole = RemotePartyRole.XML_SIGNING_DCC,
        key_use: KeyUse = KeyUse.DS,
    ) -> ServiceSigner:
        """The service's key and certificate: restored from the store, or made and published now."""

        def make() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
            key = ec.generate_private_key(ec.SECP256R1())
            cert = smki.authority.issue(key.public_key(), entity_id, role, key_use, name)
            smki.publish(cert)
            return key, cert.certificate

        key, cert = identities.load_or_make(f"{name}/{key_use.value}", make)
        return cls(key, OrganisationCertificate.from_certificate(cert))

    def sign(self, root: etree._Element) -> etree._Element:
        return sign(root, self.key, self.certificate.certificate)

    def __repr__(self) -> str:  # never show the key
        return f"ServiceSigner({self.certificate.entity_id})"
