"""The named cases: every bad input issue 5 lists, on every input path, and every S1SP fault.

DUIS cases send the valid correction's Command Variant 4 to the Transform service (where a Critical
request's access control happens) unless they say otherwise; `Bench.post` follows what the DSP accepts
to its CV 5 and its delivered answer, so the S1SP's checks and faults are reached the way DCC has it."""

from __future__ import annotations

import base64
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from campaign.bench import S1SP_TIMEOUT, Bench
from campaign.model import Case, Expect, Sent
from duis.precommand import pre_command_for, sign_pre_command
from duis.requests import RequestID
from duis.signature import sign
from duis.xml import DS, SR, parse, q, to_bytes
from fake_services.core.dcc_internal import countersigned_request
from fake_services.dsp.models import TransformLimits
from fake_services.s1sp.urls import S1SP_PATH
from serving.web import MAX_BODY_BYTES
from support.targets import TargetError, open_target
from user_system.client import NON_DEVICE_PATH, SERVICE_PATH, TRANSFORM_PATH, SigningIdentity, sign_request

NOT_DUIS = "not DUIS (HTTP 4xx)"
INVALID_DUIS = "invalid DUIS (DUIS error response)"
AUTHENTICATION = "signature and certificate"
REPLAY = "anti-replay"
DEVICE = "device"
CERTIFICATES = "replacement certificates"
CONTROL = "Control API"
CLI = "command line"
CONFIG = "configuration file"
FAULTS = "S1SP faults"
CRITICAL = "critical flow (CV, Pre-Command, bypass)"

E_SCHEMA, E_SIGNATURE, E_REPLAY, E_UNKNOWN_DEVICE, E_DEVICE_TYPE, E_S1SP = "E100", "E1", "E100", "E19", "E11", "E20"
E_COMMAND_VARIANT, E_WEB_SERVICE, E_PRE_COMMAND = "E12", "E13", "E100"
INVALID_CERTIFICATE = "S1SP-INVALID-CERTIFICATE"
OWNER_MISMATCH = "S1SP-CERT-OWNER-MISMATCH"
DER = Encoding.DER


def named_cases(bench: Bench) -> Iterator[Case]:
    yield from _not_duis(bench)
    yield from _invalid_duis(bench)
    yield from _authentication(bench)
    yield from _replay(bench)
    yield from _device(bench)
    yield from _certificates(bench)
    yield from _critical_flow(bench)
    yield from _control_api(bench)
    yield from _command_line()
    yield from _configuration()
    yield from _faults(bench)


def _signed(bench: Bench, **changes) -> bytes:
    return sign_request(bench.correction(**changes), bench.holder.identity)


def _resigned(bench: Bench, edit: Callable[[etree._Element], None], identity=None) -> bytes:
    """The valid request edited, then signed properly: only a check deeper than the signature can catch it."""
    root = bench.correction().to_xml()
    edit(root)
    identity = identity or bench.holder.identity
    return to_bytes(sign(root, identity.key, identity.certificate))


def _case(
    category: str,
    name: str,
    body: Callable[[], bytes],
    expect: Expect,
    content_type="application/xml",
    prepare=None,
    bench: Bench | None = None,
    path: str = TRANSFORM_PATH,
) -> Case:
    assert bench is not None
    return Case(category, name, lambda: bench.post(body(), content_type, path), expect, prepare)


def _http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Sent:
    """One plain HTTP request, as what came back (status 0: no answer at all)."""
    try:
        reply = requests.request(method, url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        return Sent(0, detail=str(exc))
    return Sent(reply.status_code, detail=reply.text.strip()[:200])


def _not_duis(bench: Bench) -> Iterator[Case]:
    e400 = Expect(status=400)
    valid = lambda: _signed(bench)  # noqa: E731
    yield _case(NOT_DUIS, "empty body", lambda: b"", e400, bench=bench)
    yield _case(NOT_DUIS, "not XML", lambda: b"hello, DCC", e400, bench=bench)
    yield _case(NOT_DUIS, "binary garbage", lambda: bytes(range(256)) * 4, e400, bench=bench)
    yield _case(NOT_DUIS, "truncated XML", lambda: valid()[: len(valid()) // 2], e400, bench=bench)
    yield _case(NOT_DUIS, "wrong namespace", lambda: valid().replace(SR.encode(), b"urn:not:duis"), e400, bench=bench)
    yield _case(
        NOT_DUIS,
        "wrong root",
        lambda: b'<sr:Response xmlns:sr="%s" schemaVersion="5.1"/>' % SR.encode(),
        e400,
        bench=bench,
    )
    yield _case(
        NOT_DUIS,
        "external entity (XXE)",
        lambda: (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<sr:Request xmlns:sr="%s" schemaVersion="5.1">&x;</sr:Request>' % SR.encode()
        ),
        e400,
        bench=bench,
    )
    yield _case(NOT_DUIS, "entity expansion (billion laughs)", _billion_laughs, e400, bench=bench)
    yield _case(NOT_DUIS, "deep nesting", lambda: b"<a>" * 20000 + b"</a>" * 20000, e400, bench=bench)
    yield _case(
        NOT_DUIS,
        f"body over {MAX_BODY_BYTES} bytes",
        lambda: b"<a>" + b"x" * (MAX_BODY_BYTES + 1) + b"</a>",
        Expect(status=413),
        bench=bench,
    )
    yield _case(NOT_DUIS, "wrong content type", valid, Expect(status=415), content_type="text/plain", bench=bench)
    yield _case(
        NOT_DUIS,
        "CV 5 with the wrong content type (Send Command)",
        bench.valid_cv5,
        Expect(status=415),
        content_type="text/plain",
        bench=bench,
        path=SERVICE_PATH,
    )
    yield _case(NOT_DUIS, "not XML (Send Command)", lambda: b"hello, DCC", e400, bench=bench, path=SERVICE_PATH)
    yield _case(NOT_DUIS, "not XML (Non-Device)", lambda: b"hello, DCC", e400, bench=bench, path=NON_DEVICE_PATH)


def _billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>'
        f'<sr:Request xmlns:sr="{SR}" schemaVersion="5.1">&l9;</sr:Request>'
    ).encode()


def _invalid_duis(bench: Bench) -> Iterator[Case]:
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

    yield _case(
        INVALID_DUIS,
        "missing schemaVersion",
        lambda: _resigned(bench, lambda r: r.attrib.pop("schemaVersion")),
        schema,
        bench=bench,
    )
    yield _case(
        INVALID_DUIS,
        "missing RemotePartyRole",
        lambda: _resigned(bench, drop("sr:Body/sr:UpdateSecurityCredentialsKRP/sr:RemotePartyRole")),
        schema,
        bench=bench,
    )
    rid = lambda: str(bench.correction().request_id)  # noqa: E731
    yield _case(
        INVALID_DUIS,
        "malformed EUI-64 in the RequestID",
        lambda: _resigned(bench, set_text("sr:Header/sr:RequestID", rid().replace("-", "", 1))),
        schema,
        bench=bench,
    )
    yield _case(
        NOT_DUIS,
        "unknown Service Reference Variant (no valid DUIS answer can echo it)",
        lambda: _resigned(bench, set_text("sr:Header/sr:ServiceReferenceVariant", "9.99.9")),
        Expect(status=400),
        bench=bench,
    )
    yield _case(
        INVALID_DUIS,
        "invalid base64 in a replacement certificate",
        lambda: _resigned(
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
    yield _case(
        INVALID_DUIS,
        "counter beyond 64 bits",
        lambda: _resigned(bench, set_text("sr:Header/sr:RequestID", rid().rsplit(":", 1)[0] + ":" + "9" * 25)),
        schema,
        bench=bench,
    )


def _authentication(bench: Bench) -> Iterator[Case]:
    e1 = Expect(response_code=E_SIGNATURE)
    yield _case(AUTHENTICATION, "unsigned", lambda: to_bytes(bench.correction().to_xml()), e1, bench=bench)

    def tampered() -> bytes:
        return _signed(bench).replace(b">NetworkOperator<", b">Supplier<")

    yield _case(AUTHENTICATION, "tampered after signing", tampered, e1, bench=bench)

    def wrong_key() -> bytes:
        root = bench.correction().to_xml()
        stranger = bench.foreign_identity(bench.holder)
        return to_bytes(sign(root, stranger.key, bench.holder.identity.certificate))

    yield _case(AUTHENTICATION, "signed with a key that does not match the certificate", wrong_key, e1, bench=bench)
    yield _case(
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

    yield _case(
        AUTHENTICATION,
        "signed with the Digital Signing certificate, not the XML-signing one",
        device_signing_certificate,
        e1,
        bench=bench,
    )
    # the test SMKI certifies these keys in `prepare`, before the state is fingerprinted
    made: dict[str, object] = {}

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
        yield _case(
            AUTHENTICATION,
            name,
            lambda name=name: sign_request(bench.correction(), made[name]),
            e1,
            prepare=certified(name, **how),
            bench=bench,
        )

    def not_signer() -> bytes:
        request = bench.correction()
        rid = RequestID(bench.registered.entity_id, request.device_id, request.request_id.counter)
        return sign_request(bench.correction(request_id=rid), bench.holder.identity)

    yield _case(AUTHENTICATION, "RequestID originator is not the signer", not_signer, e1, bench=bench)

    def cv5_by_another_user() -> bytes:
        root = parse(bench.valid_cv5())
        for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
            root.remove(signature)
        identity = bench.registered.identity
        return to_bytes(sign(root, identity.key, identity.certificate))

    yield _case(AUTHENTICATION, "CV 5 signed by another User", cv5_by_another_user, e1, bench=bench, path=SERVICE_PATH)

    def carrying_another_in_a_ds_object() -> bytes:
        """The holder's signed correction with the registered NO's signed correction inside a ds:Object of its
        signature (not covered by the enveloped reference; the DUIS signature profile has no Object)."""
        root = parse(_signed(bench))
        theirs = parse(sign_request(bench.correction(), bench.registered.identity))
        etree.SubElement(root.find(q("Signature", DS)), q("Object", DS)).append(theirs)
        return to_bytes(root)

    yield _case(
        AUTHENTICATION,
        "another User's signed request inside a ds:Object",
        carrying_another_in_a_ds_object,
        e1,
        bench=bench,
    )


def _replay(bench: Bench) -> Iterator[Case]:
    sent: dict[str, bytes] = {}

    def succeed_once() -> None:
        request = bench.correction()
        sent["body"] = sign_request(request, bench.holder.identity)
        sent["cv5"] = bench.cv5(request, sign_pre_command(bench.pre_command(request), bench.holder.device_signing_key))
        sent["counter"] = bench.counters.next(bench.holder.entity_id)  # later than the accepted one
        if not bench.post(sent["cv5"], path=SERVICE_PATH).succeeded:
            raise RuntimeError("the valid correction was refused: the bench is broken")
        bench.restore()

    yield _case(
        REPLAY,
        "replayed request (its CV 5, to Send Command)",
        lambda: sent["cv5"],
        Expect(response_code=E_REPLAY),
        prepare=succeed_once,
        bench=bench,
        path=SERVICE_PATH,
    )
    yield _case(
        REPLAY,
        "replayed request (its CV 4, to Transform)",
        lambda: sent["body"],
        Expect(response_code=E_REPLAY),
        prepare=succeed_once,
        bench=bench,
    )

    def decreasing() -> bytes:
        accepted = RequestID.parse(etree.fromstring(sent["body"]).findtext(f"{q('Header')}/{q('RequestID')}"))
        earlier = RequestID(accepted.originator, accepted.target, accepted.counter - 1)
        return sign_request(bench.correction(request_id=earlier), bench.holder.identity)

    yield _case(
        REPLAY, "decreasing counter", decreasing, Expect(response_code=E_REPLAY), prepare=succeed_once, bench=bench
    )


def _device(bench: Bench) -> Iterator[Case]:
    def to(device_id: str) -> bytes:
        request = bench.correction()
        rid = RequestID(request.originator, device_id, request.request_id.counter)
        return sign_request(bench.correction(request_id=rid), bench.holder.identity)

    yield _case(
        DEVICE,
        "unknown device",
        lambda: to("00-DB-12-FF-FF-FF-FF-FF"),
        Expect(response_code=E_UNKNOWN_DEVICE),
        bench=bench,
    )
    yield _case(
        DEVICE,
        "device of the wrong type",
        lambda: to(bench.installation.chf),
        Expect(response_code=E_DEVICE_TYPE),
        bench=bench,
    )


def _certificates(bench: Bench) -> Iterator[Case]:
    alert = Expect(alert=INVALID_CERTIFICATE)
    junk_der = base64.b64decode(base64.b64encode(b"\x30\x03\x02\x01\x00"))
    yield _case(
        CERTIFICATES,
        "replacement certificate is not DER",
        lambda: _signed(bench, digital_signing_certificate=junk_der),
        alert,
        bench=bench,
    )
    yield _case(
        CERTIFICATES,
        "replacement certificate of the wrong role",
        lambda: _signed(
            bench, digital_signing_certificate=bench.supplier.ds_der, key_agreement_certificate=bench.supplier.ka_der
        ),
        alert,
        bench=bench,
    )
    yield _case(
        CERTIFICATES,
        "replacement certificate with the wrong key usage",
        lambda: _signed(bench, digital_signing_certificate=bench.registered.ka_der),
        alert,
        bench=bench,
    )
    yield _case(
        CERTIFICATES,
        "DS and KA certificates swapped",
        lambda: _signed(
            bench,
            digital_signing_certificate=bench.registered.ka_der,
            key_agreement_certificate=bench.registered.ds_der,
        ),
        alert,
        bench=bench,
    )
    yield _case(
        CERTIFICATES,
        "replacement certificate from an unknown CA",
        lambda: _signed(
            bench, digital_signing_certificate=bench.foreign_identity(bench.registered).certificate.public_bytes(DER)
        ),
        alert,
        bench=bench,
    )


def _critical_flow(bench: Bench) -> Iterator[Case]:
    """DUIS's critical flow: the Command Variant an SRV allows and the web service that takes it, the
    Pre-Command a CV 5 must carry, the key that must sign it, and the S1SP only the DSP may reach."""
    yield _case(
        CRITICAL,
        "Critical SRV sent as CV 1 to Send Command",
        lambda: _signed(bench, command_variant=1),
        Expect(response_code=E_COMMAND_VARIANT),
        bench=bench,
        path=SERVICE_PATH,
    )
    yield _case(
        CRITICAL,
        "CV 4 sent to Send Command",
        lambda: _signed(bench),
        Expect(response_code=E_WEB_SERVICE),
        bench=bench,
        path=SERVICE_PATH,
    )
    yield _case(
        CRITICAL,
        "CV 4 sent to Non-Device",
        lambda: _signed(bench),
        Expect(response_code=E_WEB_SERVICE),
        bench=bench,
        path=NON_DEVICE_PATH,
    )
    yield _case(CRITICAL, "CV 5 sent to Transform", bench.valid_cv5, Expect(response_code=E_WEB_SERVICE), bench=bench)

    def cv5_with(pre_command: Callable[[object], bytes], issue: bool = True) -> Callable[[], bytes]:
        """A CV 5 for a fresh correction (its Pre-Command issued unless `issue` is False) carrying what
        `pre_command(issued payload)` makes of the Pre-Command."""

        def body() -> bytes:
            request = bench.correction()
            issued = bench.pre_command(request) if issue else pre_command_for(request, request.to_xml()).to_bytes()
            return bench.cv5(request, pre_command(issued))

        return body

    holder_key, registered_key = bench.holder.device_signing_key, bench.registered.device_signing_key
    altered = lambda issued: sign_pre_command(issued[:-1] + bytes([issued[-1] ^ 1]), holder_key)  # noqa: E731
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
        yield _case(CRITICAL, name, body, expect, bench=bench, path=SERVICE_PATH)

    expired: dict[str, bytes] = {}

    def issue_then_let_expire() -> None:
        request = bench.correction()
        expired["cv5"] = bench.cv5(request, sign_pre_command(bench.pre_command(request), holder_key))
        bench.control.move_clock(advance_seconds=TransformLimits().lifetime_seconds + 60)

    yield _case(
        CRITICAL,
        "CV 5 after its Pre-Command expired",
        lambda: expired["cv5"],
        Expect(response_code=E_PRE_COMMAND),
        prepare=issue_then_let_expire,
        bench=bench,
        path=SERVICE_PATH,
    )

    def to_s1sp(body: Callable[[], bytes]) -> Callable[[], Sent]:
        return lambda: _http("POST", bench.urls["S1SP1"] + S1SP_PATH, body(), {"Content-Type": "application/xml"})

    def countersigned_by_the_user() -> bytes:
        identity = bench.holder.identity
        envelope = countersigned_request(parse(_signed(bench)), None)
        return to_bytes(sign(envelope, identity.key, identity.certificate))

    yield Case(CRITICAL, "request sent straight to an S1SP", to_s1sp(lambda: _signed(bench)), Expect(status=403))
    yield Case(
        CRITICAL,
        "request countersigned by the User, sent straight to an S1SP",
        to_s1sp(countersigned_by_the_user),
        Expect(status=403),
    )


def _control_api(bench: Bench) -> Iterator[Case]:
    url = bench.urls["Control"]
    token = {"Authorization": f"Bearer {bench.sandbox.control_token}"}

    def call(method: str, path: str, body: bytes | None = None, content_type="application/json") -> Callable[[], Sent]:
        return lambda: _http(method, url + path, body, {"Content-Type": content_type} | token)

    cases = [
        ("body is not JSON", "POST", "/registration/mpan", b"{not json", 400),
        ("body is a JSON list", "POST", "/users", b"[1, 2]", 400),
        ("missing field", "POST", "/users", b'{"name": "x"}', 400),
        (
            "MPAN with a wrong check digit",
            "POST",
            "/registration/mpan",
            b'{"mpan": "1100000000001", "electricity_distributor": "90-B3-D5-1F-30-00-00-01",'
            b' "import_supplier": "90-B3-D5-1F-30-00-00-01"}',
            400,
        ),
        (
            "MPRN with wrong check digits",
            "POST",
            "/registration/mprn",
            b'{"mprn": "1234567899", "gas_transporter": "90-B3-D5-1F-30-00-00-01",'
            b' "gas_supplier": "90-B3-D5-1F-30-00-00-01"}',
            400,
        ),
        ("malformed EUI-64", "POST", "/users", b'{"entity_id": "90B3", "name": "x", "user_role": "Other User"}', 400),
        (
            "unknown User Role",
            "POST",
            "/users",
            b'{"entity_id": "90-B3-D5-1F-30-00-00-09", "name": "x", "user_role": "King"}',
            400,
        ),
        ("unknown S1SP", "PUT", "/switches/s1sp/S1SP9", b'{"enabled": true}', 404),
        ("switch that is not true or false", "PUT", "/switches/dsp-mp107", b'{"enabled": "yes"}', 400),
        ("fault mode that does not exist", "PUT", "/faults/s1sp/S1SP1", b'{"mode": "melt"}', 400),
        (
            "certificate for a key that is not P-256",
            "POST",
            "/smki/certificates",
            b'{"public_key": "nope", "entity_id": "90-B3-D5-1F-30-00-00-09", "role_code": "03", "key_use": "DS"}',
            400,
        ),
        ("unknown resource", "GET", "/no/such/thing", None, 404),
        ("wrong method", "DELETE", "/reset", None, 405),
        ("body over the size limit", "POST", "/users", b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}", 413),
    ]
    for name, method, path, body, status in cases:
        yield Case(CONTROL, name, call(method, path, body), Expect(status=status))

    def cross_site(port: str, path: str, body: bytes, **headers: str) -> Callable[[], Sent]:
        """A POST as a web page sends it unasked: text/plain, its own Origin, no token."""

        sent = {"Content-Type": "text/plain", "Origin": "http://attacker.example"} | headers
        sent = {name: value for name, value in sent.items() if value}  # "" leaves a header out
        return lambda: _http("POST", bench.urls[port] + path, body, sent)

    for port, path, body in (
        ("Control", "/reset", b""),
        ("Control", "/users", b'{"entity_id": "90-B3-D5-1F-30-00-00-09", "name": "x", "user_role": "Other User"}'),
        ("MCC", "/enrolment/migration-authorisations", b'{"device_id": "00-DB-12-34-56-78-90-A0", "supplier": "x"}'),
        ("Meters", f"/devices/{bench.esme}/alerts", b'{"alert_code": "8F35"}'),
    ):
        host = f"attacker.example:{bench.urls[port].rsplit(':', 1)[1]}"
        yield Case(CONTROL, f"cross-site POST {path} to {port}", cross_site(port, path, body), Expect(status=403))
        yield Case(
            CONTROL,
            f"cross-site POST {path} to {port} by a page's own name (DNS rebinding)",
            cross_site(port, path, body, Host=host),
            Expect(status=403),
        )
        yield Case(
            CONTROL,
            f"text/plain POST {path} to {port} without a token",
            cross_site(port, path, body, Origin=""),
            Expect(status=401),
        )


def _command_line() -> Iterator[Case]:
    def serve(*args: str) -> Callable[[], Sent]:
        def run() -> Sent:
            done = subprocess.run(
                [sys.executable, "-m", "fake_services", "serve", *args], capture_output=True, text=True, timeout=30
            )
            clear = done.stderr.strip().splitlines()[-1:] if done.stderr else ["(nothing said)"]
            return Sent(done.returncode, detail=clear[0], kind="exit")

        return run

    missing_folder = str(Path(tempfile.gettempdir()) / "no-such-folder-mp107" / "sandbox.db")
    for name, args in (
        ("port that is not a number", ("--dsp-port", "eighty")),
        ("timeout that is not positive", ("--s1sp-timeout", "0")),
        ("database in a folder that does not exist", ("--database", missing_folder)),
        ("listening beyond loopback without a token", ("--host", "0.0.0.0")),
    ):
        yield Case(CLI, name, serve(*args), Expect(status=2))


def _configuration() -> Iterator[Case]:
    def target(userdata: dict[str, str], text: str | None = None) -> Callable[[], Sent]:
        def run() -> Sent:
            with tempfile.TemporaryDirectory() as folder:
                if text is not None:
                    path = Path(folder) / "target.ini"
                    path.write_text(text)
                    userdata["target_config"] = str(path)
                try:
                    opened = open_target(userdata)
                except TargetError as exc:
                    return Sent(2, detail=str(exc), kind="raised")
                except Exception as exc:  # anything else is a crash
                    return Sent(1, detail=repr(exc), kind="raised")
                opened.stop()
                return Sent(0, succeeded=True, kind="raised")

        return run

    for name, userdata, text in (
        ("configuration file that does not exist", {"target_config": "/no/such/target.ini"}, None),
        ("configuration file without a [target] section", {}, "[other]\nx = 1\n"),
        ("configuration file that is not INI", {}, "\x00\x01 not ini ["),
        ("unknown target kind", {}, "[target]\ntarget = production\n"),
        ("external target without its URLs", {}, "[target]\ntarget = external\n"),
    ):
        yield Case(CONFIG, name, target(dict(userdata), text), Expect(status=2))


def _faults(bench: Bench) -> Iterator[Case]:
    e20 = Expect(response_code=E_S1SP)

    def with_fault(mode: str, delay: float = 0.0) -> Callable[[], Sent]:
        def run() -> Sent:
            bench.control.set_s1sp_fault("S1SP1", mode, delay)
            try:
                sent = bench.post(_signed(bench))
            finally:
                bench.control.set_s1sp_fault("S1SP1", "none")
            if delay and sent.acknowledged:
                bench.wait_for_s1sp_answer(sent.acknowledged)  # the slow S1SP finishes (and must not commit)
            return sent

        return run

    def stopped() -> Sent:
        service = bench.sandbox.services["S1SP1"]
        port = int(service.url.rsplit(":", 1)[1])
        service.stop()
        try:
            return bench.post(_signed(bench))
        finally:
            service.start("127.0.0.1", port)

    yield Case(FAULTS, "S1SP hangs up", with_fault("down"), e20)
    yield Case(FAULTS, "S1SP slower than the DSP waits", with_fault("slow", S1SP_TIMEOUT * 2), e20)
    yield Case(FAULTS, "S1SP answers garbage", with_fault("garbage"), e20)
    yield Case(FAULTS, "S1SP fails with HTTP 500", with_fault("error"), e20)
    yield Case(FAULTS, "S1SP not running", stopped, e20)
