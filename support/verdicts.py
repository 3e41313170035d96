"""How an outcome is judged, from what a User sees: the DUIS response code, the body it carries, and
any S1SP Alert inside a DCC Alert. What each rejection looks like comes from the catalogue's one table
(`catalogue.rules`), never from a code typed in a step. Where the sandbox also names the deciding
clause (`X-DUIS-Clause`), that is checked as well: extra evidence, not the judgement."""

from __future__ import annotations

import datetime as dt

from catalogue import Clause, Rule
from duis.responses import ServiceResponse
from user_system.client import Exchange
from user_system.message_identity import canonical_device
from user_system.receiver import Received, in_words


class NoAnswer(AssertionError):
    """The DCC did not answer in DUIS at all."""


def explain(exchange: Exchange) -> str:
    r = exchange.response
    if r is None:
        return f"HTTP {exchange.http_status}: {exchange.reason}"
    alert = f", S1SP Alert {r.s1sp_alert.code}: {r.s1sp_alert.information}" if r.s1sp_alert else ""
    decided = f", decided by {exchange.clause}" if exchange.clause else ""
    return f"response {r.response_code} ({r.body_kind}){decided}: {exchange.reason}{alert}"


def answered(exchange: Exchange | None) -> Exchange:
    """The exchange, which the DCC answered in DUIS (NoAnswer when it did not: a failure, never a refusal)."""
    response_of(exchange)
    assert exchange is not None
    return exchange


def response_of(exchange: Exchange | None) -> ServiceResponse:
    """The DUIS response a User judges the exchange by (NoAnswer when the DCC gave none)."""
    if exchange is None:
        raise AssertionError("no request was sent in this scenario")
    if exchange.response is None:
        raise NoAnswer(f"the DCC did not answer DUIS: HTTP {exchange.http_status} {exchange.reason}")
    return exchange.response


def _named_clause(exchange: Exchange, clause: Clause) -> None:
    if exchange.clause:
        assert clause in exchange.decided_by, explain(exchange)


def succeeded(exchange: Exchange | None, clause: Clause | None = None) -> None:
    """The request did what it asked (optionally: and the sandbox says `clause` let it through)."""
    exchange = answered(exchange)
    assert response_of(exchange).succeeded, explain(exchange)
    if clause is not None:
        _named_clause(exchange, clause)


def passed_on_to_s1sp(exchange: Exchange | None) -> None:
    """The DCC let the request through to the S1SP: a SMETS1 response, or the S1SP's own alert."""
    exchange = answered(exchange)
    response = response_of(exchange)
    assert response.body_kind == "SMETS1ResponseMessage" or response.s1sp_alert is not None, explain(exchange)


def rejected_by_dcc(exchange: Exchange | None, rule: Rule) -> None:
    """Refused by the DCC itself under `rule`: its response code, and no S1SP Alert."""
    exchange = answered(exchange)
    response = response_of(exchange)
    assert not response.succeeded, f"the request succeeded: {explain(exchange)}"
    assert response.s1sp_alert is None, f"an S1SP refused it, not the DCC: {explain(exchange)}"
    assert response.response_code == rule.response_code, explain(exchange)
    _named_clause(exchange, rule.clause)


def rejected_by_s1sp(exchange: Exchange | None, rule: Rule) -> None:
    """Let through by the DCC, refused by the S1SP under `rule`: its S1SP Alert, inside a DCC Alert."""
    exchange = answered(exchange)
    response = response_of(exchange)
    assert not response.succeeded, f"the request succeeded: {explain(exchange)}"
    assert response.s1sp_alert is not None, f"no S1SP Alert: {explain(exchange)}"
    assert response.s1sp_alert.code == rule.s1sp_alert_code, explain(exchange)
    _named_clause(exchange, rule.clause)


def rejected_by_device(exchange: Exchange | None, rule: Rule) -> None:
    """A SMETS2 device refused the command under `rule` (the DCC passes its answer on)."""
    rejected_by_dcc(exchange, rule)


def not_rejected_by(exchange: Exchange | None, rule: Rule) -> None:
    """Whatever happened, `rule` did not refuse it."""
    exchange = answered(exchange)
    response = response_of(exchange)
    alert = response.s1sp_alert
    if rule.s1sp_alert_code is not None:
        assert alert is None or alert.code != rule.s1sp_alert_code, explain(exchange)
    else:
        assert alert is not None or response.response_code != rule.response_code, explain(exchange)
    if exchange.clause and not response.succeeded:
        assert rule.clause not in exchange.decided_by, explain(exchange)


def alert_not_counted(alert: Received, device: str, asked_at: dt.datetime) -> str | None:
    """Why a delivered alert does not count for the scenario that made its meter raise one (None: it
    counts). It counts only if it concerns the scenario's device (its ResponseID's device, compared
    canonically) and was raised after the scenario's own request: its time (`Received.raised_at`, the S1SP
    Alert's DateTime or the Response's ResponseDateTime) no earlier than the second the request was made in
    (DUIS times are written to the second; the suite and the DCC are taken to keep UTC to the second). A
    repeat is never an alert at all (`user_system.receiver`)."""
    if alert.device is None or alert.device != canonical_device(device):
        return f"about {alert.device or 'no device'}, not this scenario's meter {device}, not counted"
    raised = alert.raised_at
    if raised is None:
        return "says no time it was raised, not counted"
    if raised < asked_at.astimezone(dt.UTC).replace(microsecond=0):
        return f"raised at {in_words(raised)}, before this scenario's request at {in_words(asked_at)}, not counted"
    return None
