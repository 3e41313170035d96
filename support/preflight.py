"""Preflight: before the first scenario of a run against an environment, prove in seconds that the run can
work at all, so that a wrong URL, a closed firewall or a mismatched key costs one short message instead of
a run of identical failures.

Three checks, in the order a problem would hide the next:
1. every key file opens and matches its certificate (`check_key_material`);
2. the DSP answers HTTP at its URL (any status: it is there), within `CONNECT_SECONDS`;
3. the receiving endpoint is really called back: a harmless SRV 6.24.1 (read a meter's security
   credentials, sent by its registered supplier) is acknowledged, and its answer is delivered to the
   receiver within the environment's answer timeout.

    python -m support.preflight FILE     # alone; the runner and behave's before_all run it too
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from duis.requests import RequestID, ServiceRequest
from duis.srv import RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP
from environment_file import (
    Environment,
    EnvironmentFileError,
    TLSSettings,
    check_key_material,
    load_environment,
)
from support.arrangement import NotInThisEnvironment
from support.environment_arrangement import EnvironmentDirectory
from user_system.system import UserSystem, receive_url, user_system_for

CONNECT_SECONDS = 3.0
"""A DSP that has not accepted a connection in this long is not there (a dead address ends a run fast)."""
READ_SECONDS = 5.0


@dataclass
class Preflight:
    """What preflight found: problems stop the run; notes are said and the run goes on."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"preflight: {problem}" for problem in self.problems]
        lines += [f"preflight note: {note}" for note in self.notes]
        return "\n".join(lines)


def dsp_answers(env: Environment) -> str | None:
    """None when something answers HTTP at the DSP's URL; else why not, in one line."""
    return http_answers(env.dsp.url, env.dsp.tls)


def http_answers(url: str, tls: TLSSettings | None = None) -> str | None:
    """None when something answers HTTP at `url`; else why not, in one line (naming what to check)."""
    try:
        requests.get(
            url,
            timeout=(CONNECT_SECONDS, READ_SECONDS),
            verify=tls.requests_verify if tls else True,
            cert=tls.requests_cert if tls else None,
            allow_redirects=False,
        )
    except requests.exceptions.SSLError as exc:
        return f"the DSP at {url} refused the TLS handshake ({_first_line(exc)}): check [dsp.tls]"
    except requests.exceptions.ConnectTimeout:
        return f"the DSP at {url} did not accept a connection within {CONNECT_SECONDS:g} s: check [dsp] url"
    except requests.exceptions.ConnectionError as exc:
        return f"nothing answers at {url} ({_cause(exc)}): check [dsp] url, or start the DSP"
    except requests.exceptions.ReadTimeout:
        return f"the DSP at {url} accepted a connection but said nothing within {READ_SECONDS:g} s"
    return None


def called_back(env: Environment, user_system: UserSystem, result: Preflight) -> None:
    """Send a harmless 6.24.1 and wait for its answer at the receiver (adds to `result`)."""
    directory = EnvironmentDirectory(env)
    for meter in env.meters:
        if not meter.enrolled or meter.s1sp in env.change.s1sps_not_answering:
            continue
        supplier = meter.registered.get("supplier")
        if not supplier:
            continue
        try:
            reader = directory.ensure_known(supplier)
        except NotInThisEnvironment:
            continue
        if reader.xml_pem:
            break
    else:
        result.notes.append("no enrolled meter with a declared supplier to read: the callback is not proven")
        return
    request = ServiceRequest(
        RequestID(reader.entity_id, meter.device_id, user_system.duis.counters.next(reader.entity_id)),
        RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
        remote_party_roles=("Supplier",),
    )
    where = receive_url(env)
    try:
        exchange = user_system.duis.send(request, reader)
    except TimeoutError:
        result.problems.append(
            f"the DSP acknowledged a 6.24.1 for {meter.device_id} but delivered nothing to {where} within "
            f"{env.dsp.answer_timeout:g} s: is that address reachable from the DSP, and registered for {reader.name}?"
        )
        return
    except requests.RequestException as exc:
        result.problems.append(f"the DSP stopped answering during preflight: {_first_line(exc)}")
        return
    delivered = any(leg.direction.endswith("(Receive Response Service)") for leg in exchange.legs)
    if delivered:
        return
    if exchange.response is None:
        result.problems.append(
            f"the DSP answered a 6.24.1 from {reader.name} with HTTP {exchange.http_status}, not DUIS: "
            f"{_first_line(exchange.reason)}"
        )
    else:
        result.notes.append(
            f"the DSP answered a 6.24.1 from {reader.name} at once ({exchange.response.response_code}): "
            f"the receiving endpoint {where} was not exercised"
        )


def run_preflight(env: Environment) -> Preflight:
    """The checks that need no receiver: key material, then the DSP."""
    result = Preflight(problems=list(check_key_material(env)))
    problem = dsp_answers(env)
    if problem:
        result.problems.append(problem)
    return result


class PreflightFailed(Exception):
    """The environment is not ready: no scenario runs. Its text is one short line per problem."""

    def __init__(self, result: Preflight) -> None:
        super().__init__(result.report())
        self.result = result


def ready_user_system(env: Environment) -> tuple[UserSystem, Preflight]:
    """All three checks, in order; returns the User's system, started (its receiver proven to be called
    back), and what preflight noted. Raises PreflightFailed, having closed anything it started."""
    result = run_preflight(env)
    if not result.ok:
        raise PreflightFailed(result)
    user_system = user_system_for(env).start()
    called_back(env, user_system, result)
    if not result.ok:
        user_system.close()
        raise PreflightFailed(result)
    return user_system, result


def _cause(exc: Exception) -> str:
    """The socket's own words ("connection refused", "name or service not known"), not urllib3's."""
    reason: BaseException | None = exc
    while reason is not None:
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror.lower()
        reason = reason.__cause__ or reason.__context__
    return _first_line(exc)


def _first_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 200 else text[:197] + "..."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("environment", type=Path, help="the environment file (TOML)")
    args = parser.parse_args(argv)
    try:
        env = load_environment(args.environment)
    except EnvironmentFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        user_system, result = ready_user_system(env)
    except PreflightFailed as failed:
        print(failed, file=sys.stderr)
        return 1
    user_system.close()
    print(result.report() or f"preflight: {env.run.name} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
