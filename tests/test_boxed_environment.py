"""`support/environments/dcc-boxed.toml` is usable: its keys, extracted from DCC's Boxed keystore by
`python -m support.environments.boxed_keys`, open and match their certificates, and a request the suite
signs with them is one DCC's own tool accepts as signed by that Boxed User."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from duis.requests import RequestID, ServiceRequest
from duis.srv import RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP
from environment_file import check_key_material, load_environment
from support.environment_arrangement import EnvironmentDirectory
from support.environments.boxed_keys import DEFAULT_FILE, ExtractionError, extract
from tests.dcc_tool import DCCTool, validate_with_dcc_tool
from user_system.client import sign_request


@pytest.fixture(scope="module")
def boxed(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("boxed")
    copy = folder / "dcc-boxed.toml"
    copy.write_text(DEFAULT_FILE.read_text().replace("../../.sandbox/keys/dcc-boxed", str(folder / "keys")))
    env = load_environment(copy)
    try:
        lines = extract(env, dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    except ExtractionError as exc:  # DCC's npm packages are not installed
        pytest.skip(str(exc))
    return env, lines


def test_every_key_and_certificate_the_file_names_is_written_and_matches(boxed):
    env, lines = boxed
    assert check_key_material(env) == []
    assert any("EXPIRED" in line for line in lines)  # Boxed's ZAZ1 organisation certificates ran out
    assert all("valid to 2118" in line for line in lines if ".xml_signing" in line)
    key = env.organisation("Bright Energy").xml_signing.key
    assert key is not None and oct(key.stat().st_mode)[-3:] == "600"


def test_a_request_signed_with_the_extracted_keys_is_accepted_by_dccs_validate(
    boxed, dcc_tool: DCCTool, tmp_path: Path
):
    env, _ = boxed
    supplier = EnvironmentDirectory(env).ensure_known("Bright Energy")
    request = ServiceRequest(
        RequestID(supplier.entity_id, env.meters[0].device_id, 1_700_000_000_000),
        RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
        remote_party_roles=("Supplier",),
    )
    result = validate_with_dcc_tool(dcc_tool, tmp_path, "6.24.1.xml", sign_request(request, supplier.identity))
    assert result.returncode == 0, (result.stdout + result.stderr).decode(errors="replace")[-2000:]
