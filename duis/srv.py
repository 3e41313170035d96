"""User Roles and the Service Request Variants this sandbox speaks, with their eligibility.

Eligibility for 6.15.1, 6.21 and 6.24.1 is DCC's DUIS request matrix (verified, primer section 5,
DCC-INTERFACE Q2/Q5); the others are the best reading. Command Variants and criticality are not
typed here: they are read from the DUIS XSD (`duis.command_variants`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from duis.command_variants import allowed_command_variants, is_critical, supports_future_dating
from smki.profile import RemotePartyRole


class UserRole(enum.StrEnum):
    """DUIS User Roles."""

    IMPORT_SUPPLIER = "Import Supplier"
    EXPORT_SUPPLIER = "Export Supplier"
    GAS_SUPPLIER = "Gas Supplier"
    ELECTRICITY_DISTRIBUTOR = "Electricity Distributor"
    GAS_TRANSPORTER = "Gas Transporter"
    OTHER_USER = "Other User"
    REGISTERED_SUPPLIER_AGENT = "Registered Supplier Agent"

    @property
    def is_network_operator(self) -> bool:
        return self in (UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER)

    @property
    def certificate_role(self) -> RemotePartyRole:
        """The Remote Party Role of a User's Digital Signing and Key Agreement certificates in this role
        (its DUIS envelopes are signed with another, role 135 XML-signing, certificate). DCC Boxed's
        keystore gives its Other User role 127 (OU=7F)."""
        if self.is_network_operator:
            return RemotePartyRole.NETWORK_OPERATOR
        if self in (UserRole.IMPORT_SUPPLIER, UserRole.EXPORT_SUPPLIER, UserRole.GAS_SUPPLIER):
            return RemotePartyRole.SUPPLIER
        return RemotePartyRole.OTHER_USER


SUPPLIERS = frozenset({UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER})
NETWORK_OPERATORS = frozenset({UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER})


@dataclass(frozen=True, init=False)
class ServiceReferenceVariant:
    """One SRV: its DUIS names and who may send it; its Command Variants and criticality come from the
    DUIS XSD's own `CV = …` annotations (`duis.command_variants`), read on first use, so importing
    this module never needs DCC's npm package.

    `critical` and `command_variants` may be given only for an SRV the sandbox merely echoes (the
    header of a request it cannot read, see `duis.requests.request_header`); for every SRV it offers
    they are left to the XSD."""

    variant: str
    reference: str
    body_element: str
    name: str
    eligible: frozenset[UserRole]
    critical_override: bool | None = field(default=None, repr=False)
    command_variants_override: frozenset[int] | None = field(default=None, repr=False)

    def __init__(
        self,
        variant: str,
        reference: str,
        body_element: str,
        name: str,
        critical: bool | None = None,
        eligible: frozenset[UserRole] = frozenset(),
        command_variants: Iterable[int] | None = None,
    ) -> None:
        object.__setattr__(self, "variant", variant)
        object.__setattr__(self, "reference", reference)
        object.__setattr__(self, "body_element", body_element)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "eligible", frozenset(eligible))
        object.__setattr__(self, "critical_override", critical)
        object.__setattr__(
            self, "command_variants_override", None if command_variants is None else frozenset(command_variants)
        )

    @property
    def command_variants(self) -> frozenset[int]:
        """The Command Variants DUIS allows for this SRV (the XSD's annotation; KeyError if it has none)."""
        if self.command_variants_override is not None:
            return self.command_variants_override
        return allowed_command_variants(self.variant)

    @property
    def critical(self) -> bool:
        """Whether this is a Critical Service Request: every allowed CV is 4–7 (the XSD's annotation)."""
        if self.critical_override is not None:
            return self.critical_override
        return is_critical(self.variant)

    @property
    def future_datable(self) -> bool:
        """Whether the body may carry an ExecutionDateTime (its XSD type extends FutureDatedAbstractType)."""
        return supports_future_dating(self.body_element)


UPDATE_SECURITY_CREDENTIALS_KRP = ServiceReferenceVariant(
    "6.15.1",
    "6.15",
    "UpdateSecurityCredentialsKRP",
    "Update Security Credentials (KRP)",
    eligible=SUPPLIERS | NETWORK_OPERATORS,
)
REQUEST_HANDOVER = ServiceReferenceVariant(
    "6.21",
    "6.21",
    "RequestHandoverOfDCCControlledDevice",
    "Request Handover of DCC Controlled Device",
    eligible=SUPPLIERS,
)
READ_INSTANTANEOUS_IMPORT_REGISTERS = ServiceReferenceVariant(
    "4.1.1",
    "4.1",
    "ReadInstantaneousImportRegisters",
    "Read Instantaneous Import Registers",
    eligible=frozenset({UserRole.IMPORT_SUPPLIER, UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.OTHER_USER}),
)
JOIN_SERVICE = ServiceReferenceVariant(
    "8.7.2",
    "8.7",
    "JoinServiceNonCritical",
    "Join Service (Non-Critical)",
    eligible=SUPPLIERS,
)
RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP = ServiceReferenceVariant(
    "6.24.1",
    "6.24",
    "RetrieveDeviceSecurityCredentialsKRP",
    "Retrieve Device Security Credentials (KRP)",
    eligible=SUPPLIERS | NETWORK_OPERATORS,
)
RESTORE_GPF_DEVICE_LOG = ServiceReferenceVariant(
    "8.12.2",
    "8.12",
    "RestoreGPFDeviceLog",
    "Restore GPF Device Log",
    eligible=SUPPLIERS,
)

SERVICE_REQUEST_VARIANTS: dict[str, ServiceReferenceVariant] = {
    s.variant: s
    for s in (
        UPDATE_SECURITY_CREDENTIALS_KRP,
        REQUEST_HANDOVER,
        READ_INSTANTANEOUS_IMPORT_REGISTERS,
        JOIN_SERVICE,
        RESTORE_GPF_DEVICE_LOG,
        RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    )
}
