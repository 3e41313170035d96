"""Command line: `mp107-sandbox serve` (or `python -m fake_services serve`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import sys
import threading

from catalogue.deviations import DEVIATIONS
from duis.schema import SchemaUnavailable, duis_schema
from environment_file import EnvironmentFileError, load_environment
from fake_services.core.boxed_pki import BOXED_PKI_DATE, BoxedPKIUnavailable
from fake_services.core.faults import Fault
from fake_services.deviations import WRONG
from fake_services.dsp.models import TransformLimits
from fake_services.provisioning import ProvisioningError, environment_ports, provision
from fake_services.sandbox import S1SP_NAMES, S1SP_TIMEOUT_SECONDS, InsecureBinding, Sandbox


def _instant(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. 2025-10-01T00:00:00Z")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mp107-sandbox",
        description="The DCC sandbox for MP107: DSP, three S1SPs, devices, Registration Data and a test SMKI.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser(
        "deviations", help="list the wrong DCCs the sandbox can be (serve --deviate NAME) and the rules each replaces"
    )
    listing.add_argument("--json", action="store_true", help="as JSON: name -> the clause it breaks, the rules")
    serve = sub.add_parser("serve", help="start the DSP, the S1SPs and the Control API on loopback")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument("--dsp-port", type=int, default=0, help="DSP port (default: a free port)")
    serve.add_argument("--control-port", type=int, default=0, help="Control API port (default: a free port)")
    serve.add_argument("--mcc-port", type=int, default=0, help="enrolment (Migration Control Centre) port")
    serve.add_argument("--meters-port", type=int, default=0, help="meter events port (make a meter raise an alert)")
    serve.add_argument(
        "--environment",
        metavar="FILE",
        help="become the environment FILE describes (support/environments/*.toml): its organisations (keys and "
        "certificates made where it names them), meters, MP107 state and ports",
    )
    serve.add_argument(
        "--no-control",
        action="store_true",
        help="do not offer the Control API: the sandbox is reached by DUIS and its declared interfaces only",
    )
    for name in S1SP_NAMES:
        serve.add_argument(f"--{name.lower()}-port", type=int, default=0, help=f"{name} port (default: a free port)")
    serve.add_argument(
        "--database",
        default=":memory:",
        help="SQLite file for the sandbox state (default: in memory, gone when the sandbox stops)",
    )
    serve.add_argument(
        "--control-token",
        default=os.environ.get("MP107_CONTROL_TOKEN"),
        help="token the Control API requires (Authorization: Bearer TOKEN); required when --host is not "
        "loopback (default: $MP107_CONTROL_TOKEN)",
    )
    serve.add_argument(
        "--s1sp-timeout",
        type=float,
        default=S1SP_TIMEOUT_SECONDS,
        help=f"seconds the DSP waits for an S1SP (default: {S1SP_TIMEOUT_SECONDS:g})",
    )
    serve.add_argument(
        "--pki",
        choices=("test", "dcc-boxed"),
        default="test",
        help="'dcc-boxed' also trusts DCC Boxed's keystore (its test Users, signing as its DSP), read from npm "
        "at run time (default: test, the sandbox's own test SMKI only)",
    )
    serve.add_argument(
        "--pki-date",
        type=_instant,
        default=None,
        help="with --pki dcc-boxed: the instant its certificates are judged at (default: "
        f"{BOXED_PKI_DATE:%Y-%m-%dT%H:%M:%SZ}; they expired in 2025-26)",
    )
    serve.add_argument(
        "--s1sp-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="every S1SP answers after this long, as a real one takes time (default: 0; for measuring a run "
        "against a slow environment: benchmarks/environment_run.py)",
    )
    limits = TransformLimits()
    serve.add_argument(
        "--pre-command-lifetime",
        type=float,
        default=limits.lifetime_seconds,
        metavar="SECONDS",
        help="an issued Pre-Command awaits its Signed Pre-Command (CV 5) this long, by the sandbox's clock "
        f"(default: {limits.lifetime_seconds:g})",
    )
    serve.add_argument(
        "--pre-commands-per-user",
        type=int,
        default=limits.per_user,
        metavar="N",
        help=f"a User has at most N Pre-Commands awaiting their CV 5, the oldest dropped (default: {limits.per_user})",
    )
    serve.add_argument(
        "--deviate",
        metavar="NAME",
        choices=sorted(DEVIATIONS),
        help="be a DCC that built one rule wrong, as the catalogue of deviations names it (catalogue/deviations.py;"
        " make strength proves the suite catches each): " + ", ".join(sorted(DEVIATIONS)),
    )
    serve.add_argument("-v", "--verbose", action="store_true", help="log every HTTP request")
    return parser


def list_deviations(as_json: bool) -> int:
    """Each deviation of the catalogue, the clause it breaks and the sandbox's rules it replaces."""
    rows = {
        name: {"breaks": deviation.breaks, "does": deviation.does, "replaces": sorted(WRONG[name])}
        for name, deviation in sorted(DEVIATIONS.items())
    }
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    for name, row in rows.items():
        print(f"{name} [{row['breaks']}]: {row['does']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "deviations":
        return list_deviations(as_json=args.json)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("fake_services").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        duis_schema()
    except SchemaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ports = {"DSP": args.dsp_port, "Control": args.control_port, "MCC": args.mcc_port, "Meters": args.meters_port}
    ports.update({name: getattr(args, f"{name.lower()}_port") for name in S1SP_NAMES})
    environment = None
    if args.environment:
        try:
            environment = load_environment(args.environment)
        except EnvironmentFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        ports.update(environment_ports(environment))
    if args.s1sp_timeout <= 0:
        print("error: --s1sp-timeout must be positive", file=sys.stderr)
        return 2
    if not 0 <= args.s1sp_latency <= 60 or args.s1sp_latency >= args.s1sp_timeout:
        print("error: --s1sp-latency is 0 to 60 seconds and less than --s1sp-timeout", file=sys.stderr)
        return 2
    try:
        transform_limits = TransformLimits(args.pre_command_lifetime, args.pre_commands_per_user)
    except ValueError as exc:
        print(f"error: --pre-command-lifetime and --pre-commands-per-user: {exc}", file=sys.stderr)
        return 2
    try:
        sandbox = Sandbox(
            args.database,
            args.s1sp_timeout,
            args.control_token,
            pki=args.pki,
            pki_date=args.pki_date,
            transform_limits=transform_limits,
            deviation=args.deviate,
        )
    except sqlite3.Error as exc:
        print(f"error: cannot open the database {args.database}: {exc}", file=sys.stderr)
        return 2
    except BoxedPKIUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.no_control:
        sandbox.services.pop("Control")
    if args.s1sp_latency:
        for name in S1SP_NAMES:
            sandbox.faults.set(name, Fault("slow", args.s1sp_latency))
    if environment is not None:
        try:
            provision(sandbox, environment)
        except (ProvisioningError, EnvironmentFileError) as exc:
            sandbox.stop()
            print(f"error: {exc}", file=sys.stderr)
            return 2
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the first line is printed: a caller may signal at once
        signal.signal(sig, lambda *_: stopping.set())
    try:
        urls = sandbox.start(args.host, ports)
    except InsecureBinding as exc:
        sandbox.stop()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        sandbox.stop()
        print(f"error: cannot listen: {exc}", file=sys.stderr)
        return 2
    for name, url in urls.items():
        print(f"{name} {url}", flush=True)
    if args.deviate:
        wrong = DEVIATIONS[args.deviate]
        print(f"deviating ({args.deviate}), a wrong DCC: {wrong.does}", file=sys.stderr, flush=True)
    stopping.wait()
    sandbox.stop()
    print("stopped", flush=True)
    return 0
