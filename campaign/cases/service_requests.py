"""What is asked: the device, the replacement certificates, and the critical flow (Command Variants, the
Pre-Command, attempts to bypass it)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

from campaign.bench import Bench
from campaign.cases.common import (
    CERTIFICATES,
    CRITICAL,
    DER,
    DEVICE,
    E_COMMAND_VARIANT,
    E_DEVICE_TYPE,
    E_PRE_COMMAND,
    E_UNKNOWN_DEVICE,
    E_WEB_SERVICE,
    INVALID_CERTIFICATE,
    OWNER_MISMATCH,
    case,
    http,
    signed,
)
from campaign.model import Case, Expect, Sent
from duis.precommand import pre_command_for, sign_pre_command
from duis.requests import RequestID
from duis.signature import sign
from duis.xml import parse, to_bytes
from fake_services.core.dcc_internal import countersigned_request
from fake_services.dsp.models import TransformLimits
from fake_services.s1sp.urls import S1SP_PATH
from user_system.client import NON_DEVICE_PATH, SERVICE_PATH, sign_request


def device(bench: Bench) -> Iterator[Case]:
    def to(device_id: str) -> bytes:
        request = bench.correction()
        rid = RequestID(request.originator, device_id, request.request_id.counter)
        return sign_request(bench.correction(request_id=rid), bench.holder.identity)

    yield case(
        DEVICE,
        "unknown device",
        lambda: to("00-DB-12-FF-FF-FF-FF-FF"),
        Expect(response_code=E_UNKNOWN_DEVICE),
        bench=bench,
    )
    yield case(
        DEVICE,
        "device of the wrong type",
        lambda: to(bench.installation.chf),
        Expect(response_code=E_DEVICE_TYPE),
        bench=bench,
    )


def certificates(bench: Bench) -> Iterator[Case]:
    alert = Expect(alert=INVALID_CERTIFICATE)
    junk_der = base64.b64decode(base64.b64encode(b"\x30\x03\x02\x01\x00"))
    yield case(
        CERTIFICATES,
        "replacement certificate is not DER",
        lambda: signed(bench, digital_signing_certificate=junk_der),
        alert,
        bench=bench,
    )
    yield case(
        CERTIFICATES,
        "replacement certificate of the wrong role",
        lambda: signed(
            bench, digital_signing_certificate=bench.supplier.ds_der, key_agreement_certificate=bench.supplier.ka_der
        ),
        alert,
        bench=bench,
    )
    yield case(
        CERTIFICATES,
        "replacement certificate with the wrong key usage",
        lambda: signed(bench, digital_signing_certificate=bench.registered.ka_der),
        alert,
        bench=bench,
    )
    yield case(
        CERTIFICATES,
        "DS and KA certificates swapped",
        lambda: signed(
            bench,
            digital_signing_certificate=bench.registered.ka_der,
            key_agreement_certificate=bench.registered.ds_der,
        ),
        alert,
        bench=bench,
    )
    yield case(
        CERTIFICATES,
        "replacement certificate from an unknown CA",
        lambda: signed(
            bench, digital_signing_certificate=bench.foreign_identity(bench.registered).certificate.public_bytes(DER)
        ),
        alert,
        bench=bench,
    )


def critical_flow(bench: Bench) -> Iterator[Case]:
    """DUIS's critical flow: the Command Variant an SRV allows and the web service that takes it, the
    Pre-Command a CV 5 must carry, the key that must sign it, and the S1SP only the DSP may reach."""
    yield case(
        CRITICAL,
        "Critical SRV sent as CV 1 to Send Command",
        lambda: signed(bench, command_variant=1),
        Expect(response_code=E_COMMAND_VARIANT),
        bench=bench,
        path=SERVICE_PATH,
    )
    yield case(
        CRITICAL,
        "CV 4 sent to Send Command",
        lambda: signed(bench),
        Expect(response_code=E_WEB_SERVICE),
        bench=bench,
        path=SERVICE_PATH,
    )
    yield case(
        CRITICAL,
        "CV 4 sent to Non-Device",
        lambda: signed(bench),
        Expect(response_code=E_WEB_SERVICE),
        bench=bench,
        path=NON_DEVICE_PATH,
    )
    yield case(CRITICAL, "CV 5 sent to Transform", bench.valid_cv5, Expect(response_code=E_WEB_SERVICE), bench=bench)

    def cv5_with(pre_command: Callable[[bytes], bytes], issue: bool = True) -> Callable[[], bytes]:
        """A CV 5 for a fresh correction (its Pre-Command issued unless `issue` is False) carrying what
        `pre_command(issued payload)` makes of the Pre-Command."""

        def body() -> bytes:
            request = bench.correction()
            issued = bench.pre_command(request) if issue else pre_command_for(request, request.to_xml()).to_bytes()
            return bench.cv5(request, pre_command(issued))

        return body

    holder_key, registered_key = bench.holder.device_signing_key, bench.registered.device_signing_key
    def altered(issued: bytes) -> bytes:
        return sign_pre_command(issued[:-1] + bytes([issued[-1] ^ 1]), holder_key)

    for name, body, expect in (
        (
            "CV 5 whose Pre-Command the DCC never issued",
            cv5_with(lambda issued: sign_pre_command(issued, holder_key), issue=False),
            Expect(response_code=E_PRE_COMMAND),
        ),
        ("CV 5 with an altered Pre-Command", cv5_with(altered), Expect(response_code=E_PRE_COMMAND)),
        ("CV 5 with an unsigned Pre-Command", cv5_with(lambda issued: issued), Expect(response_code=E_PRE_COMMAND)),
        (
            "Pre-Command signed with another User's Digital Signing key",
            cv5_with(lambda issued: sign_pre_command(issued, registered_key)),
            Expect(alert=OWNER_MISMATCH),
        ),
        (
            "Pre-Command signed with the sender's XML-signing key",
            cv5_with(lambda issued: sign_pre_command(issued, bench.holder.identity.key)),
            Expect(alert=OWNER_MISMATCH),
        ),
    ):
        yield case(CRITICAL, name, body, expect, bench=bench, path=SERVICE_PATH)

    expired: dict[str, bytes] = {}

    def issue_then_let_expire() -> None:
        request = bench.correction()
        expired["cv5"] = bench.cv5(request, sign_pre_command(bench.pre_command(request), holder_key))
        bench.control.move_clock(advance_seconds=TransformLimits().lifetime_seconds + 60)

    yield case(
        CRITICAL,
        "CV 5 after its Pre-Command expired",
        lambda: expired["cv5"],
        Expect(response_code=E_PRE_COMMAND),
        prepare=issue_then_let_expire,
        bench=bench,
        path=SERVICE_PATH,
    )

    def to_s1sp(body: Callable[[], bytes]) -> Callable[[], Sent]:
        return lambda: http("POST", bench.urls["S1SP1"] + S1SP_PATH, body(), {"Content-Type": "application/xml"})

    def countersigned_by_the_user() -> bytes:
        identity = bench.holder.identity
        envelope = countersigned_request(parse(signed(bench)), None)
        return to_bytes(sign(envelope, identity.key, identity.certificate))

    yield Case(CRITICAL, "request sent straight to an S1SP", to_s1sp(lambda: signed(bench)), Expect(status=403))
    yield Case(
        CRITICAL,
        "request countersigned by the User, sent straight to an S1SP",
        to_s1sp(countersigned_by_the_user),
        Expect(status=403),
    )
