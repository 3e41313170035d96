"""The sandbox's own doors and its faults: the Control API and the other local ports, the command line, the
configuration file, and S1SPs that fail."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from campaign.bench import S1SP_TIMEOUT, Bench
from campaign.cases.common import (
    CLI,
    CONFIG,
    CONTROL,
    E_S1SP,
    FAULTS,
    http,
    signed,
)
from campaign.model import Case, Expect, Sent
from serving.web import MAX_BODY_BYTES
from support.targets import TargetError, open_target


def control_api(bench: Bench) -> Iterator[Case]:
    url = bench.urls["Control"]
    token = {"Authorization": f"Bearer {bench.sandbox.control_token}"}

    def call(method: str, path: str, body: bytes | None = None, content_type="application/json") -> Callable[[], Sent]:
        return lambda: http(method, url + path, body, {"Content-Type": content_type} | token)

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
        return lambda: http("POST", bench.urls[port] + path, body, sent)

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


def command_line() -> Iterator[Case]:
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


def configuration() -> Iterator[Case]:
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


def faults(bench: Bench) -> Iterator[Case]:
    e20 = Expect(response_code=E_S1SP)

    def with_fault(mode: str, delay: float = 0.0) -> Callable[[], Sent]:
        def run() -> Sent:
            bench.control.set_s1sp_fault("S1SP1", mode, delay)
            try:
                sent = bench.post(signed(bench))
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
            return bench.post(signed(bench))
        finally:
            service.start("127.0.0.1", port)

    yield Case(FAULTS, "S1SP hangs up", with_fault("down"), e20)
    yield Case(FAULTS, "S1SP slower than the DSP waits", with_fault("slow", S1SP_TIMEOUT * 2), e20)
    yield Case(FAULTS, "S1SP answers garbage", with_fault("garbage"), e20)
    yield Case(FAULTS, "S1SP fails with HTTP 500", with_fault("error"), e20)
    yield Case(FAULTS, "S1SP not running", stopped, e20)
