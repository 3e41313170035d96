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
    """The DUIS request and response exactly as they crossed the wire, and the deciding clause."""
    allure.attach(exchange.request_xml, name=f"DUIS request: {title}", attachment_type=allure.attachment_type.XML)
    kind = allure.attachment_type.XML if exchange.response is not None else allure.attachment_type.TEXT
    allure.attach(exchange.response_xml, name=f"DUIS response (HTTP {exchange.http_status})", attachment_type=kind)
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
