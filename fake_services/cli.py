"""Command line: `mp107-sandbox serve` (or `python -m fake_services serve`)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sqlite3
import sys
import threading

from duis.schema import SchemaUnavailable, duis_schema
from fake_services.boxed_pki import BOXED_PKI_DATE, BoxedPKIUnavailable
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
    serve = sub.add_parser("serve", help="start the DSP, the S1SPs and the Control API on loopback")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument("--dsp-port", type=int, default=0, help="DSP port (default: a free port)")
    serve.add_argument("--control-port", type=int, default=0, help="Control API port (default: a free port)")
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
    serve.add_argument("-v", "--verbose", action="store_true", help="log every HTTP request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("fake_services").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        duis_schema()
    except SchemaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ports = {"DSP": args.dsp_port, "Control": args.control_port}
    ports.update({name: getattr(args, f"{name.lower()}_port") for name in S1SP_NAMES})
    if args.s1sp_timeout <= 0:
        print("error: --s1sp-timeout must be positive", file=sys.stderr)
        return 2
    try:
        sandbox = Sandbox(args.database, args.s1sp_timeout, args.control_token, pki=args.pki, pki_date=args.pki_date)
    except sqlite3.Error as exc:
        print(f"error: cannot open the database {args.database}: {exc}", file=sys.stderr)
        return 2
    except BoxedPKIUnavailable as exc:
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
    stopping.wait()
    sandbox.stop()
    print("stopped", flush=True)
    return 0
