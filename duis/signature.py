"""Enveloped XML signatures as DUIS has them: exc-c14n, ecdsa-sha256, sha256 digest, and a
KeyInfo that names the certificate by issuer and serial only. Uses signxml; never hand-rolled."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import InvalidInput, InvalidSignature, SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from duis.xml import DS, compact, q

_SIGNER = XMLSigner(
    signature_algorithm=SignatureMethod.ECDSA_SHA256,
    digest_algorithm=DigestAlgorithm.SHA256,
    c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
)
_EXPECT = SignatureConfiguration(
    require_x509=False,
    location="./",
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    # A Reference without a canonicalisation transform is canonicalised with inclusive C14N 1.0 (XMLDSig
    # 4.3.3.2): DCC's own tool signs so, and exclusive C14N would drop the namespaces it signed.
    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
)


class SignatureInvalid(Exception):
    """The document is unsigned, or its signature does not verify."""


def _key_info(cert: x509.Certificate) -> etree._Element:
    key_info = etree.Element(q("KeyInfo", DS), nsmap={"ds": DS})
    serial = etree.SubElement(etree.SubElement(key_info, q("X509Data", DS)), q("X509IssuerSerial", DS))
    etree.SubElement(serial, q("X509IssuerName", DS)).text = cert.issuer.rfc4514_string()
    etree.SubElement(serial, q("X509SerialNumber", DS)).text = str(cert.serial_number)
    return key_info


def sign(root: etree._Element, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> etree._Element:
    """A signed copy of `root` (compact form, signature as its last child)."""
    return _SIGNER.sign(compact(root), key=key, key_info=_key_info(cert))


_PROFILE_CHILDREN = ("SignedInfo", "SignatureValue", "KeyInfo")
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_C14N = frozenset(str(method.value) for method in CanonicalizationMethod)


def _local_names(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname if isinstance(child.tag, str) else "(not an element)" for child in element]


def signature_of(root: etree._Element) -> etree._Element:
    """The signature that is a direct child of `root`, checked against the DUIS signature profile before
    anything reads it: one `ds:Signature` of exactly SignedInfo, SignatureValue and KeyInfo (no `ds:Object`:
    a signed request could carry another, or anything, inside one, unsigned by the enveloped reference),
    one Reference to the whole document (URI "") with the enveloped-signature transform and nothing but
    canonicalisation besides. DCC's tool signs so, and so does `sign`. Raises SignatureInvalid naming what
    the profile does not have."""
    signatures = root.findall(q("Signature", DS))
    if not signatures:
        raise SignatureInvalid("the message is not signed")
    if len(signatures) > 1:
        raise SignatureInvalid(f"the message carries {len(signatures)} signatures; the DUIS profile has one")
    signature = signatures[0]
    children = _local_names(signature)
    if "Object" in children:
        raise SignatureInvalid("the signature carries a ds:Object, which the DUIS signature profile does not use")
    if tuple(children) != _PROFILE_CHILDREN:
        raise SignatureInvalid(
            f"the signature holds {', '.join(children) or 'nothing'}; the DUIS profile has SignedInfo,"
            " SignatureValue and KeyInfo"
        )
    references = signature.findall(f"{q('SignedInfo', DS)}/{q('Reference', DS)}")
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureInvalid('the DUIS signature profile has one Reference, to the whole message (URI "")')
    transforms = [t.get("Algorithm") for t in references[0].iterfind(f"{q('Transforms', DS)}/{q('Transform', DS)}")]
    if _ENVELOPED not in transforms or any(t != _ENVELOPED and t not in _C14N for t in transforms):
        raise SignatureInvalid(
            f"the Reference's transforms are {transforms}; the DUIS profile has the enveloped signature"
            " (and canonicalisation) only"
        )
    return signature


def issuer_serial(root: etree._Element) -> tuple[str, int]:
    """The issuer and serial named by the signature that is a direct child of `root`."""
    signature = signature_of(root)
    issuer = signature.findtext(f".//{q('X509IssuerName', DS)}")
    serial = signature.findtext(f".//{q('X509SerialNumber', DS)}")
    if not issuer or not serial or not serial.strip().isdigit():
        raise SignatureInvalid("the signature does not name its certificate by issuer and serial")
    return issuer.strip(), int(serial.strip())


def verify(root: etree._Element, cert: x509.Certificate, at: dt.datetime | None = None) -> None:
    """Verify the signature that is a direct child of `root` with `cert`'s public key, `cert` in date at `at`
    (default: now). A caller that judges the certificate's dates itself (the sandbox's SMKI check) gives an
    instant within them, so that the dates are judged in one place.

    `root` may be an element inside a larger document (an S1SP's SMETS1SignedResponse inside
    the DSP's Response): it is verified as the document it was signed as."""
    signature_of(root)
    standalone = etree.fromstring(etree.tostring(copy.deepcopy(root)))
    expect = _EXPECT if at is None else dataclasses.replace(_EXPECT, verification_time=at)
    try:
        XMLVerifier().verify(standalone, x509_cert=cert, expect_config=expect)
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureInvalid(f"the signature does not verify: {exc}") from None
    except (TypeError, ValueError) as exc:  # signxml decodes SignatureValue unchecked: empty, non-ASCII
        raise SignatureInvalid(f"the signature is malformed: {exc}") from None
