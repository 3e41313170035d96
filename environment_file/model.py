"""What the rest of the project reads of an environment file: typed, immutable values (the run, the DSP,
the receiver, the DCC's signers, the declared state of MP107, this environment's codes, its interfaces, its
organisations and meters), and the words the file may use (`USER_ROLES`, `DEVICE_TYPES`, ...). Made by
`environment_file.reading` from a file it has checked; nothing here reads a file or judges one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from catalogue.rules import RULES
from duis.srv import UserRole
from environment_file.keys import KeyMaterial
from environment_file.problems import EnvironmentFileError, Problem
from smki.profile import RemotePartyRole

ACB_ROLE = "Access Control Broker"
"""The `user_role` of the DCC's Access Control Broker: not a DUIS User Role (the ACB sends nothing), but a
party whose certificates every meter holds. The same words as `support.seeding.ACB` (not imported from
there, so that seeding may import this module without a cycle)."""

USER_ROLES = tuple(role.value for role in UserRole) + (ACB_ROLE,)
"""What an organisation's `user_role` may say: a DUIS User Role, or the ACB."""

DCC_TEST_ENVIRONMENT = "DCC test environment"
EnvironmentKind = Literal["DCC test environment", "DCC Boxed", "sandbox"]
ENVIRONMENT_KINDS: tuple[str, ...] = get_args(EnvironmentKind)
"""What `[run] kind` may say. A run is UIT evidence only against a DCC test environment: the sign-off sheet
of any other says plainly that it is not."""

DeviceType = Literal["ESME", "GSME", "GPF", "CHF"]
DEVICE_TYPES: tuple[str, ...] = get_args(DeviceType)
METER_POINTS = {"ESME": "MPAN core", "GSME": "MPRN"}
"""The devices that are a meter point, and what their `mpxn` is."""
Status = Literal["Active", "Dormant"]
STATUSES: tuple[str, ...] = get_args(Status)
REGISTERED_ROLES = ("network_operator", "supplier")
HELD_ROLES = ("network_operator", "supplier", "acb")
DEFAULT_ANSWER_TIMEOUT = 10.0
DEFAULT_RECEIVER_HOST = "127.0.0.1"
DEFAULT_RECEIVER_PATH = "/smartdcc/duis"
DSP_SIGNER = "DSP"

REGISTRABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # device type -> (Network Operator roles, Supplier roles) Registration Data may name for its meter point
    "ESME": (
        (UserRole.ELECTRICITY_DISTRIBUTOR.value,),
        (UserRole.IMPORT_SUPPLIER.value, UserRole.EXPORT_SUPPLIER.value),
    ),
    "GSME": ((UserRole.GAS_TRANSPORTER.value,), (UserRole.GAS_SUPPLIER.value,)),
}



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

    def sites(self) -> dict[str, tuple[MeterEntry, ...]]:
        """Where a scenario's meter can be, each one scenario's at a time: every installation (by its name)
        and every meter of none, by itself (by its device ID)."""
        lone = {meter.device_id: (meter,) for meter in self.meters if not meter.installation}
        return {**self.installations(), **lone}

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

