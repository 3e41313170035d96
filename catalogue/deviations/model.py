"""What a deviation is: a named wrong implementation of one of the DCC's rules. Each names the clause it
breaks (a catalogue tag), the sentence it misreads, what the wrong DCC does, and the distinction the PIA or
DUIS draws that it gets wrong (`DISTINCTIONS`); one the suite cannot catch says why (`equivalent`): where the
PIA or DUIS makes the two readings indistinguishable to a User. Like the clause catalogue, this imports nothing
of the project but the catalogue."""

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
