"""DCC's tool in one JVM (`tests/dcc_tool.py`) is DCC's tool as a command line runs it: each run in the shared
JVM reports the exit status, standard output and standard error a JVM of its own reports for the same run, a
run that ends in System.exit does not end the session, each run reads its own standard input, and without
javac each run starts a JVM of its own, saying so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from duis.xml import compact, to_bytes
from smki import boxed_keystore
from tests import dcc_tool as tool_module
from tests.dcc_tool import DCCTool, sign_with_dcc_tool

pytestmark = pytest.mark.interop

VALIDATION_FAILED = 10


def _template(name: str) -> bytes:
    path = boxed_keystore._npm_file(boxed_keystore.TEMPLATES, "DUIS_TEMPLATES_DIR") / name
    return to_bytes(compact(etree.parse(str(path)).getroot()))  # DCC's tool verifies only compact XML


@pytest.fixture(scope="module")
def signed(dcc_tool: DCCTool) -> bytes:
    """DCC's 6.15.1 template signed by DCC's Sign with its built-in key for the Network Operator."""
    return sign_with_dcc_tool(dcc_tool, _template("CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"))


def test_each_run_reports_what_a_jvm_of_its_own_reports(dcc_tool: DCCTool, signed: bytes, tmp_path: Path) -> None:
    assert dcc_tool.shares_one_jvm
    valid, tampered = tmp_path / "signed.xml", tmp_path / "tampered.xml"
    valid.write_bytes(signed)
    tampered.write_bytes(signed.replace(b"FloorSeqNumber>0<", b"FloorSeqNumber>1<"))
    assert tampered.read_bytes() != signed
    runs = {
        "a valid signature": (str(valid),),
        "a tampered message": (str(tampered),),
        "no such file (the tool calls System.exit inside its loader)": (str(tmp_path / "missing.xml"),),
    }
    seen = {}
    for name, args in runs.items():
        shared = dcc_tool.run("Validate", *args)
        own = dcc_tool._run_in_own_jvm("Validate", *args, stdin=None)
        assert (shared.returncode, shared.stdout, shared.stderr) == (own.returncode, own.stdout, own.stderr), name
        seen[name] = shared
    assert seen["a valid signature"].returncode == 0
    assert b"passed signature check" in seen["a valid signature"].stderr
    assert seen["a tampered message"].returncode == VALIDATION_FAILED
    assert seen["no such file (the tool calls System.exit inside its loader)"].returncode not in (0, VALIDATION_FAILED)
    again = dcc_tool.run("Validate", str(valid))  # the exit ended that run, not the session
    assert (again.returncode, again.stderr) == (0, seen["a valid signature"].stderr)


def test_each_run_reads_its_own_standard_input(dcc_tool: DCCTool) -> None:
    first = sign_with_dcc_tool(dcc_tool, _template("CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"))
    second = sign_with_dcc_tool(
        dcc_tool, _template("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML")
    )
    originator = b"<sr:RequestID>90-B3-D5-1F-30-0%s-00-00:"
    assert originator % b"2" in first and originator % b"1" not in first  # the Network Operator's request
    assert originator % b"1" in second and originator % b"2" not in second  # the Supplier's
    assert first.count(b"</ds:Signature>") == second.count(b"</ds:Signature>") == 1


def test_without_javac_each_run_starts_a_jvm_of_its_own_and_says_so(
    signed: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    which = shutil.which
    monkeypatch.setattr(tool_module.shutil, "which", lambda name: None if name == "javac" else which(name))
    monkeypatch.setattr(tool_module, "SESSION_CACHE", tmp_path / "cache")  # nothing compiled yet
    tool = tool_module.find_dcc_tool()
    with pytest.warns(UserWarning, match="DCC's tool runs in a JVM per run: `javac` is not on PATH"):
        assert not tool.shares_one_jvm
    (tmp_path / "signed.xml").write_bytes(signed)
    result = tool.run("Validate", str(tmp_path / "signed.xml"))
    assert result.returncode == 0 and b"passed signature check" in result.stderr
    assert result.args[1:3] == ["-cp", str(tool.jar)]  # the command line, run as it is
    tool.close()
