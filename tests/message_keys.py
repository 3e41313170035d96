"""A key and its Organisation certificate, as the DUIS message tests sign with them (the User, the DSP,
an S1SP), and the RequestID parties those tests address."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

ORIGINATOR = "90-B3-D5-1F-30-02-00-00"
DEVICE = "00-DB-12-34-56-78-90-A0"


class Signer:
    """A key and its Organisation certificate."""

    def __init__(self, smki: SMKIAuthority, entity_id: str, role: RemotePartyRole, use: KeyUse = KeyUse.DS) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert: OrganisationCertificate = smki.issue(self.key.public_key(), entity_id, role, use)

    @property
    def x509(self):
        return self.cert.certificate
