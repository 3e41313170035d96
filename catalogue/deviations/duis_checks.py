"""Wrong DCCs at the DSP's standard DUIS checks: schema, signature, User, eligibility, Command Variant,
anti-replay and device. The sentences quoted are DCC's artefacts as `shared/domain/DCC-INTERFACE.md` gives
them (Q1, Q2, Q8, Q9), the DUIS response codes as the primer reproduces DUIS's table (section 5)."""

from __future__ import annotations

from catalogue.deviations.model import Deviation

DEVIATIONS: tuple[Deviation, ...] = (
    # --- DUIS schema ---------------------------------------------------------------------------------------
    Deviation(
        "schema-not-validated",
        "DUIS-schema",
        "DUIS: every Service Request must be valid against the DUIS XML Schema before anything else is checked "
        "(DCC's own validator, tool.jar's Validate: exit 0 = 'XSD-valid and signature good')",
        "the DSP reads what it can from a request without validating it against the XSD: a correction missing "
        "an element the schema requires (ApplyTimeBasedCPVChecks) is carried out",
        "whether at all",
    ),
    # --- DUIS signature ------------------------------------------------------------------------------------
    Deviation(
        "envelope-signed-with-digital-signing-certificate",
        "DUIS-signature",
        "DCC-INTERFACE Q8: keystore role codes 'XmlSign = 135' (OU=87); each User 'signs its DUIS envelopes with "
        "its XML-signing certificate (role 135, OU=87) and its Pre-Commands with its Digital Signing certificate "
        "for its role'",
        "the DSP accepts a DUIS request signed with any certificate of the sender's, its Digital Signing "
        "certificate for its role (03) too, not only its XML-signing certificate",
        "which certificate",
    ),
    Deviation(
        "signed-by-another-user",
        "DUIS-signature",
        "DCC-INTERFACE Q8: 'A DUIS request is XML-signed ... with the key found by the Business Originator ID "
        "(first EUI of RequestID)' (DCC's Sign.java)",
        "the DSP accepts a request signed with any User's XML-signing certificate: one User can send in "
        "another's name",
        "which certificate",
    ),
    Deviation(
        "expired-signing-certificate-accepted",
        "DUIS-signature",
        "DUIS signature: the XML signature must verify with the Business Originator's XML-signing certificate, "
        "'in date and fit for signing' (DCC's certificates carry a validity period, e.g. '2018-01-01 → "
        "2118-01-01', Q8)",
        "the DSP checks that a signing certificate's validity has begun, never that it has ended: a request "
        "signed with an expired certificate is carried out",
        "when",
    ),
    Deviation(
        "pre-command-awaited-for-ever",
        "DUIS-signature",
        "DCC-INTERFACE Q1: the User 'sends CV 5 ... same RequestID as the CV4 request' for the Pre-Command the "
        "DCC issued; the sandbox's choice (README, TransformLimits): a Pre-Command awaits its Signed "
        "Pre-Command an hour, DCC's own client signs and sends it at once",
        "the DSP keeps every Pre-Command it issued until it is signed: a Pre-Command signed long after the DCC "
        "issued it is still carried out",
        "when",
    ),
    Deviation(
        "pre-command-not-compared",
        "DUIS-signature",
        "DCC-INTERFACE Q1: the CV 5 carries 'sr:SignedPreCommand{GBCSPayload}' with the same RequestID, and "
        "'the GBCS pre-command embeds the same counter ... so a CV5 with a different counter would not match "
        "its signed GBCS payload' (Q9); the clause: a CV 5 carries, unchanged, the Pre-Command the DCC issued",
        "the DSP passes on whatever Signed Pre-Command a CV 5 carries without comparing it with the one it "
        "issued for that RequestID; only the S1SP then finds it is not the request's",
        "whether at all",
    ),
    Deviation(
        "pre-command-checked-with-xml-signing-key",
        "DUIS-signature",
        "DCC-INTERFACE Q1: the User signs the GBCS payload 'with the private key of its Digital Signing (DS) "
        "certificate looked up by the Business Originator ID'; DCC's Node-RED client 'excludes role 135 "
        "(XML-sign) keys from this lookup'",
        "the DSP verifies the User's signature on the Pre-Command with the XML-signing certificate that signed "
        "the CV 5, so a command signed, as DUIS has it, with the Digital Signing key is refused (and one signed "
        "with the XML-signing key is passed on)",
        "which of the two keys",
    ),
    # --- DUIS User -----------------------------------------------------------------------------------------
    Deviation(
        "unknown-sender-treated-as-other-user",
        "DUIS-user",
        "DUIS: the Business Originator must be a User known to the DCC in a User Role; E1 'invalid User / User "
        "Role' (primer section 5)",
        "the DSP treats a sender its register does not know as an Other User: an organisation that is not a DCC "
        "User is refused for its User Role (E2), or served where an Other User may be",
        "which User Role",
    ),
    Deviation(
        "registration-data-before-user-check",
        "DUIS-user",
        "SRPD 6.1 checks the sender is a User (DUIS: E1 'invalid User / User Role') before 6.1(f), the "
        "Registration Data check (E4 'Invalid User / User Role for Device', primer section 5)",
        "the DSP runs the Registration Data check before the User check, so an organisation that is not a DCC "
        "User is told it is not registered for the meter (E4) instead of that it is no User (E1)",
        "in which order",
    ),
    # --- DUIS eligibility ----------------------------------------------------------------------------------
    Deviation(
        "other-user-may-correct",
        "DUIS-eligibility",
        "DCC-INTERFACE Q2, DCC's request matrix: '6.15.1 | Update Security Credentials (KRP) | 4, 5, 6, 7 | Yes "
        "| IS, GS, ED, GT'",
        "the DSP lets an Other User send 6.15.1 (and so reach the S1SP, Registration Data excepted for it by "
        "SRPD 6.2(c)) instead of refusing it E2",
        "which User Role",
    ),
    Deviation(
        "gas-transporter-may-not-correct",
        "DUIS-eligibility",
        "DCC-INTERFACE Q2: '6.15.1 is the only critical SRV eligible to ED or GT (whole MATRIX)'; Q6: '6.15.1 "
        "eligible to IS, GS, ED, GT'",
        "the DSP reads 'Network Operator' as the Electricity Distributor: a Gas Transporter's 6.15.1 is refused "
        "E2, so a Gas Transporter can never correct a gas meter's certificates",
        "which User Role",
    ),
    # --- DUIS Command Variant ------------------------------------------------------------------------------
    Deviation(
        "credentials-read-with-the-update-command-variants",
        "DUIS-command-variant",
        "DCC-INTERFACE Q2, the XSD's CV annotations: '6.15.1 ... 4, 5, 6, 7' but '6.24.1 | Retrieve Device "
        "Security Credentials (KRP) | 1, 2, 3'",
        "the DSP takes the Command Variants of both KRP requests from 6.15.1's row: reading a meter's security "
        "credentials is refused as CV 1 (E12) and taken as a command to be signed first (CV 4)",
        "which Service Request",
    ),
    Deviation(
        "web-service-not-checked",
        "DUIS-command-variant",
        "DCC-INTERFACE Q2: 'Web services: 1,3,5,7 Send Command (/serviceS); 2,6,8 Non-Device (/serviceD); 4 "
        "Transform (/serviceT)'; E13 'invalid request type for the URL' (primer section 5)",
        "the DSP checks a Command Variant is offered for the SRV but not that it came to the web service that "
        "takes it: a correction's CV 4 sent to Send Command is routed to the meter as a command, unsigned",
        "which Service Request",
    ),
    # --- DUIS anti-replay ----------------------------------------------------------------------------------
    Deviation(
        "equal-counter-accepted",
        "DUIS-anti-replay",
        "Primer section 3: 'The counter must strictly increase per originator (anti-replay)'; DCC's signing tool "
        "sets it 'to ensure that a strictly incrementing value is present in each command' (Q9)",
        "the DSP refuses a counter below the last one accepted but not the same one again: a non-critical "
        "request received a second time is carried out a second time",
        "whether at all",
    ),
    Deviation(
        "anti-replay-per-originator-and-target",
        "DUIS-anti-replay",
        "Primer section 3: the counter 'must strictly increase per originator'; DCC-INTERFACE Q9: 'strictly "
        "increasing per Business Originator' vs 'per originator+target' is unverified in DUIS's prose, so the "
        "sandbox keeps the stricter reading the primer gives",
        "the DSP compares a counter only with the sender's earlier requests to the same device: a request the "
        "sender signed before its latest one, held back and sent later to another device, is carried out",
        "whether at all",
    ),
    # --- DUIS device ---------------------------------------------------------------------------------------
    Deviation(
        "import-registers-read-on-gas-meters",
        "DUIS-device",
        "SRV 4.1.1 'Read Instantaneous Import Registers' is an electricity meter's (ESME); E11 'SRV / device "
        "type mismatch' (primer section 5)",
        "the DSP lets 4.1.1 go to any meter, a gas meter too, so a request a gas meter cannot take is refused "
        "later (or not at all) instead of E11",
        "which fuel",
    ),
    Deviation(
        "registration-data-before-device-check",
        "DUIS-device",
        "DUIS device: the target must be in the Smart Metering Inventory (E19) and of a type the SRV can be sent "
        "to (E11), checked before SRPD 6.1(f)'s Registration Data check (E4)",
        "the DSP runs the Registration Data check before the device check, so a request for a device the DCC "
        "does not know, or one that cannot take it, is answered E4 instead of E19 or E11",
        "in which order",
    ),
)
