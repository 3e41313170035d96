"""DCC's own client libraries work against the sandbox (issue 16): `tests/npm_client/critical_flow.mjs`, a User
system built as DCC's Node-RED nodes build one (npm `@smartdcc/duis-parser` to build the requests, with
EUI-64s in lower case as it writes them; `@smartdcc/duis-sign-wrap` to sign and validate with DCC's tool;
`@smartdcc/dccboxed-keystore` for the Network Operator's Digital Signing key, never its XML-signing one),
completes SRV 6.15.1's critical flow against `serve --pki dcc-boxed` on free loopback ports: CV 4 ->
Pre-Command -> CV 5 -> I99 -> the answer delivered to its own Receive Response Service. The packages are
DCC's, installed by `npm ci`, not copies (`@smartdcc/gbcs-parser`, which npm does not serve here, is the one
exception: its `signGroupingHeader` is followed step by step in the script, which says so)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from fake_services.core import boxed_pki
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole
from support.control_client import ControlClient
from support.sandbox_process import SandboxProcess, start_sandbox_process
from tests.dcc_tool import find_dcc_tool

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "npm_client" / "critical_flow.mjs"
METER = "00-DB-12-34-56-78-90-A0"  # the ESME DCC's templates address
NO, SUPPLIER = "90-B3-D5-1F-30-02-00-00", "90-B3-D5-1F-30-01-00-00"
PACKAGES = ("duis-parser", "duis-sign-wrap", "dccboxed-keystore", "duis-templates")


def _node() -> str:
    """`node` with DCC's packages installed by npm, or skip (fail under CI) saying what is missing."""
    node = shutil.which("node")
    missing = [] if node else ["`node` is not on PATH (Node.js 20+)"]
    installed = ROOT / "node_modules" / "@smartdcc"
    missing += [f"npm @smartdcc/{p} (run `npm ci`)" for p in PACKAGES if not (installed / p).is_dir()]
    if missing:
        message = "DCC's npm client test cannot run: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return node or "node"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _arrange(control: ControlClient, receiver_url: str) -> None:
    """DCC's templates' ESME on S1SP1, registered to Boxed's Network Operator and Supplier, holding the Network
    Operator's Z1 certificates (whose key Node-RED signs Pre-Commands with), the NO's answers delivered to the
    script's receiver."""
    pki = boxed_pki.load()
    acb = {
        e.certificate.key_use: e.certificate.pem()
        for e in pki.organisation(boxed_pki.DSP_ENTITY_ID, RemotePartyRole.ACCESS_CONTROL_BROKER)
    }
    control.reset()
    control.add_installation(
        {
            "smets": 1,
            "s1sp": "S1SP1",
            "mpan": [{"mpan": "1199157342471", "electricity_distributor": NO, "import_supplier": SUPPLIER}],
            "devices": [
                {"device_id": METER, "device_type": "ESME", "mpxn": "1199157342471"},
                {"device_id": "00-DB-12-34-56-78-90-A2", "device_type": "CHF"},
            ],
            "trust_anchors": [
                {
                    "device_id": METER,
                    "role": "NetworkOperator",
                    "ds": pki.named("Z1-networkOperator-ds").certificate.pem(),
                    "ka": pki.named("Z1-networkOperator-ka").certificate.pem(),
                },
                {"device_id": METER, "role": "ACB", "ds": acb[KeyUse.DS], "ka": acb[KeyUse.KA]},
            ],
        }
    )
    control.set_receive_address(NO, receiver_url)


def test_dcc_s_npm_libraries_complete_the_6_15_1_critical_flow_against_serve_pki_dcc_boxed() -> None:
    node, _tool = _node(), find_dcc_tool()
    started = start_sandbox_process("--pki", "dcc-boxed")
    assert isinstance(started, SandboxProcess), f"serve --pki dcc-boxed exited {started.returncode}"
    control = ControlClient(started.urls["Control"])
    try:
        port = _free_port()
        _arrange(control, f"http://127.0.0.1:{port}/smartdcc/duis")
        run = subprocess.run(
            [node, str(SCRIPT), started.urls["DSP"], str(port), NO, METER],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        legs = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        assert run.returncode == 0, f"the npm client failed: {legs or run.stdout}\n{run.stderr[-2000:]}"
        by_leg = {leg["leg"]: leg for leg in legs}
        assert by_leg["CV 4 built"]["requestId"] == f"{NO}:{METER}:0".lower()  # duis-parser writes lower case
        assert by_leg["Pre-Command key"] == {"leg": "Pre-Command key", "name": "Z1-networkOperator-ds", "role": 3}
        assert by_leg["Transform"]["responseCode"] == "I0"
        assert by_leg["Send Command"]["responseCode"] == "I99"
        assert by_leg["answer delivered"]["responseCode"] == "I0"
        assert by_leg["answer delivered"]["body"] == ["SMETS1ResponseMessage"]
        assert by_leg["done"]["done"] is True
        # The meter now holds what the request placed: the NO's Z1b certificates.
        held = {a["key_use"]: a for a in control.trust_anchors(METER) if a["role"] == "NetworkOperator"}
        placed = OrganisationCertificate.from_pem(boxed_pki.load().named("Z1b-networkOperator-ds").certificate.pem())
        assert held["DS"]["certificate_id"] == placed.certificate_id and held["DS"]["entity_id"] == NO
    finally:
        control.close()
        started.terminate()
