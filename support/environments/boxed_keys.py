"""Write DCC Boxed's test identities where `support/environments/dcc-boxed.toml` expects them.

    python -m support.environments.boxed_keys [--out .sandbox/keys/dcc-boxed] [--file dcc-boxed.toml]

DCC publishes its Boxed ZAZ1 test Users' certificates and keys in the npm package
`@smartdcc/dccboxed-keystore` (`keystore.json`), and its Z1 issuing CA in the Certification Path of its DUIS
templates (`@smartdcc/duis-templates`). This reads both (installed by `npm ci`) and writes, for each
organisation of the environment file, its XML-signing certificate and key, its Digital Signing certificate
and key and its Key Agreement certificate for its role, plus the DSP's XML-signing certificate and the Z1 CA,
as PEM files under the git-ignored folder the file names. Nothing is committed; run it again after an
`npm ci` that brings a new keystore.

Of several certificates for one use it takes the one valid longest. It says which have expired: DCC
Boxed's ZAZ1 organisation certificates ran out in 2025-26 (its XML-signing ones run to 2118), so a Boxed
that checks validity refuses them until DCC publishes new ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from environment_file import Environment, EnvironmentFileError, KeyMaterial, load_environment
from smki.boxed_keystore import BoxedPKIUnavailable, load
from smki.profile import KeyUse, RemotePartyRole

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE / "dcc-boxed.toml"
ROLE_OF_USER = {
    "Import Supplier": RemotePartyRole.SUPPLIER,
    "Export Supplier": RemotePartyRole.SUPPLIER,
    "Gas Supplier": RemotePartyRole.SUPPLIER,
    "Electricity Distributor": RemotePartyRole.NETWORK_OPERATOR,
    "Gas Transporter": RemotePartyRole.NETWORK_OPERATOR,
    "Other User": RemotePartyRole.OTHER_USER,
}


class ExtractionError(RuntimeError):
    """The keystore does not hold what the environment file names."""


def _pem_key(key) -> bytes:  # noqa: ANN001 - an EC private key
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if secret:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    else:
        path.write_bytes(data)


def extract(env: Environment, now: dt.datetime) -> list[str]:
    """Write every certificate and key the file names from Boxed's keystore; returns what was written and
    any warning (expired certificates), one line each."""
    try:
        pki = load()
    except BoxedPKIUnavailable as exc:
        raise ExtractionError(str(exc)) from None
    lines: list[str] = []

    def newest(entity_id: str, role: RemotePartyRole, use: KeyUse, need_key: bool):  # noqa: ANN202
        found = [
            e
            for e in pki.entries
            if e.certificate.entity_id == entity_id
            and e.certificate.role is role
            and e.certificate.key_use is use
            and (e.key is not None or not need_key)
        ]
        if not found:
            raise ExtractionError(f"DCC Boxed's keystore has no {role.name} {use.value} certificate for {entity_id}")
        return max(found, key=lambda e: e.certificate.certificate.not_valid_after_utc)

    def place(material: KeyMaterial | None, entry, where: str) -> None:  # noqa: ANN001
        if material is None:
            return
        if material.certificate is None:
            raise ExtractionError(f"{where}: give a `certificate` path to write to")
        _write(material.certificate, entry.certificate.pem().encode())
        if material.key is not None:
            _write(material.key, _pem_key(entry.key), secret=True)
        ends = entry.certificate.certificate.not_valid_after_utc
        state = f"EXPIRED {ends:%Y-%m-%d}" if ends < now else f"valid to {ends:%Y-%m-%d}"
        lines.append(f"{where}: {entry.name} ({state}) -> {material.certificate}")

    for index, organisation in enumerate(env.organisations):
        where = f"organisations[{index}] ({organisation.name})"
        role = ROLE_OF_USER.get(organisation.user_role)
        place(
            organisation.xml_signing,
            newest(organisation.entity_id, RemotePartyRole.XML_SIGNING_USER, KeyUse.DS, True),
            where + ".xml_signing",
        )
        if role is not None:
            place(
                organisation.digital_signing,
                newest(organisation.entity_id, role, KeyUse.DS, True),
                where + ".digital_signing",
            )
            place(
                organisation.key_agreement,
                newest(organisation.entity_id, role, KeyUse.KA, False),
                where + ".key_agreement",
            )
    for name, path in env.dcc_signers.items():
        _write(path, pki.dsp.certificate.pem().encode())
        lines.append(f"dcc.signers.{name}: {pki.dsp.name} -> {path}")
    if env.certification_path is not None:
        _write(env.certification_path, pki.issuing_ca.public_bytes(serialization.Encoding.PEM))
        lines.append(f"dcc.certification_path: DCC Boxed's Z1 issuing CA -> {env.certification_path}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m support.environments.boxed_keys", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--file", type=Path, default=DEFAULT_FILE, help="the environment file (default: dcc-boxed.toml)"
    )
    args = parser.parse_args(argv)
    try:
        env = load_environment(args.file)
        lines = extract(env, dt.datetime.now(dt.UTC))
    except (EnvironmentFileError, ExtractionError) as exc:
        print(f"boxed_keys: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    expired = sum("EXPIRED" in line for line in lines)
    if expired:
        print(
            f"note: {expired} certificate(s) have expired; DCC Boxed may refuse them (see the README)", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
