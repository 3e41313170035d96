"""Where the suite runs: the embedded sandbox (default: started once per run on free loopback ports, its
Control API arranging each scenario), or an environment an environment file describes (a DCC test
environment, DCC Boxed, or the sandbox started from the file with its Control API off), reached with
nothing but DUIS and the interfaces the file declares.

    python -m behave                                             # the embedded sandbox
    python -m behave -D environment=support/environments/sandbox-to-be.toml
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from environment_file import Environment, load_environment
from fake_services.provisioning import sandbox_for
from fake_services.sandbox import Sandbox
from support.preflight import http_answers


class TargetError(ValueError):
    """The target settings are incomplete or contradictory."""


@dataclass
class Target:
    name: str
    dsp_url: str
    urls: dict[str, str] = field(default_factory=dict)
    environment: Environment | None = None
    stop: Callable[[], None] = lambda: None

    def answering(self) -> str | None:
        """None while the target's DSP still answers HTTP; else why not, in one line (the run's verdict
        fails when its target stopped answering before the end)."""
        return http_answers(self.dsp_url, self.environment.dsp.tls if self.environment else None)

    @property
    def description(self) -> dict[str, str]:
        if self.environment is None:
            return {"target": "embedded sandbox", **{f"target.{k}": v for k, v in self.urls.items()}}
        env = self.environment
        return {
            "target": env.run.name,
            "target.dsp": env.dsp.url,
            "environment.file": str(env.path),
            "environment.sha256": env.sha256,
        }


def open_target(userdata: Mapping[str, str], read: Environment | None = None) -> Target:
    """The environment file named by `-D environment=FILE` (`read`: that file, read already), or the
    embedded sandbox, started now."""
    unknown = {"target", "dsp_url", "control_url", "target_config"} & set(userdata)
    if unknown:
        raise TargetError(
            f"{', '.join(sorted(unknown))}: external targets are described by an environment file now: "
            "-D environment=FILE (see support/environments/)"
        )
    path = userdata.get("environment")
    if path and userdata.get("deviate") and not userdata.get("sandbox_in_process"):
        raise TargetError(
            "-D deviate switches the embedded sandbox (or an environment's started in this process, "
            "-D sandbox_in_process=yes); an environment's own sandbox deviates when started so: "
            "serve --environment FILE --deviate NAME"
        )
    if path:
        env = read or load_environment(path)
        if userdata.get("sandbox_in_process"):  # the environment's sandbox in this process (the strength run)
            sandbox, ports = sandbox_for(env, deviation=userdata.get("deviate") or None)
            sandbox.start(ports=ports)
            return Target(env.run.name, env.dsp.url, environment=env, stop=sandbox.stop)
        return Target(env.run.name, env.dsp.url, environment=env)
    sandbox = Sandbox(deviation=userdata.get("deviate") or None)
    urls = sandbox.start()
    return Target("embedded sandbox", urls["DSP"], urls, None, sandbox.stop)
