"""Seeding through the Control API: MPANs, MPRNs and EUI-64 identifiers are validated where data is
created (primer section 3), every refusal is a 4xx with a plain message and changes nothing, and
`reset` forgets a scenario but keeps the organisations."""

from __future__ import annotations

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from duis.requests import RequestID, ServiceRequest
from duis.srv import READ_INSTANTANEOUS_IMPORT_REGISTERS
from support import test_data
from support.control_client import ControlError
from tests.helpers import enable_mp107, request_to, standard_installation

VALID_MPRN = "3938424403"


@pytest.fixture
def api(sandbox, control):
    """Raw calls to the Control API, to see status, content type and message as a caller would."""
    base = sandbox.services["Control"].url
    token = {"Authorization": f"Bearer {sandbox.control_token}"}

    def call(method: str, path: str, body=None, raw: bytes | None = None) -> requests.Response:
        if raw is not None:
            json = {"Content-Type": "application/json"}
            return requests.request(method, base + path, data=raw, headers=token | json, timeout=10)
        return requests.request(method, base + path, json=body, headers=token, timeout=10)

    return call


def assert_refused(reply: requests.Response, status: int, message: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert message in reply.text


def _mpan_body(cast, mpan: str) -> dict:
    return {
        "mpan": mpan,
        "electricity_distributor": cast.western.entity_id,
        "import_supplier": cast.supplier.entity_id,
    }


def _mprn_body(cast, mprn: str) -> dict:
    return {
        "mprn": mprn,
        "gas_transporter": cast.gas_transporter.entity_id,
        "gas_supplier": cast.gas_supplier.entity_id,
    }


# --- MPAN ------------------------------------------------------------------------------------------


def test_valid_mpan_is_registered(api, cast) -> None:
    mpan = test_data.mpan_core()
    reply = api("POST", "/registration/mpan", _mpan_body(cast, mpan))
    assert reply.status_code == 201
    assert reply.json() == {"registered": mpan}


@pytest.mark.parametrize(
    ("mpan", "message"),
    [
        ("1312345678111", "is not a valid MPAN core"),  # DCC's sample MPAN: wrong check digit
        ("131234567811", "is not a valid MPAN core"),  # 12 digits
        ("13123456781110", "is not a valid MPAN core"),  # 14 digits
        ("13123456781x1", "is not a valid MPAN core"),
        ("9912345678116", "is not a valid MPAN core"),  # correct check digit, no such distributor
        ("", "'mpan' is a non-empty string"),
    ],
)
def test_invalid_mpan_is_refused(api, control, cast, mpan, message) -> None:
    assert_refused(api("POST", "/registration/mpan", _mpan_body(cast, mpan)), 400, message)
    assert control.log() == []


def test_mpan_with_wrong_check_digit_is_refused_but_right_one_accepted(api, cast) -> None:
    mpan = test_data.mpan_core()
    wrong = mpan[:12] + str((int(mpan[12]) + 1) % 10)
    assert_refused(api("POST", "/registration/mpan", _mpan_body(cast, wrong)), 400, "check digit")
    assert api("POST", "/registration/mpan", _mpan_body(cast, mpan)).status_code == 201


# --- MPRN ------------------------------------------------------------------------------------------


def test_valid_mprn_is_registered(api, cast) -> None:
    assert api("POST", "/registration/mprn", _mprn_body(cast, VALID_MPRN)).status_code == 201
    assert api("POST", "/registration/mprn", _mprn_body(cast, test_data.mprn())).status_code == 201


@pytest.mark.parametrize("mprn", ["1234567890", "3938424404", "12345", "39384244030", "3938A24403"])
def test_invalid_mprn_is_refused(api, cast, mprn) -> None:
    assert_refused(api("POST", "/registration/mprn", _mprn_body(cast, mprn)), 400, "is not a valid MPRN")


# --- EUI-64 identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["90B3D51F30020000", "90-B3-D5-1F-30-02-00", "90-B3-D5-1F-30-02-00-0G", ""])
def test_registration_names_parties_by_eui64(api, cast, bad) -> None:
    """A malformed identifier is refused as not EUI-64; an empty one, by the field it is missing from."""

    def message(field: str) -> str:
        return "is not an EUI-64 identifier" if bad else f"{field!r} is a non-empty string"

    body = _mpan_body(cast, test_data.mpan_core()) | {"electricity_distributor": bad}
    assert_refused(api("POST", "/registration/mpan", body), 400, message("electricity_distributor"))
    body = _mprn_body(cast, VALID_MPRN) | {"gas_supplier": bad}
    assert_refused(api("POST", "/registration/mprn", body), 400, message("gas_supplier"))


def test_lower_case_eui64_is_normalised(api, control, cast) -> None:
    device = test_data.device_id()
    reply = api(
        "POST",
        "/devices",
        {"device_id": device.lower(), "device_type": "CHF", "smets": 1, "s1sp": "S1SP1", "installation": "x"},
    )
    assert reply.status_code == 201
    assert reply.json() == {"device_id": device}
    assert control.trust_anchors(device.lower()) == []


def test_user_needs_an_eui64(api) -> None:
    assert_refused(
        api("POST", "/users", {"entity_id": "not-an-eui", "name": "X", "user_role": "Other User"}),
        400,
        "is not an EUI-64 identifier",
    )


# --- devices ---------------------------------------------------------------------------------------


def _device(**fields) -> dict:
    return {
        "device_id": test_data.device_id(),
        "device_type": "ESME",
        "smets": 1,
        "s1sp": "S1SP1",
        "installation": "inst-1",
        "mpxn": test_data.mpan_core(),
    } | fields


def test_valid_devices_are_added(api) -> None:
    assert api("POST", "/devices", _device()).status_code == 201
    assert api("POST", "/devices", _device(device_type="GSME", mpxn=VALID_MPRN)).status_code == 201
    assert api("POST", "/devices", _device(smets=2, s1sp=None)).status_code == 201
    assert api("POST", "/devices", _device(device_type="GPF", mpxn=None)).status_code == 201
    assert api("POST", "/devices", _device(status="Dormant")).status_code == 201


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"mpxn": "1312345678111"}, 400, "is not a valid MPAN core"),
        ({"device_type": "GSME", "mpxn": "1234567890"}, 400, "is not a valid MPRN"),
        ({"device_type": "ESME", "mpxn": VALID_MPRN}, 400, "is not a valid MPAN core"),
        ({"mpxn": None}, 400, "a meter has an MPAN or MPRN"),
        ({"device_id": "00DB12345678"}, 400, "is not an EUI-64 identifier"),
        ({"s1sp": "S1SP9"}, 400, "no S1SP named 'S1SP9'; there are S1SP1, S1SP2, S1SP3"),
        ({"s1sp": None}, 400, "a SMETS1 device is served by an S1SP"),
        ({"smets": 3}, 400, "SMETS version is 1 or 2"),
        ({"smets": "one"}, 400, "'smets' is 1 or 2"),
        ({"device_type": "Toaster"}, 400, "'Toaster' is not one of: ESME, GSME, CHF, GPF"),
        ({"status": "Asleep"}, 400, "'Asleep' is not one of: Active, Dormant"),
    ],
)
def test_invalid_device_is_refused(api, control, fields, status, message) -> None:
    body = _device(**fields)
    assert_refused(api("POST", "/devices", body), status, message)
    if isinstance(body["device_id"], str) and len(body["device_id"]) == 23:
        assert_refused(api("GET", f"/devices/{body['device_id']}/trust-anchors"), 404, "does not exist")


@pytest.mark.parametrize("missing", ["device_id", "device_type", "smets", "installation"])
def test_device_missing_a_field_is_refused(api, missing) -> None:
    body = _device()
    del body[missing]
    assert_refused(api("POST", "/devices", body), 400, f"missing field {missing!r}")


# --- Control API errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/registration/mpan", {"mpan": "1312345678111"}, "missing field 'electricity_distributor'"),
        ("/registration/mprn", {"mprn": VALID_MPRN, "gas_transporter": "90-B3-D5-1F-30-02-00-00"}, "'gas_supplier'"),
        ("/users", {"entity_id": "90-B3-D5-1F-30-02-00-00", "name": "X"}, "missing field 'user_role'"),
        ("/smki/certificates", {"entity_id": "90-B3-D5-1F-30-02-00-00"}, "missing field 'public_key'"),
    ],
)
def test_missing_fields_are_refused(api, path, body, message) -> None:
    assert_refused(api("POST", path, body), 400, message)


def test_bad_enumerations_are_refused_with_the_allowed_values(api) -> None:
    user = {"entity_id": test_data.entity_id(), "name": "X", "user_role": "Meter Reader"}
    assert_refused(api("POST", "/users", user), 400, "'Meter Reader' is not one of: Import Supplier, Export Supplier")
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    cert = {"public_key": pem, "entity_id": test_data.entity_id(), "role_code": "99", "key_use": "DS"}
    assert_refused(api("POST", "/smki/certificates", cert), 400, "'99' is not one of: 00, 01, 02, 03")
    assert_refused(api("POST", "/smki/certificates", cert | {"role_code": "03", "key_use": "XX"}), 400, "'XX'")


def test_smki_certifies_p256_keys_only(api) -> None:
    def body(public_key) -> dict:
        pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"public_key": pem.decode(), "entity_id": test_data.entity_id(), "role_code": "03", "key_use": "DS"}

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    assert_refused(api("POST", "/smki/certificates", body(rsa_key)), 400, "P-256")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    assert_refused(api("POST", "/smki/certificates", body(p384)), 400, "P-256")
    bad = body(ec.generate_private_key(ec.SECP256R1()).public_key()) | {"public_key": "not a key"}
    assert_refused(api("POST", "/smki/certificates", bad), 400, "not a PEM public key")
    assert (
        api("POST", "/smki/certificates", body(ec.generate_private_key(ec.SECP256R1()).public_key())).status_code == 201
    )


def test_unknown_s1sp_switch_is_not_found(api, control) -> None:
    assert_refused(api("PUT", "/switches/s1sp/S1SP4", {"enabled": True}), 404, "no S1SP named 'S1SP4'")
    assert_refused(api("PUT", "/switches/dsp-mp107", {"enabled": "yes"}), 400, "'enabled' is true or false")
    assert_refused(api("PUT", "/switches/dsp-mp107", {}), 400, "missing field 'enabled'")
    assert control.switches() == {"dsp_mp107": False, "s1sp_mp107": {"S1SP1": False, "S1SP2": False, "S1SP3": False}}


def test_body_must_be_a_json_object(api) -> None:
    assert_refused(api("POST", "/devices", raw=b"{not json"), 400, "the body is not JSON")
    assert_refused(api("POST", "/devices", ["a", "list"]), 400, "JSON object")
    assert_refused(api("POST", "/registration/mpan", "1312345678111"), 400, "JSON object")
    assert_refused(api("PUT", "/switches/dsp-mp107", [True]), 400, "JSON object")


def test_values_of_the_wrong_json_type_are_refused(api, cast) -> None:
    assert_refused(api("POST", "/registration/mprn", _mprn_body(cast, 3938424403)), 400, "'mprn' is a non-empty string")
    body = _mpan_body(cast, test_data.mpan_core()) | {"import_supplier": 42}
    assert_refused(api("POST", "/registration/mpan", body), 400, "'import_supplier' is a non-empty string")


def test_trust_anchor_seeding_errors(api, control, cast) -> None:
    unknown = test_data.device_id()
    assert_refused(api("PUT", f"/devices/{unknown}/trust-anchors/NetworkOperator", {"ds": "x"}), 404, "does not exist")
    inst = standard_installation(control, cast)
    path = f"/devices/{inst.esme}/trust-anchors/NetworkOperator"
    assert_refused(api("PUT", path, {}), 400, "give 'ds' and/or 'ka'")
    assert_refused(api("PUT", path, {"ds": "not a certificate"}), 400, "not an Organisation certificate")
    assert_refused(api("GET", "/devices/nonsense/trust-anchors"), 400, "is not an EUI-64 identifier")


def test_unknown_route_and_method(api) -> None:
    assert_refused(api("GET", "/nothing-here"), 404, "no such resource")
    assert_refused(api("DELETE", "/users"), 405, "use POST")


def test_health_lists_the_services(api, sandbox) -> None:
    reply = api("GET", "/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "services": sandbox.urls()}
    assert set(reply.json()["services"]) == {"DSP", "S1SP1", "S1SP2", "S1SP3", "Control", "MCC", "Meters"}


# --- reset -----------------------------------------------------------------------------------------


def test_reset_forgets_the_scenario_and_keeps_the_organisations(sandbox, control, duis, cast, meters) -> None:
    inst = standard_installation(control, cast)
    enable_mp107(control)
    meters.raise_alert(inst.esme)
    high = request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    assert duis.send(high, cast.western).response.succeeded

    control.reset()

    assert control.switches() == {"dsp_mp107": False, "s1sp_mp107": {"S1SP1": False, "S1SP2": False, "S1SP3": False}}
    assert control.log() == []
    assert control.alerts() == []
    with pytest.raises(ControlError, match="HTTP 404"):
        control.trust_anchors(inst.esme)
    gone = duis.send(request_to(duis, cast.western, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS), cast.western)
    assert gone.response.response_code == "E19"

    # organisations and their certificates survive; counters start again; the same MPAN can be registered
    again = standard_installation(control, cast)
    control.register_mpan(inst.mpan, cast.western.entity_id, cast.supplier.entity_id)
    low = ServiceRequest(RequestID(cast.western.entity_id, again.esme, 1), READ_INSTANTANEOUS_IMPORT_REGISTERS)
    exchange = duis.send(low, cast.western)
    assert exchange.response.succeeded, exchange.reason
    assert high.request_id.counter > 1
