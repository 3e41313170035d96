"""Where an organisation's certificate and private key are, and opening them: a PEM or DER file, a PEM in an
environment variable, a PKCS#12 file (its password in an environment variable), or an HSM (a `pkcs11:` URI,
recognised and refused by this build). Secrets are never inlined in the file and never kept or printed here:
only places are held, and a key is opened when it is asked for (the sandbox creates the files it is started
from after reading the environment file)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from environment_file.problems import EnvironmentFileError, Problem
from smki.profile import OrganisationCertificate


@dataclass(frozen=True)
class KeyMaterial:
    """One certificate and, where the organisation signs with it, where its private key is. Only places
    are held here; `load_certificate` and `load_key` open them when asked (so the sandbox can create the
    files after reading the environment file), and neither ever keeps or prints a key."""

    certificate: Path | None = None
    key: Path | None = None
    key_env: str | None = None
    pkcs12: Path | None = None
    password_env: str | None = None
    pkcs11: str | None = None
    origin: str = field(default="key material", compare=False)
    """The key in the file this came from (`organisations[2].xml_signing`), for messages."""
    source: Path | None = field(default=None, compare=False, repr=False)
    """The environment file this came from, for messages."""

    @property
    def has_key(self) -> bool:
        """Whether a private key is declared (in any of the four ways)."""
        return any(v is not None for v in (self.key, self.key_env, self.pkcs12, self.pkcs11))

    def _error(self, name: str, what: str, fix: str) -> EnvironmentFileError:
        return EnvironmentFileError(self.source or self.origin, [Problem(f"{self.origin}.{name}", what, fix)])

    def _read(self, path: Path, name: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise self._error(name, f"{path} does not exist", "create it, or correct the path") from None
        except OSError as exc:
            raise self._error(name, f"{path} cannot be read ({exc.strerror})", "make it readable") from None

    def _password(self) -> bytes | None:
        if self.password_env is None:
            return None
        value = os.environ.get(self.password_env)
        if not value:
            raise self._error(
                "password_env",
                f"the environment variable {self.password_env} is not set",
                "set it to the password before the run",
            )
        return value.encode()

    def _decoded(self, data: bytes, where: str) -> Any:
        try:
            return private_key(data, self._password())
        except Unreadable as exc:
            raise self._error(where, exc.what, exc.fix) from None

    def _pkcs12(self) -> tuple[Any, x509.Certificate | None]:
        assert self.pkcs12 is not None
        data = self._read(self.pkcs12, "pkcs12")
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(data, self._password())
        except (ValueError, TypeError) as exc:
            raise self._error(
                "pkcs12",
                f"{self.pkcs12} cannot be opened ({exc})",
                "check the file and the password in the variable named by password_env",
            ) from None
        return key, cert

    def load_certificate(self) -> OrganisationCertificate:
        """The certificate, read as an SMKI Organisation certificate (from its file, or from the PKCS#12)."""
        cert: x509.Certificate | None
        if self.certificate is not None:
            data = self._read(self.certificate, "certificate")
            try:
                cert = (
                    x509.load_pem_x509_certificate(data)
                    if b"-----BEGIN" in data
                    else x509.load_der_x509_certificate(data)
                )
            except ValueError as exc:
                raise self._error(
                    "certificate",
                    f"{self.certificate} is not a PEM or DER X.509 certificate ({exc})",
                    "give the certificate's file",
                ) from None
            where = "certificate"
        elif self.pkcs12 is not None:
            _, cert = self._pkcs12()
            if cert is None:  # a PKCS#12 may hold a key alone
                raise self._error(
                    "certificate",
                    f"is not given and {self.pkcs12} holds no certificate",
                    'add certificate = "path/to/certificate.pem"',
                )
            where = "pkcs12"
        else:
            raise self._error("certificate", "is not given", 'add certificate = "path/to/certificate.pem"')
        try:
            return OrganisationCertificate.from_certificate(cert)
        except ValueError as exc:
            raise self._error(
                where, f"is not an SMKI Organisation certificate ({exc})", "give one the SMKI issued"
            ) from None

    def load_key(self) -> ec.EllipticCurvePrivateKey:
        """The private key (an ECDSA P-256 key, as SMKI Organisation certificates carry), from its file, its
        environment variable or its PKCS#12. PKCS#11 is declared but refused by this build."""
        if self.pkcs11 is not None:
            raise self._error(
                "pkcs11",
                f"the key is in an HSM ({self.pkcs11}), but this build cannot use PKCS#11",
                "give the key as a file (key), an environment variable (key_env) or a PKCS#12 file (pkcs12)",
            )
        where = "key" if self.key is not None else "key_env" if self.key_env is not None else "pkcs12"
        if self.key is not None:
            loaded = self._decoded(self._read(self.key, "key"), where)
        elif self.key_env is not None:
            value = os.environ.get(self.key_env)
            if not value:
                raise self._error(
                    "key_env",
                    f"the environment variable {self.key_env} is not set",
                    "set it to the key's PEM before the run",
                )
            loaded = self._decoded(value.encode(), where)
        elif self.pkcs12 is not None:
            loaded, _ = self._pkcs12()
            if loaded is None:
                raise self._error("pkcs12", f"{self.pkcs12} holds no private key", "export it with its key")
        else:
            raise self._error("key", "is not given", 'add key = "path/to/key.pem" (or key_env, pkcs12)')
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
            raise self._error(
                where, "is not an ECDSA P-256 key", "SMKI Organisation certificates carry P-256 keys: give that key"
            )
        return loaded


class Unreadable(ValueError):
    """A private key that cannot be read: what is wrong and the fix."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what, self.fix = what, fix


def private_key(data: bytes, password: bytes | None) -> Any:
    """The private key in PEM (or DER) bytes; raises Unreadable saying why not."""
    try:
        if b"-----BEGIN" in data:
            return serialization.load_pem_private_key(data, password)
        return serialization.load_der_private_key(data, password)
    except TypeError as exc:
        if "not encrypted" in str(exc):
            raise Unreadable("is not encrypted, but password_env names a password", "remove password_env") from None
        raise Unreadable("is encrypted", "name the variable holding its password with password_env") from None
    except (ValueError, UnsupportedAlgorithm):
        if password is not None:
            raise Unreadable(
                "cannot be read: the password is wrong, or it is not a private key", "check the password and the file"
            ) from None
        raise Unreadable("cannot be read: it is not a PEM or DER private key", "give the key's file") from None

