"""Evidence for the report: each DUIS exchange as the sequence a reader follows (with the raw messages
beneath it for the auditor), the meter's trust anchors before and after as one table, and the run's
environment.

Organisations are shown by name. The names come from the caller (``names``: a mapping of entity ID to
name, or anything with ``name_of(entity_id)`` such as the World's roster) and, failing that, from what the
trust anchors attached so far in this process said about their owners.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import allure

from reporting.anchor_view import learn_names, render_anchor_change
from reporting.exchange_view import render_exchange, render_not_counted
from reporting.messages import MessageLog
from reporting.names import ANCHORS_PREFIX, EXCHANGE_PREFIX, NOT_COUNTED_PREFIX, TARGET_ENVIRONMENT
from reporting.prose import EUI64
from user_system.client import Exchange


class NameSource(Protocol):
    """Anything that can name an entity ID (the World's roster can)."""

    def name_of(self, entity_id: str | None) -> str | None: ...


Names = Mapping[str, str] | NameSource | None

MESSAGES = MessageLog.from_environment()
"""Where each DUIS message is written as sent and received (the formatter opens a folder per scenario)."""
_KNOWN_NAMES: dict[str, str] = {}
"""Entity ID → organisation name, as the trust anchors attached in this process named their owners."""
_LAST_ANCHORS: list[list[Mapping[str, str]]] = []
"""The trust anchors last attached in the current scenario (``attach_anchor_change(None, after)`` compares
against them); emptied when a scenario starts."""


def begin_scenario() -> None:
    """A scenario starts (the formatter calls this): forget the previous scenario's trust anchors."""
    _LAST_ANCHORS.clear()


def _name_map(names: Names, texts: Sequence[str] = ()) -> dict[str, str]:
    """Every name known for the identifiers in `texts`, plus those the caller and the anchors gave."""
    known = dict(_KNOWN_NAMES)
    if isinstance(names, Mapping):
        known.update(names)
    elif names is not None:
        for text in texts:
            for entity in EUI64.findall(text):
                name = names.name_of(entity)
                if name and name != entity:
                    known[entity] = name
    return known


def _exchange_texts(exchange: Exchange) -> list[str]:
    request_id = exchange.request.request_id
    return [
        request_id.originator,
        exchange.reason,
        *(leg.reason for leg in exchange.legs),
        *(leg.verified for leg in exchange.legs),
    ]


def attach_exchange(exchange: Exchange, title: str, names: Names = None) -> None:
    """The exchange as a sequence (request, Pre-Command, signed Pre-Command, acknowledgement, the answer
    delivered later), each leg with what was verified, and the DSP's and the S1SP's decisions in words with
    their clauses; beneath it each leg's raw XML as it crossed. Each message is also written to the run's
    messages folder (see ``reporting.messages``)."""
    known = _name_map(names, _exchange_texts(exchange))
    allure.attach(
        render_exchange(exchange, title, known),
        name=EXCHANGE_PREFIX + title,
        attachment_type=allure.attachment_type.HTML,
    )
    for number, leg in enumerate(exchange.legs, start=1):
        kind = "as sent" if leg.direction.startswith("User") else "as received"
        if leg.xml.lstrip().startswith(b"<"):
            allure.attach(leg.xml, name=f"{number}. {leg.name} ({kind})", attachment_type=allure.attachment_type.XML)
        else:
            allure.attach(
                leg.xml.hex(), name=f"{number}. {leg.name} ({kind}, hex)", attachment_type=allure.attachment_type.TEXT
            )
    MESSAGES.write(exchange)


def attach_anchor_change(
    before: Sequence[Mapping[str, str]] | None,
    after: Sequence[Mapping[str, str]],
    names: Names = None,
    title: str = "Trust anchors before and after",
) -> None:
    """One table of the meter's trust anchors (role × DS/KA, owner by name with its ID, changed cells
    marked), and beneath it both lists as JSON for the auditor. `before` None means the anchors last
    attached in this scenario (``attach_json(world.anchors_evidence(), "Trust anchors before")``), so a
    step can replace its "after" attachment with this call alone."""
    before = list(before) if before is not None else (_LAST_ANCHORS[-1] if _LAST_ANCHORS else [])
    _LAST_ANCHORS.append(list(after))
    _KNOWN_NAMES.update(learn_names([*before, *after]))
    texts = [anchor.get("entity_id", "") for anchor in [*before, *after]]
    allure.attach(
        render_anchor_change(before, after, _name_map(names, texts), title),
        name=f"{ANCHORS_PREFIX}: {title.removeprefix(ANCHORS_PREFIX).strip(' :') or 'before and after'}",
        attachment_type=allure.attachment_type.HTML,
    )
    attach_json({"before": list(before), "after": list(after)}, f"{title} (raw)")


def attach_not_counted(rows: Sequence[Mapping[str, str]], title: str = "deliveries delivered again or late") -> None:
    """The deliveries about the scenario's meter that counted for nothing (`World.deliveries_not_counted`),
    as a table and as JSON; nothing when there were none."""
    if not rows:
        return
    allure.attach(
        render_not_counted(rows, title), name=NOT_COUNTED_PREFIX + title, attachment_type=allure.attachment_type.HTML
    )
    attach_json(list(rows), f"{NOT_COUNTED_PREFIX}{title} (raw)")


def attach_xml(text: str | bytes, name: str) -> None:
    """A DUIS message attached on its own; it is also written to the run's messages folder."""
    allure.attach(text, name=name, attachment_type=allure.attachment_type.XML)
    MESSAGES.write_message(name, text.encode("utf-8") if isinstance(text, str) else text)


def attach_json(data: Any, name: str) -> None:
    """Any JSON-able evidence (trust anchors, switch states, an alert's delivery), pretty-printed. Trust
    anchors passing through here also teach the evidence their owners' names."""
    if isinstance(data, list) and all(isinstance(item, Mapping) and "entity_id" in item for item in data):
        _KNOWN_NAMES.update(learn_names(data))
        _LAST_ANCHORS.append(list(data))
    allure.attach(json.dumps(data, indent=1), name=name, attachment_type=allure.attachment_type.JSON)



class Target(Protocol):
    """What the evidence says of the run's target (`support.targets.Target` is one)."""

    name: str
    dsp_url: str

    def answering(self) -> str | None: ...


def environment(target: Target) -> dict[str, str]:
    """The target, the library versions that make the evidence, and whether the target still answered as
    the run ended (the verdict fails a run whose target stopped answering). How MP107 was switched is the
    run identity's (`reporting.identity`): declared by the environment file, or set per scenario."""
    env = {"target": target.name, "target.dsp": target.dsp_url, "duis.schema": "5.1"}
    for package in ("cryptography", "signxml", "lxml", "requests", "faker"):
        try:
            env[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    problem = target.answering()
    env["target.answering_at_end"] = "yes" if problem is None else f"no: {problem}"
    return env


def record_environment(target: Target) -> None:
    """Write the target's environment beside the Allure results (ALLURE_RESULTS_DIR, set by the runner)."""
    results = os.environ.get("ALLURE_RESULTS_DIR")
    if not results:
        return
    folder = Path(results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TARGET_ENVIRONMENT.replace("*", str(os.getpid()))).write_text(json.dumps(environment(target), indent=1))
