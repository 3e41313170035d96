"""Wrong DCCs at the Registration Data check (SRPD 6.1(f), 6.2(a)-(d), SRPD 16.1) and at an S1SP (S1SR 4.2,
PIA 3.2, 3.3, 2.3.2 A, options A and B, SMETS2 parity)."""

from __future__ import annotations

from catalogue.deviations.model import Deviation

DEVIATIONS = (
    Deviation(
        "no-6-2-d",
        "SRPD-6.2.d",
        "SRPD 6.2(d): 'a SMETS1 Service Request with SRV 6.15.1 ... received from an Electricity Distributor or "
        "Gas Transporter' is excepted from the Registration Data check",
        "the exception is never applied: the DCC still checks Registration Data on a Network Operator's "
        "correction, so the wrong certificate stays",
        "whether at all",
    ),
    Deviation(
        "6-2-d-for-suppliers-too",
        "SRPD-6.2.d",
        "SRPD 6.2(d) names the sender's User Role: 'from an Electricity Distributor or Gas Transporter'",
        "a Supplier's 6.15.1 to a SMETS1 meter skips the Registration Data check as well",
        "which User Role",
    ),
    Deviation(
        "owner-check-skipped",
        "S1SR-4.2",
        "S1SR 4.2 (check #3): the Business Originator ID must equal the entity identifier of the certificate "
        "held for the Device in that role; PIA 3 option B (skipping it) was rejected",
        "the S1SP applies a Critical request whoever holds the certificate",
        "which certificate",
    ),
    Deviation(
        "s1sp-skips-rdp-for-supplier-certificates",
        "PIA-3.3",
        "PIA 3.3: the S1SP skips the RDP check only for SRV 6.15.1 targeting Network Operator certificates",
        "with MP107 enabled, an S1SP also skips the Registration Data check for a 6.15.1 replacing Supplier "
        "certificates",
        "which certificate",
    ),
)
