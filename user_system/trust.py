"""What a User system trusts of the DCC: the XML-signing certificates of the DCC systems whose signatures it
checks on every DUIS Response, each in its role. The DSP signs the `sr:Response` the DCC sends (what it
answers at once, and what it delivers later); an S1SP signs the SMETS1 response or S1SP Alert the DSP
carries inside it. A SMETS1 response carries both, and each must be its own signer's: an envelope signed
by an S1SP, or an S1SP's part signed by the DSP, is refused, whoever else's certificate verifies it.

The role comes from the name a signer is given (`[dcc.signers]` of an environment file, or the embedded
sandbox's `/smki`): `DSP` is the DSP; every other name (`S1SP1`, ...) is an S1SP's."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509
from lxml import etree

from duis.signature import SignatureInvalid, issuer_serial, verify
from duis.xml import DS, q
from environment_file import DSP_SIGNER

INNER_SIGNED = (q("SMETS1SignedResponse"), q("S1SPAlert"))
DSP_ROLE = "DSP"
S1SP_ROLE = "S1SP"
_ROLE_WORDS = {DSP_ROLE: "the DSP", S1SP_ROLE: "an S1SP"}


def role_of(name: str) -> str:
    """A DCC signer's role by its name: the DSP's is `DSP`; any other is an S1SP's."""
    return DSP_ROLE if name == DSP_SIGNER else S1SP_ROLE


class DCCSignatures:
    """Verifies the DCC's signatures on a DUIS Response, each by a signer in its role, naming who signed what."""

    def __init__(self, signers: Mapping[str, x509.Certificate]) -> None:
        self.signers = dict(signers)

    @classmethod
    def from_pems(cls, pems: Mapping[str, str]) -> DCCSignatures:
        return cls({name: x509.load_pem_x509_certificate(pem.encode()) for name, pem in pems.items()})

    def roles(self) -> dict[str, str]:
        return {name: role_of(name) for name in self.signers}

    def _signer_of(self, element: etree._Element, role: str) -> tuple[str, x509.Certificate]:
        """The signer in `role` whose certificate the element's signature names (by serial, as DCC's
        tool finds it); SignatureInvalid when it names another DCC system's or nobody's."""
        issuer, serial = issuer_serial(element)
        named = [(name, cert) for name, cert in self.signers.items() if cert.serial_number == serial]
        for name, cert in named:
            if role_of(name) == role:
                return name, cert
        where = etree.QName(element).localname
        if named:
            raise SignatureInvalid(f"{where} is signed by the {named[0][0]}, not by {_ROLE_WORDS[role]}")
        raise SignatureInvalid(
            f"{where} is signed with certificate {serial:X} of {issuer}, which is not a DCC system's"
        )

    def verify(self, root: etree._Element) -> str:
        """Raise SignatureInvalid unless the message's own signature is the DSP's and every signed part
        inside it an S1SP's, each verifying; say whose they are."""
        parts = [(root, DSP_ROLE)]
        parts += [(e, S1SP_ROLE) for e in root.iter(*INNER_SIGNED) if e.find(q("Signature", DS)) is not None]
        said = []
        for element, role in parts:
            name, cert = self._signer_of(element, role)
            verify(element, cert)
            said.append(f"{etree.QName(element).localname} signed by the {name}")
        return "; ".join(said)
