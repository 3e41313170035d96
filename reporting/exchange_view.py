"""A DUIS exchange as a reader follows it: the messages in the order they crossed, what was verified on
each, and what decided it at the DSP and at the S1SP, in words, with the clause that says so.

The sandbox names the deciding clauses and reason beside each answer (``X-DUIS-Clause`` /
``X-DUIS-Reason``). The synchronous answer carries the DSP's decision; the answer delivered later carries
the DSP's clause first and then the S1SP's, and a reason ``DSP: …; <S1SP>: …``. A DCC system sends
neither: then the sequence is shown with no decision beyond the response codes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from catalogue import Clause, clauses_named
from reporting.prose import with_names
from user_system.client import Exchange, Leg

CELL = (
    "border:1px solid #c8ccd2;padding:3px 6px;text-align:left;vertical-align:top;white-space:normal;"
    "overflow-wrap:anywhere"
)
HEAD = CELL + ";background:#eef1f5"
TABLE = (
    "display:table;border-collapse:collapse;width:100%;max-width:100%;table-layout:fixed;"
    "font:13px/1.35 system-ui,sans-serif;margin:4px 0 10px"
)
"""Inline, so that a host page's table rules (Allure's description frame: block, max-content, nowrap) yield."""


def head(label: str, width: int) -> str:
    """A header cell of a fixed-layout table (its width in per cent of the table)."""
    return f'<th style="{HEAD};width:{width}%">{html.escape(label)}</th>'


@dataclass(frozen=True)
class Decision:
    """What one party (the DSP, or the S1SP serving the meter) decided, and under which clauses."""

    party: str
    reason: str
    clauses: tuple[Clause, ...]


def _answers(exchange: Exchange) -> tuple[Leg | None, Leg | None]:
    """The last synchronous answer and the answer delivered later (either may be missing)."""
    synchronous = [leg for leg in exchange.legs if leg.direction.startswith("DCC") and leg.http_status is not None]
    delivered = [leg for leg in exchange.legs if leg.direction.startswith("DCC") and leg.http_status is None]
    return (synchronous[-1] if synchronous else None), (delivered[-1] if delivered else None)


def _split_reason(reason: str) -> tuple[str, str]:
    """``DSP: x; S1SP1: y; z`` → (``x``, ``S1SP1: y; z``); the DSP's part ends where another party's begins."""
    if not reason.startswith("DSP: "):
        return "", reason
    parts = reason.removeprefix("DSP: ").split("; ")
    for index, part in enumerate(parts[1:], start=1):
        head = part.split(":", 1)[0]
        if head.startswith(("S1SP", "device")) or part.startswith("S1SP Alert"):
            return "; ".join(parts[:index]), "; ".join(parts[index:])
    return "; ".join(parts), ""


def decisions(exchange: Exchange) -> list[Decision]:
    """The DSP's decision and, when the request reached it, the S1SP's (or the device's)."""
    synchronous, delivered = _answers(exchange)
    found: list[Decision] = []
    dsp_clauses: tuple[Clause, ...] = ()
    if synchronous is not None and (synchronous.clause or synchronous.reason):
        dsp_reason, _ = _split_reason(synchronous.reason)
        dsp_clauses = clauses_named(synchronous.clause)
        found.append(Decision("DSP", dsp_reason or synchronous.reason, dsp_clauses))
    if delivered is not None and (delivered.clause or delivered.reason):
        dsp_reason, rest = _split_reason(delivered.reason)
        later = tuple(clause for clause in clauses_named(delivered.clause) if clause not in dsp_clauses)
        if not found:
            found.append(Decision("DSP", dsp_reason, ()))
        party, _, said = rest.partition(": ")
        if rest.startswith("S1SP Alert "):
            code, _, source = rest.removeprefix("S1SP Alert ").partition(" from ")
            party, _, said = source.partition(": ")
            said = f"S1SP Alert {code}: {said}" if said else f"S1SP Alert {code}"
        found.append(Decision(party or "S1SP", said or rest or "no reason given", later))
    return found


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _clauses_html(clauses: Sequence[Clause]) -> str:
    return (
        "<br>".join(
            f'<a href="{_e(clause.link)}" title="{_e(clause.citation)}">{_e(clause.display)}</a> — {_e(clause.title)}'
            for clause in clauses
        )
        or "—"
    )


def outcome(exchange: Exchange) -> str:
    """The answer the User judges, in words."""
    response = exchange.response
    if response is None:
        return f"no DUIS answer (HTTP {exchange.http_status})"
    if response.succeeded and response.pre_command is None:
        return f"{response.response_code}: succeeded"
    if response.s1sp_alert is not None:
        return f"{response.response_code}: rejected by the S1SP with S1SP Alert {response.s1sp_alert.code}"
    if response.is_acknowledgement:
        return "I99: accepted and sent on; no answer was delivered"
    return f"{response.response_code}: rejected" if response.response_code.startswith("E") else response.response_code


def render_exchange(exchange: Exchange, title: str, names: Mapping[str, str]) -> str:
    """The exchange as one HTML fragment: request line, sequence, decisions, outcome."""
    request = exchange.request
    request_id = request.request_id
    sender = names.get(request_id.originator)
    who = f"<b>{_e(sender)}</b> ({_e(request_id.originator)})" if sender else f"<b>{_e(request_id.originator)}</b>"
    rows = []
    for number, leg in enumerate(exchange.legs, start=1):
        checked = _e(with_names(leg.verified, names)) if leg.verified else "—"
        status = f"HTTP {leg.http_status}" if leg.http_status else ""
        rows.append(
            f'<tr><td style="{CELL}">{number}</td><td style="{CELL}">{_e(leg.direction)}</td>'
            f'<td style="{CELL}"><b>{_e(leg.name)}</b>{" — " + status if status else ""}</td>'
            f'<td style="{CELL}">{checked}</td></tr>'
        )
    decided = "".join(
        f'<tr><td style="{CELL}"><b>{_e(decision.party)}</b></td>'
        f'<td style="{CELL}">{_e(with_names(decision.reason, names))}</td>'
        f'<td style="{CELL}">{_clauses_html(decision.clauses)}</td></tr>'
        for decision in decisions(exchange)
    )
    return (
        f'<section class="mp107-exchange" style="font:13px/1.4 system-ui,sans-serif">'
        f'<h3 style="margin:6px 0">{_e(title)}</h3>'
        f"<p>Service Request <b>{_e(request.srv.variant)} {_e(request.srv.name)}</b> from "
        f"{who} to device {_e(request_id.target)}, "
        f"originator counter {request_id.counter}.</p>"
        f'<table class="mp107-sequence" style="{TABLE}"><tr>{head("#", 5)}{head("Way", 23)}{head("Message", 32)}'
        f"{head('Verified on receipt', 40)}</tr>{''.join(rows)}</table>"
        + (
            f'<table class="mp107-decision" style="{TABLE}"><tr>{head("Who", 10)}{head("Decided", 55)}'
            f"{head('Clause', 35)}</tr>{decided}</table>"
            if decided
            else "<p>The target named no deciding clause (a DCC system sends none).</p>"
        )
        + f"<p><b>Outcome:</b> {_e(outcome(exchange))}.</p></section>"
    )


def render_not_counted(rows: Sequence[Mapping[str, str]], title: str) -> str:
    """The deliveries that counted for nothing (a message delivered again, an alert raised before the
    scenario's request), one row each: when it came, what it was, and why it was not counted."""
    body = "".join(
        f'<tr><td style="{CELL}">{_e(row["delivered_at"])}</td><td style="{CELL}">{_e(row["message"])}</td>'
        f'<td style="{CELL}">{_e(row["why"])}</td></tr>'
        for row in rows
    )
    return (
        f'<section class="mp107-not-counted" style="font:13px/1.4 system-ui,sans-serif">'
        f'<h3 style="margin:6px 0">{_e(title)}</h3>'
        f'<table style="{TABLE}"><tr>{head("Delivered at", 22)}{head("Message", 38)}{head("Not counted", 40)}</tr>'
        f"{body}</table></section>"
    )
