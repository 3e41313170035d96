"""Who signed a DUIS message: the certificate named by its signature, validated against the test
SMKI (chain, dates, key usage) and used to verify the signature. DSP, S1SPs and SMETS2 devices
all authenticate through this one function."""

from __future__ import annotations

from lxml import etree

from duis.signature import SignatureInvalid, issuer_serial, verify
from fake_services.core.parties import SMKIRepository
from fake_services.core.rejections import Rejection
from fake_services.core.rules import rule
from smki.profile import KeyUse, OrganisationCertificate
from smki.validation import CertificateRejected


def duis_signature_check(root: etree._Element, smki: SMKIRepository) -> OrganisationCertificate:
    """DUIS signature: the message is signed, and the SMKI Organisation certificate its signature names
    is valid (chain, dates, key usage) and verifies it. Returns that certificate; raises
    Rejection('signature') with the reason."""
    try:
        issuer, serial = issuer_serial(root)
    except SignatureInvalid as exc:
        raise Rejection("signature", str(exc)) from None
    cert = smki.find(issuer, serial)
    if cert is None:
        raise Rejection("signature", f"no SMKI certificate with issuer {issuer} and serial {serial:X}")
    duis_signing_certificate_check(cert, smki)
    try:  # its dates are judged above, once: the signature is verified within them
        verify(root, cert.certificate, at=cert.certificate.not_valid_before_utc)
    except SignatureInvalid as exc:
        raise Rejection("signature", str(exc)) from None
    return cert


@rule
def duis_signing_certificate_check(cert: OrganisationCertificate, smki: SMKIRepository) -> None:
    """DUIS signature: the certificate a signature names is fit to sign now: it chains to the SMKI root,
    carries the SMKI policy, has the digitalSignature key use, and is in date today (an expired certificate
    signs nothing, however valid it was when issued). Raises Rejection('signature') saying why not."""
    try:
        smki.validate(cert, KeyUse.DS)
    except CertificateRejected as exc:
        raise Rejection("signature", str(exc)) from None
