"""Wrong DCCs at enrolment (TMAD 4.42, 5.10.12, 5.10.17, SRV 6.21, PIA 3 option C), at the devices (where
alerts go, the replacement certificates) and in the DCC's answering (its asynchronous delivery, an S1SP that
does not answer)."""

from __future__ import annotations

from catalogue.deviations.model import Deviation

_FIGURE_1_OWNER = (
    "PIA Figure 1: 'SMETS1 TMAD Clause 5.10.12 validation ensures Certificate (if provided) Owner is the "
    "Registered Network Operator'"
)
_MEASURE_I = (
    "PIA 2.3.2 (1) i: 'population of ESME Network Operator certificate by the DCC when the Supplier has not "
    "provided certificates in the pre-enrolment process (as per ... TMAD clause 4.42)'"
)
_MEASURE_II = (
    "PIA 2.3.2 (1) ii: 'validation of Network Operator certificate during enrolment (as per TMAD clause 5.10.12 "
    "and 5.10.17) ensures the provided certificates are correct during enrolment'"
)
_ALERTS = (
    "PIA 2.3.2 B: the Network Operator certificate is used to 'identify the Business Target ID for Alerts from "
    "SMETS1 ESME. So, if the Non-Critical Network Operator certificate is incorrect, Alert can go to the "
    "incorrect party'"
)
_OPTION_C = (
    "PIA 3 option C: 'Relax the anti-replay checks on SRV 6.21; this was rejected by the DCC and Service "
    "Providers'"
)
_REPLACEMENT = (
    "GBCS (Update Security Credentials): each replacement certificate is an Organisation certificate of the "
    "targeted Remote Party Role, with the key use of its cell, chaining to the SMKI root"
)

DEVIATIONS = (
    # --- TMAD 4.42: the certificate the Migration Control Centre provides -----------------------------------
    Deviation(
        "mcc-never-provides-the-certificate",
        "TMAD-4.42",
        _MEASURE_I,
        "where the Supplier gave no Network Operator certificate, the MCC provides none either: every such "
        "meter is enrolled with the Access Control Broker's default",
        "whether at all",
    ),
    Deviation(
        "mcc-certificate-placed-after-commissioning",
        "TMAD-4.42",
        _MEASURE_I + "; PIA 2.3.2 (1): at enrolment 'DCC's Commissioning party issues SRV 6.21 to associate "
        "certificates with the SMETS1 Device (at S1SP)'",
        "the MCC records the registered Network Operator's certificate, but the DCC Commissioning Party "
        "commissions the meter without it, leaving the ACB default in place until a later handover",
        "when",
    ),
    Deviation(
        "mcc-provides-the-gas-transporter-certificate",
        "TMAD-4.42",
        "TMAD 4.42 (PIA 2.3.2 (1) i): the DCC populates the ESME Network Operator certificate, the certificate "
        "of the electricity meter's registered Network Operator",
        "the MCC provides the certificates of the Gas Transporter registered for the installation's gas meter",
        "which fuel",
    ),
    # --- TMAD 5.10.12: the certificate offered is the registered Network Operator's ---------------------------
    Deviation(
        "mcc-owner-check-skipped",
        "TMAD-5.10.12",
        _FIGURE_1_OWNER,
        "the MCC accepts a Network Operator certificate offered at enrolment whoever owns it",
        "whether at all",
    ),
    Deviation(
        "mcc-owner-compared-with-supplier",
        "TMAD-5.10.12",
        _FIGURE_1_OWNER,
        "the MCC compares the certificate's owner with the meter's registered Supplier (the User who offers "
        "it) instead of its registered Network Operator, so it refuses the right certificate",
        "which User Role",
    ),
    Deviation(
        "mcc-owner-checked-after-placing",
        "TMAD-5.10.12",
        _MEASURE_II + ": validated during enrolment, before the DCC Commissioning Party places it",
        "the MCC accepts the Migration Authorisation unchecked; the owner is checked only at commissioning, "
        "after the handover has already placed the certificate at the S1SP",
        "in which order",
    ),
    # --- TMAD 5.10.17: the certificate offered is a valid Network Operator certificate -------------------------
    Deviation(
        "mcc-accepts-any-role",
        "TMAD-5.10.17",
        _MEASURE_II + "; TMAD 5.10.17: a Network Operator certificate is an SMKI Organisation certificate in the "
        "Network Operator role",
        "the MCC validates a Supplier's certificates offered as the Network Operator's as if they were, "
        "checking only that they chain to the SMKI",
        "which certificate",
    ),
    Deviation(
        "mcc-key-use-unchecked",
        "TMAD-5.10.17",
        _MEASURE_II + "; TMAD 5.10.17: each certificate has the key use of its slot (Digital Signing, the "
        "Critical one; Key Agreement, the Non-Critical one)",
        "the MCC accepts the Network Operator's two certificates each in the other's slot, so the key "
        "agreement certificate would stand in the Digital Signing cell",
        "which of the two keys",
    ),
    # --- SRV 6.21: the handover -------------------------------------------------------------------------------
    Deviation(
        "handover-certificates-not-validated",
        "SRV-6.21",
        "PIA 2.3.2 (2): 'By the Supplier using SRV 6.21'; the certificates a handover places are replacement "
        "certificates, validated as a 6.15.1's are",
        "the S1SP places whatever certificates a Supplier's handover carries, a Supplier's included, in the "
        "Network Operator trust anchor",
        "whether at all",
    ),
    Deviation(
        "handover-refusal-not-delivered",
        "SRV-6.21",
        "PIA 2.3.2 (2): a Supplier's own SRV 6.21 is a User's Service Request (unlike the DCC Commissioning "
        "Party's at enrolment), so its answer, a refusal included, is delivered to the Supplier",
        "when the S1SP refuses a Supplier's handover, the DCC tells no one, as for its own Commissioning "
        "Party's handovers: the Supplier waits for an answer that never comes",
        "delivered or not",
    ),
    # --- PIA 3 option C: anti-replay on SRV 6.21 stays ---------------------------------------------------------
    Deviation(
        "anti-replay-relaxed-for-handover",
        "PIA-3.C",
        _OPTION_C,
        "the DCC relaxes the anti-replay check for SRV 6.21, as the rejected option C would: a Supplier's "
        "handover request received a second time is acted on again",
        "which Service Request",
    ),
    Deviation(
        "anti-replay-relaxed-for-correction",
        "PIA-3.C",
        _OPTION_C + "; option A, the one chosen, changes only the Registration Data check of SRV 6.15.1",
        "the DCC relaxes the anti-replay check for the Network Operator's correction (SRV 6.15.1), the Service "
        "Request MP107 is about, instead of keeping it for every SRV",
        "which Service Request",
    ),
    # --- PIA 2.3.2 B: where an ESME's alerts go ----------------------------------------------------------------
    Deviation(
        "alerts-to-registered-network-operator",
        "PIA-2.3.2.B",
        _ALERTS,
        "an ESME's alerts go to whoever the S1SP finds holding the Digital Signing cell instead of the Key "
        "Agreement (Non-Critical) certificate's owner",
        "which of the two keys",
    ),
    Deviation(
        "alerts-by-registration-data",
        "PIA-2.3.2.B",
        _ALERTS,
        "an ESME's alerts go to the Network Operator registered for it in Registration Data, not to the owner "
        "of the certificate the meter holds: the misrouting the PIA describes never shows",
        "which certificate",
    ),
    Deviation(
        "alerts-from-gas-meters-too",
        "PIA-2.3.2.B",
        _ALERTS + "; 'There is no alert from SMETS1 GSME for Network Operator'",
        "a SMETS1 gas meter's alerts go to the owner of its Network Operator certificate, as an electricity "
        "meter's do",
        "which fuel",
    ),
    Deviation(
        "alerts-not-delivered",
        "PIA-2.3.2.B",
        _ALERTS + ": the alert goes to a party, the DCC delivering it",
        "the S1SP finds the alert's Business Target but the DCC delivers the alert to no one",
        "delivered or not",
    ),
    # --- DUIS: an S1SP that does not answer ---------------------------------------------------------------------
    Deviation(
        "e20-not-delivered",
        "DUIS-S1SP-communication",
        "DUIS communications failure: when the S1SP does not answer in time the DCC tells the User so (E20)",
        "when the S1SP does not answer, the DCC delivers nothing: the sender waits for an answer that never "
        "comes",
        "delivered or not",
    ),
    # --- GBCS: the replacement certificates -------------------------------------------------------------------
    Deviation(
        "replacement-role-unchecked",
        "GBCS-replacement-certificates",
        _REPLACEMENT,
        "the DCC places certificates of another Remote Party Role (a Supplier's) as the Network Operator's, "
        "checking only that they chain to the SMKI",
        "which certificate",
    ),
    Deviation(
        "replacement-key-use-unchecked",
        "GBCS-replacement-certificates",
        _REPLACEMENT,
        "the DCC takes a request carrying the key agreement certificate in the Digital Signing place (and the "
        "signing one in the Key Agreement place), filing each by its own key use",
        "which of the two keys",
    ),
)
