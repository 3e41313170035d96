"""User Roles and the Service Request Variants this sandbox speaks, with their eligibility.

Eligibility for 6.15.1 and 6.21 is DCC's DUIS request matrix (verified, primer section 5); the
others are the best reading and are marked so.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

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
        """The Remote Party Role of the certificate a User in this role signs with."""
        if self.is_network_operator:
            return RemotePartyRole.NETWORK_OPERATOR
        if self in (UserRole.IMPORT_SUPPLIER, UserRole.EXPORT_SUPPLIER, UserRole.GAS_SUPPLIER):
            return RemotePartyRole.SUPPLIER
        return RemotePartyRole.XML_SIGNING_USER


SUPPLIERS = frozenset({UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER})
NETWORK_OPERATORS = frozenset({UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER})


@dataclass(frozen=True)
class ServiceReferenceVariant:
    """One SRV: its DUIS names, whether it is Critical and who may send it."""

    variant: str
    reference: str
    body_element: str
    name: str
    critical: bool
    eligible: frozenset[UserRole]
    command_variants: tuple[int, ...] = (1,)


UPDATE_SECURITY_CREDENTIALS_KRP = ServiceReferenceVariant(
    "6.15.1",
    "6.15",
    "UpdateSecurityCredentialsKRP",
    "Update Security Credentials (KRP)",
    critical=True,
    eligible=SUPPLIERS | NETWORK_OPERATORS,
)
REQUEST_HANDOVER = ServiceReferenceVariant(
    "6.21",
    "6.21",
    "RequestHandoverOfDCCControlledDevice",
    "Request Handover of DCC Controlled Device",
    critical=False,
    eligible=SUPPLIERS,
)
READ_INSTANTANEOUS_IMPORT_REGISTERS = ServiceReferenceVariant(
    "4.1.1",
    "4.1",
    "ReadInstantaneousImportRegisters",
    "Read Instantaneous Import Registers",
    critical=False,
    eligible=frozenset({UserRole.IMPORT_SUPPLIER, UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.OTHER_USER}),
)
JOIN_SERVICE = ServiceReferenceVariant(
    "8.7.2",
    "8.7",
    "JoinServiceNonCritical",
    "Join Service (Non-Critical)",
    critical=False,
    eligible=SUPPLIERS,
)
RESTORE_GPF_DEVICE_LOG = ServiceReferenceVariant(
    "8.12.2",
    "8.12",
    "RestoreGPFDeviceLog",
    "Restore GPF Device Log",
    critical=False,
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
    )
}
