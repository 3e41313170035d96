"""Evidence for the report: each DUIS request and response attached to the step that sent it,
trust anchors before and after, and the run's environment."""

from __future__ import annotations

import importlib.metadata
import os
import platform
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


def attach_json(text: str, name: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.JSON)


def environment(context: Any) -> dict[str, str]:
    """Switch states at the end of the run, versions and the target."""
    env = {
        "Target": context.target.name,
        "DSP": context.target.dsp_url,
        "Python": platform.python_version(),
    }
    for package in ("behave", "allure-behave", "cryptography", "signxml", "lxml", "requests"):
        try:
            env[f"{package}"] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        switches = context.control.switches()
        env["MP107 DSP switch (last scenario)"] = "on" if switches["dsp_mp107"] else "off"
        for name, enabled in switches["s1sp_mp107"].items():
            env[f"MP107 {name} (last scenario)"] = "on" if enabled else "off"
    except Exception as exc:  # the report must still be written
        env["Switches"] = f"unreadable: {exc}"
    return env


def record_environment(context: Any) -> None:
    """Write environment.properties where the Allure formatter writes its results."""
    results = os.environ.get("ALLURE_RESULTS_DIR") or context.config.userdata.get("allure_results")
    if not results:
        return
    folder = Path(results)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{k.replace(' ', '.')}={v}" for k, v in environment(context).items()]
    (folder / "environment.properties").write_text("\n".join(lines) + "\n")
