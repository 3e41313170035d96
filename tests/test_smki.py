"""The test SMKI: Organisation certificates carry the real profile (primer section 4), and the
relying party's validation accepts them and rejects an unknown CA, a certificate out of date, one
used for the wrong key use and one without the SMKI policy."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import (
    POLICY_OID,
    KeyUse,
    OrganisationCertificate,
    RemotePartyRole,
    entity_id_of,
    eui64_bytes,
    eui64_text,
    key_use_of,
    x500_unique_identifier,
)
from smki.validation import CertificateRejected, validate_organisation_certificate

ENTITY = "90-B3-D5-1F-30-02-00-0A"
# x500UniqueIdentifier (2.5.4.45) followed by a BIT STRING of 9 bytes: 0 unused bits + the 8-byte EUI-64.
X500_UID_BIT_STRING = bytes.fromhex("0603 55042D 0309 00".replace(" ", ""))


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def smki() -> SMKIAuthority:
    return SMKIAuthority()


@pytest.fixture(scope="module")
def ds(smki: SMKIAuthority) -> OrganisationCertificate:
    return smki.issue(_key().public_key(), ENTITY, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS, "Western Power")


@pytest.fixture(scope="module")
def ka(smki: SMKIAuthority) -> OrganisationCertificate:
    return smki.issue(_key().public_key(), ENTITY, RemotePartyRole.NETWORK_OPERATOR, KeyUse.KA, "Western Power")


def _name_values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


# --- the profile -------------------------------------------------------------------------------


def test_subject_carries_role_code_name_and_entity_identifier(ds: OrganisationCertificate) -> None:
    subject = ds.certificate.subject
    assert _name_values(subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["03"]
    assert _name_values(subject, NameOID.COMMON_NAME) == ["Western Power"]
    assert ds.entity_id == ENTITY
    assert ds.role is RemotePartyRole.NETWORK_OPERATOR


def test_entity_identifier_is_an_eight_byte_bit_string(ds: OrganisationCertificate) -> None:
    """Read off the DER itself: the attribute is a BIT STRING (tag 03) of 9 content octets, 0 unused
    bits then the 8-byte EUI-64, as in DCC's certificates (`x500UniqueIdentifier = #03090090B3...`)."""
    assert X500_UID_BIT_STRING + eui64_bytes(ENTITY) in ds.der()


def test_entity_identifier_reading_refuses_anything_but_an_eight_byte_bit_string() -> None:
    assert entity_id_of(bytes.fromhex("0090B3D51F30010000")) == "90-B3-D5-1F-30-01-00-00"
    for bad in (
        bytes.fromhex("90B3D51F30010000"),  # no unused-bits octet: 0x90 would be read as 144 unused bits
        bytes.fromhex("0390B3D51F30010000"),  # 3 unused bits
        bytes.fromhex("0090B3D51F300100"),  # 7 bytes
    ):
        with pytest.raises(ValueError, match="8-byte BIT STRING"):
            entity_id_of(bad)


@pytest.mark.parametrize(
    ("which", "digital_signature", "key_agreement", "use"),
    [("ds", True, False, KeyUse.DS), ("ka", False, True, KeyUse.KA)],
)
def test_key_usage_is_critical_and_single_purpose(request, which, digital_signature, key_agreement, use) -> None:
    cert: OrganisationCertificate = request.getfixturevalue(which)
    ext = cert.certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert ext.critical
    assert ext.value.digital_signature is digital_signature
    assert ext.value.key_agreement is key_agreement
    assert not ext.value.key_cert_sign
    assert cert.key_use is use


def test_policy_is_critical_smki_organisation_policy(ds: OrganisationCertificate) -> None:
    ext = ds.certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert ext.critical
    assert [p.policy_identifier.dotted_string for p in ext.value] == ["1.2.826.0.1.8641679.1.2.1.4"]
    assert POLICY_OID.dotted_string == "1.2.826.0.1.8641679.1.2.1.4"


def test_p256_and_ecdsa_with_sha256(smki: SMKIAuthority, ds: OrganisationCertificate) -> None:
    for cert in (ds.certificate, smki.issuing_ca, smki.root):
        assert cert.public_key().curve.name == "secp256r1"
        assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
        assert cert.version is x509.Version.v3


def test_issuer_is_organisation_ca_z1_under_root_za(smki: SMKIAuthority, ds: OrganisationCertificate) -> None:
    assert ds.certificate.issuer == smki.issuing_ca.subject
    assert _name_values(smki.issuing_ca.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["07"]
    assert _name_values(smki.issuing_ca.subject, NameOID.COMMON_NAME) == ["Z1"]
    assert smki.issuing_ca.issuer == smki.root.subject
    assert _name_values(smki.root.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["00"]
    assert _name_values(smki.root.subject, NameOID.COMMON_NAME) == ["ZA"]
    assert smki.root.issuer == smki.root.subject
    # in DCC's order: OU first, then CN, so the RFC 4514 string (as XML signatures carry it) is CN=Z1,OU=07
    for ca in (smki.issuing_ca, smki.root):
        assert [a.oid for a in ca.subject] == [NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME]
    assert smki.issuing_ca.subject.rfc4514_string() == "CN=Z1,OU=07"
    assert ds.issuer_cn == "Z1"
    assert ds.certificate_id == f"{ds.serial:X}@Z1"


def test_key_identifiers_are_eight_bytes_and_link_to_the_ca(smki: SMKIAuthority, ds: OrganisationCertificate) -> None:
    ski = ds.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    aki = ds.certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    ca_ski = smki.issuing_ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert len(ski) == 8
    assert len(aki) == 8
    assert aki == ca_ski


def test_only_p256_keys_are_certified(smki: SMKIAuthority) -> None:
    with pytest.raises(ValueError, match="P-256"):
        smki.issue(ec.generate_private_key(ec.SECP384R1()).public_key(), ENTITY, RemotePartyRole.SUPPLIER, KeyUse.DS)


def test_certificate_round_trips_through_pem_and_der(ds: OrganisationCertificate) -> None:
    assert OrganisationCertificate.from_pem(ds.pem()) == ds
    assert OrganisationCertificate.from_der(ds.der()) == ds


def test_eui64_text_and_bytes() -> None:
    assert eui64_text(eui64_bytes("90-b3-d5-1f-30-02-00-0a")) == ENTITY
    for bad in ("90-B3-D5-1F-30-02-00", "90B3D51F3002000A", "90-B3-D5-1F-30-02-00-0", "90-B3-D5-1F-30-02-00-ZZ"):
        with pytest.raises(ValueError):
            eui64_bytes(bad)


# --- reading certificates that do not meet the profile -----------------------------------------


def _certificate(subject: x509.Name, key_usage: x509.KeyUsage | None = None) -> x509.Certificate:
    key = _key()
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    return builder.sign(key, hashes.SHA256())


def _usage(digital_signature: bool, key_agreement: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature, False, False, False, key_agreement, False, False, False, False)


def test_certificate_without_entity_identifier_is_not_an_organisation_certificate() -> None:
    cert = _certificate(x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "03")]))
    with pytest.raises(ValueError, match="x500UniqueIdentifier"):
        OrganisationCertificate.from_certificate(cert)


def test_unknown_role_code_and_dual_key_usage_are_read_as_unknown() -> None:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "42"),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, x500_unique_identifier(ENTITY), _type=x509.name._ASN1Type.BitString
            ),
        ]
    )
    cert = OrganisationCertificate.from_certificate(_certificate(name, _usage(True, True)))
    assert cert.entity_id == ENTITY
    assert cert.role is None
    assert cert.key_use is None
    assert key_use_of(_certificate(name)) is None


# --- validation by a relying party -------------------------------------------------------------


def test_valid_ds_and_ka_certificates_are_accepted(smki, ds, ka) -> None:
    validate_organisation_certificate(ds, [smki.issuing_ca], smki.root, KeyUse.DS)
    validate_organisation_certificate(ka, [smki.issuing_ca], smki.root, KeyUse.KA)
    validate_organisation_certificate(ds, [smki.issuing_ca], smki.root)


def test_certificate_of_an_unknown_ca_is_rejected(smki, ds) -> None:
    other = SMKIAuthority()  # same names (OU=07, CN=Z1), different keys
    stranger = other.issue(_key().public_key(), ENTITY, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS)
    with pytest.raises(CertificateRejected, match="does not chain"):
        validate_organisation_certificate(stranger, [smki.issuing_ca], smki.root, KeyUse.DS)
    with pytest.raises(CertificateRejected, match="not a known SMKI CA"):
        validate_organisation_certificate(ds, [], smki.root, KeyUse.DS)
    with pytest.raises(CertificateRejected, match="does not chain"):
        validate_organisation_certificate(ds, [smki.issuing_ca], other.root, KeyUse.DS)


def test_expired_certificate_is_rejected(smki) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = smki.issue(
        _key().public_key(),
        ENTITY,
        RemotePartyRole.NETWORK_OPERATOR,
        KeyUse.DS,
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )
    with pytest.raises(CertificateRejected, match="not valid at"):
        validate_organisation_certificate(expired, [smki.issuing_ca], smki.root, KeyUse.DS)


def test_not_yet_valid_certificate_is_rejected(smki, ds) -> None:
    now = dt.datetime.now(dt.UTC)
    future = smki.issue(
        _key().public_key(),
        ENTITY,
        RemotePartyRole.NETWORK_OPERATOR,
        KeyUse.DS,
        not_before=now + dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
    )
    with pytest.raises(CertificateRejected, match="not valid at"):
        validate_organisation_certificate(future, [smki.issuing_ca], smki.root, KeyUse.DS)
    with pytest.raises(CertificateRejected, match="not valid at"):
        validate_organisation_certificate(ds, [smki.issuing_ca], smki.root, KeyUse.DS, at=now + dt.timedelta(days=400))


def test_wrong_key_use_is_rejected(smki, ds, ka) -> None:
    with pytest.raises(CertificateRejected, match="key usage is KA, DS required"):
        validate_organisation_certificate(ka, [smki.issuing_ca], smki.root, KeyUse.DS)
    with pytest.raises(CertificateRejected, match="key usage is DS, KA required"):
        validate_organisation_certificate(ds, [smki.issuing_ca], smki.root, KeyUse.KA)


def _chain_without_smki_policy(policies: x509.CertificatePolicies | None):
    """A root, CA and leaf of our own, the leaf with `policies` (or none): only the policy is wrong."""
    now = dt.datetime.now(dt.UTC)
    root_key, ca_key, leaf_key = _key(), _key(), _key()

    def name(ou: str, cn: str) -> x509.Name:
        return x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou)]
        )

    def build(subject, issuer, public_key, signing_key, extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
        )
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        return builder.sign(signing_key, hashes.SHA256())

    ca_ext = [(x509.BasicConstraints(ca=True, path_length=None), True)]
    root = build(name("00", "ZA"), name("00", "ZA"), root_key.public_key(), root_key, ca_ext)
    ca = build(name("07", "Z1"), root.subject, ca_key.public_key(), root_key, ca_ext)
    leaf_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "03"),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, x500_unique_identifier(ENTITY), _type=x509.name._ASN1Type.BitString
            ),
        ]
    )
    leaf_ext = [(_usage(True, False), True)] + ([(policies, True)] if policies else [])
    leaf = build(leaf_name, ca.subject, leaf_key.public_key(), ca_key, leaf_ext)
    return OrganisationCertificate.from_certificate(leaf), ca, root


def test_certificate_without_the_smki_policy_is_rejected() -> None:
    good, ca, root = _chain_without_smki_policy(x509.CertificatePolicies([x509.PolicyInformation(POLICY_OID, None)]))
    validate_organisation_certificate(good, [ca], root, KeyUse.DS)  # the hand-made chain itself is fine

    missing, ca, root = _chain_without_smki_policy(None)
    with pytest.raises(CertificateRejected, match="no SMKI certificate policy"):
        validate_organisation_certificate(missing, [ca], root, KeyUse.DS)

    other_policy = x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("1.2.3.4"), None)])
    wrong, ca, root = _chain_without_smki_policy(other_policy)
    with pytest.raises(CertificateRejected, match="does not carry the SMKI Organisation policy"):
        validate_organisation_certificate(wrong, [ca], root, KeyUse.DS)


def test_ca_certificates_are_marked_as_cas(smki: SMKIAuthority) -> None:
    for ca in (smki.root, smki.issuing_ca):
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca
        assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert smki.root.public_bytes(serialization.Encoding.PEM).startswith(b"-----BEGIN CERTIFICATE-----")
