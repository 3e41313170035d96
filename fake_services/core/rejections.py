"""How a check answers: it lets a request through with a `Verdict` (the clause that decided, in words), or says
no with `Rejection(rule_key, detail)`, naming a rule of the catalogue's one table (`catalogue.rules`), which
gives its clause, response code and S1SP Alert code."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue import Clause
from catalogue.rules import RULES, Rule


@dataclass(frozen=True)
class Verdict:
    """Why a check let a request through: the clause that decided it, in words."""

    clause: Clause
    reason: str


class Rejection(Exception):
    """A request rejected by `rule`, with the specific reason."""

    def __init__(self, rule_key: str, detail: str) -> None:
        self.rule: Rule = RULES[rule_key]
        self.detail = detail
        super().__init__(f"{self.rule.clause}: {detail}")
