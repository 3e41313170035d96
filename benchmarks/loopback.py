"""Measure what a scenario costs: one loopback POST to a fake, a full DUIS round trip through the
DSP and an S1SP, a Control API reset, and the sandbox start-up. Prints figures; asserts nothing.

    python -m benchmarks.loopback [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import requests

from duis.srv import UserRole
from fake_services.http import Response, Service, route
from fake_services.sandbox import Sandbox
from support import test_data
from support.control_client import ControlClient
from support.duis_client import DUISClient
from support.organisations import Organisation
from tests.helpers import krp_update, seed_installation


def _timed(fn: Callable[[], object], rounds: int) -> list[float]:
    fn()  # warm up (connection, caches)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{name:<48} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   n={len(samples)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="requests per measurement (default 200)")
    args = parser.parse_args(argv)

    echo = Service("echo", route({("POST", "/echo"): lambda r: Response(200, r.body, "application/xml")}))
    url = echo.start() + "/echo"
    session = requests.Session()
    body = b"<x>" + b"a" * 4000 + b"</x>"
    _report("loopback POST (4 kB, keep-alive)", _timed(lambda: session.post(url, data=body), args.rounds))
    echo.stop()

    start = time.perf_counter()
    sandbox = Sandbox()
    urls = sandbox.start()
    print(f"{'sandbox start (SMKI, 5 services)':<48} {(time.perf_counter() - start) * 1000:7.2f} ms")
    control, duis = ControlClient(urls["Control"]), DUISClient(urls["DSP"])
    try:
        start = time.perf_counter()
        orgs = {
            role: Organisation(role.value, role, test_data.entity_id()).enrol(control)
            for role in (
                UserRole.ELECTRICITY_DISTRIBUTOR,
                UserRole.IMPORT_SUPPLIER,
                UserRole.GAS_TRANSPORTER,
                UserRole.GAS_SUPPLIER,
                UserRole.OTHER_USER,
            )
        }
        print(f"{'enrol 5 organisations (keys + 10 certificates)':<48} {(time.perf_counter() - start) * 1000:7.2f} ms")
        acb = orgs[UserRole.OTHER_USER]
        no = orgs[UserRole.ELECTRICITY_DISTRIBUTOR]
        inst = seed_installation(
            control,
            distributor=no,
            supplier=orgs[UserRole.IMPORT_SUPPLIER],
            gas_transporter=orgs[UserRole.GAS_TRANSPORTER],
            gas_supplier=orgs[UserRole.GAS_SUPPLIER],
            acb=acb,
        )
        rounds = max(20, args.rounds // 4)
        _report(
            "DUIS 6.15.1 round trip (DSP -> S1SP, signed)",
            _timed(lambda: krp_update(duis, control, no, inst.esme, no), rounds),
        )
        _report("Control API reset", _timed(control.reset, rounds))
    finally:
        control.close()
        duis.close()
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
