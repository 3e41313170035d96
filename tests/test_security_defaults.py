"""Security defaults (issue 5): the sandbox listens on loopback unless told otherwise, needs a Control
API token to listen anywhere else and then demands it, and private keys never appear in what it
answers, what it logs or how the objects holding them print."""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.test import EnvironBuilder

from duis.srv import READ_INSTANTANEOUS_IMPORT_REGISTERS, UserRole
from serving.local_access import TOKEN_FILE, LocalAccess
from support import test_data
from support.control_client import ControlClient, ControlError
from support.sandbox_process import SANDBOX_SERVICES, SandboxProcess, start_sandbox_process
from support.seeding import Parties, Roster, enrol, seed_installation
from support.world_clients import WorldInterfaceError
from tests.helpers import enable_mp107, krp_update, simple_request, standard_installation
from user_system.client import SERVICE_PATH
from user_system.organisations import Organisation
from user_system.system import UserSystem

TOKEN = "s3cret-for-the-test"


def _env(**extra: str) -> dict[str, str]:
    """This environment without a Control API token, plus `extra`."""
    return {k: v for k, v in os.environ.items() if k != "MP107_CONTROL_TOKEN"} | extra


@pytest.fixture
def started() -> Iterator[list[SandboxProcess]]:
    """Sandbox processes a test starts, killed at its end if still running."""
    processes: list[SandboxProcess] = []
    yield processes
    for sandbox in processes:
        if sandbox.process.poll() is None:
            sandbox.kill()


def _serve(started: list[SandboxProcess], *args: str, **kw) -> SandboxProcess:
    sandbox = start_sandbox_process(*args, **kw)
    assert isinstance(sandbox, SandboxProcess), f"serve exited {sandbox.returncode}"
    started.append(sandbox)
    return sandbox


# --- binding and the Control API token -----------------------------------------------------------


def test_serve_binds_loopback_by_default_and_guards_the_control_api_with_this_checkout_s_token(started) -> None:
    sandbox = _serve(started, env=_env())
    assert list(sandbox.urls) == list(SANDBOX_SERVICES)
    for name, url in sandbox.urls.items():
        assert url.startswith("http://127.0.0.1:"), f"{name} listens on {url}"
    assert requests.get(sandbox.urls["Control"] + "/health", timeout=5).status_code == 401  # no token
    token = TOKEN_FILE.read_text().strip()
    assert len(token) >= 40 and TOKEN_FILE.stat().st_mode & 0o777 == 0o600
    with_token = {"Authorization": f"Bearer {token}"}
    assert requests.get(sandbox.urls["Control"] + "/health", headers=with_token, timeout=5).status_code == 200
    client = ControlClient(sandbox.urls["Control"])  # the suite's client reads the token itself
    assert client.health()["status"] == "ok"
    client.close()


def test_listening_beyond_loopback_without_a_token_exits_2_saying_why() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_services", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(),
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""  # nothing started, no URL printed
    assert result.stderr.startswith("error: listening on 0.0.0.0 needs a Control API token (--control-token)")


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_with_a_token_the_control_api_demands_it(started, given_by: str) -> None:
    if given_by == "option":
        sandbox = _serve(started, "--control-token", TOKEN, env=_env())
    else:
        sandbox = _serve(started, env=_env(MP107_CONTROL_TOKEN=TOKEN))
    url = sandbox.urls["Control"]
    refused = ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"})
    for method, path in (("GET", "/health"), ("GET", "/smki"), ("POST", "/reset"), ("GET", "/log"), ("GET", "/x")):
        for headers in refused:
            reply = requests.request(method, url + path, headers=headers, timeout=5)
            assert reply.status_code == 401, (method, path, headers)
            assert "Authorization: Bearer" in reply.text
        reply = requests.request(method, url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert reply.status_code == (404 if path == "/x" else 200), (method, path)

    without = ControlClient(url)
    with pytest.raises(ControlError, match="HTTP 401"):
        without.health()
    without.close()
    client = ControlClient(url, token=TOKEN)
    assert client.health()["status"] == "ok"
    client.close()
    # DUIS is authenticated by its signature, not by the Control API token.
    not_duis = requests.post(
        sandbox.urls["DSP"] + SERVICE_PATH, data=b"x", headers={"Content-Type": "application/xml"}, timeout=5
    )
    assert not_duis.status_code == 400


# --- local ports safe from a browser ----------------------------------------------------------------
LOCAL_PORTS = {
    "Control": ("/reset", b""),
    "MCC": ("/enrolment/migration-authorisations", b'{"device_id": "00-DB-12-34-56-78-90-A0", "supplier": "x"}'),
    "Meters": ("/devices/00-DB-12-34-56-78-90-A0/alerts", b'{"alert_code": "8F35"}'),
}


def _cross_site(url: str, path: str, body: bytes, **headers: str) -> requests.Response:
    """A POST as a web page's form or fetch() sends it unasked: text/plain, its own Origin, no token."""
    sent = {"Content-Type": "text/plain", "Origin": "http://attacker.example"} | headers
    return requests.post(url + path, data=body, headers=sent, timeout=5)


@pytest.mark.parametrize("port", sorted(LOCAL_PORTS))
def test_a_cross_site_post_to_each_local_port_is_refused_and_changes_nothing(sandbox, control, port) -> None:
    url, (path, body) = sandbox.services[port].url, LOCAL_PORTS[port]
    before = control.fingerprint()
    host = f"attacker.example:{url.rsplit(':', 1)[1]}"  # a page's own name resolved to 127.0.0.1
    for reply in (
        _cross_site(url, path, body, Host=host),
        _cross_site(url, path, body),  # the Host right, the Origin a page's
        _cross_site(url, path, body, Origin="null"),  # a sandboxed page
    ):
        assert 400 <= reply.status_code < 500 and reply.status_code == 403, reply.text
        assert reply.headers["Content-Type"].startswith("text/plain") and reply.text.strip()
    assert control.fingerprint() == before


@pytest.mark.parametrize("port", sorted(LOCAL_PORTS))
def test_each_local_port_needs_its_token_a_json_body_and_a_loopback_host(sandbox, control, port) -> None:
    url, (path, body) = sandbox.services[port].url, LOCAL_PORTS[port]
    token = {"Authorization": f"Bearer {sandbox.control_token}"}
    json = {"Content-Type": "application/json"}
    before = control.fingerprint()
    refused = [
        (json, 401, "needs its token"),
        (json | {"Authorization": "Bearer wrong"}, 401, "needs its token"),
        (token | {"Content-Type": "text/plain"}, 415, "application/json"),
        (token | {"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        (token | json | {"Host": "attacker.example"}, 403, "loopback Host"),
        (token | json | {"Origin": "http://attacker.example"}, 403, "web page"),
    ]
    for headers, status, said in refused:
        reply = requests.post(url + path, data=body, headers=headers, timeout=5)
        assert reply.status_code == status and said in reply.text, (headers, reply.status_code, reply.text)
    assert control.fingerprint() == before
    for host in ("localhost", "127.0.0.1", "[::1]"):  # every loopback name, with the port or without
        reply = requests.get(url + "/nothing-here", headers=token | {"Host": f"{host}:1"}, timeout=5)
        assert reply.status_code == 404, (host, reply.text)
    reply = requests.get(url + "/nothing-here", headers=token | {"Origin": "http://localhost:8080"}, timeout=5)
    assert reply.status_code == 404


def test_the_suite_s_clients_use_the_local_ports_with_no_setting(control, mcc, meters, cast) -> None:
    """The session's clients were made with a URL only: they read the token themselves."""
    assert control.health()["status"] == "ok"
    with pytest.raises(WorldInterfaceError, match="HTTP 404: no Migration Authorisation"):  # the MCC's own answer
        mcc.commission("no-such-authorisation")
    with pytest.raises(WorldInterfaceError, match="HTTP 404"):  # the meters' own answer: no such meter
        meters.raise_alert("00-DB-12-34-56-78-90-A0")


def test_beyond_loopback_the_host_is_not_checked_but_the_token_still_is() -> None:
    """Bound beyond loopback (only with a token of the operator's own) the ports are reached by other names."""
    guard = LocalAccess("given-by-the-operator")

    def post(**headers: str):
        return guard(EnvironBuilder(path="/reset", method="POST", headers=headers).get_request())

    assert post(Host="sandbox.example:8080").status_code == 403
    guard.any_host = True
    assert post(Host="sandbox.example:8080").status_code == 401
    assert post(Host="sandbox.example", Authorization="Bearer given-by-the-operator") is None


# --- private keys never appear -------------------------------------------------------------------


def key_forms(name: str, key: ec.EllipticCurvePrivateKey) -> list[tuple[str, bytes]]:
    """Every way the private part of a key could show up: the scalar as bytes, hex (plain or
    colon-separated, as `openssl ec -text` prints it), decimal, and base64 at each of the three
    alignments it can have inside a longer base64 text (a PEM or base64 DER of the key in any
    format). The public half is left out: it is in the certificates, which are public."""
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    forms = [
        (f"{name} private scalar", raw),
        (f"{name} private scalar (hex)", raw.hex().encode()),
        (f"{name} private scalar (HEX)", raw.hex().upper().encode()),
        (f"{name} private scalar (hex with colons)", raw.hex(":").encode()),
        (f"{name} private scalar (decimal)", str(key.private_numbers().private_value).encode()),
    ]
    for offset in range(3):  # base64 groups of 3 bytes that lie wholly inside the scalar
        inner = raw[offset:]
        forms.append((f"{name} private scalar (base64)", base64.b64encode(inner[: len(inner) // 3 * 3])))
    for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
        assert any(needle in squeezed(pem) for _, needle in forms[-3:])  # they do find the key's PEM
    return forms


def squeezed(data: bytes) -> bytes:
    """`data` without line breaks and blanks (also JSON's escaped ones): base64 split into lines joins up."""
    return re.sub(rb"\s+|\\[nrt]", b"", data)


def assert_no_private_key(where: str, blobs: Iterable[bytes | str], keys: dict[str, ec.EllipticCurvePrivateKey]) -> int:
    """Fail (without printing the key) if any blob holds a private key; returns how many were scanned."""
    forms = [form for name, key in keys.items() for form in key_forms(name, key)]
    count = 0
    for blob in blobs:
        data = blob.encode() if isinstance(blob, str) else blob
        if b"PRIVATE KEY" in data:
            pytest.fail(f"{where}: a body contains 'PRIVATE KEY'", pytrace=False)
        joined = squeezed(data)
        for form, needle in forms:
            if needle in data or needle in joined:
                pytest.fail(f"{where}: a body contains the {form}", pytrace=False)
        count += 1
    return count


def sandbox_keys(store_rows: Iterable[tuple[str, str]]) -> dict[str, ec.EllipticCurvePrivateKey]:
    """The sandbox's own keys (SMKI root and CA, DSP, S1SPs, Commissioning Party, ACB) from its store."""
    keys = {}
    for name, key_pem in store_rows:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        keys[name] = key
    return keys


def cast_keys(cast) -> dict[str, ec.EllipticCurvePrivateKey]:
    """The test's own Users' keys (they never leave the test process)."""
    orgs = [getattr(cast, name) for name in vars(cast)]
    return {f"{o.name} {use}": getattr(o, f"{use}_key") for o in orgs for use in ("ds", "ka", "xml")}


@pytest.fixture
def recorded(control, duis, mcc, meters) -> Iterator[dict[str, list[bytes]]]:
    """Every body the Control API (with the enrolment and meter-event interfaces beside it) and the DSP
    answer during the test."""
    bodies: dict[str, list[bytes]] = {"control": [], "dsp": []}

    def hook(kind: str):
        def record(reply: requests.Response, *args, **kwargs) -> None:
            bodies[kind].append(reply.content)

        return record

    sessions = {"control": (control.session, mcc.session, meters.session), "dsp": (duis.session,)}
    hooks = {kind: hook(kind) for kind in sessions}
    for kind, kind_sessions in sessions.items():
        for session in kind_sessions:
            session.hooks["response"].append(hooks[kind])
    try:
        yield bodies
    finally:
        for kind, kind_sessions in sessions.items():
            for session in kind_sessions:
                session.hooks["response"].remove(hooks[kind])


def test_no_private_key_in_control_api_or_dsp_answers(
    sandbox, control, duis, cast, recorded, user_system, mcc, meters
) -> None:
    delivered_before = len(user_system.receiver.arrivals())
    # Seeding and reading through the Control API, enrolment included.
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    control.smki()
    control.health()
    control.switches()
    control.trust_anchors(inst.esme)
    meters.raise_alert(inst.esme)
    control.alerts()
    esme, mpan = test_data.device_id(), test_data.mpan_core()
    control.register_mpan(mpan, cast.western.entity_id, cast.supplier.entity_id)
    control.add_device(device_id=esme, device_type="ESME", smets=1, s1sp="S1SP2", installation=esme, mpxn=mpan)
    ma = mcc.migration_authorisation(esme, cast.supplier.entity_id, "DCC", cast.western.ds_pem, cast.western.ka_pem)
    mcc.commission(ma["id"])
    refused = mcc.migration_authorisation(esme, cast.supplier.entity_id, "DCC", cast.northern.ds_pem)
    assert refused["accepted"] is False
    with pytest.raises(ControlError):
        control.add_device(device_id="nonsense")
    # The one-item endpoints beside the one-call seeding, and a User enrolled with its certificates.
    newcomer = enrol(Organisation("Southern Wires", UserRole.ELECTRICITY_DISTRIBUTOR, test_data.entity_id()), control)
    control.place_trust_anchor(inst.gsme, "NetworkOperator", cast.gas_transporter.ds_pem, cast.gas_transporter.ka_pem)
    control.set_dsp_mp107(True)
    control.set_s1sp_mp107("S1SP1", True)
    control.fingerprint()

    # A handful of DUIS requests: accepted, rejected by the DSP, rejected by the S1SP, not DUIS.
    krp_update(duis, control, cast.western, inst.esme, cast.western)  # S1SP Alert: Eastern holds it
    krp_update(duis, control, cast.eastern, inst.esme, cast.western)  # accepted under MP107
    simple_request(duis, cast.other_user, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
    simple_request(duis, cast.gas_supplier, inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)  # not eligible
    duis.session.post(duis.dsp_url + SERVICE_PATH, data=b"<x/>", headers={"Content-Type": "application/xml"})
    control.log()
    control.trust_anchors(inst.esme)
    # what the DSP delivered later to the Users' Receive Response Service is an answer too
    delivered = [r.raw for r in user_system.receiver.arrivals()[delivered_before:]]
    assert len(delivered) >= 3  # the two corrections' and the Other User's read's answers

    keys = sandbox_keys(sandbox.store.all("SELECT name, key_pem FROM identity"))
    assert {"smki-root", "smki-issuing-ca", "DSP/DS"} <= set(keys)
    assert sandbox.dsp_signer.key.private_numbers() == keys["DSP/DS"].private_numbers()
    keys |= cast_keys(cast) | {f"{newcomer.name} {use}": getattr(newcomer, f"{use}_key") for use in ("ds", "ka", "xml")}
    assert assert_no_private_key("Control API", recorded["control"], keys) >= 20
    assert assert_no_private_key("DSP", recorded["dsp"], keys) >= 5
    assert assert_no_private_key("DSP deliveries", delivered, keys) == len(delivered)


def test_no_private_key_in_the_verbose_log(started, tmp_path) -> None:
    database, log = tmp_path / "sandbox.db", tmp_path / "stderr.log"
    with log.open("w") as stderr:
        sandbox = _serve(started, "-v", "--database", str(database), stderr=stderr, env=_env())
        control = ControlClient(sandbox.urls["Control"])
        system = UserSystem(sandbox.urls["DSP"], control.smki()["dcc_signers"]).start()
        duis = system.duis
        try:
            roster = Roster(control, system.receive_url)
            western, eastern = (
                roster.ensure(n, UserRole.ELECTRICITY_DISTRIBUTOR) for n in ("Western Power", "Eastern")
            )
            supplier = roster.ensure("Bright Energy", UserRole.IMPORT_SUPPLIER)
            parties = Parties(
                western,
                supplier,
                roster.ensure("Cadent Gas", UserRole.GAS_TRANSPORTER),
                roster.ensure("Flame Gas Supply", UserRole.GAS_SUPPLIER),
                roster.acb(),  # the sandbox's own ACB
            )
            inst = seed_installation(control, parties, network_operator_holders={"ESME": eastern})
            enable_mp107(control)
            assert krp_update(duis, control, eastern, inst.esme, western).response.succeeded
            krp_update(duis, control, eastern, inst.esme, western)  # now refused by the S1SP
            duis.session.post(duis.dsp_url + SERVICE_PATH, data=b"junk", headers={"Content-Type": "application/xml"})
            requests.put(sandbox.urls["Control"] + "/switches/dsp-mp107", data=b"[", timeout=5)
            requests.get(sandbox.urls["S1SP1"] + "/anything", timeout=5)
        finally:
            control.close()
            system.close()
        assert sandbox.terminate() == 0
    text = log.read_bytes()
    assert b"POST /api/v1/serviceS" in text and b"POST /users" in text, "verbose mode logged no requests"
    with sqlite3.connect(database) as db:
        keys = sandbox_keys(db.execute("SELECT name, key_pem FROM identity"))
    assert "DSP/DS" in keys
    keys |= {f"{o.name} {u}": getattr(o, f"{u}_key") for o in (western, eastern, supplier) for u in ("ds", "ka", "xml")}
    assert_no_private_key("the sandbox's verbose log", [text], keys)


def test_objects_holding_keys_print_without_them(sandbox, cast) -> None:
    keys = sandbox_keys(sandbox.store.all("SELECT name, key_pem FROM identity")) | cast_keys(cast)
    holders = [
        sandbox.dsp_signer,
        sandbox.commissioning_party.signer,
        *(s.signer for s in sandbox.s1sps.values()),
        *(getattr(cast, name) for name in vars(cast)),
        *(getattr(cast, name).identity for name in vars(cast) if name != "acb"),
        cast,
    ]
    printed = [repr(h) for h in holders] + [str(h) for h in holders]
    assert assert_no_private_key("repr/str", printed, keys) == 2 * len(holders)
    assert repr(sandbox.dsp_signer) == f"ServiceSigner({sandbox.dsp_signer.certificate.entity_id})"
    assert repr(cast.eastern.identity) == f"SigningIdentity({cast.eastern.entity_id})"


def test_the_scan_finds_a_key_in_each_encoding_it_might_leak_in() -> None:
    """The scan itself: it finds a key's PEM (plain, inside JSON, without its armour), DER, hex and
    decimal scalar, and does not mistake the key's public half or certificate for it."""
    import json

    key = ec.generate_private_key(ec.SECP256R1())
    none = serialization.NoEncryption()
    pem = {
        fmt: key.private_bytes(serialization.Encoding.PEM, fmt, none)
        for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL)
    }
    armourless = [b"".join(p.splitlines()[1:-1]) for p in pem.values()]
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, none)
    scalar = key.private_numbers().private_value
    leaks = [
        *pem.values(),
        *(json.dumps({"key": p.decode()}).encode() for p in pem.values()),
        *armourless,
        *(base64.b64encode(bytes(n) + der) for n in range(3)),  # the scalar at each base64 alignment
        der,
        f"{scalar:x}".zfill(64).encode(),
        str(scalar).encode(),
    ]
    for leak in leaks:
        with pytest.raises(pytest.fail.Exception):
            assert_no_private_key("a leak", [leak.replace(b"PRIVATE KEY", b"")], {"k": key})
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert assert_no_private_key("the public half", [public], {"k": key}) == 1
