"""Wrong DCCs: the catalogue of deviations, the named ways a DCC could build MP107 (or the DUIS checks around
it) wrong. The suite proves its strength by catching each one (`make strength`): the sandbox is switched to
deviate (`serve --deviate NAME`; the wrong implementation is `fake_services.deviations`), the suite runs, and
at least one scenario must fail. A deviation the suite cannot catch must say why (`equivalent`): where the
PIA or DUIS makes the two readings indistinguishable to a User.

Each entry names the clause it breaks (a catalogue tag), the sentence it misreads, what the wrong DCC does,
and the distinction the PIA or DUIS draws that it gets wrong (`DISTINCTIONS`). Like the clause catalogue,
this module imports nothing of the project but the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.clauses import CLAUSES, Clause

DISTINCTIONS = (
    "which certificate",
    "which of the two keys",
    "which User Role",
    "which fuel",
    "which Service Request",
    "which switch",
    "which S1SP",
    "when",
    "in which order",
    "delivered or not",
    "whether at all",
)
"""The distinctions the PIA or DUIS draws: each is one a wrong DCC could miss, and the catalogue has at least
one deviation for each."""


@dataclass(frozen=True)
class Deviation:
    """One wrong implementation of a rule of the DCC's."""

    name: str
    """How `serve --deviate` and the kill matrix name it (lower case, hyphens)."""
    breaks: str
    """The tag of the catalogued clause (or DUIS check) whose rule it gets wrong."""
    misreads: str
    """The sentence of the PIA, the SEC or DUIS it misreads."""
    does: str
    """What the wrong DCC does, in a test manager's words."""
    distinction: str
    """Which distinction of `DISTINCTIONS` it gets wrong."""
    equivalent: str = ""
    """Why no scenario can catch it ("" when one must): a User sees the same either way."""

    @property
    def clause(self) -> Clause:
        return CLAUSES[self.breaks]


_DEVIATIONS = (
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
    Deviation(
        "alerts-to-registered-network-operator",
        "PIA-2.3.2.B",
        "PIA 2.3.2 B: alerts from a SMETS1 ESME go to the Business Target ID of the Network Operator "
        "certificate held",
        "an ESME's alerts go to whoever the S1SP finds holding the Digital Signing cell instead of the Key "
        "Agreement (Non-Critical) certificate's owner",
        "which of the two keys",
    ),
)

DEVIATIONS: dict[str, Deviation] = {deviation.name: deviation for deviation in _DEVIATIONS}


def deviations_breaking(tag: str) -> list[Deviation]:
    return [deviation for deviation in DEVIATIONS.values() if deviation.breaks == tag]
