"""Where the suite points: the embedded sandbox (default, started once per run on free loopback
ports) or external DSP and Control API endpoints, chosen by behave userdata or a config file.

    python -m behave                                   # embedded sandbox
    python -m behave -D target=external -D dsp_url=https://... -D control_url=https://... [-D control_token=...]
    python -m behave -D target_config=target.ini       # [target] section with the same keys
"""

from __future__ import annotations

import configparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


class TargetError(ValueError):
    """The target settings are incomplete or contradictory."""


@dataclass
class Target:
    name: str
    dsp_url: str
    control_url: str
    control_token: str | None = None
    description: dict[str, str] = field(default_factory=dict)
    stop: Callable[[], None] = lambda: None


def _settings(userdata: Mapping[str, str]) -> dict[str, str]:
    settings = {}
    config = userdata.get("target_config")
    if config:
        path = Path(config)
        if not path.is_file():
            raise TargetError(f"target_config {config} does not exist")
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise TargetError(f"{config} is not an INI file with a [target] section: {exc}") from None
        if "target" not in parser:
            raise TargetError(f"{config} has no [target] section")
        settings.update(parser["target"])
    settings.update({k: v for k, v in userdata.items() if k in {"target", "dsp_url", "control_url", "control_token"}})
    return settings


def open_target(userdata: Mapping[str, str]) -> Target:
    """Start the embedded sandbox, or describe the external endpoints to use."""
    settings = _settings(userdata)
    kind = settings.get("target", "embedded")
    if kind == "external":
        missing = [k for k in ("dsp_url", "control_url") if not settings.get(k)]
        if missing:
            raise TargetError(f"an external target needs {', '.join(missing)}")
        return Target("external", settings["dsp_url"], settings["control_url"], settings.get("control_token"))
    if kind != "embedded":
        raise TargetError(f"target is 'embedded' or 'external', not {kind!r}")
    from fake_services.sandbox import Sandbox  # only the embedded target needs the fakes

    sandbox = Sandbox()
    urls = sandbox.start()
    return Target("embedded", urls["DSP"], urls["Control"], None, urls, sandbox.stop)
