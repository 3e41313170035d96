"""The SMKI Organisation Certificate profile: what a certificate says about its owner and its use.

Facts from the primer, section 4 (verified against DCC Boxed test certificates).
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID, ObjectIdentifier

POLICY_OID = ObjectIdentifier("1.2.826.0.1.8641679.1.2.1.4")
X500_UNIQUE_IDENTIFIER = NameOID.X500_UNIQUE_IDENTIFIER


class RemotePartyRole(enum.StrEnum):
    """Remote Party Role codes carried in the certificate subject OU."""

    ROOT = "00"
    RECOVERY = "01"
    SUPPLIER = "02"
    NETWORK_OPERATOR = "03"
    ACCESS_CONTROL_BROKER = "04"
    TRANSITIONAL_COS = "05"
    WAN_PROVIDER = "06"
    ISSUING_AUTHORITY = "07"
    OTHER_USER = "7F"
    XML_SIGNING_USER = "87"
    XML_SIGNING_DCC = "89"


# DUIS RemotePartyRole element value -> certificate role code.
DUIS_REMOTE_PARTY_ROLE = {
    "Supplier": RemotePartyRole.SUPPLIER,
    "NetworkOperator": RemotePartyRole.NETWORK_OPERATOR,
    "ACB": RemotePartyRole.ACCESS_CONTROL_BROKER,
    "Recovery": RemotePartyRole.RECOVERY,
    "Root": RemotePartyRole.ROOT,
    "TransCoS": RemotePartyRole.TRANSITIONAL_COS,
}


class KeyUse(enum.StrEnum):
    """A DS certificate signs (Critical), a KA certificate agrees keys (Non-Critical)."""

    DS = "DS"
    KA = "KA"


def eui64_text(raw: bytes) -> str:
    """`90-B3-D5-1F-30-02-00-00` from 8 bytes."""
    return "-".join(f"{b:02X}" for b in raw)


def eui64_bytes(text: str) -> bytes:
    """8 bytes from `90-B3-D5-1F-30-02-00-00`; raises ValueError otherwise."""
    parts = text.split("-")
    if len(parts) != 8 or any(len(p) != 2 for p in parts):
        raise ValueError(f"not an EUI-64 identifier: {text!r}")
    return bytes(int(p, 16) for p in parts)


def x500_unique_identifier(entity_id: str) -> bytes:
    """The content octets of the x500UniqueIdentifier BIT STRING: 0 unused bits, then the 8-byte
    entity identifier (`03 09 00 90 B3 ...` in DCC's certificates)."""
    return b"\x00" + eui64_bytes(entity_id)


def entity_id_of(bit_string: bytes) -> str:
    """The entity identifier from x500UniqueIdentifier content octets; raises ValueError otherwise."""
    if len(bit_string) != 9 or bit_string[0] != 0:
        raise ValueError("entity identifier is not an 8-byte BIT STRING")
    return eui64_text(bit_string[1:])


@dataclass(frozen=True)
class OrganisationCertificate:
    """What the SMKI profile lets a relying party read off an Organisation certificate."""

    certificate: x509.Certificate
    entity_id: str
    role: RemotePartyRole | None
    key_use: KeyUse | None

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    @property
    def issuer_cn(self) -> str:
        names = self.certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else ""

    @property
    def certificate_id(self) -> str:
        """The S1SP's Certificate ID: serial and issuer CN."""
        return f"{self.serial:X}@{self.issuer_cn}"

    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def der(self) -> bytes:
        return self._der

    @functools.cached_property
    def _der(self) -> bytes:
        """The certificate's bytes, encoded once: a relying party compares them on every request it checks."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> OrganisationCertificate:
        """Read the owner, role and use; raises ValueError where the profile is not met."""
        ids = cert.subject.get_attributes_for_oid(X500_UNIQUE_IDENTIFIER)
        if len(ids) != 1:
            raise ValueError("certificate has no x500UniqueIdentifier entity identifier")
        raw = ids[0].value
        if isinstance(raw, str):
            raw = raw.encode("latin-1")
        entity_id = entity_id_of(raw)
        ous = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        role = None
        if ous:
            try:
                role = RemotePartyRole(str(ous[0].value))
            except ValueError:
                role = None
        return cls(cert, entity_id, role, key_use_of(cert))

    @classmethod
    def from_der(cls, der: bytes) -> OrganisationCertificate:
        return _from_der(bytes(der))

    @classmethod
    def from_pem(cls, pem: str | bytes) -> OrganisationCertificate:
        return _from_pem(pem.encode() if isinstance(pem, str) else bytes(pem))


# What a certificate says is fixed by its bytes, and an OrganisationCertificate cannot change: the same
# bytes read again (the SMKI repository's PEM for every request a User signs, the replacement certificates
# a request carries, read by the DSP and the S1SP) give the one already read. A certificate that does not
# meet the profile raises every time (exceptions are not cached).
@functools.lru_cache(maxsize=4096)
def _from_der(der: bytes) -> OrganisationCertificate:
    return OrganisationCertificate.from_certificate(x509.load_der_x509_certificate(der))


@functools.lru_cache(maxsize=4096)
def _from_pem(pem: bytes) -> OrganisationCertificate:
    return OrganisationCertificate.from_certificate(x509.load_pem_x509_certificate(pem))


def key_use_of(cert: x509.Certificate) -> KeyUse | None:
    """DS for digitalSignature only, KA for keyAgreement only, else None."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.digital_signature and not usage.key_agreement:
        return KeyUse.DS
    if usage.key_agreement and not usage.digital_signature:
        return KeyUse.KA
    return None
