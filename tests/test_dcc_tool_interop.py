"""Interoperability with DCC's own DUIS signing tool (npm `@smartdcc/duis-sign-wrap`, `dist/tool.jar`,
GPL-3.0, run as an external program, never copied): what we sign, DCC's Validate accepts; what DCC's
Sign produces with our organisation's key, our DSP accepts.

Validate exits 0 when the file is valid against the DUIS XSD and its signature verifies with the
given certificate; on a Response with other than one signature it checks the XSD only. The runs share
one JVM (`dcc_tool`, tests/conftest.py), each run reporting its own exit status and output.

When Java or the jar is missing these tests skip, except under CI (env CI set), where they fail."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from catalogue import PIA_2_3_2_A, SRPD_6_1_F, SRPD_16_1
from duis.requests import RequestID
from duis.responses import ServiceResponse
from duis.srv import READ_INSTANTANEOUS_IMPORT_REGISTERS
from duis.xml import parse, q, text, to_bytes
from tests.dcc_tool import run_tool
from tests.helpers import assert_decided_by, krp_request, request_to, standard_installation

pytestmark = pytest.mark.interop

VALIDATION_FAILED = 10


def _write(path: Path, data: bytes | str) -> str:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def _stderr(result: subprocess.CompletedProcess) -> str:
    return result.stderr.decode(errors="replace")


# --- (a) what we sign, DCC's Validate accepts ------------------------------------------------------


def test_dcc_validate_accepts_a_request_our_client_signs(control, duis, cast, dcc_tool, tmp_path) -> None:
    inst = standard_installation(control, cast)
    request = replace(krp_request(duis, control, cast.western, inst.esme, cast.northern), command_variant=4)
    signed = duis.sign(request, cast.western.identity)
    result = run_tool(
        dcc_tool,
        "Validate",
        _write(tmp_path / "request.xml", signed),
        _write(tmp_path / "cert.pem", cast.western.xml_pem),  # what signs a DUIS envelope: OU=87
    )
    assert result.returncode == 0, _stderr(result)
    assert "passed xsd validation" in _stderr(result)
    assert "passed signature check" in _stderr(result)


def test_dcc_validate_rejects_our_request_tampered_after_signing(control, duis, cast, dcc_tool, tmp_path) -> None:
    """The check above is a real one: the same tool refuses a signed request altered afterwards."""
    inst = standard_installation(control, cast)
    request = replace(krp_request(duis, control, cast.western, inst.esme, cast.northern), command_variant=4)
    tampered = duis.sign(request, cast.western.identity).replace(b">NetworkOperator<", b">Supplier<")
    result = run_tool(
        dcc_tool,
        "Validate",
        _write(tmp_path / "request.xml", tampered),
        _write(tmp_path / "cert.pem", cast.western.xml_pem),  # the right certificate: only the edit fails
    )
    assert result.returncode == VALIDATION_FAILED, _stderr(result)
    assert "passed xsd validation" in _stderr(result)
    assert "passed signature check" not in _stderr(result)


def test_dcc_validate_accepts_a_rejection_our_dsp_signs(sandbox, control, duis, cast, dcc_tool, tmp_path) -> None:
    inst = standard_installation(control, cast)
    exchange = duis.send(request_to(duis, cast.eastern, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.eastern)
    assert exchange.response.response_code == "E4"
    assert exchange.response.body_kind == "ResponseMessage"
    result = run_tool(
        dcc_tool,
        "Validate",
        _write(tmp_path / "response.xml", exchange.response_xml),
        _write(tmp_path / "dsp.pem", sandbox.dsp_signer.certificate.pem()),
    )
    assert result.returncode == 0, _stderr(result)
    assert "passed signature check" in _stderr(result)


def test_dcc_validate_finds_our_smets1_response_schema_valid(sandbox, control, duis, cast, dcc_tool, tmp_path) -> None:
    """Two signatures (the S1SP's inside, the DSP's outside): Validate checks the XSD only."""
    inst = standard_installation(control, cast)
    exchange = duis.send(request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert exchange.response.succeeded, exchange.reason
    assert exchange.response.body_kind == "SMETS1ResponseMessage"
    result = run_tool(
        dcc_tool,
        "Validate",
        _write(tmp_path / "response.xml", exchange.response_xml),
        _write(tmp_path / "dsp.pem", sandbox.dsp_signer.certificate.pem()),
    )
    assert result.returncode == 0, _stderr(result)
    assert "passed xsd validation" in _stderr(result)
    assert "validation check skipped" in _stderr(result)


# --- (b) what DCC's Sign produces with our key, our DSP accepts --------------------------------------


def test_request_signed_by_dcc_sign_is_accepted_by_our_dsp(sandbox, control, duis, cast, dcc_tool, tmp_path) -> None:
    inst = standard_installation(control, cast)
    sender = cast.western  # the registered Electricity Distributor
    request = request_to(duis, sender, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    key_file = tmp_path / "key.pem"  # made at run time in a private temporary folder, never committed
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        sender.xml_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    try:
        result = run_tool(
            dcc_tool,
            "Sign",
            "-",
            "--preserveCounter",
            _write(tmp_path / "cert.pem", sender.xml_pem),
            str(key_file),
            stdin=to_bytes(request.to_xml()),
        )
    finally:
        key_file.unlink()
    assert result.returncode == 0, _stderr(result)
    signed = parse(result.stdout)
    assert RequestID.parse(text(signed, "sr:Header/sr:RequestID") or "") == request.request_id
    assert signed[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert signed.find(q("Body")) is not None

    exchange = duis.post(request, result.stdout)
    assert exchange.http_status == 200
    assert ServiceResponse.from_xml(parse(exchange.legs[1].xml)).is_acknowledgement  # I99, then the answer
    assert exchange.response.response_code == "I0", exchange.reason
    assert exchange.response.succeeded
    assert_decided_by(exchange, SRPD_6_1_F, SRPD_16_1, PIA_2_3_2_A)  # a non-critical read: no owner check
    accepted, routed = control.log()
    assert (accepted["service"], accepted["outcome"], accepted["response_code"]) == ("DSP S", "accepted", "I99")
    assert (routed["service"], routed["outcome"], routed["response_code"]) == ("DSP route", "accepted", "I0")
    assert accepted["sender"] == routed["sender"] == sender.entity_id
