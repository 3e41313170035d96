"""DCC Boxed's PKI, for `serve --pki dcc-boxed`: the sandbox trusts the ZAZ1 certificates of DCC Boxed's
keystore, knows its test Users in their User Roles, and signs as Boxed's DSP, so that requests made from
DCC's templates and signed by DCC's own tool (with its built-in keys) are accepted, and DCC's tool
validates everything the sandbox sends back.

Everything is read at run time from DCC's npm packages, never committed:
- `@smartdcc/dccboxed-keystore` (`keystore.json`): certificates and keys by EUI-64 and role;
- `@smartdcc/duis-templates`: the Z1 Organisation CA certificate, from the Certification Path DCC's 6.15.1
  templates carry (Boxed's root ZA is not published, so Z1 itself is the trust anchor).

Boxed's Organisation certificates (Supplier, Network Operator, ACB ...) chain to that Z1; its XML-signing
certificates (roles 135 and 137) chain to no published CA, so they are trusted as themselves (pinned).
The Organisation certificates expired in 2025–26; its
XML-signing certificates run to 2118. The sandbox judges Boxed's certificates as of BOXED_PKI_DATE, an
instant at which every certificate the critical flow uses was valid (override with `--pki-date`); the
sandbox's own systems (S1SPs, Commissioning Party) keep their run-time certificates, judged as of now.
"""

from __future__ import annotations

import datetime as dt

from duis.srv import UserRole
from fake_services.core.parties import SMKIRepository, TrustAnchor, Users
from fake_services.core.signer import ServiceSigner
from smki.boxed_keystore import (
    BOXED_PKI_DATE,
    DSP_ENTITY_ID,
    XML_SIGNING_ROLES,
    BoxedPKI,
    BoxedPKIUnavailable,
    load,
)
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

__all__ = [
    "BOXED_PKI_DATE",
    "BOXED_USERS",
    "DSP_ENTITY_ID",
    "XML_SIGNING_ROLES",
    "BoxedPKI",
    "BoxedPKIUnavailable",
    "access_control_broker",
    "dsp_signer",
    "load",
    "trust_dcc_boxed",
]

# Boxed's test Users (keystore.json) and the User Role the sandbox gives each: its Supplier acts as the
# Import Supplier, its Network Operator as the Electricity Distributor of DCC's templates' meter.
BOXED_USERS = {
    "90-B3-D5-1F-30-01-00-00": ("GITTESTSUPPLIER (DCC Boxed)", UserRole.IMPORT_SUPPLIER),
    "90-B3-D5-1F-30-02-00-00": ("Network Operator (DCC Boxed)", UserRole.ELECTRICITY_DISTRIBUTOR),
    "00-DB-12-34-56-78-00-04": ("Other User (DCC Boxed)", UserRole.OTHER_USER),
}


def trust_dcc_boxed(smki: SMKIRepository, users: Users, pki_date: dt.datetime | None) -> BoxedPKI:
    """Trust DCC Boxed's Z1 CA (as of its PKI date), know its certificates and its test Users."""
    boxed = load(pki_date or BOXED_PKI_DATE)
    xml_signing = frozenset(e.certificate.der() for e in boxed.entries if e.role in XML_SIGNING_ROLES)
    smki.trust(TrustAnchor("DCC Boxed", (boxed.issuing_ca,), None, boxed.as_of, xml_signing))
    for entry in boxed.entries:
        smki.publish(entry.certificate)
    for entity_id, (name, role) in BOXED_USERS.items():
        users.add(entity_id, name, role)
    return boxed


def access_control_broker(boxed: BoxedPKI) -> tuple[OrganisationCertificate, OrganisationCertificate]:
    """Boxed's Access Control Broker certificates (DS, KA) valid as of its PKI date."""
    found = {
        e.certificate.key_use: e.certificate
        for e in boxed.organisation(DSP_ENTITY_ID, RemotePartyRole.ACCESS_CONTROL_BROKER)
    }
    return found[KeyUse.DS], found[KeyUse.KA]


def dsp_signer(boxed: BoxedPKI) -> ServiceSigner:
    """Boxed's DSP XML-signing identity (role 137): the sandbox signs as Boxed's DSP."""
    entry = boxed.dsp
    if entry.key is None:  # `BoxedPKI.dsp` is the entry whose key Boxed publishes
        raise BoxedPKIUnavailable("DCC Boxed's keystore publishes no key for its DSP")
    return ServiceSigner(entry.key, entry.certificate)
