"""Evidence for the report: each DUIS request and response attached to the step that sent it,
trust anchors before and after, and the run's environment."""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

import allure

from support.duis_client import Exchange


def attach_exchange(exchange: Exchange, title: str) -> None:
    """Every leg of the exchange, in the order it crossed (request, Pre-Command, signed Pre-Command,
    acknowledgement, the answer delivered later), each with what was verified, and the deciding clause."""
    allure.attach(
        "\n".join(
            f"{n}. {leg.name} — {leg.direction}"
            + (f" — HTTP {leg.http_status}" if leg.http_status else "")
            + (f"\n   verified: {leg.verified}" if leg.verified else "")
            for n, leg in enumerate(exchange.legs, start=1)
        ),
        name=f"Exchange: {title}",
        attachment_type=allure.attachment_type.TEXT,
    )
    for n, leg in enumerate(exchange.legs, start=1):
        if leg.xml.lstrip().startswith(b"<"):
            allure.attach(leg.xml, name=f"{n}. {leg.name}", attachment_type=allure.attachment_type.XML)
        else:
            allure.attach(leg.xml.hex(), name=f"{n}. {leg.name} (hex)", attachment_type=allure.attachment_type.TEXT)
    if exchange.clause or exchange.reason:
        allure.attach(
            f"Decided by: {exchange.clause}\nReason: {exchange.reason}\n",
            name="Decision",
            attachment_type=allure.attachment_type.TEXT,
        )


def attach_xml(text: str, name: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.XML)


def attach_json(data: Any, name: str) -> None:
    """Any JSON-able evidence (trust anchors, switch states, an alert's delivery), pretty-printed."""
    allure.attach(json.dumps(data, indent=1), name=name, attachment_type=allure.attachment_type.JSON)


TARGET_ENVIRONMENT = "target-environment-*.json"
"""Written by the hooks beside the Allure results; the runner merges it into the Environment panel."""


def environment(context: Any) -> dict[str, str]:
    """The target, the library versions that make the evidence, and how MP107 was switched."""
    env = {"target": context.target.name, "target.dsp": context.target.dsp_url, "duis.schema": "5.1"}
    for package in ("cryptography", "signxml", "lxml", "requests", "faker"):
        try:
            env[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    env["mp107.switches"] = "set by each scenario's Given steps; the states are attached to that step"
    try:
        switches = context.control.switches()
        env["mp107.switches.at.end"] = json.dumps(switches, separators=(",", ":"))
    except Exception as exc:  # the report must still be written
        env["mp107.switches.at.end"] = f"unreadable: {exc}"
    return env


def record_environment(context: Any) -> None:
    """Write the target's environment beside the Allure results (ALLURE_RESULTS_DIR, set by the runner)."""
    results = os.environ.get("ALLURE_RESULTS_DIR")
    if not results:
        return
    folder = Path(results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TARGET_ENVIRONMENT.replace("*", str(os.getpid()))).write_text(json.dumps(environment(context), indent=1))
