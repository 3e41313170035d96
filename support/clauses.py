"""The clause catalogue: the one home for every clause the MP107 suite proves.

Scenarios carry a clause tag (``@SRPD-6.2.d``); the Allure formatter turns it into a ``clause``
label and a link to the document, and the traceability gate checks every clause here has a passing
scenario. Tags have no parentheses because behave cannot parse ``@SRPD-6.2(d)``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SEC_DOCUMENTS = "https://smartenergycodecompany.co.uk/the-smart-energy-code-2/"
"""SECCo's page for the current SEC and its appendices (AB, AL, AM are published there)."""
MP107_PAGE = "https://smartenergycodecompany.co.uk/?s=SECMP0107"
"""SECCo's site search for the modification: its page carries the PIA, whatever its slug."""

SRPD = "SEC Appendix AB – Service Request Processing Document"
S1SR = "SEC Appendix AM – SMETS1 Supporting Requirements"
TMAD = "SEC Appendix AL – SMETS1 Transition and Migration Approach Document"
PIA = "SECMP0107 Preliminary Impact Assessment"
DUIS = "SEC Appendix AD – DCC User Interface Specification"

_LINKS = {SRPD: SEC_DOCUMENTS, S1SR: SEC_DOCUMENTS, TMAD: SEC_DOCUMENTS, PIA: MP107_PAGE, DUIS: SEC_DOCUMENTS}

CLAUSE_TAG_PREFIXES: tuple[str, ...] = ("SRPD-", "S1SR-", "TMAD-", "PIA-", "SRV-")
"""A tag starting with one of these claims to name a clause, so it must be in the catalogue."""


@dataclass(frozen=True)
class Clause:
    """One clause of the SEC or the PIA, as a scenario tag names it and a report shows it."""

    tag: str
    display: str
    title: str
    source: str
    link: str
    summary: str


def _clause(tag: str, display: str, title: str, source: str, summary: str) -> Clause:
    return Clause(tag, display, title, source, _LINKS[source], summary)


_CATALOGUE = (
    _clause("SRPD-6.1.f", "SRPD 6.1(f)", "Registration Data check at the DSP (check #1)", SRPD,
            "The DSP checks that the sender is the registered party for the MPAN/MPRN of the target "
            "Device in its User Role; subject to Clause 6.2."),
    _clause("SRPD-6.2.a", "SRPD 6.2(a)", "Exception: 'Join Service' to join a Gas Smart Meter to the GPF",
            SRPD, "No Registration Data check when the Import Supplier of a system sharing the CHF with a "
            "gas system sends 'Join Service' to join the GSME to the Gas Proxy Function."),
    _clause("SRPD-6.2.b", "SRPD 6.2(b)", "Exception: 'Restore GPF Device Log'", SRPD,
            "No Registration Data check when that Import Supplier sends 'Restore GPF Device Log'."),
    _clause("SRPD-6.2.c", "SRPD 6.2(c)", "Exception: User Role 'Other User'", SRPD,
            "No Registration Data check for a Service Request sent in the User Role 'Other User'."),
    _clause("SRPD-6.2.d", "SRPD 6.2(d)",
            "New exception: SMETS1 SRV 6.15.1 from an Electricity Distributor or Gas Transporter", SRPD,
            "MP107: a SMETS1 'Update Security Credentials (KRP)' from a Network Operator skips the "
            "Registration Data check, so the wrongly held NO can put the right NO's certificates on."),
    _clause("SRPD-16.1", "SRPD 16.1", "S1SP applies the same processing, incl. the RDP check (check #2)",
            SRPD, "For SMETS1 Service Requests the S1SP applies the DSP's processing, including the "
            "Registration Data check."),
    _clause("S1SR-4.2", "S1SR 4.2", "Certificate-owner check at the S1SP (check #3)", S1SR,
            "The S1SP checks that the Business Originator ID equals the entity identifier of the "
            "certificate held for the Device in that role."),
    _clause("TMAD-4.42", "TMAD 4.42", "DCC populates the ESME NO certificate when none was given", TMAD,
            "The DCC populates the ESME Network Operator certificate when the Supplier gave none before "
            "enrolment."),
    _clause("TMAD-5.10.12", "TMAD 5.10.12", "Enrolment: the NO certificate's owner is the registered NO",
            TMAD, "During enrolment the Network Operator certificate must belong to the registered "
            "Network Operator."),
    _clause("TMAD-5.10.17", "TMAD 5.10.17", "Enrolment: further validation of NO certificates", TMAD,
            "Further validation of Network Operator certificates during enrolment."),
    _clause("SRV-6.21", "SRV 6.21", "Supplier route: 'Request Handover of DCC Controlled Device'", DUIS,
            "PIA 2.3.2 (2): the Supplier places the Network Operator certificate with SRV 6.21 when it "
            "commissions the meter itself, or when enrolment left none (a Dormant ESME beside an Active "
            "GSME, or the ACB default)."),
    _clause("PIA-3.2", "PIA 3.2", "DSP: one feature switch for all S1SPs", PIA,
            "The DSP enables the change with one switch, not per S1SP; an S1SP not yet enabled rejects "
            "with the standard S1SP Alert."),
    _clause("PIA-3.3", "PIA 3.3", "S1SP: skip the RDP check only for 6.15.1 targeting NO certificates",
            PIA, "The S1SP skips the Registration Data check only for SRV 6.15.1 targeting Network "
            "Operator certificates; it keeps it for supplier certificates and every other SRV."),
    _clause("PIA-2.3.2.A", "PIA 2.3.2 A", "NO non-critical Service Requests work with a wrong certificate",
            PIA, "The NO certificate only validates the sender of critical SRs, so a Network Operator "
            "can still send non-critical SRs to a SMETS1 Device holding the wrong certificate."),
    _clause("PIA-2.3.2.B", "PIA 2.3.2 B", "ESME alerts go to the Business Target ID of the NO certificate",
            PIA, "Alerts from a SMETS1 ESME are routed by the Non-Critical NO certificate, so a wrong "
            "certificate misroutes them; a SMETS1 GSME sends no NO alerts."),
    _clause("PIA-2.2", "PIA 2.2", "SMETS2 parity: the 'wrong' NO can place the right certificate", PIA,
            "SMETS2 has no RDP check on critical SRs and the Device accepts matching certificates, so "
            "the wrongly held NO can already correct it."),
    _clause("PIA-3.B", "PIA 3 option B", "Rejected option B: the certificate-owner check (#3) stays", PIA,
            "Skipping check #3 was rejected as a higher security risk: a third party still cannot "
            "replace a Device's Network Operator certificates."),
)

CLAUSES: dict[str, Clause] = {clause.tag: clause for clause in _CATALOGUE}


def is_clause_tag(tag: str) -> bool:
    """True when the tag claims to name a clause (catalogued or not)."""
    return tag.lstrip("@").startswith(CLAUSE_TAG_PREFIXES)


def clause_for_tags(tags: Iterable[str], catalogue: Mapping[str, Clause] = CLAUSES) -> list[Clause]:
    """The catalogued clauses a scenario's tags name, in tag order, each once.

    Tags come as behave gives them (no '@'); a leading '@' (gherkin's form) is tolerated.
    """
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
