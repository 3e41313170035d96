"""A scenario's outcome in a few words, as a User saw it: who asked for what, how the DCC answered (and
by which check, where the answer says), what the meter held afterwards, where its alert went.

Attached to every scenario that ran (`Outcome`), it is what the impact matrix
(`reporting.impact`) compares between a run before MP107 and a run after it. Everything here is
read from DUIS (the answer, 6.24.1 reads, delivered alerts); the sandbox's `X-DUIS-Clause` evidence is
used only to name a check the response code alone leaves open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalogue.rules import RULES, rule_for_s1sp_alert
from user_system.client import Exchange


@dataclass
class Outcome:
    """What the scenario's World saw, filled in as it goes."""

    action: Exchange | None = None
    """The scenario's own request (not the reads and placements that arranged or observed it)."""
    sender: str = ""
    holders: dict[str, str | None] = field(default_factory=dict)
    """Role ("NetworkOperator", ...) → whose certificate the meter held when last read."""
    alert_to: str | None = None
    alert_raised: bool = False
    enrolment: dict | None = None
    """The Migration Control Centre's answer to the Supplier (accepted, where the certificate came from)."""
    commissioning: dict | None = None

    @property
    def empty(self) -> bool:
        return self.action is None and not self.holders and not self.alert_raised and self.enrolment is None

    def as_dict(self) -> dict[str, str]:
        summary = {"request": self._request(), "answer": self._answer()}
        if self.enrolment is not None:
            summary["enrolment"] = _enrolment_words(self.enrolment)
        if self.commissioning is not None:
            summary["commissioning"] = (
                "accepted"
                if self.commissioning.get("accepted")
                else (f"refused [{self.commissioning.get('decided_by', '')}]: {self.commissioning.get('reason', '')}")
            )
        for role, holder in sorted(self.holders.items()):
            summary[f"meter holds ({_ROLE_WORDS.get(role, role)})"] = holder or "nothing"
        if self.alert_raised:
            summary["alert went to"] = self.alert_to or "no one"
        return summary

    def _request(self) -> str:
        if self.action is None:
            return ""
        request = self.action.request
        return f"{self.sender or request.request_id.originator}: SRV {request.srv.variant} {request.srv.name}"

    def _answer(self) -> str:
        return answer_in_words(self.action) if self.action is not None else ""


def _enrolment_words(answer: dict) -> str:
    if not answer.get("accepted"):
        return f"refused [{answer.get('clause', '')}]: {answer.get('reason', '')}"
    source = answer.get("source")
    return "accepted" + (f", certificate from {source}" if source else "")


_ROLE_WORDS = {"NetworkOperator": "Network Operator", "Supplier": "Supplier", "ACB": "ACB"}


def answer_in_words(exchange: Exchange) -> str:
    """ "succeeded", or who refused it, with what a User sees (code, alert) and the check it stands for."""
    response = exchange.response
    if response is None:
        return f"no DUIS answer (HTTP {exchange.http_status})"
    if response.succeeded:
        return "succeeded"
    if response.s1sp_alert is not None:
        rule = rule_for_s1sp_alert(response.s1sp_alert.code)
        check = f": {rule.summary} [{rule.clause.display}]" if rule else ""
        return f"refused by the S1SP (S1SP Alert {response.s1sp_alert.code}){check}"
    rules = [rule for rule in RULES.values() if rule.response_code == response.response_code]
    named = [rule for rule in rules if rule.clause in exchange.decided_by]
    chosen = named or rules
    check = f": {chosen[0].summary} [{chosen[0].clause.display}]" if len(chosen) == 1 else ""
    return f"refused by the DCC ({response.response_code}){check}"
