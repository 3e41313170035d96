"""Control API routes for who takes part: DCC Users and the certificates the test SMKI issues them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.wrappers import Request, Response

from duis.srv import UserRole
from fake_services.core.json_fields import entity_id, field, instant, objects, one_of
from fake_services.core.parties import SMKIRepository, Users
from serving.web import HTTPError, Route, json_object, json_response
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole


def _certify(smki: SMKIRepository, owner: str, name: str | None, data: dict[str, Any], role: Any) -> dict[str, str]:
    """The test SMKI issues an Organisation certificate for a public key the caller made."""
    try:
        public_key = serialization.load_pem_public_key(str(field(data, "public_key")).encode())
    except ValueError:
        raise HTTPError(400, "public_key is not a PEM public key") from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise HTTPError(400, "SMKI Organisation certificates carry P-256 keys")
    try:
        cert = smki.authority.issue(
            public_key,
            owner,
            one_of(RemotePartyRole, data.get("role_code", role) or field(data, "role_code")),
            one_of(KeyUse, field(data, "key_use")),
            name,
            instant(data, "not_before"),
            instant(data, "not_after"),
        )
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from None
    smki.publish(cert)
    return {
        "pem": cert.pem(),
        "serial": f"{cert.serial:X}",
        "certificate_id": cert.certificate_id,
        "key_use": cert.key_use,
    }


def party_routes(
    users: Users,
    smki: SMKIRepository,
    acb: Sequence[OrganisationCertificate],
    dcc_signers: dict[str, OrganisationCertificate],
) -> list[Route]:
    def smki_trust(_: Request) -> Response:
        """The trust a User system is configured with: the SMKI root and CA, the ACB's certificates, and
        the XML-signing certificates of the DCC systems whose signatures it checks (DSP, S1SPs)."""
        pem = serialization.Encoding.PEM
        return json_response(
            {
                "root": smki.root.public_bytes(pem).decode(),
                "issuing_ca": smki.issuing_cas[0].public_bytes(pem).decode(),
                "access_control_broker": {"entity_id": acb[0].entity_id, "ds": acb[0].pem(), "ka": acb[1].pem()},
                "dcc_signers": {name: cert.pem() for name, cert in dcc_signers.items()},
            }
        )

    def add_user(request: Request) -> Response:
        """A DCC User in a User Role, and (optionally, in the same call) its certificates for that role."""
        data = json_object(request)
        role = one_of(UserRole, field(data, "user_role"))
        user = users.add(entity_id(data, "entity_id"), str(field(data, "name")), role)
        issued = [
            _certify(smki, user.entity_id, user.name, wanted, role.certificate_role.value)
            for wanted in objects(data, "certificates")
        ]
        body = {"entity_id": user.entity_id, "name": user.name, "user_role": user.user_role.value}
        return json_response(body | ({"certificates": issued} if issued else {}), 201)

    def issue_certificate(request: Request) -> Response:
        data = json_object(request)
        return json_response(_certify(smki, entity_id(data, "entity_id"), data.get("name"), data, None), 201)

    return [
        ("GET", "/smki", smki_trust),
        ("POST", "/users", add_user),
        ("POST", "/smki/certificates", issue_certificate),
    ]
