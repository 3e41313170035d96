"""What the DCC boundary costs in memory when Users misbehave (issue 16), one line per measured service, each
beside the floor of the same work in the same run.

- DSP: the resident memory (RSS) of a sandbox in its own process before and after 200 signed 900 kB CV 4
  requests whose Pre-Command is never completed (abandoned Transforms), beside the floor: the same 200
  requests (same size) refused at the first check, the DUIS schema. With the sandbox's limits (a User has at
  most 32 Pre-Commands awaiting, for an hour) against the same run with no limit, as the DSP was before.

Prints figures; asserts nothing (tests never assert memory or times).

    python -m benchmarks.boundary_memory [--transforms N] [--size KB]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

import requests

from duis.messages import RequestID, ServiceRequest
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from support.control_client import ControlClient
from support.duis_client import TRANSFORM_PATH, sign_request
from support.organisations import Organisation
from support.sandbox_process import SandboxProcess, start_sandbox_process
from support.seeding import Parties, Roster, seed_installation

WIDTH = 58
MIB = 1024 * 1024
UNBOUNDED = ("--pre-commands-per-user", "1000000000", "--pre-command-lifetime", "1e9")
"""No limit on what awaits a CV 5: the DSP as it was before Pre-Commands expired."""


def rss_mib(pid: int) -> float:
    """The resident memory of a process (Linux /proc), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass(frozen=True)
class Growth:
    before: float
    after: float
    body_kb: float

    @property
    def grown(self) -> float:
        return self.after - self.before


def _abandoned_transforms(count: int, size_kb: int, refused_at_schema: bool, *serve: str) -> Growth:
    """A sandbox process, a Network Operator and a meter; RSS before and after `count` signed CV 4 requests of
    `size_kb` kB each (the Certification Path padded: the DSP does not read it before the Transform), never
    completed; or, `refused_at_schema`, the same requests made invalid DUIS (same size)."""
    started = start_sandbox_process(*serve)
    if not isinstance(started, SandboxProcess):
        raise RuntimeError(f"the sandbox did not start (exit {started.returncode})")
    control = ControlClient(started.urls["Control"])
    try:
        roster = Roster(control)
        parties = Parties(
            roster.ensure("Western Power", UserRole.ELECTRICITY_DISTRIBUTOR),
            roster.ensure("Bright Energy", UserRole.IMPORT_SUPPLIER),
            roster.ensure("Cadent Gas", UserRole.GAS_TRANSPORTER),
            roster.ensure("Flame Gas Supply", UserRole.GAS_SUPPLIER),
            roster.acb(),
        )
        western = parties.electricity_distributor
        meter = seed_installation(control, parties).esme
        bodies = [_padded_cv4(western, meter, counter, size_kb, control) for counter in range(1, count + 6)]
        if refused_at_schema:
            invalid = b">yes</sr:ApplyTimeBasedCPVChecks>"  # not an xs:boolean
            bodies = [b.replace(b">true</sr:ApplyTimeBasedCPVChecks>", invalid) for b in bodies]
        expected = "DUIS schema" if refused_at_schema else "Pre-Command issued"
        with requests.Session() as http:
            url, xml = started.urls["DSP"] + TRANSFORM_PATH, {"Content-Type": "application/xml"}
            for body in bodies[:5]:  # warm up: caches, the schema, the allocator's first arenas
                http.post(url, data=body, headers=xml, timeout=60)
            before = rss_mib(started.process.pid)
            for body in bodies[5:]:
                reply = http.post(url, data=body, headers=xml, timeout=60)
                decided = f"{reply.headers.get('X-DUIS-Clause', '')}: {reply.headers.get('X-DUIS-Reason', '')}"
                if reply.status_code != 200 or expected not in decided:
                    raise RuntimeError(f"not {expected}: HTTP {reply.status_code} {decided} {reply.text[:200]}")
            after = rss_mib(started.process.pid)
        return Growth(before, after, len(bodies[-1]) / 1024)
    finally:
        control.close()
        started.terminate()


def _padded_cv4(sender: Organisation, meter: str, counter: int, size_kb: int, control: ControlClient) -> bytes:
    """A signed 6.15.1 CV 4 of about `size_kb` kB: its Certification Path holds the CA and two more
    certificates of random bytes (the XSD allows three; the DSP leaves them to the S1SP)."""
    fields = sender.as_replacement("NetworkOperator", control.issuing_ca_der)
    pad = (size_kb * 1024 * 3 // 4) // 2
    fields["certification_path"] = (control.issuing_ca_der, os.urandom(pad), os.urandom(pad))
    request_id = RequestID(sender.entity_id, meter, counter)
    request = ServiceRequest(request_id, SERVICE_REQUEST_VARIANTS["6.15.1"], 4, **fields)
    return sign_request(request, sender.identity)


def dsp(count: int, size_kb: int) -> None:
    """The DSP: abandoned Transforms, with the sandbox's limits and without, beside the floor."""
    bounded = _abandoned_transforms(count, size_kb, False)
    unbounded = _abandoned_transforms(count, size_kb, False, *UNBOUNDED)
    floor = _abandoned_transforms(count, size_kb, True)
    print(
        f"{f'DSP: {count} abandoned {bounded.body_kb:.0f} kB Transforms (RSS MiB)':<{WIDTH}} "
        f"{bounded.before:6.1f} -> {bounded.after:6.1f}  {bounded.grown:+6.1f} MiB with the limits"
        f" | {unbounded.before:6.1f} -> {unbounded.after:6.1f}  {unbounded.grown:+6.1f} MiB with none (before)"
        f" | floor, the same refused at the schema: {floor.grown:+6.1f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transforms", type=int, default=200, help="abandoned Transforms (default 200)")
    parser.add_argument("--size", type=int, default=900, help="size of each request in kB (default 900)")
    args = parser.parse_args(argv)
    dsp(args.transforms, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
