"""The environment file's shape, declared: each table of the file as a pydantic model (its keys, their types,
the values they may take, which are required, each with the example its fixes show), and the file's
domain rules as validators, each named after its rule, on the key a problem is reported at.

Exact, because a wrong file costs a wasted run against a real DCC: types are strict (TOML has them: `"10"` is
not a number, `1` is not `true`), and a key the schema does not declare is refused (`extra="forbid"`), so a
typo is named rather than silently ignored. A rule that needs other keys reads them from `info.data`, which
holds only the keys before it that are valid: a rule whose inputs are wrong does not judge (their own
problems are named instead). Rules across entries and sections are `environment_file.cross_checks`'."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticKnownError

from catalogue.rules import RULES
from environment_file.fields import (
    NEVER_INLINE,
    WRITE_IT,
    Broken,
    EnvName,
    Eui64,
    FilePath,
    Names,
    Pkcs11Uri,
    Text,
    Url,
    broken,
    looks_inline,
    toml_key,
)
from environment_file.model import (
    ACB_ROLE,
    DEFAULT_ANSWER_TIMEOUT,
    DEFAULT_RECEIVER_HOST,
    DEFAULT_RECEIVER_PATH,
    DSP_SIGNER,
    METER_POINTS,
    REGISTERED_ROLES,
    REGISTRABLE,
    USER_ROLES,
    DeviceType,
    EnvironmentKind,
    Status,
)
from environment_file.problems import a, did_you_mean

if TYPE_CHECKING:
    UserRoleName = str
else:
    UserRoleName = Literal[USER_ROLES]  # the DUIS User Roles (an enum) and the ACB: a Literal built from them

_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]"})


class Table(BaseModel):
    """A table of the file: exact (strict types, no key it does not declare) and, once read, unchanging."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# --- [run] [dsp] [receiver] [dcc] [change] [codes] [interfaces] --------------------------------------
class RunTable(Table):
    name: Text = toml_key('"UIT-A, MP107 to-be" (shown in the evidence)')
    operator: Text | None = toml_key('"MP107 UIT team"', None)
    kind: EnvironmentKind | None = toml_key('"DCC test environment"', None)


class TLSTable(Table):
    ca_file: FilePath | None = toml_key('"certs/dcc-ca.pem"', None)
    client_certificate: FilePath | None = toml_key('"certs/client.pem"', None)
    client_key: FilePath | None = toml_key('"certs/client.key"', None)


class DSPTable(Table):
    url: Url = toml_key('"http://127.0.0.1:18079"')
    answer_timeout_seconds: float = toml_key("10", DEFAULT_ANSWER_TIMEOUT, word="a number of seconds", gt=0)
    tls: TLSTable | None = toml_key('{ ca_file = "...", client_certificate = "...", client_key = "..." }', None)

    @field_validator("tls")
    @classmethod
    def _mutual_tls_over_https(cls, tls: TLSTable | None, info: ValidationInfo) -> TLSTable | None:
        """A client certificate goes with its key; TLS settings on a plain http:// URL would be ignored."""
        if tls is None:
            return None
        found = Broken()
        if (tls.client_certificate is None) != (tls.client_key is None):
            found.add("gives only one of client_certificate and client_key", "give both for mutual TLS, or neither")
        if str(info.data.get("url", "")).startswith("http://"):
            found.add("is given but dsp.url is plain http://", "use an https:// URL, or remove tls")
        found.raise_any()
        return tls


class ReceiverTable(Table):
    host: Text = toml_key(f'"{DEFAULT_RECEIVER_HOST}"', DEFAULT_RECEIVER_HOST)
    port: int = toml_key("18090", word="a port number")
    path: Text = toml_key(f'"{DEFAULT_RECEIVER_PATH}"', DEFAULT_RECEIVER_PATH)
    public_url: Url | None = toml_key('"https://uit.example/smartdcc/duis"', None, rules=True)

    @field_validator("port")
    @classmethod
    def _a_fixed_port(cls, port: int) -> int:
        if port == 0:
            raise broken(
                "is 0 (any free port), but the DCC must be told a fixed address",
                "choose a fixed port, e.g. port = 18090",
            )
        if not 1 <= port <= 65535:
            raise broken(f"is {port}", "give a port from 1 to 65535")
        return port

    @field_validator("path")
    @classmethod
    def _an_absolute_path(cls, path: str) -> str:
        if not path.startswith("/"):
            raise broken(f"{path!r} does not start with /", f'write it like path = "/{path}"')
        return path

    @field_validator("public_url")
    @classmethod
    def _an_address_the_dcc_can_reach(cls, public_url: str | None, info: ValidationInfo) -> str | None:
        """A receiver listening on every interface has no address of its own to give the DCC."""
        host = info.data.get("host")
        if public_url is None and host in _WILDCARD_HOSTS:
            raise broken(
                f"is missing while host {host!r} listens on every interface (the DCC cannot deliver to that address)",
                'add public_url = "http://<this machine\'s address>:<port><path>"',
            )
        return public_url


SignerPath = Annotated[FilePath, Field(examples=['"certs/dsp-xml-signing.pem"'])]


class DCCTable(Table):
    signers: dict[str, SignerPath] = toml_key(
        '{ DSP = "certs/dsp.pem", S1SP1 = "certs/s1sp1.pem" }', word="a table of certificate files by system"
    )
    certification_path: FilePath | None = toml_key('"certs/smki-issuing-ca.pem"', None)

    @field_validator("signers")
    @classmethod
    def _the_dsp_signs(cls, signers: dict[str, str]) -> dict[str, str]:
        """The DSP signs every DUIS Response the suite checks: its certificate must be trusted."""
        if DSP_SIGNER not in signers:
            guess = did_you_mean(DSP_SIGNER, signers)
            raise broken(
                "has no DSP (the DSP signs every DUIS Response the suite checks)",
                f"rename {guess!r} to DSP" if guess else 'add DSP = "certs/dsp-xml-signing.pem"',
            )
        return signers


class ChangeTable(Table):
    dsp_switch: bool = toml_key("true")
    s1sps_enabled: Names = toml_key('["S1SP1", "S1SP3"] (or [] when none has)', word="a list of names")
    s1sps_not_answering: Names = toml_key('["S1SP4"]', [], word="a list of names")


_RESPONSE_CODE = re.compile(r"^[A-Z]{1,2}[0-9]{1,4}$")


def _a_rule(rule: str) -> str:
    if rule not in RULES:
        guess = did_you_mean(rule, RULES)
        fix = f"did you mean {guess!r}?" if guess else f"use one of {', '.join(RULES)}"
        raise broken("is not a rule of catalogue/rules.py", fix)
    return rule


def _a_response_code(code: str) -> str:
    if not _RESPONSE_CODE.match(code):
        raise broken(f"{code!r} is not a DUIS response code", 'write it like "E4" or "E100"')
    return code


RuleKey = Annotated[str, AfterValidator(_a_rule)]
"""A rule key of `catalogue/rules.py` (`registration_data`)."""
AlertCode = Annotated[Text, Field(examples=['"E4"'], json_schema_extra={"word": "a code"})]
ResponseCode = Annotated[AlertCode, AfterValidator(_a_response_code)]
_CODES = "a table of codes by rule key"


class CodesTable(Table):
    response: dict[RuleKey, ResponseCode] = toml_key('{ registration_data = "E4" }', {}, word=_CODES)
    s1sp_alert: dict[RuleKey, AlertCode] = toml_key('{ registration_data = "E4" }', {}, word=_CODES)

    @field_validator("s1sp_alert")
    @classmethod
    def _only_rules_an_s1sp_alerts_for(cls, alerts: dict[str, str]) -> dict[str, str]:
        found = Broken()
        for rule in alerts:
            if RULES[rule].s1sp_alert_code is None:
                found.add(
                    "overrides an S1SP Alert code, but no S1SP raises an alert for that rule",
                    "remove it, or override its response code instead",
                    at=(rule,),
                )
        found.raise_any()
        return alerts


class InterfacesTable(Table):
    migration_control_centre: Url | None = toml_key('"http://127.0.0.1:18083"', None)
    meter_events: Url | None = toml_key('"http://127.0.0.1:18084"', None)
    control: Url | None = toml_key('"http://127.0.0.1:18082"', None)


# --- [[organisations]] ---------------------------------------------------------------------------------
class KeyMaterialTable(Table):
    """One certificate and where its private key is (a file, a variable, a PKCS#12 or an HSM)."""

    certificate: FilePath | None = toml_key('"path/to/certificate.pem"', None)
    key: FilePath | None = toml_key('"path/to/key.pem"', None)
    key_env: EnvName | None = toml_key('"MY_KEY_PEM"', None)
    pkcs12: FilePath | None = toml_key('"path/to/file.p12"', None)
    password_env: EnvName | None = toml_key('"MY_P12_PASSWORD"', None)
    pkcs11: Pkcs11Uri | None = toml_key('"pkcs11:token=...;object=..."', None)

    @property
    def key_ways(self) -> list[str]:
        """The ways its private key is given (one at most)."""
        return [way for way in ("key", "key_env", "pkcs12", "pkcs11") if getattr(self, way) is not None]

    @model_validator(mode="after")
    def _one_key_and_its_certificate(self) -> Self:
        found = Broken()
        ways = self.key_ways
        if len(ways) > 1:
            found.add(f"gives its key {len(ways)} ways ({', '.join(ways)})", "keep exactly one")
        if self.certificate is None and self.pkcs12 is None:
            found.add("is missing", "add {name} = {example}", at=("certificate",))
        if self.password_env is not None and not {"key", "key_env", "pkcs12"} & set(ways):
            found.add(
                "is given but there is no key file, variable or PKCS#12 it opens",
                "remove it (a PKCS#11 token has its own PIN)",
                at=("password_env",),
            )
        found.raise_any()
        return self


def _a_table_not_a_string(value: object) -> object:
    """Key material is a table of places: a string is either the PEM itself or a path without its table."""
    if isinstance(value, str):
        if looks_inline(value):
            raise broken("holds a PEM itself", NEVER_INLINE)
        raise broken("is a single string, not a table", WRITE_IT)
    return value


Material = Annotated[KeyMaterialTable | None, BeforeValidator(_a_table_not_a_string)]
_SIGNING = '{ certificate = "....pem", key = "....key" }'
_KEY_NEEDED = (
    "is missing (this certificate's key signs for the organisation)",
    'add key = "path/to/key.pem" (or key_env = "VAR", or pkcs12 = "file.p12")',
)
_TOGETHER = "(a meter holds a party's DS and KA certificates together)"


class OrganisationTable(Table):
    """An organisation as the feature files name it: a User (or the ACB), its User ID, its key material."""

    name: Text = toml_key('"Western Power" (as the feature files name it)')
    user_role: UserRoleName = toml_key('"Import Supplier"')
    entity_id: Eui64 = toml_key('"90-B3-D5-1F-30-02-00-00"')
    dcc_user: bool = toml_key("true", True)
    xml_signing: Material = toml_key(_SIGNING, None, rules=True)
    digital_signing: Material = toml_key(_SIGNING, None, rules=True)
    key_agreement: Material = toml_key('{ certificate = "....pem" }', None, rules=True)

    @field_validator("xml_signing")
    @classmethod
    def _a_dcc_user_signs_its_requests(cls, xml: KeyMaterialTable | None, info: ValidationInfo) -> Any:
        """A DCC User signs every DUIS request with its XML-signing key; the ACB sends no DUIS."""
        role = info.data.get("user_role")
        if role == ACB_ROLE and xml is not None:
            raise broken(
                "is given, but the Access Control Broker sends no DUIS",
                "remove it (the ACB needs only its digital_signing and key_agreement certificates)",
            )
        if role not in (None, ACB_ROLE):
            if xml is None and info.data.get("dcc_user") is True:
                raise broken("is missing (a DCC User signs every DUIS request with it)", "add {name} = {example}")
            _signs_with_its_key(xml)
        return xml

    @field_validator("digital_signing")
    @classmethod
    def _a_users_pre_commands_are_signed(cls, ds: KeyMaterialTable | None, info: ValidationInfo) -> Any:
        """A User signs its Pre-Commands with its Digital Signing key; every meter holds the ACB's DS."""
        role = info.data.get("user_role")
        _the_acbs_certificates_are_declared(role, ds)
        if role is not None and role != ACB_ROLE:
            _signs_with_its_key(ds)
        return ds

    @field_validator("key_agreement")
    @classmethod
    def _held_with_the_digital_signing(cls, ka: KeyMaterialTable | None, info: ValidationInfo) -> Any:
        """A meter holds a party's DS and KA certificates together: one without the other cannot be held."""
        role = info.data.get("user_role")
        _the_acbs_certificates_are_declared(role, ka)
        if role is not None and role != ACB_ROLE and "digital_signing" in info.data:
            ds = info.data["digital_signing"]
            if ds is not None and ka is None:
                raise broken(f"is missing {_TOGETHER}", "add key_agreement, or remove digital_signing")
            if ds is None and ka is not None:
                raise broken(
                    f"is given without digital_signing {_TOGETHER}", "add digital_signing, or remove key_agreement"
                )
        return ka


def _the_acbs_certificates_are_declared(role: str | None, material: KeyMaterialTable | None) -> None:
    """Every meter holds the ACB's DS and KA certificates: the ACB's entry declares both."""
    if role == ACB_ROLE and material is None:
        raise broken(
            "is missing (every meter holds the ACB's certificates)",
            'add {name} = { certificate = "path/to/{name}.pem" }',
        )


def _signs_with_its_key(material: KeyMaterialTable | None) -> None:
    """A User's XML-signing and Digital Signing certificates come with the key it signs with."""
    if material is not None and not material.key_ways:
        found = Broken()
        found.add(*_KEY_NEEDED, at=("key",))
        found.raise_any()


# --- [[meters]] ----------------------------------------------------------------------------------------
def _a_whole_number(value: object) -> object:
    """TOML's `true` and `1.0` are not the number 1 (Python, and so a Literal, says they are)."""
    if isinstance(value, bool | float):
        raise PydanticKnownError("literal_error", {"expected": "1 or 2"})
    return value


Smets = Annotated[Literal[1, 2], BeforeValidator(_a_whole_number)]
_ORGANISATION_NAME = "an organisation's name"


class RegisteredTable(Table):
    """Who Registration Data names for a meter point."""

    network_operator: Text | None = toml_key('"Western Power"', None, word=_ORGANISATION_NAME)
    supplier: Text | None = toml_key('"Bright Energy"', None, word=_ORGANISATION_NAME)


class HeldTable(Table):
    """Whose certificates a meter holds, where it is not who Registration Data names (nor the ACB)."""

    network_operator: Text | None = toml_key('"Western Power"', None, word=_ORGANISATION_NAME)
    supplier: Text | None = toml_key('"Bright Energy"', None, word=_ORGANISATION_NAME)
    acb: Text | None = toml_key('"Access Control Broker"', None, word=_ORGANISATION_NAME)


_PARTIES = "a table of organisation names by role"


class MeterTable(Table):
    """A device the suite may use, in the state the environment's operator declares it is in."""

    device_id: Eui64 = toml_key('"00-DB-12-34-56-78-90-A0"')
    device_type: DeviceType = toml_key('"ESME"')
    smets: Smets = toml_key("1")
    s1sp: Text | None = toml_key('"S1SP1"', None, rules=True)
    mpxn: Text | None = toml_key('"1199157342471"', None, rules=True)
    installation: Text | None = toml_key('"hub-1"', None)
    status: Status = toml_key('"Active"', "Active")
    enrolled: bool = toml_key("true", True)
    registered: RegisteredTable | None = toml_key(
        '{ network_operator = "Western Power", supplier = "Bright Energy" }', None, word=_PARTIES, rules=True
    )
    holds: HeldTable | None = toml_key('{ network_operator = "Eastern Networks" }', None, word=_PARTIES, rules=True)

    @field_validator("s1sp")
    @classmethod
    def _an_s1sp_serves_smets1(cls, s1sp: str | None, info: ValidationInfo) -> str | None:
        smets = info.data.get("smets")
        if smets == 1 and s1sp is None:
            raise broken("is missing (a SMETS1 device is served by an S1SP)", "add {name} = {example}")
        if smets == 2 and s1sp is not None:
            raise broken("is given for a SMETS2 device (no S1SP serves one)", "remove it")
        return s1sp

    @field_validator("mpxn")
    @classmethod
    def _a_meter_points_number(cls, mpxn: str | None, info: ValidationInfo) -> str | None:
        """An ESME's MPAN core (13 digits), a GSME's MPRN (6 to 10); other devices are no meter point."""
        kind = info.data.get("device_type")
        if kind is None:
            return mpxn
        if kind not in METER_POINTS:
            if mpxn is not None:
                raise broken(f"is given for a {kind}, which has no meter point", "remove it")
            return None
        if mpxn is None:
            raise broken("is missing", 'add mpxn = "1199157342471"' if kind == "ESME" else 'add mpxn = "1048703804"')
        if kind == "ESME" and not (mpxn.isdigit() and len(mpxn) == 13):
            raise broken(f"{mpxn!r} is not an MPAN core", "give the 13 digits of the MPAN core")
        if kind == "GSME" and not (mpxn.isdigit() and 6 <= len(mpxn) <= 10):
            raise broken(f"{mpxn!r} is not an MPRN", "give the MPRN's 6 to 10 digits")
        return mpxn

    @field_validator("registered")
    @classmethod
    def _registration_data_per_meter_point(cls, registered: RegisteredTable | None, info: ValidationInfo) -> Any:
        """Registration Data names a meter point's Network Operator and Supplier, of the roles it may."""
        kind = info.data.get("device_type")
        if kind is None:
            return registered
        if kind not in REGISTRABLE:
            if registered is not None:
                raise broken(
                    f"is given for a {kind} (Registration Data is per meter point)",
                    "remove it: the ESME or GSME of its installation carries it",
                )
            return None
        if registered is None:
            raise broken(f"is missing (Registration Data names {a(kind)}'s parties)", "add {name} = {example}")
        found = Broken()
        for role, allowed in zip(REGISTERED_ROLES, REGISTRABLE[kind], strict=True):
            if getattr(registered, role) is None:
                found.add("is missing", f'add {role} = "<{a(allowed[0])}>"', at=(role,))
        found.raise_any()
        return registered

    @field_validator("holds")
    @classmethod
    def _held_by_an_enrolled_meter(cls, holds: HeldTable | None, info: ValidationInfo) -> Any:
        """Only an ESME's or GSME's holdings are declared, and a meter awaiting enrolment holds none."""
        if holds is None:
            return None
        found = Broken()
        kind = info.data.get("device_type")
        if kind is not None and kind not in REGISTRABLE:
            found.add(f"is given for a {kind}", "remove it: only an ESME's or GSME's are declared")
        if info.data.get("enrolled") is False:
            found.add(
                "is given for a meter awaiting enrolment (it holds none of the DCC's yet)",
                "remove holds, or set enrolled = true",
            )
        found.raise_any()
        return holds


# --- the whole file ------------------------------------------------------------------------------------
class EnvironmentTable(Table):
    """An environment file: its sections and its arrays of tables."""

    run: RunTable
    dsp: DSPTable
    receiver: ReceiverTable
    dcc: DCCTable
    change: ChangeTable
    codes: CodesTable = CodesTable()
    interfaces: InterfacesTable = InterfacesTable()
    organisations: list[OrganisationTable] = Field(min_length=1)
    meters: list[MeterTable] = []
