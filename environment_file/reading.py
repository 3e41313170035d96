"""An environment file: one TOML file that says everything a suite run needs about its target (the
embedded sandbox started from it, DCC Boxed, or a DCC UIT test environment), so that the suite can run
against a real DCC test environment with nothing but DUIS.

Why a file, and why checked this hard: a run against a real DCC environment is slow to arrange and costly
to waste. A wrong port, an S1SP name with a typo or a certificate of the wrong role would otherwise show
up as a failed scenario half-way through, looking like a DCC defect. So the file is checked before any
scenario runs, and everything wrong with it is reported at once, in ONE message, one line per problem:

    support/environments/uit.toml is not a usable environment file:
    - organisations[2].xml_signing.key: is missing (this certificate's key signs for the organisation); add
      key = "path/to/key.pem" (or key_env = "VAR", or pkcs12 = "file.p12")
    - meters[7].s1sp: is missing (a SMETS1 device is served by an S1SP); add s1sp = "S1SP1"

(each problem is one line; the first is wrapped here to fit)

Two stages, because the sandbox creates the key files it is started from:
- `load_environment` checks the STRUCTURE (types, required keys, enumerations, identifiers, names that
  refer to each other) without opening any key or certificate file;
- `check_key_material` (the preflight check) opens every certificate and key and checks that they match
  and are what the SMKI profile says they must be.

Secrets are never inlined: a key is a file path, an environment variable (`key_env`), a PKCS#12 file (with
`password_env`) or an HSM (`pkcs11`, declared but refused by this build). Paths are relative to the
environment file's folder. Positions in `[[organisations]]` and `[[meters]]` count from 0.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from catalogue.rules import RULES
from duis.messages import normalise_eui64
from duis.srv import UserRole
from smki.profile import KeyUse, OrganisationCertificate, RemotePartyRole

ENVIRONMENTS = Path(__file__).resolve().parents[1] / "support" / "environments"
"""Where the project's own environment files live (sandbox as-is and to-be, DCC Boxed)."""

ACB_ROLE = "Access Control Broker"
"""The `user_role` of the DCC's Access Control Broker: not a DUIS User Role (the ACB sends nothing), but a
party whose certificates every meter holds. The same words as `support.seeding.ACB` (not imported from
there, so that seeding may import this module without a cycle)."""

USER_ROLES = tuple(role.value for role in UserRole) + (ACB_ROLE,)
DEVICE_TYPES = ("ESME", "GSME", "GPF", "CHF")
METER_POINTS = {"ESME": "MPAN core", "GSME": "MPRN"}
STATUSES = ("Active", "Dormant")
REGISTERED_ROLES = ("network_operator", "supplier")
HELD_ROLES = ("network_operator", "supplier", "acb")
DEFAULT_ANSWER_TIMEOUT = 10.0
DEFAULT_RECEIVER_HOST = "127.0.0.1"
DEFAULT_RECEIVER_PATH = "/smartdcc/duis"
DSP_SIGNER = "DSP"

_REGISTRABLE = {
    # device type -> (Network Operator roles, Supplier roles) Registration Data may name for its meter point
    "ESME": (
        (UserRole.ELECTRICITY_DISTRIBUTOR.value,),
        (UserRole.IMPORT_SUPPLIER.value, UserRole.EXPORT_SUPPLIER.value),
    ),
    "GSME": ((UserRole.GAS_TRANSPORTER.value,), (UserRole.GAS_SUPPLIER.value,)),
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESPONSE_CODE = re.compile(r"^[A-Z]{1,2}[0-9]{1,4}$")
_BASE64_BLOB = re.compile(r"^[A-Za-z0-9+/=\s]{64,}$")
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})
_NEVER_INLINE = (
    "secrets are never inlined: put it in a file and give the file's path (relative to this file's folder), "
    'or for a key name the environment variable that holds it (key_env = "VAR")'
)


# --- problems ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with an environment file: the offending key, what is wrong, and the fix."""

    key: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.what}; {self.fix}"


class EnvironmentFileError(ValueError):
    """An environment file the suite cannot run from. Its message is the whole report (the file's path,
    then one line per problem), so that whoever runs the suite fixes everything in one go."""

    def __init__(self, path: str | Path, problems: Sequence[Problem]) -> None:
        self.path = Path(path)
        self.problems = tuple(problems)
        lines = [f"{path} is not a usable environment file:", *(f"- {problem}" for problem in self.problems)]
        super().__init__("\n".join(lines))


# --- the model -----------------------------------------------------------------------------------------
DCC_TEST_ENVIRONMENT = "DCC test environment"
ENVIRONMENT_KINDS = (DCC_TEST_ENVIRONMENT, "DCC Boxed", "sandbox")
"""What `[run] kind` may say. A run is UIT evidence only against a DCC test environment: the sign-off sheet
of any other says plainly that it is not."""

@dataclass(frozen=True)
class RunInfo:
    """What the evidence says this run was against, and who ran it."""

    name: str
    operator: str | None
    kind: str = ""
    """What the file describes (`ENVIRONMENT_KINDS`); only a DCC test environment's run is UIT evidence."""

    @property
    def uit_evidence(self) -> bool:
        return self.kind == DCC_TEST_ENVIRONMENT


@dataclass(frozen=True)
class TLSSettings:
    """TLS towards the DSP: a CA to trust, and a client certificate for a mutually-authenticated DCC User
    Gateway connection (DCC-INTERFACE Q10). Paths, never the PEM itself."""

    ca_file: Path | None
    client_certificate: Path | None
    client_key: Path | None

    @property
    def requests_verify(self) -> str | bool:
        """`requests`' `verify=`: the CA file when given, else the system's trust store."""
        return str(self.ca_file) if self.ca_file else True

    @property
    def requests_cert(self) -> tuple[str, str] | None:
        """`requests`' `cert=`: the client certificate and key, when mutual TLS is asked for."""
        if self.client_certificate and self.client_key:
            return (str(self.client_certificate), str(self.client_key))
        return None


@dataclass(frozen=True)
class DSPEndpoint:
    """Where the suite sends DUIS (`{url}/api/v1/serviceT|S|D`), and how long a step waits for an
    asynchronous answer."""

    url: str
    answer_timeout: float
    tls: TLSSettings | None


@dataclass(frozen=True)
class ReceiverSettings:
    """The suite's own Receive Response Service, which the DCC calls back: where it listens, and the
    address registered with the DCC (which differs behind NAT or a reverse proxy)."""

    host: str
    port: int
    path: str
    public_url: str | None

    @property
    def url(self) -> str:
        """The address the DCC delivers to: `public_url`, else `http://host:port/path`."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"


@dataclass(frozen=True)
class DeclaredChange:
    """The state of MP107 in this environment as its operator declares it. The suite cannot switch a real
    DCC; it judges each scenario by what is declared here (PIA 3.2: the DSP's switch and each S1SP's)."""

    dsp_switch: bool
    s1sps_enabled: frozenset[str]
    s1sps_not_answering: frozenset[str] = frozenset()

    def mp107_in_force_at(self, s1sp: str | None) -> bool:
        """Whether a correction on a meter served by `s1sp` is under MP107: the DSP's switch is on AND that
        S1SP has enabled it. A SMETS2 meter (no S1SP) is never under MP107 (its holder may always replace,
        PIA 2.2)."""
        return s1sp is not None and self.dsp_switch and s1sp in self.s1sps_enabled


@dataclass(frozen=True)
class CodeOverrides:
    """This environment's own codes, by rule key of `catalogue/rules.py`: the sandbox's choices where DCC
    publishes none (E100, S1SP Alert strings) may differ from a real DCC's."""

    response: dict[str, str] = field(default_factory=dict)
    s1sp_alert: dict[str, str] = field(default_factory=dict)

    def response_code(self, rule_key: str) -> str:
        """The response code this environment answers for `rule_key`."""
        return self.response.get(rule_key, RULES[rule_key].response_code)

    def s1sp_alert_code(self, rule_key: str) -> str | None:
        """The S1SP Alert code this environment raises for `rule_key` (None when the rule raises none)."""
        return self.s1sp_alert.get(rule_key, RULES[rule_key].s1sp_alert_code)


@dataclass(frozen=True)
class Interfaces:
    """How the target's world is driven besides DUIS. Absent ones skip the scenarios that need them: a
    real DCC offers no way to make a meter raise an alert."""

    migration_control_centre: str | None = None
    meter_events: str | None = None
    control: str | None = None


@dataclass(frozen=True)
class KeyMaterial:
    """One certificate and, where the organisation signs with it, where its private key is. Only places
    are held here; `load_certificate` and `load_key` open them when asked (so the sandbox can create the
    files after reading the environment file), and neither ever keeps or prints a key."""

    certificate: Path | None = None
    key: Path | None = None
    key_env: str | None = None
    pkcs12: Path | None = None
    password_env: str | None = None
    pkcs11: str | None = None
    origin: str = field(default="key material", compare=False)
    """The key in the file this came from (`organisations[2].xml_signing`), for messages."""
    source: Path | None = field(default=None, compare=False, repr=False)
    """The environment file this came from, for messages."""

    @property
    def has_key(self) -> bool:
        """Whether a private key is declared (in any of the four ways)."""
        return any(v is not None for v in (self.key, self.key_env, self.pkcs12, self.pkcs11))

    def _error(self, name: str, what: str, fix: str) -> EnvironmentFileError:
        return EnvironmentFileError(self.source or self.origin, [Problem(f"{self.origin}.{name}", what, fix)])

    def _read(self, path: Path, name: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise self._error(name, f"{path} does not exist", "create it, or correct the path") from None
        except OSError as exc:
            raise self._error(name, f"{path} cannot be read ({exc.strerror})", "make it readable") from None

    def _password(self) -> bytes | None:
        if self.password_env is None:
            return None
        value = os.environ.get(self.password_env)
        if not value:
            raise self._error(
                "password_env",
                f"the environment variable {self.password_env} is not set",
                "set it to the password before the run",
            )
        return value.encode()

    def _decoded(self, data: bytes, where: str) -> Any:
        try:
            return _private_key(data, self._password())
        except _Unreadable as exc:
            raise self._error(where, exc.what, exc.fix) from None

    def _pkcs12(self) -> tuple[Any, x509.Certificate | None]:
        assert self.pkcs12 is not None
        data = self._read(self.pkcs12, "pkcs12")
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(data, self._password())
        except (ValueError, TypeError) as exc:
            raise self._error(
                "pkcs12",
                f"{self.pkcs12} cannot be opened ({exc})",
                "check the file and the password in the variable named by password_env",
            ) from None
        return key, cert

    def load_certificate(self) -> OrganisationCertificate:
        """The certificate, read as an SMKI Organisation certificate (from its file, or from the PKCS#12)."""
        if self.certificate is not None:
            data = self._read(self.certificate, "certificate")
            try:
                cert = (
                    x509.load_pem_x509_certificate(data)
                    if b"-----BEGIN" in data
                    else x509.load_der_x509_certificate(data)
                )
            except ValueError as exc:
                raise self._error(
                    "certificate",
                    f"{self.certificate} is not a PEM or DER X.509 certificate ({exc})",
                    "give the certificate's file",
                ) from None
            where = "certificate"
        elif self.pkcs12 is not None:
            _, cert = self._pkcs12()
            if cert is None:
                raise self._error(
                    "certificate",
                    f"is not given and {self.pkcs12} holds no certificate",
                    'add certificate = "path/to/certificate.pem"',
                )
            where = "pkcs12"
        else:
            raise self._error("certificate", "is not given", 'add certificate = "path/to/certificate.pem"')
        try:
            return OrganisationCertificate.from_certificate(cert)
        except ValueError as exc:
            raise self._error(
                where, f"is not an SMKI Organisation certificate ({exc})", "give one the SMKI issued"
            ) from None

    def load_key(self) -> ec.EllipticCurvePrivateKey:
        """The private key (an ECDSA P-256 key, as SMKI Organisation certificates carry), from its file, its
        environment variable or its PKCS#12. PKCS#11 is declared but refused by this build."""
        if self.pkcs11 is not None:
            raise self._error(
                "pkcs11",
                f"the key is in an HSM ({self.pkcs11}), but this build cannot use PKCS#11",
                "give the key as a file (key), an environment variable (key_env) or a PKCS#12 file (pkcs12)",
            )
        where = "key" if self.key is not None else "key_env" if self.key_env is not None else "pkcs12"
        if self.key is not None:
            loaded = self._decoded(self._read(self.key, "key"), where)
        elif self.key_env is not None:
            value = os.environ.get(self.key_env)
            if not value:
                raise self._error(
                    "key_env",
                    f"the environment variable {self.key_env} is not set",
                    "set it to the key's PEM before the run",
                )
            loaded = self._decoded(value.encode(), where)
        elif self.pkcs12 is not None:
            loaded, _ = self._pkcs12()
            if loaded is None:
                raise self._error("pkcs12", f"{self.pkcs12} holds no private key", "export it with its key")
        else:
            raise self._error("key", "is not given", 'add key = "path/to/key.pem" (or key_env, pkcs12)')
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
            raise self._error(
                where, "is not an ECDSA P-256 key", "SMKI Organisation certificates carry P-256 keys: give that key"
            )
        return loaded


class _Unreadable(ValueError):
    """A private key that cannot be read: what is wrong and the fix."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what, self.fix = what, fix


def _private_key(data: bytes, password: bytes | None) -> Any:
    """The private key in PEM (or DER) bytes; raises _Unreadable saying why not."""
    try:
        if b"-----BEGIN" in data:
            return serialization.load_pem_private_key(data, password)
        return serialization.load_der_private_key(data, password)
    except TypeError as exc:
        if "not encrypted" in str(exc):
            raise _Unreadable("is not encrypted, but password_env names a password", "remove password_env") from None
        raise _Unreadable("is encrypted", "name the variable holding its password with password_env") from None
    except (ValueError, UnsupportedAlgorithm):
        if password is not None:
            raise _Unreadable(
                "cannot be read: the password is wrong, or it is not a private key", "check the password and the file"
            ) from None
        raise _Unreadable("cannot be read: it is not a PEM or DER private key", "give the key's file") from None


@dataclass(frozen=True)
class OrganisationEntry:
    """An organisation as the feature files name it: a User (or the ACB) with its User ID and the places
    of its SMKI certificates and keys."""

    name: str
    user_role: str
    entity_id: str
    dcc_user: bool
    xml_signing: KeyMaterial | None
    digital_signing: KeyMaterial | None
    key_agreement: KeyMaterial | None

    @property
    def is_acb(self) -> bool:
        return self.user_role == ACB_ROLE

    @property
    def certificate_role(self) -> RemotePartyRole:
        """The Remote Party Role its DS and KA certificates carry (the ACB's: 04)."""
        if self.is_acb:
            return RemotePartyRole.ACCESS_CONTROL_BROKER
        return UserRole(self.user_role).certificate_role

    @property
    def can_be_held(self) -> bool:
        """Whether a meter can hold its certificates: it declares both a DS and a KA certificate."""
        return self.digital_signing is not None and self.key_agreement is not None


@dataclass(frozen=True)
class MeterEntry:
    """A device the suite may use, in the state the environment's operator declares it is in at the start."""

    device_id: str
    device_type: str
    smets: int
    s1sp: str | None
    mpxn: str | None
    installation: str | None
    status: str
    enrolled: bool
    registered: dict[str, str]
    holds: dict[str, str]


@dataclass(frozen=True)
class Environment:
    """A whole environment file, structurally checked (`load_environment`); its key material is checked
    separately (`check_key_material`)."""

    path: Path
    sha256: str
    run: RunInfo
    dsp: DSPEndpoint
    receiver: ReceiverSettings
    dcc_signers: dict[str, Path]
    change: DeclaredChange
    codes: CodeOverrides
    interfaces: Interfaces
    organisations: tuple[OrganisationEntry, ...]
    meters: tuple[MeterEntry, ...]
    certification_path: Path | None = None
    """The SMKI issuing CA certificate(s) (PEM) a replacement certificate's Certification Path carries."""

    def certification_path_der(self) -> tuple[bytes, ...]:
        """The Certification Path certificates, DER, as a 6.15.1 or 6.21 carries them."""
        if self.certification_path is None:
            raise EnvironmentFileError(
                self.path,
                [Problem("dcc.certification_path", "is not given", 'add certification_path = "certs/ca.pem"')],
            )
        certs = x509.load_pem_x509_certificates(self.certification_path.read_bytes())
        return tuple(c.public_bytes(serialization.Encoding.DER) for c in certs)

    def organisation(self, name: str) -> OrganisationEntry:
        for entry in self.organisations:
            if entry.name == name:
                return entry
        raise KeyError(f"{name} is not an organisation of {self.path.name}")

    @property
    def acb(self) -> OrganisationEntry | None:
        return next((o for o in self.organisations if o.is_acb), None)

    @property
    def s1sps(self) -> tuple[str, ...]:
        """The S1SPs this environment knows: those serving a meter and those whose signer it trusts."""
        return tuple(sorted({m.s1sp for m in self.meters if m.s1sp} | (set(self.dcc_signers) - {DSP_SIGNER})))

    def installations(self) -> dict[str, tuple[MeterEntry, ...]]:
        """The devices of each installation (those sharing a Communications Hub), by installation name."""
        grouped: dict[str, list[MeterEntry]] = {}
        for meter in self.meters:
            if meter.installation:
                grouped.setdefault(meter.installation, []).append(meter)
        return {name: tuple(devices) for name, devices in grouped.items()}

    def holder(self, meter: MeterEntry, role: str) -> str | None:
        """Who a meter holds the certificates of in `role` ("network_operator", "supplier", "acb") at the
        start: what `holds` says, else as enrolment leaves them (the registered party; the ACB). A meter
        awaiting enrolment holds none of the DCC's."""
        if not meter.enrolled:
            return None
        if role in meter.holds:
            return meter.holds[role]
        if role == "acb":
            return self.acb.name if self.acb else None
        return meter.registered.get(role)


# --- reading the file ----------------------------------------------------------------------------------
_TOP = ("run", "dsp", "receiver", "dcc", "change", "codes", "interfaces", "organisations", "meters")
_SECTION_KEYS = {
    "run": ("name", "operator", "kind"),
    "dsp": ("url", "answer_timeout_seconds", "tls"),
    "receiver": ("host", "port", "path", "public_url"),
    "dcc": ("signers", "certification_path"),
    "change": ("dsp_switch", "s1sps_enabled", "s1sps_not_answering"),
    "codes": ("response", "s1sp_alert"),
    "interfaces": ("migration_control_centre", "meter_events", "control"),
}
_TLS_KEYS = ("ca_file", "client_certificate", "client_key")
_ORGANISATION_KEYS = ("name", "user_role", "entity_id", "dcc_user", "xml_signing", "digital_signing", "key_agreement")
_MATERIAL_KEYS = ("certificate", "key", "key_env", "pkcs12", "password_env", "pkcs11")
_METER_KEYS = (
    "device_id",
    "device_type",
    "smets",
    "s1sp",
    "mpxn",
    "installation",
    "status",
    "enrolled",
    "registered",
    "holds",
)
_MISSING = object()


def _kind(value: object) -> str:
    """How a TOML value reads to the person who wrote it."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _did_you_mean(word: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        return lowered.get(word.lower())
    return close[0]


def _looks_inline(value: str) -> bool:
    """A value that is a PEM or a base64 blob rather than the name of a file or a variable."""
    return "-----BEGIN" in value or "\n" in value or bool(_BASE64_BLOB.match(value) and "." not in value)


class _Reader:
    """Walks the parsed TOML, collecting every problem rather than stopping at the first."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.folder = source.resolve().parent
        self.problems: list[Problem] = []
        self.absent: set[str] = set()
        """Sections reported missing: their keys are not reported again."""

    def add(self, key: str, what: str, fix: str) -> None:
        self.problems.append(Problem(key, what, fix))

    # --- generic getters ---------------------------------------------------------------------------
    def unknown(self, table: Mapping[str, Any], known: Sequence[str], where: str) -> None:
        for name in table:
            if name in known:
                continue
            key = f"{where}.{name}" if where else name
            if name in ("password", "passphrase", "secret", "private_key", "pin"):
                self.add(key, "is a secret written inline", _NEVER_INLINE.replace("key_env", "password_env"))
                continue
            guess = _did_you_mean(name, known)
            what = (
                "is not a known key" if where or not isinstance(table[name], dict | list) else "is not a known section"
            )
            if guess:
                self.add(key, what, f"did you mean {guess!r}?")
            else:
                self.add(key, what, f"remove it (known: {', '.join(known)})")

    def section(self, data: Mapping[str, Any], name: str, *, required: bool) -> dict[str, Any]:
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                self.add(f"[{name}]", "is missing", f"add a [{name}] section ({', '.join(_SECTION_KEYS[name])})")
                self.absent.add(name)
            return {}
        if not isinstance(value, dict):
            self.add(name, f"is {_kind(value)}, not a table", f"write it as a [{name}] section")
            self.absent.add(name)
            return {}
        self.unknown(value, _SECTION_KEYS[name], name)
        return value

    def value(
        self,
        table: Mapping[str, Any],
        where: str,
        name: str,
        kinds: type | tuple[type, ...],
        word: str,
        example: str,
        *,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        key = f"{where}.{name}"
        value = table.get(name, _MISSING)
        if value is _MISSING:
            if required and where not in self.absent:
                self.add(key, "is missing", f"add {name} = {example}")
            return default
        wrong_bool = isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,))
        if not isinstance(value, kinds) or wrong_bool:
            self.add(key, f"is {_kind(value)}, not {word}", f"write it as {name} = {example}")
            return default
        return value

    def text(
        self,
        table: Mapping[str, Any],
        where: str,
        name: str,
        example: str,
        *,
        required: bool = False,
        default: str | None = None,
    ) -> str | None:
        value = self.value(table, where, name, str, "a string", example, required=required, default=default)
        if isinstance(value, str) and not value.strip():
            self.add(f"{where}.{name}", "is empty", f"write it as {name} = {example}")
            return default
        return value.strip() if isinstance(value, str) else value

    def flag(
        self, table: Mapping[str, Any], where: str, name: str, *, required: bool = False, default: bool | None = None
    ) -> bool | None:
        return self.value(table, where, name, bool, "true or false", "true", required=required, default=default)

    def path(
        self, table: Mapping[str, Any], where: str, name: str, example: str, *, required: bool = False
    ) -> Path | None:
        value = table.get(name, _MISSING)
        if isinstance(value, str) and _looks_inline(value):
            self.add(f"{where}.{name}", "holds the PEM (or key) itself instead of a file's path", _NEVER_INLINE)
            return None
        value = self.text(table, where, name, example, required=required)
        if value is None:
            return None
        return Path(os.path.normpath(self.folder / Path(value).expanduser()))

    def env_name(self, table: Mapping[str, Any], where: str, name: str) -> str | None:
        value = table.get(name, _MISSING)
        if isinstance(value, str) and _looks_inline(value):
            self.add(f"{where}.{name}", "holds a secret itself instead of a variable's name", _NEVER_INLINE)
            return None
        value = self.text(table, where, name, '"MY_KEY_PEM"')
        if value is not None and not _ENV_NAME.match(value):
            self.add(
                f"{where}.{name}",
                f"{value!r} is not an environment variable's name",
                "give the variable's name (letters, digits and _), not its value",
            )
            return None
        return value

    def url(
        self, table: Mapping[str, Any], where: str, name: str, example: str, *, required: bool = False
    ) -> str | None:
        value = self.text(table, where, name, f'"{example}"', required=required)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            self.add(
                f"{where}.{name}", f"{value!r} is not an http:// or https:// URL", f'write it like {name} = "{example}"'
            )
            return None
        if parts.query or parts.fragment:
            self.add(f"{where}.{name}", f"{value!r} has a query or fragment", "give the base URL alone")
            return None
        return value

    def names(
        self, table: Mapping[str, Any], where: str, name: str, example: str, *, required: bool = False
    ) -> list[str]:
        value = self.value(table, where, name, list, "a list of names", example, required=required, default=[])
        found: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add(f"{where}.{name}[{i}]", f"is {_kind(item)}, not a name", f"write it as {name} = {example}")
            elif item in found:
                self.add(f"{where}.{name}[{i}]", f"{item!r} is named twice", "name each once")
            else:
                found.append(item)
        return found

    def choice(
        self,
        table: Mapping[str, Any],
        where: str,
        name: str,
        allowed: Sequence[Any],
        *,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        key = f"{where}.{name}"
        value = table.get(name, _MISSING)
        if value is _MISSING:
            if required:
                self.add(key, "is missing", f"add {name} = {_toml(allowed[0])} (one of {_listing(allowed)})")
            return default
        if value in allowed and type(value) is type(allowed[0]):
            return value
        guess = _did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else None
        fix = f"did you mean {_toml(guess)}?" if guess else f"use one of {_listing(allowed)}"
        self.add(key, f"is {_kind(value)}, not one of {_listing(allowed)}", fix)
        return default

    def eui64(self, table: Mapping[str, Any], where: str, name: str, example: str) -> str | None:
        value = self.text(table, where, name, f'"{example}"', required=True)
        if value is None:
            return None
        try:
            return normalise_eui64(value)
        except ValueError:
            self.add(
                f"{where}.{name}",
                f"{value!r} is not an EUI-64 identifier",
                f'write 8 hexadecimal bytes joined by dashes, like "{example}"',
            )
            return None

    # --- sections ----------------------------------------------------------------------------------
    def run(self, data: Mapping[str, Any]) -> RunInfo:
        table = self.section(data, "run", required=True)
        name = self.text(table, "run", "name", '"UIT-A, MP107 to-be" (shown in the evidence)', required=True)
        kind = self.choice(table, "run", "kind", ENVIRONMENT_KINDS, default="")
        return RunInfo(name or "", self.text(table, "run", "operator", '"MP107 UIT team"'), kind)

    def dsp(self, data: Mapping[str, Any]) -> DSPEndpoint:
        table = self.section(data, "dsp", required=True)
        url = self.url(table, "dsp", "url", "http://127.0.0.1:18079", required=True)
        timeout = self.value(
            table,
            "dsp",
            "answer_timeout_seconds",
            (int, float),
            "a number of seconds",
            "10",
            default=DEFAULT_ANSWER_TIMEOUT,
        )
        if timeout <= 0:
            self.add("dsp.answer_timeout_seconds", f"is {timeout}", "give a positive number of seconds, e.g. 10")
            timeout = DEFAULT_ANSWER_TIMEOUT
        tls = None
        raw = table.get("tls", _MISSING)
        if raw is not _MISSING:
            if not isinstance(raw, dict):
                self.add(
                    "dsp.tls",
                    f"is {_kind(raw)}, not a table",
                    'write it as tls = { ca_file = "...", client_certificate = "...", client_key = "..." }',
                )
            else:
                self.unknown(raw, _TLS_KEYS, "dsp.tls")
                tls = TLSSettings(
                    self.path(raw, "dsp.tls", "ca_file", '"certs/dcc-ca.pem"'),
                    self.path(raw, "dsp.tls", "client_certificate", '"certs/client.pem"'),
                    self.path(raw, "dsp.tls", "client_key", '"certs/client.key"'),
                )
                if (tls.client_certificate is None) != (tls.client_key is None) and not any(
                    p.key.startswith("dsp.tls.client_") for p in self.problems
                ):
                    self.add(
                        "dsp.tls",
                        "gives only one of client_certificate and client_key",
                        "give both for mutual TLS, or neither",
                    )
                if url and url.startswith("http://"):
                    self.add("dsp.tls", "is given but dsp.url is plain http://", "use an https:// URL, or remove tls")
        return DSPEndpoint((url or "").rstrip("/"), float(timeout), tls)

    def receiver(self, data: Mapping[str, Any]) -> ReceiverSettings:
        table = self.section(data, "receiver", required=True)
        host = self.text(table, "receiver", "host", f'"{DEFAULT_RECEIVER_HOST}"', default=DEFAULT_RECEIVER_HOST)
        port = self.value(table, "receiver", "port", int, "a port number", "18090", required=True, default=0)
        if "port" in table and isinstance(table["port"], int) and not isinstance(table["port"], bool):
            if port == 0:
                self.add(
                    "receiver.port",
                    "is 0 (any free port), but the DCC must be told a fixed address",
                    "choose a fixed port, e.g. port = 18090",
                )
            elif not 1 <= port <= 65535:
                self.add("receiver.port", f"is {port}", "give a port from 1 to 65535")
        path = self.text(table, "receiver", "path", f'"{DEFAULT_RECEIVER_PATH}"', default=DEFAULT_RECEIVER_PATH)
        if path and not path.startswith("/"):
            self.add("receiver.path", f"{path!r} does not start with /", f'write it like path = "/{path}"')
        public_url = self.url(table, "receiver", "public_url", "https://uit.example/smartdcc/duis")
        if host in _WILDCARD_HOSTS and public_url is None and "public_url" not in table:
            self.add(
                "receiver.public_url",
                f"is missing while host {host!r} listens on every interface (the DCC cannot deliver to that address)",
                'add public_url = "http://<this machine\'s address>:<port><path>"',
            )
        return ReceiverSettings(host or DEFAULT_RECEIVER_HOST, port, path or DEFAULT_RECEIVER_PATH, public_url)

    def dcc(self, data: Mapping[str, Any]) -> dict[str, Path]:
        table = self.section(data, "dcc", required=True)
        raw = self.value(
            table,
            "dcc",
            "signers",
            dict,
            "a table of certificate files by system",
            '{ DSP = "certs/dsp.pem", S1SP1 = "certs/s1sp1.pem" }',
            required=True,
            default={},
        )
        signers: dict[str, Path] = {}
        for name in raw:
            path = self.path(raw, "dcc.signers", name, '"certs/dsp-xml-signing.pem"')
            if path is not None:
                signers[name] = path
        if isinstance(table.get("signers"), dict) and DSP_SIGNER not in raw:
            guess = _did_you_mean(DSP_SIGNER, raw)
            self.add(
                "dcc.signers",
                "has no DSP (the DSP signs every DUIS Response the suite checks)",
                f"rename {guess!r} to DSP" if guess else 'add DSP = "certs/dsp-xml-signing.pem"',
            )
        return signers

    def change(self, data: Mapping[str, Any]) -> DeclaredChange:
        table = self.section(data, "change", required=True)
        switch = self.flag(table, "change", "dsp_switch", required=True, default=False)
        enabled = self.names(
            table, "change", "s1sps_enabled", '["S1SP1", "S1SP3"] (or [] when none has)', required=True
        )
        down = self.names(table, "change", "s1sps_not_answering", '["S1SP4"]')
        return DeclaredChange(bool(switch), frozenset(enabled), frozenset(down))

    def codes(self, data: Mapping[str, Any]) -> CodeOverrides:
        table = self.section(data, "codes", required=False)
        response: dict[str, str] = {}
        alerts: dict[str, str] = {}
        for name, into in (("response", response), ("s1sp_alert", alerts)):
            raw = self.value(
                table, "codes", name, dict, "a table of codes by rule key", '{ registration_data = "E4" }', default={}
            )
            for rule, code in raw.items():
                key = f"codes.{name}.{rule}"
                if rule not in RULES:
                    guess = _did_you_mean(rule, RULES)
                    self.add(
                        key,
                        "is not a rule of catalogue/rules.py",
                        f"did you mean {guess!r}?" if guess else f"use one of {', '.join(RULES)}",
                    )
                elif not isinstance(code, str) or not code.strip():
                    self.add(key, f"is {_kind(code)}, not a code", f'write it as {rule} = "E4"')
                elif name == "response" and not _RESPONSE_CODE.match(code):
                    self.add(key, f"{code!r} is not a DUIS response code", 'write it like "E4" or "E100"')
                elif name == "s1sp_alert" and RULES[rule].s1sp_alert_code is None:
                    self.add(
                        key,
                        "overrides an S1SP Alert code, but no S1SP raises an alert for that rule",
                        "remove it, or override its response code instead",
                    )
                else:
                    into[rule] = code.strip()
        return CodeOverrides(response, alerts)

    def interfaces(self, data: Mapping[str, Any]) -> Interfaces:
        table = self.section(data, "interfaces", required=False)
        return Interfaces(
            self.url(table, "interfaces", "migration_control_centre", "http://127.0.0.1:18083"),
            self.url(table, "interfaces", "meter_events", "http://127.0.0.1:18084"),
            self.url(table, "interfaces", "control", "http://127.0.0.1:18082"),
        )

    def array(self, data: Mapping[str, Any], name: str, *, required: bool) -> list[tuple[str, dict[str, Any]]]:
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                self.add(f"[[{name}]]", "none is declared", f"add at least one [[{name}]] table")
            return []
        if not isinstance(value, list):
            self.add(
                name, f"is {_kind(value)}, not a list of tables", f"write each as a [[{name}]] table (double brackets)"
            )
            return []
        items = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                items.append((f"{name}[{i}]", item))
            else:
                self.add(f"{name}[{i}]", f"is {_kind(item)}, not a table", f"write it as a [[{name}]] table")
        return items

    def material(self, table: Mapping[str, Any], where: str, name: str, *, key_needed: bool) -> KeyMaterial | None:
        value = table.get(name, _MISSING)
        if value is _MISSING:
            return None
        here = f"{where}.{name}"
        shape = f'{name} = {{ certificate = "....pem"' + (" }" if name == "key_agreement" else ', key = "....key" }')
        if isinstance(value, str):
            if _looks_inline(value):
                self.add(here, "holds a PEM itself", _NEVER_INLINE)
            else:
                self.add(here, "is a single string, not a table", f"write it as {shape}")
            return None
        if not isinstance(value, dict):
            self.add(here, f"is {_kind(value)}, not a table", f"write it as {shape}")
            return None
        self.unknown(value, _MATERIAL_KEYS, here)
        pkcs11_uri = self.text(value, here, "pkcs11", '"pkcs11:token=...;object=..."')
        if pkcs11_uri is not None and not pkcs11_uri.startswith("pkcs11:"):
            self.add(
                f"{here}.pkcs11", f"{pkcs11_uri!r} is not a PKCS#11 URI", 'write it like "pkcs11:token=...;object=..."'
            )
        material = KeyMaterial(
            certificate=self.path(value, here, "certificate", '"keys/org/xml.pem"'),
            key=self.path(value, here, "key", '"keys/org/xml.key"'),
            key_env=self.env_name(value, here, "key_env"),
            pkcs12=self.path(value, here, "pkcs12", '"keys/org/xml.p12"'),
            password_env=self.env_name(value, here, "password_env"),
            pkcs11=pkcs11_uri,
            origin=here,
            source=self.source,
        )
        given = [k for k in ("key", "key_env", "pkcs12", "pkcs11") if k in value]
        if len(given) > 1:
            self.add(here, f"gives its key {len(given)} ways ({', '.join(given)})", "keep exactly one")
        if key_needed and not given:
            self.add(
                f"{here}.key",
                "is missing (this certificate's key signs for the organisation)",
                'add key = "path/to/key.pem" (or key_env = "VAR", or pkcs12 = "file.p12")',
            )
        if "certificate" not in value and "pkcs12" not in value:
            self.add(f"{here}.certificate", "is missing", 'add certificate = "path/to/certificate.pem"')
        if "password_env" in value and not {"key", "key_env", "pkcs12"} & set(value):
            self.add(
                f"{here}.password_env",
                "is given but there is no key file, variable or PKCS#12 it opens",
                "remove it (a PKCS#11 token has its own PIN)",
            )
        return material

    def organisations(self, data: Mapping[str, Any]) -> list[OrganisationEntry]:
        entries: list[OrganisationEntry] = []
        names: dict[str, str] = {}
        ids: dict[str, str] = {}
        for where, item in self.array(data, "organisations", required=True):
            self.unknown(item, _ORGANISATION_KEYS, where)
            name = self.text(item, where, "name", '"Western Power" (as the feature files name it)', required=True)
            role = self.choice(item, where, "user_role", USER_ROLES, required=True)
            entity_id = self.eui64(item, where, "entity_id", "90-B3-D5-1F-30-02-00-00")
            dcc_user = self.flag(item, where, "dcc_user", default=True)
            acb = role == ACB_ROLE
            xml = self.material(item, where, "xml_signing", key_needed=not acb)
            ds = self.material(item, where, "digital_signing", key_needed=not acb)
            ka = self.material(item, where, "key_agreement", key_needed=False)
            if acb:
                if "xml_signing" in item:
                    self.add(
                        f"{where}.xml_signing",
                        "is given, but the Access Control Broker sends no DUIS",
                        "remove it (the ACB needs only its digital_signing and key_agreement certificates)",
                    )
                for use in ("digital_signing", "key_agreement"):
                    if use not in item:
                        self.add(
                            f"{where}.{use}",
                            "is missing (every meter holds the ACB's certificates)",
                            f'add {use} = {{ certificate = "path/to/{use}.pem" }}',
                        )
            else:
                if dcc_user and "xml_signing" not in item:
                    self.add(
                        f"{where}.xml_signing",
                        "is missing (a DCC User signs every DUIS request with it)",
                        'add xml_signing = { certificate = "....pem", key = "....key" }',
                    )
                if ("digital_signing" in item) != ("key_agreement" in item):
                    missing = "key_agreement" if "digital_signing" in item else "digital_signing"
                    self.add(
                        f"{where}.{missing}",
                        "is missing (a meter holds a party's DS and KA certificates together)",
                        f"add {missing}, or remove the other",
                    )
            if name is not None:
                if name in names:
                    self.add(f"{where}.name", f"{name!r} is already {names[name]}'s name", "give each a unique name")
                names.setdefault(name, where)
            if entity_id is not None:
                if entity_id in ids:
                    self.add(
                        f"{where}.entity_id",
                        f"{entity_id} is already {ids[entity_id]}'s",
                        "give each organisation its own User ID",
                    )
                ids.setdefault(entity_id, where)
            entries.append(OrganisationEntry(name or "", role or "", entity_id or "", bool(dcc_user), xml, ds, ka))
        acbs = [e for e in entries if e.is_acb]
        if len(acbs) > 1:
            self.add(
                "organisations",
                f"declares {len(acbs)} Access Control Brokers ({', '.join(e.name for e in acbs)})",
                "keep one: the DCC has one ACB",
            )
        return entries

    def parties(
        self,
        item: Mapping[str, Any],
        where: str,
        name: str,
        roles: Sequence[str],
        by_name: Mapping[str, OrganisationEntry],
    ) -> dict[str, str]:
        value = self.value(
            item,
            where,
            name,
            dict,
            "a table of organisation names by role",
            '{ network_operator = "Western Power", supplier = "Bright Energy" }',
            default={},
        )
        here = f"{where}.{name}"
        self.unknown(value, roles, here)
        found: dict[str, str] = {}
        for role in roles:
            org = value.get(role, _MISSING)
            if org is _MISSING:
                continue
            if not isinstance(org, str):
                self.add(
                    f"{here}.{role}",
                    f"is {_kind(org)}, not an organisation's name",
                    f'write it as {role} = "Western Power"',
                )
            elif org not in by_name:
                guess = _did_you_mean(org, by_name)
                self.add(
                    f"{here}.{role}",
                    f"{org!r} is not one of the [[organisations]]",
                    f"did you mean {guess!r}?" if guess else "add it to [[organisations]], or correct the name",
                )
            else:
                found[role] = org
        return found

    def meters(self, data: Mapping[str, Any], organisations: Sequence[OrganisationEntry]) -> list[MeterEntry]:
        by_name = {o.name: o for o in organisations}
        entries: list[MeterEntry] = []
        seen: dict[str, str] = {}
        for where, item in self.array(data, "meters", required=False):
            self.unknown(item, _METER_KEYS, where)
            device_id = self.eui64(item, where, "device_id", "00-DB-12-34-56-78-90-A0")
            kind = self.choice(item, where, "device_type", DEVICE_TYPES, required=True)
            smets = self.choice(item, where, "smets", (1, 2), required=True)
            s1sp = self.text(item, where, "s1sp", '"S1SP1"')
            if smets == 1 and s1sp is None and "s1sp" not in item:
                self.add(f"{where}.s1sp", "is missing (a SMETS1 device is served by an S1SP)", 'add s1sp = "S1SP1"')
            if smets == 2 and "s1sp" in item:
                self.add(f"{where}.s1sp", "is given for a SMETS2 device (no S1SP serves one)", "remove it")
                s1sp = None
            mpxn = self._mpxn(item, where, kind)
            installation = self.text(item, where, "installation", '"hub-1"')
            status = self.choice(item, where, "status", STATUSES, default="Active")
            enrolled = self.flag(item, where, "enrolled", default=True)
            registered = self.parties(item, where, "registered", REGISTERED_ROLES, by_name)
            holds = self.parties(item, where, "holds", HELD_ROLES, by_name)
            self._meter_parties(item, where, kind, enrolled, registered, holds, by_name)
            if device_id is not None:
                if device_id in seen:
                    self.add(
                        f"{where}.device_id",
                        f"{device_id} is already {seen[device_id]}'s",
                        "give each device its own ID",
                    )
                seen.setdefault(device_id, where)
            entries.append(
                MeterEntry(
                    device_id or "",
                    kind or "",
                    smets or 0,
                    s1sp,
                    mpxn,
                    installation,
                    status,
                    bool(enrolled),
                    registered,
                    holds,
                )
            )
        self._installations(entries)
        self._meter_points(entries)
        return entries

    def _mpxn(self, item: Mapping[str, Any], where: str, kind: str | None) -> str | None:
        if kind not in METER_POINTS:
            if "mpxn" in item and kind is not None:
                self.add(f"{where}.mpxn", f"is given for a {kind}, which has no meter point", "remove it")
            return None
        mpxn = self.text(item, where, "mpxn", '"1199157342471"' if kind == "ESME" else '"1048703804"', required=True)
        if mpxn is None:
            return None
        if kind == "ESME" and not (mpxn.isdigit() and len(mpxn) == 13):
            self.add(f"{where}.mpxn", f"{mpxn!r} is not an MPAN core", "give the 13 digits of the MPAN core")
        if kind == "GSME" and not (mpxn.isdigit() and 6 <= len(mpxn) <= 10):
            self.add(f"{where}.mpxn", f"{mpxn!r} is not an MPRN", "give the MPRN's 6 to 10 digits")
        return mpxn

    def _meter_parties(
        self,
        item: Mapping[str, Any],
        where: str,
        kind: str | None,
        enrolled: bool | None,
        registered: Mapping[str, str],
        holds: Mapping[str, str],
        by_name: Mapping[str, OrganisationEntry],
    ) -> None:
        """Who Registration Data names must suit the meter point; who a meter holds must have certificates."""
        if kind in _REGISTRABLE:
            if "registered" not in item:
                self.add(
                    f"{where}.registered",
                    f"is missing (Registration Data names {_a(kind)}'s parties)",
                    'add registered = { network_operator = "Western Power", supplier = "Bright Energy" }',
                )
            else:
                for role, allowed in zip(REGISTERED_ROLES, _REGISTRABLE[kind], strict=True):
                    declared = item["registered"] if isinstance(item["registered"], dict) else {role: None}
                    if role not in declared:
                        self.add(f"{where}.registered.{role}", "is missing", f'add {role} = "<{_a(allowed[0])}>"')
                    elif role in registered and by_name[registered[role]].user_role not in (*allowed, ""):
                        org = by_name[registered[role]]
                        self.add(
                            f"{where}.registered.{role}",
                            f"{org.name} ({org.user_role}) cannot be {_a(kind)}'s {role.replace('_', ' ')}",
                            f"name {' or '.join(_a(r) for r in allowed)}",
                        )
        elif kind is not None and "registered" in item:
            self.add(
                f"{where}.registered",
                f"is given for a {kind} (Registration Data is per meter point)",
                "remove it: the ESME or GSME of its installation carries it",
            )
        if "holds" not in item:
            return
        if kind is not None and kind not in _REGISTRABLE:
            self.add(f"{where}.holds", f"is given for a {kind}", "remove it: only an ESME's or GSME's are declared")
        if enrolled is False:
            self.add(
                f"{where}.holds",
                "is given for a meter awaiting enrolment (it holds none of the DCC's yet)",
                "remove holds, or set enrolled = true",
            )
        for role, name in holds.items():
            org = by_name[name]
            if not org.can_be_held:
                self.add(
                    f"{where}.holds.{role}",
                    f"{name} has no digital_signing and key_agreement certificates",
                    f"add them to {name}'s [[organisations]] entry, or name another organisation",
                )
            elif role == "acb" and not org.is_acb:
                self.add(
                    f"{where}.holds.acb",
                    f"{name} is not the Access Control Broker",
                    'name the organisation whose user_role is "Access Control Broker"',
                )

    def _installations(self, meters: Sequence[MeterEntry]) -> None:
        """Devices sharing a Communications Hub are one SMETS generation on one S1SP, with one hub."""
        first: dict[str, tuple[int, MeterEntry]] = {}
        hubs: dict[tuple[str, str], int] = {}
        for i, meter in enumerate(meters):
            if not meter.installation:
                continue
            where = f"meters[{i}]"
            if meter.installation in first:
                j, other = first[meter.installation]
                if other.smets and meter.smets and meter.smets != other.smets:
                    self.add(
                        f"{where}.smets",
                        f"is {meter.smets} but meters[{j}] of installation "
                        f"{meter.installation!r} is SMETS{other.smets}",
                        "devices sharing a hub are one generation",
                    )
                elif meter.s1sp != other.s1sp and meter.smets == 1:
                    self.add(
                        f"{where}.s1sp",
                        f"is {meter.s1sp!r} but meters[{j}] of installation "
                        f"{meter.installation!r} is on {other.s1sp!r}",
                        "devices sharing a hub are served by one S1SP",
                    )
            first.setdefault(meter.installation, (i, meter))
            if meter.device_type in ("CHF", "GPF"):
                slot = (meter.installation, meter.device_type)
                if slot in hubs:
                    self.add(
                        f"{where}.device_type",
                        f"installation {meter.installation!r} already has a {meter.device_type} (meters[{hubs[slot]}])",
                        "give this device its own installation",
                    )
                hubs.setdefault(slot, i)

    def _meter_points(self, meters: Sequence[MeterEntry]) -> None:
        """One meter point, one Registration Data: two meters on it must name the same parties."""
        first: dict[str, int] = {}
        for i, meter in enumerate(meters):
            if not meter.mpxn:
                continue
            if meter.mpxn in first and meters[first[meter.mpxn]].registered != meter.registered:
                self.add(
                    f"meters[{i}].registered",
                    f"differs from meters[{first[meter.mpxn]}]'s for the same meter point {meter.mpxn}",
                    "a meter point has one registration: make them agree",
                )
            first.setdefault(meter.mpxn, i)

    def s1sps(self, signers: Mapping[str, Path], meters: Sequence[MeterEntry], data: Mapping[str, Any]) -> None:
        """Every S1SP the [change] names must be one this environment has: one serving a meter or whose
        signer is trusted (a typo would otherwise silently declare MP107 for no S1SP at all)."""
        known = {m.s1sp for m in meters if m.s1sp} | (set(signers) - {DSP_SIGNER})
        raw = data.get("change") if isinstance(data.get("change"), dict) else {}
        for name in ("s1sps_enabled", "s1sps_not_answering"):
            listed = raw.get(name) if isinstance(raw.get(name), list) else []
            for i, s1sp in enumerate(listed):
                if isinstance(s1sp, str) and s1sp not in known:
                    guess = _did_you_mean(s1sp, known)
                    fix = (
                        f"did you mean {guess!r}?"
                        if guess
                        else (f"use one of {', '.join(sorted(known))}" if known else "add its meters or its signer")
                    )
                    self.add(f"change.{name}[{i}]", f"{s1sp!r} serves no meter and has no signer in [dcc]", fix)


def _a(noun: str) -> str:
    """The noun with its indefinite article ("an ESME", "a Gas Transporter")."""
    return f"{'an' if noun[:1] in 'AEIOU' else 'a'} {noun}"


def _toml(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _listing(values: Sequence[Any]) -> str:
    return ", ".join(_toml(v) for v in values)


def load_environment(path: str | Path) -> Environment:
    """Read and structurally check an environment file; raise EnvironmentFileError listing every problem.
    Key and certificate files are NOT opened here (see `check_key_material`)."""
    path = Path(path)

    def unusable(what: str, fix: str) -> EnvironmentFileError:
        return EnvironmentFileError(path, [Problem("(file)", what, fix)])

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        example = "support/environments/sandbox-as-is.toml"
        raise unusable("does not exist", f"give the path of an environment file, e.g. {example}") from None
    except OSError as exc:
        raise unusable(f"cannot be read ({exc.strerror})", "give a readable file") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise unusable("is not UTF-8 text", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise unusable(f"is not valid TOML ({exc})", "correct the syntax there") from None
    reader = _Reader(path)
    reader.unknown(data, _TOP, "")
    run = reader.run(data)
    dsp = reader.dsp(data)
    receiver = reader.receiver(data)
    signers = reader.dcc(data)
    dcc_table = data.get("dcc") if isinstance(data.get("dcc"), dict) else {}
    certification_path = (
        reader.path(dcc_table, "dcc", "certification_path", '"certs/smki-issuing-ca.pem"')
        if "certification_path" in dcc_table
        else None
    )
    change = reader.change(data)
    codes = reader.codes(data)
    interfaces = reader.interfaces(data)
    organisations = reader.organisations(data)
    meters = reader.meters(data, organisations)
    if not any(re.match(r"meters\[\d+\]\.(s1sp|smets)$", p.key) for p in reader.problems):
        reader.s1sps(signers, meters, data)  # else the S1SPs known are not all known: no echo
    if reader.problems:
        raise EnvironmentFileError(path, reader.problems)
    return Environment(
        path.resolve(),
        hashlib.sha256(raw).hexdigest(),
        run,
        dsp,
        receiver,
        signers,
        change,
        codes,
        interfaces,
        tuple(organisations),
        tuple(meters),
        certification_path,
    )


# --- the preflight check of key material ---------------------------------------------------------------
def _same_public_key(key: Any, cert: x509.Certificate) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)


def _check_material(entry: OrganisationEntry, use: str, material: KeyMaterial) -> list[str]:
    """One certificate (and key) of one organisation: readable, matching, and of the SMKI profile its use
    needs, so the DCC refuses nothing for a reason the suite could have seen before it started."""
    problems: list[str] = []
    where = material.origin
    try:
        cert = material.load_certificate()
    except EnvironmentFileError as exc:
        return [str(p) for p in exc.problems]
    if material.has_key:
        try:
            key = material.load_key()
        except EnvironmentFileError as exc:
            problems += [str(p) for p in exc.problems]
        else:
            if not _same_public_key(key, cert.certificate):
                problems.append(
                    f"{where}: the key does not match the certificate; give the key of this "
                    "certificate (or the certificate of this key)"
                )
    if cert.entity_id != entry.entity_id:
        problems.append(
            f"{where}.certificate: names {cert.entity_id}, not {entry.name}'s entity_id "
            f"{entry.entity_id}; give {entry.name}'s certificate, or correct entity_id"
        )
    if use == "xml_signing":
        wanted_role, wanted_use = RemotePartyRole.XML_SIGNING_USER, KeyUse.DS
    else:
        wanted_role = entry.certificate_role
        wanted_use = KeyUse.DS if use == "digital_signing" else KeyUse.KA
    if cert.role is not wanted_role:
        shown = cert.role.value if cert.role else "none"
        problems.append(
            f"{where}.certificate: its role (OU) is {shown}, not {wanted_role.value} "
            f"({wanted_role.name.replace('_', ' ').lower()}); give {entry.name}'s {use} certificate"
        )
    if cert.key_use is not wanted_use:
        problems.append(
            f"{where}.certificate: its key use is {cert.key_use or 'neither DS nor KA'}, not "
            f"{wanted_use.value}; give {entry.name}'s {use} certificate"
        )
    return problems


def _check_file_certificates(key: str, path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{key}: {path} cannot be read ({exc.strerror}); create it, or correct the path"
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        return f"{key}: {path} is not a PEM or DER certificate; give the certificate's file"
    return None


def check_key_material(env: Environment) -> list[str]:
    """Open every certificate and key the environment names and check each is what its use needs: the key
    matches its certificate, an XML-signing certificate is role 87 (OU=87), a Digital Signing certificate
    has the DS key use, each names its organisation's entity ID. One short problem per failure; an empty
    list means fine. This is the preflight check: run it before any scenario."""
    problems: list[str] = []
    for name, path in env.dcc_signers.items():
        problem = _check_file_certificates(f"dcc.signers.{name}", path)
        if problem:
            problems.append(problem)
    tls = env.dsp.tls
    if tls is not None:
        for name in ("ca_file", "client_certificate"):
            path = getattr(tls, name)
            problem = _check_file_certificates(f"dsp.tls.{name}", path) if path else None
            if problem:
                problems.append(problem)
        if tls.client_certificate and tls.client_key and not any(p.startswith("dsp.tls.") for p in problems):
            problems += _check_tls_pair(tls.client_certificate, tls.client_key)
    for entry in env.organisations:
        for use in ("xml_signing", "digital_signing", "key_agreement"):
            material = getattr(entry, use)
            if material is not None:
                problems += _check_material(entry, use, material)
    return problems


def _check_tls_pair(certificate: Path, key_path: Path) -> list[str]:
    try:
        data = key_path.read_bytes()
    except OSError as exc:
        return [f"dsp.tls.client_key: {key_path} cannot be read ({exc.strerror}); create it, or correct the path"]
    try:
        key = _private_key(data, None)
    except _Unreadable as exc:
        return [f"dsp.tls.client_key: {exc.what}; give an unencrypted PEM key (requests cannot ask for a password)"]
    pem = certificate.read_bytes()
    cert = x509.load_pem_x509_certificates(pem)[0] if b"-----BEGIN" in pem else x509.load_der_x509_certificate(pem)
    if not _same_public_key(key, cert):
        return ["dsp.tls.client_key: does not match dsp.tls.client_certificate; give the pair that belongs together"]
    return []
