"""The clause catalogue: one entry per clause the suite proves, in the order the SEC reads.

An entry is spelt one way, by its object: the scenario tag (`@SRPD-6.2.d`; behave cannot parse
parentheses in tags), the display form (`SRPD 6.2(d)`) and the Python name (`srpd_6_2_d`) are its
attributes, never strings typed elsewhere. `enforced_by` names the functions that enforce the clause,
as dotted paths so that this module imports nothing of the project (a test resolves every one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """A published document a clause comes from: where it is published, and which version the suite was
    written against (None where the publisher's page could not be read to record one)."""

    short: str
    title: str
    url: str
    version: str | None = None
    publisher: str = "SECCo"
    section_word: str = "Clause"
    """How the document numbers its parts: "Clause 6.2(d)" in the SEC, "Section 3.2" in the PIA."""

    @property
    def cited(self) -> str:
        """The document as a reference names it: title and version."""
        return f"{self.title} {self.version}" if self.version else f"{self.title} (version as published)"


SEC_PAGE = "https://smartenergycodecompany.co.uk/the-smart-energy-code/"
"""SECCo's page for the SEC and its Appendices. SECCo publishes each Appendix as a PDF from its own page
under /documents/sec-subsidiary-documents/; where that page could not be confirmed (AB, AL, AM, GBCS)
the link goes here and its text names the document, version and section."""
DUIS_PAGE = (
    "https://smartenergycodecompany.co.uk/documents/sec-subsidiary-documents/"
    "sec-appendix-ad-dcc-user-interface-specification-duis/"
)
"""SECCo's page for SEC Appendix AD (DUIS): DUIS V5.3 of 18 March 2025 is the version published there."""
MODIFICATIONS_PAGE = "https://smartenergycodecompany.co.uk/modifications/"
"""SECCo's register of modifications (SECMP0107's page is found from it; its slug could not be confirmed).
The PIA itself is DCC's document v0.5 of 25 June 2020, given to the project (shared/seed)."""

SRPD = Document("SRPD", "SEC Appendix AB – Service Request Processing Document", SEC_PAGE)
S1SR = Document("S1SR", "SEC Appendix AM – SMETS1 Supporting Requirements", SEC_PAGE)
TMAD = Document("TMAD", "SEC Appendix AL – SMETS1 Transition and Migration Approach Document", SEC_PAGE)
PIA = Document(
    "PIA",
    "DCC Preliminary Impact Assessment for SECMP0107",
    MODIFICATIONS_PAGE,
    version="v0.5 (25 June 2020)",
    publisher="DCC",
    section_word="Section",
)
DUIS = Document(
    "DUIS",
    "SEC Appendix AD – DCC User Interface Specification",
    DUIS_PAGE,
    version="V5.3 (18 March 2025)",
    section_word="Section",
)
GBCS = Document("GBCS", "Great Britain Companion Specification", SEC_PAGE, section_word="Section")

STATED = "stated"
"""The document says it."""
INFERRED = "inferred"
"""The suite's reading of what the document says, not a statement in it: a question for the SEC Working Group."""

CLAUSE_TAG_PREFIXES: tuple[str, ...] = ("SRPD-", "S1SR-", "TMAD-", "PIA-", "SRV-", "DUIS-", "GBCS-")
"""A tag starting with one of these claims to name a clause, so it must be in the catalogue."""


@dataclass(frozen=True)
class Clause:
    """One clause of the SEC, the PIA or DUIS, as a scenario tag names it and a report shows it."""

    tag: str
    display: str
    title: str
    document: Document
    summary: str
    enforced_by: tuple[str, ...]
    part: str = ""
    """The document's own number for the part that says it ("6.2(d)"), when it is not the display form's."""
    anchor: str = ""
    """A fragment that opens the document at the part, where the publisher gives one."""
    basis: str = STATED
    """STATED when the document says it; INFERRED when it is the suite's reading, which the evidence must say."""
    sandbox_only: str = ""
    """Why no run against an environment can prove the clause ("" when one can): the impact matrix then
    leaves it to the embedded sandbox's run, saying so, instead of asking the as-is and to-be runs for it."""

    @property
    def inferred(self) -> bool:
        return self.basis == INFERRED

    @property
    def basis_note(self) -> str:
        """What a reader must know before signing on this clause ("" when the document says it)."""
        if not self.inferred:
            return ""
        return (
            f"the suite's inference, not a statement of the {self.document.short}: a question for the SEC "
            "Working Group"
        )

    @property
    def source(self) -> str:
        return self.document.title

    @property
    def link(self) -> str:
        return self.document.url + (f"#{self.anchor}" if self.anchor else "")

    @property
    def section(self) -> str:
        """The part of the document, as a reader looks it up: "Clause 6.2(d)", "Section 3.2"."""
        number = self.part or self.display.removeprefix(self.document.short).strip()
        return f"{self.document.section_word} {number}" if number[:1].isdigit() else number

    @property
    def citation(self) -> str:
        """Document, version and section in one line: what a link to the clause says it opens."""
        return f"{self.document.cited}, {self.section}"

    @property
    def heading(self) -> str:
        """How the report and the matrix title the clause: "SRPD 6.2(d) — New exception: …" (an inference
        says so in its heading)."""
        return f"{self.display} — {self.title}" + (" (the suite's inference)" if self.inferred else "")

    @property
    def code_name(self) -> str:
        """How code spells it: `srpd_6_2_d` (the prefix of the functions that enforce it)."""
        return re.sub(r"[^0-9a-z]+", "_", self.tag.lower()).strip("_")

    def __str__(self) -> str:
        return self.display


# Each service's checks (`fake_services/<service>/checks.py`), and the few rules that live elsewhere.
_REG = "fake_services.registration.checks."
_DEV = "fake_services.devices.checks."
_S1SP = "fake_services.s1sp.checks."
_DSP = "fake_services.dsp.checks."
_ENROL = "fake_services.enrolment.checks."
_CORE = "fake_services.core."

# --- the SEC and PIA clauses MP107 changes or relies on ------------------------------------------------
SRPD_6_1_F = Clause(
    "SRPD-6.1.f",
    "SRPD 6.1(f)",
    "Registration Data check at the DSP (check #1)",
    SRPD,
    "The DSP checks that the sender is the registered party for the MPAN/MPRN of the target Device in its "
    "User Role; subject to Clause 6.2.",
    (_REG + "srpd_6_1_f_registration_data_check",),
)
SRPD_6_2_A = Clause(
    "SRPD-6.2.a",
    "SRPD 6.2(a)",
    "Exception: 'Join Service' to join a Gas Smart Meter to the GPF",
    SRPD,
    "No Registration Data check when the Import Supplier of a system sharing the CHF with a gas system sends "
    "'Join Service' to join the GSME to the Gas Proxy Function.",
    (_REG + "srpd_6_2_a_join_service",),
)
SRPD_6_2_B = Clause(
    "SRPD-6.2.b",
    "SRPD 6.2(b)",
    "Exception: 'Restore GPF Device Log'",
    SRPD,
    "No Registration Data check when that Import Supplier sends 'Restore GPF Device Log'.",
    (_REG + "srpd_6_2_b_restore_gpf_device_log",),
)
SRPD_6_2_C = Clause(
    "SRPD-6.2.c",
    "SRPD 6.2(c)",
    "Exception: User Role 'Other User'",
    SRPD,
    "No Registration Data check for a Service Request sent in the User Role 'Other User'.",
    (_REG + "srpd_6_2_c_other_user",),
)
SRPD_6_2_D = Clause(
    "SRPD-6.2.d",
    "SRPD 6.2(d)",
    "New exception: SMETS1 SRV 6.15.1 from an Electricity Distributor or Gas Transporter",
    SRPD,
    "MP107: a SMETS1 'Update Security Credentials (KRP)' from a Network Operator skips the Registration Data "
    "check, so the wrongly held NO can put the right NO's certificates on.",
    (_REG + "srpd_6_2_d_smets1_krp_from_network_operator",),
)
SRPD_16_1 = Clause(
    "SRPD-16.1",
    "SRPD 16.1",
    "S1SP applies the same processing, incl. the RDP check (check #2)",
    SRPD,
    "For SMETS1 Service Requests the S1SP applies the DSP's processing, including the Registration Data check.",
    (_S1SP + "srpd_16_1_s1sp_registration_data_check",),
)
S1SR_4_2 = Clause(
    "S1SR-4.2",
    "S1SR 4.2",
    "Certificate-owner check at the S1SP (check #3)",
    S1SR,
    "The S1SP checks that the Business Originator ID equals the entity identifier of the certificate held "
    "for the Device in that role.",
    (_S1SP + "s1sr_4_2_certificate_owner_check",),
)
TMAD_4_42 = Clause(
    "TMAD-4.42",
    "TMAD 4.42",
    "DCC populates the ESME NO certificate when none was given",
    TMAD,
    "The DCC populates the ESME Network Operator certificate when the Supplier gave none before enrolment.",
    (_ENROL + "tmad_4_42_populate_network_operator_certificate",),
)
TMAD_5_10_12 = Clause(
    "TMAD-5.10.12",
    "TMAD 5.10.12",
    "Enrolment: the NO certificate's owner is the registered NO",
    TMAD,
    "During enrolment the Network Operator certificate must belong to the registered Network Operator.",
    (_ENROL + "tmad_5_10_12_owner_is_registered_network_operator",),
)
TMAD_5_10_17 = Clause(
    "TMAD-5.10.17",
    "TMAD 5.10.17",
    "Enrolment: further validation of NO certificates",
    TMAD,
    "Further validation of Network Operator certificates during enrolment.",
    (_ENROL + "tmad_5_10_17_network_operator_certificate_validation",),
)
SRV_6_21 = Clause(
    "SRV-6.21",
    "SRV 6.21",
    "Supplier route: 'Request Handover of DCC Controlled Device'",
    DUIS,
    "PIA 2.3.2 (2): the Supplier places the Network Operator certificate with SRV 6.21 when it commissions the "
    "meter itself, or when enrolment left none (a Dormant ESME beside an Active GSME, or the ACB default).",
    (_S1SP + "srv_6_21_request_handover", "fake_services.enrolment.models.srv_6_21_commissioning_handover"),
    part="Service Reference Variant 6.21 'Request Handover of DCC Controlled Device'",
)
PIA_3_2 = Clause(
    "PIA-3.2",
    "PIA 3.2",
    "DSP: one feature switch for all S1SPs",
    PIA,
    "The DSP enables the change with one switch, not per S1SP; an S1SP not yet enabled rejects with the "
    "standard S1SP Alert.",
    (_DSP + "pia_3_2_dsp_feature_switch", _S1SP + "pia_3_2_s1sp_enablement"),
)
PIA_3_3 = Clause(
    "PIA-3.3",
    "PIA 3.3",
    "S1SP: skip the RDP check only for 6.15.1 targeting NO certificates",
    PIA,
    "The S1SP skips the Registration Data check only for SRV 6.15.1 targeting Network Operator certificates; "
    "it keeps it for supplier certificates and every other SRV.",
    (_S1SP + "pia_3_3_targets_network_operator_certificates",),
)
PIA_2_3_2_A = Clause(
    "PIA-2.3.2.A",
    "PIA 2.3.2 A",
    "NO non-critical Service Requests work with a wrong certificate",
    PIA,
    "The NO certificate only validates the sender of critical SRs, so a Network Operator can still send "
    "non-critical SRs to a SMETS1 Device holding the wrong certificate.",
    (_S1SP + "pia_2_3_2_a_owner_check_applies",),
)
PIA_2_3_2_B = Clause(
    "PIA-2.3.2.B",
    "PIA 2.3.2 B",
    "ESME alerts go to the Business Target ID of the NO certificate",
    PIA,
    "Alerts from a SMETS1 ESME are routed by the Non-Critical NO certificate, so a wrong certificate misroutes "
    "them; a SMETS1 GSME sends no NO alerts.",
    (_DEV + "pia_2_3_2_b_alert_target",),
)
PIA_2_2 = Clause(
    "PIA-2.2",
    "PIA 2.2",
    "SMETS2 parity: the 'wrong' NO can place the right certificate",
    PIA,
    "SMETS2 has no RDP check on critical SRs and the Device accepts matching certificates, so the wrongly held "
    "NO can already correct it.",
    (_REG + "pia_2_2_smets2_critical_skips_registration_data", _DEV + "pia_2_2_smets2_device_update"),
)
PIA_3_A = Clause(
    "PIA-3.A",
    "PIA 3 option A",
    "Consequence of the chosen option: the holder may place any Network Operator's certificates",
    PIA,
    "The PIA does not say this; the suite reads it from what option A says. Option A lifts the Registration "
    "Data checks (#1 and #2) for a Network Operator's SRV 6.15.1 and keeps only the certificate-owner check "
    "(#3), which looks at the sender, not at whose certificates are placed: so the holder may put any Network "
    "Operator's certificates on the meter, as on SMETS2 and unlike TMAD 5.10.12. Whether that is intended is a "
    "question for the SEC Working Group.",
    (_REG + "srpd_6_2_d_smets1_krp_from_network_operator", _S1SP + "s1sr_4_2_certificate_owner_check"),
    basis=INFERRED,
)
PIA_3_B = Clause(
    "PIA-3.B",
    "PIA 3 option B",
    "Rejected option B: the certificate-owner check (#3) stays",
    PIA,
    "Skipping check #3 was rejected as a higher security risk: a third party still cannot replace a Device's "
    "Network Operator certificates.",
    (_S1SP + "s1sr_4_2_certificate_owner_check",),
)
PIA_3_C = Clause(
    "PIA-3.C",
    "PIA 3 option C",
    "Rejected option C: the anti-replay check on SRV 6.21 stays",
    PIA,
    "Relaxing the anti-replay check on SRV 6.21 (so a Supplier's handover could be sent again) was rejected: "
    "a handover request received a second time is still refused.",
    (_DSP + "duis_anti_replay_check",),
)

# --- the DCC's standard checks that come before any of the above (DUIS) ---------------------------------
DUIS_SCHEMA = Clause(
    "DUIS-schema",
    "DUIS schema",
    "The request is valid against DCC's DUIS XSD",
    DUIS,
    "Every Service Request must be valid against the DUIS XML Schema before anything else is checked.",
    (_DSP + "duis_schema_check",),
    part="the DUIS XML Schema",
)
DUIS_SIGNATURE = Clause(
    "DUIS-signature",
    "DUIS signature",
    "The request is signed by its sender with an SMKI certificate",
    DUIS,
    "The XML signature must verify with the Business Originator's XML-signing certificate (role 135), in date "
    "and fit for signing; a Critical request's CV 5 carries, unchanged, the Pre-Command the DCC issued for it.",
    (
        _CORE + "authentication.duis_signature_check",
        _CORE + "authentication.duis_signing_certificate_check",
        _DSP + "duis_signature_sender_check",
        _DSP + "duis_signature_pre_command_check",
        _DSP + "duis_signature_pre_command_awaited_check",
    ),
    part="the signing of Service Requests",
)
DUIS_USER = Clause(
    "DUIS-user",
    "DUIS User",
    "The sender is a DCC User",
    DUIS,
    "The Business Originator must be a User known to the DCC in a User Role.",
    (_DSP + "duis_user_check",),
    part="User and User Role checks",
)
DUIS_ELIGIBILITY = Clause(
    "DUIS-eligibility",
    "DUIS eligibility",
    "The User Role may send the Service Request",
    DUIS,
    "DCC's request matrix says which User Roles may send each Service Reference Variant (response E2).",
    (_DSP + "duis_eligibility_check",),
    part="the Service Request eligibility matrix",
)
DUIS_COMMAND_VARIANT = Clause(
    "DUIS-command-variant",
    "DUIS Command Variant",
    "The Command Variant is one the Service Request offers",
    DUIS,
    "Each Service Reference Variant allows only some Command Variants (response E12).",
    (_DSP + "duis_command_variant_check",),
    part="Command Variants",
)
DUIS_ANTI_REPLAY = Clause(
    "DUIS-anti-replay",
    "DUIS anti-replay",
    "A request is never accepted twice",
    DUIS,
    "The originator counter in the RequestID must be higher than any accepted before from the same sender, so "
    "a resent or replayed request is refused.",
    (_DSP + "duis_anti_replay_check", _DSP + "duis_anti_replay_scope"),
    part="the Originator Counter (anti-replay) check",
)
DUIS_DEVICE = Clause(
    "DUIS-device",
    "DUIS device",
    "The device exists and can take the Service Request",
    DUIS,
    "The target must be in the Smart Metering Inventory (E19) and of a type the Service Request can be sent to (E11).",
    (_DSP + "duis_device_check",),
    part="Device checks (response codes E11, E19)",
)
DUIS_S1SP_COMMUNICATION = Clause(
    "DUIS-S1SP-communication",
    "DUIS communications failure",
    "An S1SP that does not answer changes nothing",
    DUIS,
    "When the S1SP does not answer in time the DCC says so (E20), and the S1SP never applies a change the DCC "
    "has stopped waiting for.",
    (_CORE + "s1sp_link.S1SPLink.send", _S1SP + "duis_s1sp_deadline_check"),
    part="communications failures (response code E20)",
    sandbox_only="an environment cannot bring back an S1SP it declares not answering, so what the meter holds "
    "afterwards is read only in the embedded sandbox",
)
GBCS_REPLACEMENT_CERTIFICATES = Clause(
    "GBCS-replacement-certificates",
    "GBCS replacement certificates",
    "A replacement certificate must be a valid certificate of the role it replaces",
    GBCS,
    "The certificates a 6.15.1 or 6.21 places must be SMKI Organisation certificates of the targeted Remote Party "
    "Role, with the key use of their cell, chaining to the SMKI root.",
    (_DEV + "gbcs_replacement_certificates", _DSP + "gbcs_replacement_mode_check"),
    part="the replacement certificates of 'Update Security Credentials'",
)

_CATALOGUE = (
    SRPD_6_1_F, SRPD_6_2_A, SRPD_6_2_B, SRPD_6_2_C, SRPD_6_2_D, SRPD_16_1, S1SR_4_2,
    TMAD_4_42, TMAD_5_10_12, TMAD_5_10_17, SRV_6_21,
    PIA_3_2, PIA_3_3, PIA_2_3_2_A, PIA_2_3_2_B, PIA_2_2, PIA_3_A, PIA_3_B, PIA_3_C,
    DUIS_SCHEMA, DUIS_SIGNATURE, DUIS_USER, DUIS_ELIGIBILITY, DUIS_COMMAND_VARIANT, DUIS_ANTI_REPLAY, DUIS_DEVICE,
    DUIS_S1SP_COMMUNICATION, GBCS_REPLACEMENT_CERTIFICATES,
)  # fmt: skip

CLAUSES: dict[str, Clause] = {clause.tag: clause for clause in _CATALOGUE}


def is_clause_tag(tag: str) -> bool:
    """True when the tag claims to name a clause (catalogued or not)."""
    return tag.lstrip("@").startswith(CLAUSE_TAG_PREFIXES)


def clause_for_tags(tags: Iterable[str], catalogue: Mapping[str, Clause] = CLAUSES) -> list[Clause]:
    """The catalogued clauses a scenario's tags name, in tag order, each once.

    Tags come as behave gives them (no '@'); a leading '@' (gherkin's form) is tolerated."""
    found: dict[str, Clause] = {}
    for tag in tags:
        clause = catalogue.get(tag.lstrip("@"))
        if clause is not None:
            found.setdefault(clause.tag, clause)
    return list(found.values())


def unknown_clause_tags(tags: Iterable[str], catalogue: Mapping[str, Clause] = CLAUSES) -> list[str]:
    """Clause-like tags that the catalogue does not know: a typo or a clause nobody catalogued."""
    names = (tag.lstrip("@") for tag in tags)
    return sorted({name for name in names if is_clause_tag(name) and name not in catalogue})


def clauses_named(displays: str) -> tuple[Clause, ...]:
    """The entries a comma-separated list of display forms names (an `X-DUIS-Clause` header), in order;
    names the catalogue does not know are left out."""
    by_display = {clause.display: clause for clause in CLAUSES.values()}
    return tuple(by_display[name.strip()] for name in displays.split(",") if name.strip() in by_display)
