"""The sandbox's own keys (SMKI root and CA, DSP, S1SPs, Commissioning Party, ACB), kept in its store so
that a file-backed sandbox restarts as the same DCC: every certificate it issued still verifies.

Keys are made at run time and live only in the sandbox's database; they are never logged or served."""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fake_services.core.state import IdentityTable
from fake_services.core.store import Store

KeyPair = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


class Identities:
    def __init__(self, store: Store) -> None:
        self.table = IdentityTable(store)

    def load(self, name: str) -> KeyPair | None:
        found = self.table.get(name)
        if found is None:
            return None
        key_pem, cert_pem = found
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"identity {name} does not hold an EC key")
        return key, x509.load_pem_x509_certificate(cert_pem.encode())

    def save(self, name: str, pair: KeyPair) -> None:
        key, cert = pair
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        self.table.put(name, key_pem, cert_pem)

    def load_or_make(self, name: str, make: Callable[[], KeyPair]) -> KeyPair:
        """The stored identity, or a new one made now and stored."""
        pair = self.load(name)
        if pair is None:
            pair = make()
            self.save(name, pair)
        return pair
