"""One way to arrange the sandbox, for every harness that needs it: the behave World, the pytest
helpers, the hostile-input campaign and the benchmarks. Built on the Control client only.

- `Roster`: organisations by name, each enrolled once per run (one Control call each: the User and
  its DS and KA certificates); the Access Control Broker is the sandbox's own.
- `seed_installation`: a whole installation (electricity and gas meters sharing a Communications Hub,
  the hub and the gas proxy function), its Registration Data and what each meter holds, in one call.
- `set_mp107`: the DSP's switch and every S1SP's enablement, in one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from duis.srv import UserRole
from support import test_data
from support.control_client import ControlClient
from user_system.organisations import XML_SIGNING, Organisation

ACB = "Access Control Broker"
S1SPS = ("S1SP1", "S1SP2", "S1SP3")


def enrol(org: Organisation, control: ControlClient) -> Organisation:
    """Register the organisation as a User of the sandbox and have its test SMKI certify the organisation's
    keys for its role (and its XML-signing key), in one call."""
    added = control.add_user(
        org.entity_id,
        org.name,
        org.user_role.value,
        certify=[
            (org.ds_key.public_key(), "DS", None),
            (org.ka_key.public_key(), "KA", None),
            (org.xml_key.public_key(), "DS", XML_SIGNING),
        ],
    )
    org.ds_pem, org.ka_pem, org.xml_pem = (issued["pem"] for issued in added["certificates"])
    return org


def certify(org: Organisation, control: ControlClient) -> Organisation:
    """Have the sandbox's test SMKI certify the organisation's keys for its role without making it a User."""
    role = org.user_role.certificate_role.value
    org.ds_pem = control.issue_certificate(org.ds_key.public_key(), org.entity_id, role, "DS", org.name)
    org.ka_pem = control.issue_certificate(org.ka_key.public_key(), org.entity_id, role, "KA", org.name)
    org.xml_pem = control.issue_certificate(org.xml_key.public_key(), org.entity_id, XML_SIGNING, "DS", org.name)
    return org


class Roster:
    """Organisations by name, enrolled once per run (keys once per organisation), each with its Receive
    Response Service at `receive_url` (where the DCC delivers its asynchronous answers), when given."""

    def __init__(self, control: ControlClient, receive_url: str | None = None) -> None:
        self.control = control
        self.receive_url = receive_url
        self._by_name: dict[str, Organisation] = {}

    def ensure(self, name: str, role: str, certified: bool = True, user: bool = True) -> Organisation:
        """The organisation, enrolled as a User (with SMKI certificates unless `certified` is False), or
        with `user` False, holding SMKI certificates for its role without being a DCC User."""
        existing = self._by_name.get(name)
        if existing:
            if role != ACB and existing.user_role.value != role:
                raise ValueError(f"{name} is already a {existing.user_role.value}, not a {role}")
            return existing
        if role == ACB:  # the DCC's own ACB: its certificates come from the system under test
            acb = self.control.smki()["access_control_broker"]
            org = Organisation(name, UserRole.OTHER_USER, acb["entity_id"], ds_pem=acb["ds"], ka_pem=acb["ka"])
        else:
            org = Organisation(name, UserRole(role), test_data.entity_id())
            if not user:
                certify(org, self.control)
            elif certified:
                enrol(org, self.control)
            else:
                self.control.add_user(org.entity_id, name, role)
            if user and self.receive_url:
                self.control.set_receive_address(org.entity_id, self.receive_url)
        self._by_name[name] = org
        return org

    def acb(self) -> Organisation:
        return self.ensure(ACB, ACB)

    def __getitem__(self, name: str) -> Organisation:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{name} is not among the organisations set up for this feature") from None

    def name_of(self, entity_id: str | None) -> str | None:
        return next((o.name for o in self._by_name.values() if o.entity_id == entity_id), entity_id)

    def of_role(self, role: UserRole) -> list[Organisation]:
        return [o for o in self._by_name.values() if o.user_role is role and o.ds_pem]


@dataclass(frozen=True)
class Parties:
    """Who is registered for an installation's meters (and, unless told otherwise, holds their
    certificates), and the Access Control Broker whose certificates every meter holds."""

    electricity_distributor: Organisation
    import_supplier: Organisation
    gas_transporter: Organisation
    gas_supplier: Organisation
    acb: Organisation


@dataclass(frozen=True)
class Installation:
    """One installation: the devices sharing a Communications Hub Function and its meter points."""

    smets: int
    s1sp: str | None
    esme: str = field(default_factory=test_data.device_id)
    gsme: str = field(default_factory=test_data.device_id)
    chf: str = field(default_factory=test_data.device_id)
    gpf: str = field(default_factory=test_data.device_id)
    mpan: str = field(default_factory=test_data.mpan_core)
    mprn: str = field(default_factory=test_data.mprn)

    def device(self, kind: str) -> str:
        """'electricity meter', 'gas meter', 'communications hub' or 'gas proxy function'."""
        names = {
            "electricity meter": self.esme,
            "gas meter": self.gsme,
            "communications hub": self.chf,
            "gas proxy function": self.gpf,
        }
        if kind not in names:
            raise ValueError(f"a device is one of {', '.join(names)}, not {kind!r}")
        return names[kind]


def _holding(device_id: str, role: str, holder: Organisation) -> dict[str, str]:
    return {"device_id": device_id, "role": role, "ds": holder.ds_pem, "ka": holder.ka_pem}


def installation_body(
    installation: Installation,
    parties: Parties,
    *,
    enrolled: bool = True,
    status: str = "Active",
    gas_status: str | None = None,
    network_operator_holders: Mapping[str, Organisation] | None = None,
) -> dict[str, Any]:
    """The Control API body that seeds `installation` (see `seed_installation`)."""
    gas_status = gas_status or status
    body: dict[str, Any] = {
        "installation": installation.chf,
        "smets": installation.smets,
        "s1sp": installation.s1sp,
        "mpan": [
            {
                "mpan": installation.mpan,
                "electricity_distributor": parties.electricity_distributor.entity_id,
                "import_supplier": parties.import_supplier.entity_id,
            }
        ],
        "mprn": [
            {
                "mprn": installation.mprn,
                "gas_transporter": parties.gas_transporter.entity_id,
                "gas_supplier": parties.gas_supplier.entity_id,
            }
        ],
        "devices": [
            {"device_id": installation.esme, "device_type": "ESME", "mpxn": installation.mpan, "status": status},
            {"device_id": installation.gsme, "device_type": "GSME", "mpxn": installation.mprn, "status": gas_status},
            {"device_id": installation.chf, "device_type": "CHF", "status": gas_status},
            {"device_id": installation.gpf, "device_type": "GPF", "status": gas_status},
        ],
    }
    if enrolled:
        holders = network_operator_holders or {}
        body["trust_anchors"] = [
            _holding(installation.esme, "NetworkOperator", holders.get("ESME", parties.electricity_distributor)),
            _holding(installation.esme, "Supplier", parties.import_supplier),
            _holding(installation.esme, "ACB", parties.acb),
            _holding(installation.gsme, "NetworkOperator", holders.get("GSME", parties.gas_transporter)),
            _holding(installation.gsme, "Supplier", parties.gas_supplier),
            _holding(installation.gsme, "ACB", parties.acb),
        ]
    return body


def seed_installation(
    control: ControlClient,
    parties: Parties,
    *,
    smets: int = 1,
    s1sp: str | None = "S1SP1",
    enrolled: bool = True,
    status: str = "Active",
    gas_status: str | None = None,
    network_operator_holders: Mapping[str, Organisation] | None = None,
) -> Installation:
    """An installation (ESME, GSME, CHF, GPF) in the Smart Metering Inventory with its MPAN and MPRN
    registered to `parties`, in one Control call. `enrolled` meters hold their registered Network
    Operator's, Supplier's and the ACB's certificates, as enrolment leaves them, unless
    `network_operator_holders` ({"ESME": org, "GSME": org}) says another Network Operator's are held;
    a meter awaiting enrolment holds nothing. A SMETS2 installation has no S1SP."""
    installation = Installation(smets, s1sp if smets == 1 else None)
    control.add_installation(
        installation_body(
            installation,
            parties,
            enrolled=enrolled,
            status=status,
            gas_status=gas_status,
            network_operator_holders=network_operator_holders,
        )
    )
    return installation


def set_mp107(control: ControlClient, dsp: bool, enabled_s1sps: Iterable[str] = S1SPS) -> dict:
    """The DSP's MP107 switch, and each S1SP enabled exactly when it is named (PIA 3.2): one call."""
    enabled = set(enabled_s1sps)
    unknown = enabled - set(S1SPS)
    if unknown:
        raise ValueError(f"no S1SP named {', '.join(sorted(unknown))}")
    return control.set_switches(dsp, {name: name in enabled for name in S1SPS})
