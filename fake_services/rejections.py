"""How a fake says no: `Rejection(rule_key, detail)` names a rule of the catalogue's one table
(`catalogue.rules`), which gives its clause, response code and S1SP Alert code."""

from __future__ import annotations

from catalogue.rules import RULES, Rule


class Rejection(Exception):
    """A request rejected by `rule`, with the specific reason."""

    def __init__(self, rule_key: str, detail: str) -> None:
        self.rule: Rule = RULES[rule_key]
        self.detail = detail
        super().__init__(f"{self.rule.clause}: {detail}")
