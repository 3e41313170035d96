"""Replacement certificates in SRV 6.15.1 and 6.21: what a device (or the S1SP for it) accepts into
a trust anchor. Shared by S1SPs and SMETS2 devices."""

from __future__ import annotations

from cryptography import x509

from duis.messages import ServiceRequest
from fake_services.core.parties import SMKIRepository
from fake_services.core.rejections import Rejection
from smki.profile import DUIS_REMOTE_PARTY_ROLE, KeyUse, OrganisationCertificate
from smki.validation import CertificateRejected


def gbcs_replacement_certificates(request: ServiceRequest, smki: SMKIRepository) -> list[OrganisationCertificate]:
    """GBCS replacement certificates: the certificates to place, each an Organisation certificate of the
    targeted Remote Party Role with the key use of its slot, chaining through the Certification Path to
    the SMKI root."""
    role = DUIS_REMOTE_PARTY_ROLE.get(request.remote_party_role or "")
    if role is None:
        raise Rejection(
            "replacement_certificate", f"Remote Party Role {request.remote_party_role!r} cannot be replaced here"
        )
    path: list[x509.Certificate] = []
    for der in request.certification_path:
        try:
            path.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise Rejection("replacement_certificate", "a Certification Path certificate is not DER") from None
    slots = ((KeyUse.DS, request.digital_signing_certificate), (KeyUse.KA, request.key_agreement_certificate))
    placed = []
    for key_use, der in slots:
        if der is None:
            continue
        try:
            cert = OrganisationCertificate.from_der(der)
        except ValueError as exc:
            raise Rejection(
                "replacement_certificate", f"the {key_use.value} certificate is not an Organisation certificate: {exc}"
            ) from None
        if cert.role is not role:
            raise Rejection(
                "replacement_certificate",
                f"the {key_use.value} certificate is for role {cert.role or '?'}, not {role.value}",
            )
        try:
            smki.validate(cert, key_use, path)
        except CertificateRejected as exc:
            raise Rejection("replacement_certificate", f"the {key_use.value} certificate: {exc}") from None
        placed.append(cert)
    if not placed:
        raise Rejection("replacement_certificate", "no replacement certificate was given")
    return placed
