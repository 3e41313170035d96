"""Bad input on the wire: what is not DUIS at all (HTTP 4xx), and DUIS the schema refuses."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from campaign.bench import Bench
from campaign.cases.common import (
    E_SCHEMA,
    INVALID_DUIS,
    NOT_DUIS,
    case,
    resigned,
    signed,
)
from campaign.model import Case, Expect
from duis.xml import SR
from serving.web import MAX_BODY_BYTES
from user_system.client import NON_DEVICE_PATH, SERVICE_PATH


def not_duis(bench: Bench) -> Iterator[Case]:
    e400 = Expect(status=400)
    valid = lambda: signed(bench)  # noqa: E731
    yield case(NOT_DUIS, "empty body", lambda: b"", e400, bench=bench)
    yield case(NOT_DUIS, "not XML", lambda: b"hello, DCC", e400, bench=bench)
    yield case(NOT_DUIS, "binary garbage", lambda: bytes(range(256)) * 4, e400, bench=bench)
    yield case(NOT_DUIS, "truncated XML", lambda: valid()[: len(valid()) // 2], e400, bench=bench)
    yield case(NOT_DUIS, "wrong namespace", lambda: valid().replace(SR.encode(), b"urn:not:duis"), e400, bench=bench)
    yield case(
        NOT_DUIS,
        "wrong root",
        lambda: b'<sr:Response xmlns:sr="%s" schemaVersion="5.1"/>' % SR.encode(),
        e400,
        bench=bench,
    )
    yield case(
        NOT_DUIS,
        "external entity (XXE)",
        lambda: (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<sr:Request xmlns:sr="%s" schemaVersion="5.1">&x;</sr:Request>' % SR.encode()
        ),
        e400,
        bench=bench,
    )
    yield case(NOT_DUIS, "entity expansion (billion laughs)", billion_laughs, e400, bench=bench)
    yield case(NOT_DUIS, "deep nesting", lambda: b"<a>" * 20000 + b"</a>" * 20000, e400, bench=bench)
    yield case(
        NOT_DUIS,
        f"body over {MAX_BODY_BYTES} bytes",
        lambda: b"<a>" + b"x" * (MAX_BODY_BYTES + 1) + b"</a>",
        Expect(status=413),
        bench=bench,
    )
    yield case(NOT_DUIS, "wrong content type", valid, Expect(status=415), content_type="text/plain", bench=bench)
    yield case(
        NOT_DUIS,
        "CV 5 with the wrong content type (Send Command)",
        bench.valid_cv5,
        Expect(status=415),
        content_type="text/plain",
        bench=bench,
        path=SERVICE_PATH,
    )
    yield case(NOT_DUIS, "not XML (Send Command)", lambda: b"hello, DCC", e400, bench=bench, path=SERVICE_PATH)
    yield case(NOT_DUIS, "not XML (Non-Device)", lambda: b"hello, DCC", e400, bench=bench, path=NON_DEVICE_PATH)


def billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>'
        f'<sr:Request xmlns:sr="{SR}" schemaVersion="5.1">&l9;</sr:Request>'
    ).encode()


def invalid_duis(bench: Bench) -> Iterator[Case]:
    schema = Expect(response_code=E_SCHEMA)

    def drop(path: str):
        def edit(root):
            el = root.find(path, {"sr": SR})
            el.getparent().remove(el)

        return edit

    def set_text(path: str, value: str):
        def edit(root):
            root.find(path, {"sr": SR}).text = value

        return edit

    yield case(
        INVALID_DUIS,
        "missing schemaVersion",
        lambda: resigned(bench, _drop_schema_version),
        schema,
        bench=bench,
    )
    yield case(
        INVALID_DUIS,
        "missing RemotePartyRole",
        lambda: resigned(bench, drop("sr:Body/sr:UpdateSecurityCredentialsKRP/sr:RemotePartyRole")),
        schema,
        bench=bench,
    )
    rid = lambda: str(bench.correction().request_id)  # noqa: E731
    yield case(
        INVALID_DUIS,
        "malformed EUI-64 in the RequestID",
        lambda: resigned(bench, set_text("sr:Header/sr:RequestID", rid().replace("-", "", 1))),
        schema,
        bench=bench,
    )
    yield case(
        NOT_DUIS,
        "unknown Service Reference Variant (no valid DUIS answer can echo it)",
        lambda: resigned(bench, set_text("sr:Header/sr:ServiceReferenceVariant", "9.99.9")),
        Expect(status=400),
        bench=bench,
    )
    yield case(
        INVALID_DUIS,
        "invalid base64 in a replacement certificate",
        lambda: resigned(
            bench,
            set_text(
                "sr:Body/sr:UpdateSecurityCredentialsKRP/sr:ReplacementCertificates/"
                "sr:SupplierOrNetworkOperatorCertificates/sr:DigitalSigningCertificate",
                "!!not base64!!",
            ),
        ),
        schema,
        bench=bench,
    )
    yield case(
        INVALID_DUIS,
        "counter beyond 64 bits",
        lambda: resigned(bench, set_text("sr:Header/sr:RequestID", rid().rsplit(":", 1)[0] + ":" + "9" * 25)),
        schema,
        bench=bench,
    )


def _drop_schema_version(root: etree._Element) -> None:
    del root.attrib["schemaVersion"]
