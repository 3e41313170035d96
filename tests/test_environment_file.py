"""The environment file: the shipped files load; a broken file is refused before any scenario runs, with
one message naming each offending key and its fix; the preflight check opens the key material and finds
what a DCC would refuse (a key that is not its certificate's, an XML-signing certificate of the wrong role,
a missing file); PKCS#12 loads, PKCS#11 is refused plainly. Keys are made here, at run time."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from duis.identifiers import is_valid_mpan_core, is_valid_mprn
from environment_file import (
    ENVIRONMENTS,
    DeclaredChange,
    EnvironmentFileError,
    KeyMaterial,
    ReceiverSettings,
    check_key_material,
    load_environment,
)
from environment_file.schema import EnvironmentTable
from environment_file.wording import problem_of
from smki.authority import TestSMKI as SMKIAuthority  # aliased so pytest does not collect it
from smki.profile import KeyUse, RemotePartyRole
from user_system.client import SigningIdentity
from user_system.organisations import Organisation, organisation_identity

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("sandbox-as-is.toml", "sandbox-to-be.toml", "dcc-boxed.toml")
WP, BRIGHT, ACB = "90-B3-D5-1F-30-02-00-00", "90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-00-00-02"
# A private key's PEM header, assembled so that no file of the project holds one.
INLINE_KEY = "-----BEGIN " + "PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEH\\n-----END " + "PRIVATE KEY-----"

VALID = """
[run]
name = "Test environment"

[dsp]
url = "http://127.0.0.1:18079"

[receiver]
port = 18090

[dcc]
signers = { DSP = "keys/dcc/dsp.pem" }

[change]
dsp_switch = true
s1sps_enabled = ["S1SP1"]

[[organisations]]
name = "Western Power"
user_role = "Electricity Distributor"
entity_id = "90-B3-D5-1F-30-02-00-00"
xml_signing = { certificate = "keys/wp/xml.pem", key = "keys/wp/xml.key" }
digital_signing = { certificate = "keys/wp/ds.pem", key = "keys/wp/ds.key" }
key_agreement = { certificate = "keys/wp/ka.pem" }

[[organisations]]
name = "Bright Energy"
user_role = "Import Supplier"
entity_id = "90-B3-D5-1F-30-01-00-00"
xml_signing = { certificate = "keys/be/xml.pem", key = "keys/be/xml.key" }
digital_signing = { certificate = "keys/be/ds.pem", key = "keys/be/ds.key" }
key_agreement = { certificate = "keys/be/ka.pem" }

[[organisations]]
name = "Access Control Broker"
user_role = "Access Control Broker"
entity_id = "90-B3-D5-1F-30-00-00-02"
digital_signing = { certificate = "keys/acb/ds.pem" }
key_agreement = { certificate = "keys/acb/ka.pem" }

[[meters]]
device_id = "00-DB-12-34-56-78-90-A0"
device_type = "ESME"
smets = 1
s1sp = "S1SP1"
mpxn = "1199157342471"
registered = { network_operator = "Western Power", supplier = "Bright Energy" }
"""


# --- making key material ----------------------------------------------------------------------------
def _key_pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@dataclass
class Material:
    """A folder of key files for VALID, issued by a test SMKI."""

    folder: Path
    smki: SMKIAuthority

    def issue(self, path: str, entity_id: str, role: RemotePartyRole, use: KeyUse, *, key: bool = True) -> None:
        private = ec.generate_private_key(ec.SECP256R1())
        cert = self.smki.issue(private.public_key(), entity_id, role, use)
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_suffix(".pem").write_text(cert.pem())
        if key:
            target.with_suffix(".key").write_bytes(_key_pem(private))

    def write(self, text: str = VALID, name: str = "env.toml") -> Path:
        path = self.folder / name
        path.write_text(text)
        return path


@pytest.fixture
def material(tmp_path: Path) -> Material:
    made = Material(tmp_path, SMKIAuthority())
    made.issue("keys/dcc/dsp", ACB, RemotePartyRole.XML_SIGNING_DCC, KeyUse.DS, key=False)
    for folder, entity_id, role in (
        ("wp", WP, RemotePartyRole.NETWORK_OPERATOR),
        ("be", BRIGHT, RemotePartyRole.SUPPLIER),
    ):
        made.issue(f"keys/{folder}/xml", entity_id, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS)
        made.issue(f"keys/{folder}/ds", entity_id, role, KeyUse.DS)
        made.issue(f"keys/{folder}/ka", entity_id, role, KeyUse.KA, key=False)
    made.issue("keys/acb/ds", ACB, RemotePartyRole.ACCESS_CONTROL_BROKER, KeyUse.DS, key=False)
    made.issue("keys/acb/ka", ACB, RemotePartyRole.ACCESS_CONTROL_BROKER, KeyUse.KA, key=False)
    return made


def _refusal(path: Path) -> EnvironmentFileError:
    with pytest.raises(EnvironmentFileError) as caught:
        load_environment(path)
    return caught.value


def _broken(material: Material, old: str, new: str) -> EnvironmentFileError:
    assert old in VALID, old
    return _refusal(material.write(VALID.replace(old, new, 1)))


def _only_problem(error: EnvironmentFileError) -> str:
    message = str(error)
    lines = message.splitlines()
    assert lines[0] == f"{error.path} is not a usable environment file:", message
    assert len(lines) == 2 and lines[1].startswith("- "), message
    return lines[1]


# --- the shipped files ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_environment_files_load(name: str) -> None:
    env = load_environment(ENVIRONMENTS / name)
    assert env.run.name
    assert "DSP" in env.dcc_signers
    assert env.receiver.port and env.organisations and env.meters
    assert len(env.sha256) == 64


def _feature_organisations() -> set[str]:
    """Every organisation a feature's Background names in its 'these organisations take part' table."""
    names: set[str] = set()
    for feature in (ROOT / "features").glob("*.feature"):
        rows = re.findall(r"these organisations take part:\n((?:\s*\|.*\n)+)", feature.read_text())
        for table in rows:
            names.update(line.split("|")[1].strip() for line in table.strip().splitlines()[1:])
    return names


@pytest.mark.parametrize("name", ("sandbox-as-is.toml", "sandbox-to-be.toml"))
def test_the_sandbox_files_have_every_feature_organisation_and_valid_meter_points(name: str) -> None:
    env = load_environment(ENVIRONMENTS / name)
    assert _feature_organisations() <= {o.name for o in env.organisations}
    for meter in env.meters:
        if meter.device_type == "ESME":
            assert is_valid_mpan_core(meter.mpxn), meter
        if meter.device_type == "GSME":
            assert is_valid_mprn(meter.mpxn), meter
    awaiting_enrolment = [m for m in env.meters if not m.enrolled and m.device_type == "ESME"]
    assert len(awaiting_enrolment) >= 12  # each is enrolled once per run: enough for every enrolment scenario


def test_the_sandbox_files_declare_the_change_as_is_and_to_be() -> None:
    as_is = load_environment(ENVIRONMENTS / "sandbox-as-is.toml")
    to_be = load_environment(ENVIRONMENTS / "sandbox-to-be.toml")
    assert not any(as_is.change.mp107_in_force_at(s) for s in ("S1SP1", "S1SP2", "S1SP3"))
    assert [to_be.change.mp107_in_force_at(s) for s in ("S1SP1", "S1SP2", "S1SP3")] == [True, False, True]
    assert to_be.change.s1sps_not_answering == {"S1SP4"}
    assert any(m.s1sp == "S1SP4" for m in to_be.meters)
    assert (as_is.dsp.url, as_is.receiver.url) == ("http://127.0.0.1:18079", "http://127.0.0.1:18090/smartdcc/duis")
    assert to_be.interfaces.migration_control_centre == "http://127.0.0.1:18183" and to_be.interfaces.control is None
    # keys live in the git-ignored .sandbox folder, never beside the files
    for env in (as_is, to_be):
        assert all(ROOT / ".sandbox" in path.parents for path in env.dcc_signers.values())


def test_the_dcc_boxed_file_has_boxed_users_and_dsp() -> None:
    env = load_environment(ENVIRONMENTS / "dcc-boxed.toml")
    assert env.dsp.url == "http://dccboxed:8079"
    assert (env.receiver.host, env.receiver.port, env.receiver.path) == ("0.0.0.0", 1880, "/smartdcc/duis")
    assert env.receiver.public_url and not env.change.dsp_switch
    assert {o.entity_id for o in env.organisations} == {BRIGHT, WP, "00-DB-12-34-56-78-00-04"}
    assert [m.device_id for m in env.meters] == ["00-DB-12-34-56-78-90-A0"]


# --- structure: one message, naming the key and the fix ---------------------------------------------
def test_a_valid_file_loads_without_opening_its_key_files(tmp_path: Path) -> None:
    env = load_environment(Material(tmp_path, SMKIAuthority()).write())  # no key file exists
    assert env.organisation("Western Power").xml_signing.certificate == tmp_path / "keys/wp/xml.pem"
    assert env.holder(env.meters[0], "network_operator") == "Western Power"
    assert env.holder(env.meters[0], "acb") == "Access Control Broker"
    assert env.dsp.answer_timeout == 10.0 and env.dsp.tls is None


def test_a_missing_dsp_url_is_refused(material: Material) -> None:
    line = _only_problem(_broken(material, 'url = "http://127.0.0.1:18079"\n', ""))
    assert line.startswith("- dsp.url: is missing; add url = ")


def test_a_bad_eui64_is_refused(material: Material) -> None:
    line = _only_problem(_broken(material, '"90-B3-D5-1F-30-02-00-00"', '"90-B3-D5-1F-30-02-00"'))
    assert line.startswith("- organisations[0].entity_id: '90-B3-D5-1F-30-02-00' is not an EUI-64 identifier;")
    assert 'like "90-B3-D5-1F-30-02-00-00"' in line


def test_an_unknown_organisation_in_a_meter_is_refused_with_a_guess(material: Material) -> None:
    line = _only_problem(_broken(material, 'network_operator = "Western Power"', 'network_operator = "Westen Power"'))
    assert line == (
        "- meters[0].registered.network_operator: 'Westen Power' is not one of the [[organisations]]; "
        "did you mean 'Western Power'?"
    )


def test_a_smets1_meter_without_an_s1sp_is_refused(material: Material) -> None:
    line = _only_problem(_broken(material, 's1sp = "S1SP1"\n', ""))
    assert line.startswith("- meters[0].s1sp: is missing") and 'add s1sp = "S1SP1"' in line


def test_a_receiver_port_of_0_is_refused(material: Material) -> None:
    line = _only_problem(_broken(material, "port = 18090", "port = 0"))
    assert line.startswith("- receiver.port: is 0") and "fixed" in line


def test_an_unknown_top_level_key_is_refused_with_did_you_mean(material: Material) -> None:
    line = _only_problem(_refusal(material.write(VALID.replace("[dsp]", '[dspp]\nurl = "x"\n\n[dsp]'))))
    assert line == "- dspp: is not a known section; did you mean 'dsp'?"


def test_a_key_given_inline_is_refused(material: Material) -> None:
    line = _only_problem(_broken(material, 'key = "keys/wp/xml.key"', f'key = "{INLINE_KEY}"'))
    assert line.startswith("- organisations[0].xml_signing.key: holds the PEM")
    assert "secrets are never inlined" in line and "key_env" in line


def test_a_password_given_inline_is_refused(material: Material) -> None:
    line = _only_problem(_broken(material, 'key = "keys/wp/xml.key"', 'pkcs12 = "wp.p12", password = "hunter2"'))
    assert line.startswith("- organisations[0].xml_signing.password: is a secret written inline")
    assert "password_env" in line


def test_every_problem_is_in_one_message(material: Material) -> None:
    text = VALID.replace("port = 18090", "port = 0").replace('smets = 1\ns1sp = "S1SP1"\n', "smets = 1\n")
    text = text.replace("[run]", "[runn]\n\n[run]")
    message = str(_refusal(material.write(text)))
    assert message.count("\n- ") == 3
    for key in ("runn", "receiver.port", "meters[0].s1sp"):
        assert f"\n- {key}: " in message


def _with(*changes: tuple[str, str]) -> str:
    text = VALID
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_problems_of_every_kind_in_every_section_are_named_at_once_in_the_files_order(material: Material) -> None:
    text = _with(
        ('url = "http://127.0.0.1:18079"\n', ""),  # a required key missing
        ("port = 18090", 'port = "18090"'),  # a value of the wrong type
        ('s1sps_enabled = ["S1SP1"]', 's1sps_enabled = ["S1SP01"]'),  # a name no part of the file declares
        ('user_role = "Import Supplier"', 'user_role = "Import Suplier"'),  # a value not among those allowed
        ('mpxn = "1199157342471"', 'mpxn = "1199157342471"\ninstalation = "hub-1"'),  # an unknown key
        ('network_operator = "Western Power"', 'network_operator = "Westen Power"'),  # a meter naming no one
    )
    path = material.write(text)
    result = subprocess.run(
        [sys.executable, "-m", "support.preflight", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path} is not a usable environment file:",
        '- dsp.url: is missing; add url = "http://127.0.0.1:18079"',
        "- receiver.port: is the string '18090', not a port number; write it as port = 18090",
        "- change.s1sps_enabled[0]: 'S1SP01' serves no meter and has no signer in [dcc]; did you mean 'S1SP1'?",
        "- organisations[1].user_role: is the string 'Import Suplier', not one of \"Import Supplier\", "
        '"Export Supplier", "Gas Supplier", "Electricity Distributor", "Gas Transporter", "Other User", '
        '"Registered Supplier Agent", "Access Control Broker"; did you mean "Import Supplier"?',
        "- meters[0].instalation: is not a known key; did you mean 'installation'?",
        "- meters[0].registered.network_operator: 'Westen Power' is not one of the [[organisations]]; "
        "did you mean 'Western Power'?",
    ]


def test_a_structural_problem_hides_no_rule_broken_elsewhere(material: Material) -> None:
    text = _with(
        ("[dsp]", "[dsp]\nanswer_timeout_seconds = true"),  # structural: a boolean for a number
        ('s1sps_enabled = ["S1SP1"]', 's1sps_enabled = ["S1SP1", "S1SP1"]'),  # a rule of [change]
        ('entity_id = "90-B3-D5-1F-30-01-00-00"', 'entity_id = "90-B3-D5-1F-30-02-00-00"'),  # across organisations
        ('device_type = "ESME"', 'device_type = "GSME"'),  # a GSME's MPRN, and its registered parties' roles
    )
    assert [str(p) for p in _refusal(material.write(text)).problems] == [
        "dsp.answer_timeout_seconds: is the boolean true, not a number of seconds; "
        "write it as answer_timeout_seconds = 10",
        "change.s1sps_enabled[1]: 'S1SP1' is named twice; name each once",
        f"organisations[1].entity_id: {WP} is already organisations[0]'s; give each organisation its own User ID",
        "meters[0].mpxn: '1199157342471' is not an MPRN; give the MPRN's 6 to 10 digits",
        "meters[0].registered.network_operator: Western Power (Electricity Distributor) cannot be a GSME's "
        "network operator; name a Gas Transporter",
        "meters[0].registered.supplier: Bright Energy (Import Supplier) cannot be a GSME's supplier; "
        "name a Gas Supplier",
    ]


def test_a_problem_in_an_entry_leaves_its_other_keys_cross_checked(material: Material) -> None:
    # the meter's mpxn is wrong and so is who it names: both are said; an ACB whose own table has a problem
    # still counts as an ACB
    text = _with(
        ('mpxn = "1199157342471"', 'mpxn = "12"'),
        ('supplier = "Bright Energy" }', 'supplier = "Access Control Broker" }'),
        ('user_role = "Import Supplier"', 'user_role = "Access Control Broker"'),
    )
    problems = [str(p) for p in _refusal(material.write(text)).problems]
    assert problems == [
        "organisations: declares 2 Access Control Brokers (Bright Energy, Access Control Broker); "
        "keep one: the DCC has one ACB",
        "organisations[1].xml_signing: is given, but the Access Control Broker sends no DUIS; "
        "remove it (the ACB needs only its digital_signing and key_agreement certificates)",
        "meters[0].mpxn: '12' is not an MPAN core; give the 13 digits of the MPAN core",
        "meters[0].registered.supplier: Access Control Broker (Access Control Broker) cannot be an ESME's "
        "supplier; name an Import Supplier or an Export Supplier",
    ]


def test_pydantic_never_speaks_to_the_user(material: Material) -> None:
    odd = _with(
        ("port = 18090", "port = 1979-05-27T07:32:00Z"),
        ('[change]', '[codes]\nresponse = { registration_data = [1], owner = "E4" }\n\n[change]'),
        ("smets = 1", "smets = 1.0"),
        ('key_agreement = { certificate = "keys/wp/ka.pem" }', "key_agreement = [[1]]"),
        ("[[meters]]", "[[meters]]\n[meters.holds]\nsupplier = { name = 1 }\n\n[[meters]]"),
    )
    error = _refusal(material.write(odd))
    assert len(error.problems) >= 5
    for line in str(error).splitlines()[1:]:
        assert re.match(r"- [\w.\[\]]+: .+; .+", line), line
        for words in ("Input should", "pydantic", "https://", "valid dictionary", "Value error"):
            assert words not in line, line
    # a finding no sentence is written for is still said plainly, naming the key
    unknown = {"type": "uuid_parsing", "loc": ("dsp", "url"), "msg": "pydantic's own words", "input": 7, "ctx": {}}
    assert str(problem_of(unknown, EnvironmentTable)) == (
        'dsp.url: is the number 7, not a value url can take; write it as url = "http://127.0.0.1:18079"'
    )


def test_a_file_that_is_not_toml_is_refused_with_where(material: Material) -> None:
    line = _only_problem(_refusal(material.write("[run\nname = 1\n")))
    assert line.startswith("- (file): is not valid TOML") and "line 1" in line


def test_s1sp_names_in_the_change_must_be_ones_the_environment_has(material: Material) -> None:
    line = _only_problem(_broken(material, 's1sps_enabled = ["S1SP1"]', 's1sps_enabled = ["S1SP01"]'))
    assert line.startswith("- change.s1sps_enabled[0]: 'S1SP01' serves no meter") and "'S1SP1'" in line


# --- the preflight check: the key material itself ---------------------------------------------------
def test_matching_key_material_passes(material: Material) -> None:
    assert check_key_material(load_environment(material.write())) == []


def test_a_key_that_is_not_its_certificates_is_reported(material: Material) -> None:
    (material.folder / "keys/wp/xml.key").write_bytes(_key_pem(ec.generate_private_key(ec.SECP256R1())))
    problems = check_key_material(load_environment(material.write()))
    assert problems == [
        "organisations[0].xml_signing: the key does not match the certificate; give the key of this certificate "
        "(or the certificate of this key)"
    ]


def test_an_xml_signing_certificate_of_the_wrong_role_is_reported(material: Material) -> None:
    material.issue("keys/wp/xml", WP, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS)
    problems = check_key_material(load_environment(material.write()))
    assert len(problems) == 1
    assert problems[0].startswith("organisations[0].xml_signing.certificate: its role (OU) is 03, not 87")


def test_a_certificate_of_another_organisation_is_reported(material: Material) -> None:
    material.issue("keys/wp/ds", BRIGHT, RemotePartyRole.NETWORK_OPERATOR, KeyUse.DS)
    problems = check_key_material(load_environment(material.write()))
    assert problems == [
        f"organisations[0].digital_signing.certificate: names {BRIGHT}, not Western Power's entity_id {WP}; "
        "give Western Power's certificate, or correct entity_id"
    ]


def test_a_missing_file_is_reported(material: Material) -> None:
    (material.folder / "keys/be/ds.key").unlink()
    problems = check_key_material(load_environment(material.write()))
    assert len(problems) == 1
    assert problems[0].startswith("organisations[1].digital_signing.key: ") and "does not exist" in problems[0]


def test_a_key_in_an_environment_variable_loads(material: Material, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WP_XML_KEY", (material.folder / "keys/wp/xml.key").read_text())
    env = load_environment(material.write(VALID.replace('key = "keys/wp/xml.key"', 'key_env = "WP_XML_KEY"')))
    assert check_key_material(env) == []
    monkeypatch.delenv("WP_XML_KEY")
    assert check_key_material(env) == [
        "organisations[0].xml_signing.key_env: the environment variable WP_XML_KEY is not set; "
        "set it to the key's PEM before the run"
    ]


def test_pkcs12_with_password_env_loads(material: Material, monkeypatch: pytest.MonkeyPatch) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    cert = material.smki.issue(private.public_key(), WP, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS)
    blob = pkcs12.serialize_key_and_certificates(
        b"wp", private, cert.certificate, None, serialization.BestAvailableEncryption(b"s3cret")
    )
    (material.folder / "keys/wp/xml.p12").write_bytes(blob)
    text = VALID.replace(
        'xml_signing = { certificate = "keys/wp/xml.pem", key = "keys/wp/xml.key" }',
        'xml_signing = { pkcs12 = "keys/wp/xml.p12", password_env = "WP_P12_PASSWORD" }',
    )
    env = load_environment(material.write(text))
    monkeypatch.setenv("WP_P12_PASSWORD", "s3cret")
    assert check_key_material(env) == []
    xml = env.organisation("Western Power").xml_signing
    assert xml.load_certificate().serial == cert.serial
    assert xml.load_key().private_numbers() == private.private_numbers()
    monkeypatch.setenv("WP_P12_PASSWORD", "wrong")
    with pytest.raises(EnvironmentFileError, match=r"organisations\[0\]\.xml_signing\.pkcs12: .* cannot be opened"):
        xml.load_key()


def test_pkcs11_is_declared_but_refused_plainly(material: Material) -> None:
    text = VALID.replace('key = "keys/wp/ds.key"', 'pkcs11 = "pkcs11:token=uit;object=wp-ds"')
    env = load_environment(material.write(text))  # declared: the file itself is fine
    problems = check_key_material(env)
    assert len(problems) == 1 and problems[0].startswith("organisations[0].digital_signing.pkcs11: ")
    assert "this build cannot use PKCS#11" in problems[0]
    with pytest.raises(EnvironmentFileError) as caught:
        env.organisation("Western Power").digital_signing.load_key()
    assert str(caught.value).startswith(f"{material.folder / 'env.toml'} is not a usable environment file:\n- ")
    assert "PKCS#11" in str(caught.value)


def test_a_key_that_is_not_p256_is_refused(tmp_path: Path) -> None:
    (tmp_path / "k.key").write_bytes(_key_pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(EnvironmentFileError, match="is not an ECDSA P-256 key"):
        KeyMaterial(key=tmp_path / "k.key", origin="organisations[0].xml_signing").load_key()


# --- the organisation as a DUIS sender --------------------------------------------------------------
def test_organisation_identity_is_a_sender_built_from_the_files(material: Material) -> None:
    env = load_environment(material.write())
    western = organisation_identity(env.organisation("Western Power"))
    assert isinstance(western, Organisation) and isinstance(western.identity, SigningIdentity)
    assert western.identity.entity_id == WP
    xml_cert = env.organisation("Western Power").xml_signing.load_certificate()
    assert western.identity.certificate.serial_number == xml_cert.serial
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ds_cert = env.organisation("Western Power").digital_signing.load_certificate().certificate
    assert western.device_signing_key.public_key().public_bytes(*spki) == ds_cert.public_key().public_bytes(*spki)
    replacement = western.as_replacement("NetworkOperator", material.smki.issuing_ca.public_bytes(spki[0]))
    assert replacement["digital_signing_certificate"] == western.ds_der and western.ka_der


def test_the_acb_identity_has_certificates_and_placeholder_keys(material: Material) -> None:
    acb = organisation_identity(load_environment(material.write()).organisation("Access Control Broker"))
    assert acb.entity_id == ACB and acb.ds_pem and acb.ka_pem and not acb.xml_pem


# --- small parts ------------------------------------------------------------------------------------
def test_mp107_is_in_force_only_where_the_dsp_and_the_s1sp_have_it() -> None:
    change = DeclaredChange(True, frozenset({"S1SP1"}), frozenset())
    assert change.mp107_in_force_at("S1SP1") and not change.mp107_in_force_at("S1SP2")
    assert not change.mp107_in_force_at(None)
    assert not DeclaredChange(False, frozenset({"S1SP1"})).mp107_in_force_at("S1SP1")


def test_the_receiver_url_is_the_public_one_when_given() -> None:
    assert ReceiverSettings("127.0.0.1", 18090, "/smartdcc/duis", None).url == "http://127.0.0.1:18090/smartdcc/duis"
    assert ReceiverSettings("0.0.0.0", 1880, "/d", "https://uit.example/d").url == "https://uit.example/d"
