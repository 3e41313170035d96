"""What a User system trusts of the DCC: the XML-signing certificates of the DCC systems whose
signatures it checks on every DUIS Response (the DSP's on the message; an S1SP's on the SMETS1 response
or S1SP Alert inside it: a SMETS1 response carries both, and each is verified with its own signer)."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509
from lxml import etree

from duis.signature import SignatureInvalid, issuer_serial, verify
from duis.xml import DS, q

INNER_SIGNED = (q("SMETS1SignedResponse"), q("S1SPAlert"))


class DCCSignatures:
    """Verifies the DCC's signatures on a DUIS Response, naming who signed what."""

    def __init__(self, signers: Mapping[str, x509.Certificate]) -> None:
        self.signers = dict(signers)

    @classmethod
    def from_pems(cls, pems: Mapping[str, str]) -> DCCSignatures:
        return cls({name: x509.load_pem_x509_certificate(pem.encode()) for name, pem in pems.items()})

    def _signer_of(self, element: etree._Element) -> tuple[str, x509.Certificate]:
        issuer, serial = issuer_serial(element)
        for name, cert in self.signers.items():
            if cert.serial_number == serial:
                return name, cert
        raise SignatureInvalid(f"signed with certificate {serial:X} of {issuer}, which is not a DCC system's")

    def verify(self, root: etree._Element) -> str:
        """Raise SignatureInvalid unless every DCC signature on the message verifies; say whose they are."""
        said = []
        for element in (root, *(e for e in root.iter(*INNER_SIGNED) if e.find(q("Signature", DS)) is not None)):
            name, cert = self._signer_of(element)
            verify(element, cert)
            said.append(f"{etree.QName(element).localname} signed by the {name}")
        return "; ".join(said)
