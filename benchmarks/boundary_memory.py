"""What the DCC boundary costs in memory when it is sent what it refuses or never completes (issue 16), one line
per measured service, each beside its floor in the same run:

- the DSP: the resident memory (RSS) of a sandbox in its own process before and after 200 signed 900 kB CV 4
  requests whose Pre-Command is never completed (abandoned Transforms), with the sandbox's limits (a User has
  at most 32 Pre-Commands awaiting, for an hour) and with none, as the DSP was before; the floor is the same
  200 requests (same size) refused at the first check, the DUIS schema;
- the receiver (the User's Receive Response Service, `user_system.receiver`): its process's resident set
  before and after 300 deliveries of 1 MB that it refuses (well-formed DUIS padded with a comment, but
  unsigned), each different; the floor is the same 300 POSTs to the same server stack on a path that reads
  the body and drops it at once. Each service runs in a process of its own (spawned), so that nothing else
  the benchmark allocates is counted and the floor's heap does not hide the receiver's.

Beside the receiver's resident set, the Python objects allocated during the deliveries and still alive after
them (tracemalloc, in a second run: tracing changes what the allocator does): what the service really keeps.
The resident set also counts what the allocator holds on to after freeing: with 1 MB bodies and a pool of
server threads, glibc keeps freed buffers in its arenas (how much swings with the smallest change of who
allocates what when), as the floor shows; so it is read again once glibc has been asked to give back what it
keeps (malloc_trim), which leaves what is really in use.

Prints figures; asserts nothing (tests never assert measured figures).

    python -m benchmarks.boundary_memory [--transforms N] [--size KB] [--deliveries N] [--delivery-size BYTES]
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import requests

from duis.requests import RequestID, ServiceRequest
from duis.srv import SERVICE_REQUEST_VARIANTS, UserRole
from support.control_client import ControlClient
from support.sandbox_process import SandboxProcess, start_sandbox_process
from support.seeding import Parties, Roster, seed_installation
from user_system.client import TRANSFORM_PATH, sign_request
from user_system.organisations import Organisation

MIB = 1024 * 1024
WIDTH = 46
LINE_WIDTH = 58
DELIVERIES = 300
SIZE = 1_000_000
"""Under the servers' 1 MiB body limit: each delivery is read whole and judged, as a DCC's would be."""


@dataclass(frozen=True)
class Memory:
    """A service's resident set before and after the same deliveries."""

    name: str
    before: int
    after: int
    trimmed: int
    """The resident set once the allocator has given back the freed memory it kept (glibc's malloc_trim)."""
    kept: int
    """Bytes of Python objects allocated during the deliveries and still alive after them."""

    @property
    def growth_mib(self) -> float:
        return (self.after - self.before) / MIB

    @property
    def trimmed_growth_mib(self) -> float:
        return (self.trimmed - self.before) / MIB


def rss(pid: int) -> int:
    """The resident set of process `pid`, in bytes (Linux: /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# -- the services, each in a spawned process -----------------------------------------------------------


def _serve_receiver(conn: multiprocessing.connection.Connection) -> None:
    """A User's Receive Response Service trusting a DSP of its own, as the suite runs it."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from smki.authority import TestSMKI
    from smki.profile import KeyUse, RemotePartyRole
    from user_system.receiver import Receiver
    from user_system.trust import DCCSignatures

    key = ec.generate_private_key(ec.SECP256R1())
    dsp = TestSMKI().issue(key.public_key(), "90-B3-D5-1F-30-00-00-02", RemotePartyRole.XML_SIGNING_DCC, KeyUse.DS)
    receiver = Receiver(trust=DCCSignatures.from_pems({"DSP": dsp.pem()}).verify)
    receiver.start()
    _hold(conn, receiver.url, receiver.stop)


def _serve_discarding(conn: multiprocessing.connection.Connection) -> None:
    """The floor: the same server stack, a path that reads the body and drops it at once."""
    from werkzeug.wrappers import Request

    from serving.server import Service
    from serving.web import App
    from serving.web import text as plain_text

    def discard(request: Request):
        request.get_data()
        return plain_text("refused", 400)

    service = Service("discarding", App([("POST", "/smartdcc/duis", discard)]))
    _hold(conn, service.start() + "/smartdcc/duis", service.stop)


def _hold(conn: multiprocessing.connection.Connection, url: str, stop: Callable[[], None]) -> None:
    """Serve until told to stop; meanwhile start tracing allocations, or say how much traced is alive."""
    import ctypes
    import gc
    import tracemalloc

    conn.send(url)
    while (order := conn.recv()) != "stop":
        if order == "trace":
            tracemalloc.start()
            conn.send(None)
        elif order == "traced":
            gc.collect()
            conn.send(tracemalloc.get_traced_memory()[0])
        elif order == "trim":  # glibc: give the freed memory its arenas keep back to the system
            gc.collect()
            ctypes.CDLL("libc.so.6").malloc_trim(0)
            conn.send(None)
    stop()


def _measured(name: str, serve: Callable[[multiprocessing.connection.Connection], None],
              bodies: Callable[[], Iterable[bytes]]) -> Memory:  # fmt: skip
    """Start `serve` in its own process, read its RSS, POST every body, read its RSS again; then the same
    in a fresh process tracing allocations (tracing changes what the allocator does, so not the same run)."""
    before, after, trimmed, _ = _deliver(serve, bodies(), traced=False)
    *_, kept = _deliver(serve, bodies(), traced=True)
    return Memory(name, before, after, trimmed, kept)


def _deliver(serve: Callable[[multiprocessing.connection.Connection], None], bodies: Iterable[bytes],
             traced: bool) -> tuple[int, int, int, int]:  # fmt: skip
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(child,), daemon=True)
    process.start()
    try:
        url = parent.recv()
        with requests.Session() as session:
            session.post(url, data=b"warm up", headers={"Content-Type": "application/xml"}, timeout=30)
            if traced:
                parent.send("trace")
                parent.recv()
            before = rss(process.pid or 0)
            for body in bodies:
                session.post(url, data=body, headers={"Content-Type": "application/xml"}, timeout=30)
            after = rss(process.pid or 0)
            parent.send("trim")
            parent.recv()
            trimmed = rss(process.pid or 0)
        kept = 0
        if traced:
            parent.send("traced")
            kept = parent.recv()
        return before, after, trimmed, kept
    finally:
        parent.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()


def refused_bodies(count: int, size: int) -> Iterable[bytes]:
    """`count` different DUIS Responses of `size` bytes, unsigned (so refused), padded with a comment."""
    from duis.requests import RequestID
    from duis.responses import response_message
    from duis.srv import SERVICE_REQUEST_VARIANTS
    from duis.xml import to_bytes

    for counter in range(1, count + 1):
        rid = RequestID("90-B3-D5-1F-30-02-00-00", "00-DB-12-34-56-78-90-A0", counter)
        message = to_bytes(response_message(rid, "I0", SERVICE_REQUEST_VARIANTS["4.1.1"]))
        padding = size - len(message) - len(b"<!---->")
        yield message + b"<!--" + b"x" * max(padding, 0) + b"-->"


# -- the DSP: abandoned Transforms -----------------------------------------------------------------------
UNBOUNDED = ("--pre-commands-per-user", "1000000000", "--pre-command-lifetime", "1e9")
"""No limit on what awaits a CV 5: the DSP as it was before Pre-Commands expired."""


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
            before = rss(started.process.pid) / MIB
            for body in bodies[5:]:
                reply = http.post(url, data=body, headers=xml, timeout=60)
                decided = f"{reply.headers.get('X-DUIS-Clause', '')}: {reply.headers.get('X-DUIS-Reason', '')}"
                if reply.status_code != 200 or expected not in decided:
                    raise RuntimeError(f"not {expected}: HTTP {reply.status_code} {decided} {reply.text[:200]}")
            after = rss(started.process.pid) / MIB
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
        f"{f'DSP: {count} abandoned {bounded.body_kb:.0f} kB Transforms (RSS MiB)':<{LINE_WIDTH}} "
        f"{bounded.before:6.1f} -> {bounded.after:6.1f}  {bounded.grown:+6.1f} MiB with the limits"
        f" | {unbounded.before:6.1f} -> {unbounded.after:6.1f}  {unbounded.grown:+6.1f} MiB with none (before)"
        f" | floor, the same refused at the schema: {floor.grown:+6.1f} MiB"
    )



# -- one function per measured service -------------------------------------------------------------------


def receiver_memory(deliveries: int = DELIVERIES, size: int = SIZE) -> tuple[Memory, Memory]:
    """The Receive Response Service and its floor, after `deliveries` refused bodies of `size` bytes."""
    measured = _measured("receiver", _serve_receiver, lambda: refused_bodies(deliveries, size))
    floor = _measured("floor", _serve_discarding, lambda: refused_bodies(deliveries, size))
    return measured, floor


def _line(what: str, measured: Memory, floor: Memory, deliveries: int, size: int) -> str:
    return (
        f"{what:<{WIDTH}} RSS {measured.before / MIB:6.1f} -> {measured.after / MIB:6.1f} MiB "
        f"after {deliveries} refused {size / 1e6:g} MB deliveries: {measured.growth_mib:+6.1f} MiB "
        f"({measured.trimmed_growth_mib:+5.1f} MiB once trimmed; Python objects kept {measured.kept / MIB:+5.2f} MiB); "
        f"floor, body dropped at once: {floor.growth_mib:+5.1f} MiB ({floor.trimmed_growth_mib:+5.1f} MiB; "
        f"{floor.kept / MIB:+5.2f} MiB)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transforms", type=int, default=200, help="abandoned Transforms (default 200)")
    parser.add_argument("--size", type=int, default=900, help="size of each Transform request in kB (default 900)")
    parser.add_argument("--deliveries", type=int, default=DELIVERIES)
    parser.add_argument(
        "--delivery-size", type=int, default=SIZE, help="bytes per refused delivery (under the 1 MiB limit)"
    )
    args = parser.parse_args(argv)
    dsp(args.transforms, args.size)
    measured, floor = receiver_memory(args.deliveries, args.delivery_size)
    print(_line("User's Receive Response Service", measured, floor, args.deliveries, args.delivery_size))


if __name__ == "__main__":
    main()
