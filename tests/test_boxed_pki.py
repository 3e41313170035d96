"""DCC Boxed's PKI (issue 9): with `--pki dcc-boxed` the sandbox takes DCC's own sample requests signed by
DCC's own tool with its built-in keys, through the whole critical flow (CV 4 -> Pre-Command -> CV 5 ->
I99 -> the answer delivered to the User), and DCC's Validate accepts every message the sandbox sends back.
No stand-in: DCC's templates, DCC's tool, DCC Boxed's keystore, all from npm at run time."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from lxml import etree

from duis.precommand import sign_pre_command
from duis.requests import RequestID, ServiceRequest
from duis.responses import ServiceResponse
from duis.srv import SERVICE_REQUEST_VARIANTS
from duis.xml import compact, parse, text, to_bytes
from fake_services.core import boxed_pki
from fake_services.sandbox import Sandbox
from smki import boxed_keystore
from smki.profile import OrganisationCertificate
from support.control_client import ControlClient
from support.sandbox_process import SandboxProcess, start_sandbox_process
from tests.dcc_tool import DCCTool, sign_with_dcc_tool, validate_with_dcc_tool
from user_system.client import SERVICE_PATH, TRANSFORM_PATH
from user_system.system import UserSystem

pytestmark = pytest.mark.interop

METER = "00-DB-12-34-56-78-90-A0"  # the ESME DCC's templates address
NO, SUPPLIER = "90-B3-D5-1F-30-02-00-00", "90-B3-D5-1F-30-01-00-00"


@dataclass
class Boxed:
    sandbox: Sandbox
    control: ControlClient
    user: UserSystem
    pki: boxed_pki.BoxedPKI
    tool: DCCTool


def _pems(pki: boxed_pki.BoxedPKI, name: str) -> str:
    return pki.named(name).certificate.pem()


@pytest.fixture(scope="module")
def boxed(dcc_tool: DCCTool) -> Iterator[Boxed]:
    with Sandbox(pki="dcc-boxed") as sandbox:
        control = ControlClient(sandbox.services["Control"].url)
        with UserSystem(sandbox.services["DSP"].url, control.smki()["dcc_signers"], answer_timeout=20) as user:
            for entity_id in (NO, SUPPLIER):
                control.set_receive_address(entity_id, user.receive_url)
            yield Boxed(sandbox, control, user, sandbox.boxed, dcc_tool)
        control.close()


@pytest.fixture
def meter(boxed: Boxed) -> str:
    """DCC's templates' ESME, on S1SP1, registered to Boxed's Network Operator and Supplier, holding their
    certificates (valid at Boxed's PKI date) as enrolment would have left them."""
    pki, c = boxed.pki, boxed.control
    c.reset()
    acb = boxed.sandbox.acb
    c.add_installation(
        {
            "smets": 1,
            "s1sp": "S1SP1",
            "mpan": [{"mpan": "1199157342471", "electricity_distributor": NO, "import_supplier": SUPPLIER}],
            "mprn": [{"mprn": "1048703804", "gas_transporter": NO, "gas_supplier": SUPPLIER}],
            "devices": [
                {"device_id": METER, "device_type": "ESME", "mpxn": "1199157342471"},
                {"device_id": "00-DB-12-34-56-78-90-A1", "device_type": "GSME", "mpxn": "1048703804"},
                {"device_id": "00-DB-12-34-56-78-90-A2", "device_type": "CHF"},
            ],
            "trust_anchors": [
                {
                    "device_id": METER,
                    "role": "NetworkOperator",
                    "ds": _pems(pki, "Z1b-networkOperator-ds"),
                    "ka": _pems(pki, "Z1b-networkOperator-ka"),
                },
                {
                    "device_id": METER,
                    "role": "Supplier",
                    "ds": _pems(pki, "Z1b-supplier-ds"),
                    "ka": _pems(pki, "Z1b-supplier-ka"),
                },
                {"device_id": METER, "role": "ACB", "ds": acb[0].pem(), "ka": acb[1].pem()},
            ],
        }
    )
    return METER


def _template(name: str) -> bytes:
    path = boxed_keystore._npm_file(boxed_keystore.TEMPLATES, "DUIS_TEMPLATES_DIR") / name
    return to_bytes(compact(etree.parse(str(path)).getroot()))  # DCC's tool verifies only compact XML


def _post(sandbox: Sandbox, path: str, body: bytes) -> bytes:
    reply = requests.post(
        sandbox.services["DSP"].url + path, data=body, headers={"Content-Type": "application/xml"}, timeout=20
    )
    assert reply.status_code == 200, reply.text
    return reply.content


def _critical_flow(boxed: Boxed, template: str, ds_key: str, tmp_path: Path) -> list[tuple[str, bytes]]:
    """DCC's template, signed by DCC's tool, through Transform; the Pre-Command signed with Boxed's Digital
    Signing key; the CV 5 signed by DCC's tool keeping the counter; the delivered answer. Returns every
    message the sandbox sent, by name."""
    signed_cv4 = sign_with_dcc_tool(boxed.tool, _template(template))
    request_id = RequestID.parse(text(parse(signed_cv4), "sr:Header/sr:RequestID") or "")
    sent = [("pre-command", _post(boxed.sandbox, TRANSFORM_PATH, signed_cv4))]
    transform = ServiceResponse.from_xml(parse(sent[0][1]))
    assert transform.response_code == "I0" and transform.pre_command is not None, sent[0][1].decode()
    key = boxed.pki.named(ds_key).key
    assert key is not None
    signed = sign_pre_command(transform.pre_command, key)
    cv5 = ServiceRequest(request_id, SERVICE_REQUEST_VARIANTS["6.15.1"], 5, signed_pre_command=signed)
    signed_cv5 = sign_with_dcc_tool(boxed.tool, to_bytes(cv5.to_xml()), preserve_counter=True)
    sent.append(("acknowledgement", _post(boxed.sandbox, SERVICE_PATH, signed_cv5)))
    assert ServiceResponse.from_xml(parse(sent[1][1])).is_acknowledgement, sent[1][1].decode()
    answer = boxed.user.receiver.wait_for(str(request_id), lambda r: not r.response.is_acknowledgement, 20)
    sent.append(("delivered answer", answer.raw))
    return sent


@pytest.mark.parametrize(
    ("template", "ds_key", "role", "owner"),
    [
        ("CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML", "Z1b-networkOperator-ds", "NetworkOperator", NO),
        ("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML", "Z1b-supplier-ds", "Supplier", SUPPLIER),
    ],
    ids=["network-operator", "supplier"],
)
def test_dcc_templates_signed_by_dcc_tool_complete_the_flow_and_dcc_validates_every_answer(
    boxed: Boxed, meter: str, template: str, ds_key: str, role: str, owner: str, tmp_path: Path
) -> None:
    sent = _critical_flow(boxed, template, ds_key, tmp_path)
    final = ServiceResponse.from_xml(parse(sent[-1][1]))
    assert final.succeeded, sent[-1][1].decode()
    # What the template placed is now held (DCC's replacement certificates, valid from 2025-09-01).
    placed = etree.fromstring(_template(template)).findtext(".//{*}DigitalSigningCertificate")
    held = [a for a in boxed.control.trust_anchors(meter) if a["role"] == role and a["key_use"] == "DS"]
    assert held and held[0]["entity_id"] == owner
    assert held[0]["certificate_id"] == OrganisationCertificate.from_der(base64.b64decode(placed)).certificate_id
    for name, xml in sent:
        result = validate_with_dcc_tool(boxed.tool, tmp_path, f"{name}.xml", xml)
        assert result.returncode == 0, f"DCC's Validate refused the {name}: {result.stderr.decode(errors='replace')}"


def test_the_sandbox_signs_as_dcc_boxed_s_dsp(boxed: Boxed) -> None:
    """Role 137 (OU=89), the identity DCC's tool knows the DSP by."""
    cert = boxed.sandbox.dsp_signer.certificate
    assert (cert.entity_id, cert.role.value) == ("90-B3-D5-1F-30-00-00-02", "89")
    assert cert.serial == boxed.pki.named("dsp-xml-sign-90B3D51F30000002-ds").certificate.serial


def test_dcc_tool_refuses_a_response_altered_after_the_sandbox_signed_it(
    boxed: Boxed, meter: str, tmp_path: Path
) -> None:
    """The Validate step above is not a rubber stamp: a response altered after signing is refused (the
    template's meter seeded, so that the answer is an I0 to alter, whichever tests ran before)."""
    signed = sign_with_dcc_tool(boxed.tool, _template("CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"))
    answer = _post(boxed.sandbox, TRANSFORM_PATH, signed)
    tampered = answer.replace(b"<sr:ResponseCode>I0<", b"<sr:ResponseCode>E1<")
    assert tampered != answer
    result = validate_with_dcc_tool(boxed.tool, tmp_path, "tampered.xml", tampered)
    assert result.returncode != 0, "DCC's Validate accepted a response altered after signing"


def test_serve_pki_dcc_boxed_starts_and_signs_as_boxed_dsp() -> None:
    """The command line a User runs: `python -m fake_services serve --pki dcc-boxed`."""
    started = start_sandbox_process("--pki", "dcc-boxed")
    assert isinstance(started, SandboxProcess), f"serve --pki dcc-boxed exited {started.returncode}"
    try:
        control = ControlClient(started.urls["Control"])
        signers = control.smki()["dcc_signers"]
        control.close()
        dsp = OrganisationCertificate.from_pem(signers["DSP"])
        assert (dsp.entity_id, dsp.role.value) == ("90-B3-D5-1F-30-00-00-02", "89")
        assert dsp.certificate == boxed_pki.load().dsp.certificate.certificate  # Boxed's own, from its keystore
    finally:
        started.terminate()
