"""Who is sending, and when: signatures and certificates, and the anti-replay counter."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from cryptography import x509
from lxml import etree

from campaign.bench import Bench
from campaign.cases.common import (
    AUTHENTICATION,
    E_REPLAY,
    E_SIGNATURE,
    REPLAY,
    case,
    signed,
)
from campaign.model import Case, Expect
from duis.precommand import sign_pre_command
from duis.requests import RequestID
from duis.signature import sign
from duis.xml import DS, parse, q, to_bytes
from user_system.client import SERVICE_PATH, SigningIdentity, sign_request


def authentication(bench: Bench) -> Iterator[Case]:
    e1 = Expect(response_code=E_SIGNATURE)
    yield case(AUTHENTICATION, "unsigned", lambda: to_bytes(bench.correction().to_xml()), e1, bench=bench)

    def tampered() -> bytes:
        return signed(bench).replace(b">NetworkOperator<", b">Supplier<")

    yield case(AUTHENTICATION, "tampered after signing", tampered, e1, bench=bench)

    def wrong_key() -> bytes:
        root = bench.correction().to_xml()
        stranger = bench.foreign_identity(bench.holder)
        return to_bytes(sign(root, stranger.key, bench.holder.identity.certificate))

    yield case(AUTHENTICATION, "signed with a key that does not match the certificate", wrong_key, e1, bench=bench)
    yield case(
        AUTHENTICATION,
        "certificate from an unknown CA",
        lambda: sign_request(bench.correction(), bench.foreign_identity(bench.holder)),
        e1,
        bench=bench,
    )

    def device_signing_certificate() -> bytes:
        """The User's own Digital Signing certificate (role 03): it signs Pre-Commands, not DUIS envelopes."""
        certificate = x509.load_pem_x509_certificate(bench.holder.ds_pem.encode())
        identity = SigningIdentity(bench.holder.entity_id, bench.holder.ds_key, certificate)
        return sign_request(bench.correction(), identity)

    yield case(
        AUTHENTICATION,
        "signed with the Digital Signing certificate, not the XML-signing one",
        device_signing_certificate,
        e1,
        bench=bench,
    )
    # the test SMKI certifies these keys in `prepare`, before the state is fingerprinted
    made: dict[str, SigningIdentity] = {}

    def certified(name: str, **how):
        def prepare() -> None:
            made[name] = bench.identity_with(bench.holder, **how)

        return prepare

    for name, how in (
        ("expired certificate", {"not_before": bench.past(400), "not_after": bench.past(30)}),
        ("certificate not yet valid", {"not_before": bench.past(-30)}),
        ("key agreement certificate used to sign", {"key_use": "KA"}),
        ("certificate of another role (Network Operator 03) used to sign", {"role": "03"}),
    ):
        yield case(
            AUTHENTICATION,
            name,
            functools.partial(lambda name: sign_request(bench.correction(), made[name]), name),
            e1,
            prepare=certified(name, **how),
            bench=bench,
        )

    def not_signer() -> bytes:
        request = bench.correction()
        rid = RequestID(bench.registered.entity_id, request.device_id, request.request_id.counter)
        return sign_request(bench.correction(request_id=rid), bench.holder.identity)

    yield case(AUTHENTICATION, "RequestID originator is not the signer", not_signer, e1, bench=bench)

    def cv5_by_another_user() -> bytes:
        root = parse(bench.valid_cv5())
        for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
            root.remove(signature)
        identity = bench.registered.identity
        return to_bytes(sign(root, identity.key, identity.certificate))

    yield case(AUTHENTICATION, "CV 5 signed by another User", cv5_by_another_user, e1, bench=bench, path=SERVICE_PATH)

    def carrying_another_in_a_ds_object() -> bytes:
        """The holder's signed correction with the registered NO's signed correction inside a ds:Object of its
        signature (not covered by the enveloped reference; the DUIS signature profile has no Object)."""
        root = parse(signed(bench))
        theirs = parse(sign_request(bench.correction(), bench.registered.identity))
        signature = root.find(q("Signature", DS))
        assert signature is not None  # `signed` signs it
        etree.SubElement(signature, q("Object", DS)).append(theirs)
        return to_bytes(root)

    yield case(
        AUTHENTICATION,
        "another User's signed request inside a ds:Object",
        carrying_another_in_a_ds_object,
        e1,
        bench=bench,
    )


def replay(bench: Bench) -> Iterator[Case]:
    sent: dict[str, bytes] = {}
    counters: dict[str, int] = {}

    def succeed_once() -> None:
        request = bench.correction()
        sent["body"] = sign_request(request, bench.holder.identity)
        sent["cv5"] = bench.cv5(request, sign_pre_command(bench.pre_command(request), bench.holder.device_signing_key))
        counters["next"] = bench.counters.next(bench.holder.entity_id)  # later than the accepted one
        if not bench.post(sent["cv5"], path=SERVICE_PATH).succeeded:
            raise RuntimeError("the valid correction was refused: the bench is broken")
        bench.restore()

    yield case(
        REPLAY,
        "replayed request (its CV 5, to Send Command)",
        lambda: sent["cv5"],
        Expect(response_code=E_REPLAY),
        prepare=succeed_once,
        bench=bench,
        path=SERVICE_PATH,
    )
    yield case(
        REPLAY,
        "replayed request (its CV 4, to Transform)",
        lambda: sent["body"],
        Expect(response_code=E_REPLAY),
        prepare=succeed_once,
        bench=bench,
    )

    def decreasing() -> bytes:
        accepted = RequestID.parse(etree.fromstring(sent["body"]).findtext(f"{q('Header')}/{q('RequestID')}") or "")
        earlier = RequestID(accepted.originator, accepted.target, accepted.counter - 1)
        return sign_request(bench.correction(request_id=earlier), bench.holder.identity)

    yield case(
        REPLAY, "decreasing counter", decreasing, Expect(response_code=E_REPLAY), prepare=succeed_once, bench=bench
    )
