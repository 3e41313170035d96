"""Wrong DCCs at the Registration Data check (SRPD 6.1(f), 6.2(a)-(d), SRPD 16.1) and at an S1SP (S1SR 4.2,
PIA 3.2, 3.3, 2.3.2 A, options A and B, SMETS2 parity)."""

from __future__ import annotations

from catalogue.deviations.model import Deviation

_6_1_F = (
    "SRPD 6.1(f): the DCC checks that the sender 'is the registered party for the MPAN/MPRN of the target "
    "Device in its User Role'"
)

REGISTRATION_DATA = (
    Deviation(
        "rdp-across-the-installation",
        "SRPD-6.1.f",
        _6_1_F + "; the MPAN or MPRN is the target meter's own (PIA 2.1: 'the MPAN for ESME or MPRN for GSME')",
        "the DCC takes every MPAN and MPRN of the meter's communications hub as the meter's: a dual-fuel "
        "supplier's Gas Supplier User passes the check on the electricity meter it supplies as Import Supplier",
        "which fuel",
    ),
    Deviation(
        "network-operator-of-either-fuel",
        "SRPD-6.1.f",
        _6_1_F + "; PIA 2.3.1 ('Network Operator means both the Electricity and Gas Network Operators') read as "
        "one User Role",
        "for a Network Operator the DCC accepts the Electricity Distributor or the Gas Transporter registered on "
        "the meter's hub: a Gas Transporter passes the check on the electricity meter beside its gas meter",
        "which User Role",
    ),
    Deviation(
        "rdp-only-on-critical-requests",
        "SRPD-6.1.f",
        "PIA 2.1: 'The DSP and S1SPs will validate these Critical Commands against the RDP data' (read as: only "
        "Critical Commands are checked), where SRPD 6.1(f) checks every Service Request",
        "the DCC checks Registration Data on Critical requests only: a Network Operator not registered for the "
        "meter reads it",
        "which Service Request",
    ),
    Deviation(
        "join-service-from-any-import-supplier",
        "SRPD-6.2.a",
        "SRPD 6.2(a): 'an Import Supplier that is the Responsible Supplier for a Smart Metering System that shares "
        "a Communications Hub Function with a Smart Metering System that includes a Gas Smart Meter sends a "
        "'Join Service''",
        "any Import Supplier may join the gas meter to the gas proxy function without the check, not only the one "
        "registered for the electricity meter on that hub",
        "whether at all",
    ),
    Deviation(
        "6-2-a-for-any-request-to-the-gas-side",
        "SRPD-6.2.a",
        "SRPD 6.2(a) names one Service Request: the Responsible Supplier 'sends a 'Join Service' Service Request "
        "to join that Gas Smart Meter to a Gas Proxy Function'",
        "the Import Supplier sharing the hub skips the check on whatever it sends to the gas side: it reads the "
        "gas meter's security credentials though it is not registered for the gas meter",
        "which Service Request",
    ),
    Deviation(
        "6-2-b-responsible-supplier-of-the-gas-meter",
        "SRPD-6.2.b",
        "SRPD 6.2(b): 'an Import Supplier that is the Responsible Supplier for a Smart Metering System that shares "
        "a Communications Hub Function with a Smart Metering System that includes a Gas Proxy Function'",
        "the DCC looks for the Responsible Supplier on the gas proxy function's gas meter (its MPRN), not on the "
        "electricity meter sharing the hub (its MPAN): the Import Supplier cannot restore the GPF's device log",
        "which fuel",
    ),
    Deviation(
        "restore-gpf-log-from-any-import-supplier",
        "SRPD-6.2.b",
        "SRPD 6.2(b): the Import Supplier 'that is the Responsible Supplier for a Smart Metering System that "
        "shares a Communications Hub Function' with the GPF sends 'Restore GPF Device Log'",
        "any Import Supplier may restore any gas proxy function's device log without the check",
        "whether at all",
    ),
    Deviation(
        "6-2-c-by-service-request",
        "SRPD-6.2.c",
        "SRPD 6.2(c): 'the Service Request has been sent by a User acting in the User Role of 'Other User''",
        "the DCC skips the check for any Service Request an Other User may send, whoever sends it: an Import "
        "Supplier not registered for the meter reads its registers",
        "which User Role",
    ),
    Deviation(
        "6-2-c-dropped-when-mp107-on",
        "SRPD-6.2.c",
        "PIA 3.1's amended Clause 6.2 adds (d) after '(b) ...; or (c) ... 'Other User''; the new list keeps (c)",
        "once the DCC's MP107 switch is on, its list of exceptions has (d) in place of (c): an Other User is "
        "checked against Registration Data and refused",
        "when",
    ),
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
        "6-2-d-for-electricity-meters-only",
        "SRPD-6.2.d",
        "SRPD 6.2(d) excepts a 6.15.1 'received from an Electricity Distributor or Gas Transporter', whatever the "
        "meter; PIA 2.3.2 ('the impact of incorrect Network Operator certificate is limited to SMETS1 ESME') read "
        "as the change's scope",
        "the DCC lifts the check only for a correction on an electricity meter: a Gas Transporter whose "
        "certificate a gas meter wrongly holds is still refused",
        "which fuel",
    ),
    Deviation(
        "6-2-d-for-credential-reads-too",
        "SRPD-6.2.d",
        "SRPD 6.2(d) names one Service Reference Variant: 'SRV 6.15.1 (Update Security Credentials)'",
        "the DCC also lifts its check (#1) on a Network Operator's 6.24.1 'Retrieve Device Security Credentials': "
        "the holder of the wrong certificate, not registered for the meter, gets past the DCC to the S1SP",
        "which Service Request",
    ),
    Deviation(
        "6-2-d-only-to-place-the-registered-network-operator",
        "PIA-3.A",
        "PIA 3 option A removes checks #1 and #2 'for the SRV 6.15.1 where the sender is a Network Operator' and "
        "keeps only #3, which looks at the sender; TMAD 5.10.12 ('Certificate Owner is the Registered Network "
        "Operator') is an enrolment check",
        "the DCC lifts the check only when the certificates placed are the registered Network Operator's (TMAD "
        "5.10.12 carried into enduring operation): the holder cannot place a third Network Operator's",
        "which certificate",
    ),
    Deviation(
        "smets2-critical-checked-against-registration-data",
        "PIA-2.2",
        "PIA 2.1: 'Critical Commands in SMETS2 do not have any Registered Data Provider (RDP) validation'; PIA 2.2: "
        "'RDP checks are required for all SRVs, including Critical SRs' is said of SMETS1",
        "the DCC checks Registration Data on SMETS2 Critical requests too: the Network Operator holding a SMETS2 "
        "meter's certificate cannot replace it",
        "whether at all",
    ),
    Deviation(
        "smets2-parity-only-with-mp107",
        "PIA-2.2",
        "PIA 2.2: on SMETS2 'the issue can be overcome ... because validation #1 is not applied' today; PIA 3.2: "
        "the change 'is not carried out for SMETS2 Critical Service Requests'",
        "the DCC lifts the check on SMETS2 Critical requests only once its MP107 switch is on, as if MP107 brought "
        "SMETS2's behaviour in: before, the holder of a SMETS2 meter's certificate is refused",
        "when",
    ),
    Deviation(
        "dsp-switch-read-per-s1sp",
        "PIA-3.2",
        "PIA 3.2: 'DSP will implement a single feature switch ... the change will not be enabled separately for "
        "different S1SPs ... a request could be allowed by the DSP but rejected by an S1SP'",
        "the DSP applies 6.2(d) only for meters whose S1SP has enabled MP107: a correction on a meter of an S1SP "
        "not yet enabled is refused by the DCC's check, never reaching the S1SP",
        "which switch",
    ),
    Deviation(
        "dsp-follows-s1sp-enablement",
        "PIA-3.2",
        "PIA 3.2: 'DSP will implement a single feature switch to enable the functionality'",
        "the DSP has no switch of its own: it applies 6.2(d) wherever the meter's S1SP has enabled MP107, even "
        "with the DCC's switch off",
        "which switch",
    ),
)

S1SP = (
    Deviation(
        "s1sp-trusts-the-dsp-registration-data-check",
        "SRPD-16.1",
        "SRPD 16.1, PIA 2.2 check #2: 'S1SP performs RDP validation adhering to clause 16.1 of SRPD'",
        "the S1SP does not check Registration Data again, trusting the DSP's check: an S1SP that has not enabled "
        "MP107 applies a correction the DCC let through",
        "whether at all",
    ),
    Deviation(
        "s1sp-skips-rdp-for-supplier-certificates",
        "PIA-3.3",
        "PIA 3.3: the S1SP skips the RDP check only for SRV 6.15.1 targeting Network Operator certificates",
        "with MP107 enabled, an S1SP also skips the Registration Data check for a 6.15.1 replacing Supplier "
        "certificates",
        "which certificate",
    ),
    Deviation(
        "s1sp-6-2-d-for-electricity-meters-only",
        "PIA-3.3",
        "PIA 3.3: the S1SP removes the RDP check 'for SRV 6.15.1 specifically where it targets Network Operator "
        "certificates', a gas meter's as an electricity meter's; PIA 2.3.2's 'limited to SMETS1 ESME' is about "
        "alert routing",
        "the S1SP lifts its check only for the Network Operator certificates of an electricity meter: a Gas "
        "Transporter's correction on a gas meter is refused by the S1SP's check",
        "which fuel",
    ),
    Deviation(
        "s1sp-follows-the-dsp-switch",
        "PIA-3.2",
        "PIA 3.2: 'if there is a period when one or more S1SPs has not enabled the change, then a request could be "
        "allowed by the DSP but rejected by an S1SP'",
        "an S1SP applies 6.2(d) as soon as the DCC's switch is on, not when its own release enables it",
        "which switch",
    ),
    Deviation(
        "one-s1sp-enabling-enables-all",
        "PIA-3.2",
        "PIA 3.2: each S1SP enables the change in its own release ('one or more S1SPs has not enabled the change')",
        "MP107 applies at every S1SP once one has enabled it: S1SP2 applies a correction though only S1SP1 and "
        "S1SP3 enabled MP107",
        "which S1SP",
    ),
    Deviation(
        "owner-check-skipped",
        "S1SR-4.2",
        "S1SR 4.2 (check #3): the Business Originator ID must equal the entity identifier of the certificate "
        "held for the Device in that role; PIA 3 option B (skipping it) was rejected",
        "the S1SP applies a Critical request whoever holds the certificate",
        "whether at all",
    ),
    Deviation(
        "owner-check-against-the-supplier-certificate",
        "S1SR-4.2",
        "S1SR 4.2: the Business Originator ID must equal the entity identifier of 'the certificate held for the "
        "Device in that role': the role whose certificates the request replaces",
        "the S1SP compares the sender with the Supplier certificate held even when the request targets the "
        "Network Operator's: the Network Operator holding the certificate is refused, its correction never made",
        "which certificate",
    ),
    Deviation(
        "option-b-built",
        "PIA-3.B",
        "PIA 3 option B, 'Keep the SRV 6.15.1 RDP check and avoid the certificate check (#3); this was rejected "
        "... because it introduces a higher security risk'",
        "the S1SP builds the rejected option: it keeps its Registration Data check on a Network Operator's "
        "6.15.1 and drops the certificate-owner check",
        "whether at all",
    ),
    Deviation(
        "owner-check-on-every-request",
        "PIA-2.3.2.A",
        "PIA 2.3.2 A: the NO certificate is used to 'validate the Business Originator ID for Critical SRs ... So "
        "even if the certificate is incorrect, Network Operator can issue Non Critical SR to SMETS1 Devices'",
        "the S1SP compares the Business Originator ID with the certificate held on every request: the registered "
        "Network Operator cannot read a meter that holds another's certificate",
        "which Service Request",
    ),
    Deviation(
        "owner-check-on-credential-reads",
        "PIA-2.3.2.A",
        "PIA 2.3.2 A: 'only SMETS1 Critical SR ... available to Network Operator is SRV 6.15.1'; 6.24.1 "
        "'Retrieve Device Security Credentials (KRP)' is non-critical though it reads the same trust anchors",
        "the S1SP treats 6.24.1 as a credentials command needing the owner check: the registered Network "
        "Operator cannot read the security credentials of a gas meter holding another's certificate",
        "which Service Request",
    ),
)

DEVIATIONS = REGISTRATION_DATA + S1SP
