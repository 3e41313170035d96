"""The Control API client: how steps and hooks seed and inspect the system under test. Against the
embedded sandbox it drives the fakes; against real endpoints, a harness offering the same API."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from support.world_clients import JSONServiceClient


class ControlError(RuntimeError):
    """The Control API refused a call; the message says why."""


class ControlRefused(RuntimeError):
    """A step or hook tried to use the Control API in environment mode (a defect of the suite)."""


class ControlClient(JSONServiceClient):
    """The sandbox's Control API: a test harness that arranges preconditions (never a judge). It refuses to
    be used in environment mode, where nothing but DUIS and the environment's declared interfaces exist."""

    refused: str | None = None
    """Set (to the reason) when the run is against an environment: every call then fails with it."""

    error = ControlError

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        if ControlClient.refused:
            raise ControlRefused(f"{method} {path}: the Control API is not used here: {ControlClient.refused}")
        return self._request(method, path, json)

    def reset(self) -> None:
        self._call("POST", "/reset")

    def smki(self) -> dict[str, Any]:
        return self._call("GET", "/smki")

    @functools.cached_property
    def issuing_ca_der(self) -> bytes:
        """The SMKI Organisation CA (DER), the Certification Path of every replacement: fixed for the
        system this client drives, so asked for once."""
        pem = self.smki()["issuing_ca"]
        return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)

    def add_user(
        self,
        entity_id: str,
        name: str,
        user_role: str,
        certify: Sequence[tuple[ec.EllipticCurvePublicKey, str, str | None]] = (),
    ) -> dict[str, Any]:
        """A DCC User; with `certify` (public key, "DS" or "KA", role code or None for the User Role's own)
        the test SMKI certifies those keys in the same call (the answer's "certificates" hold the PEMs, in
        order)."""
        body: dict[str, Any] = {"entity_id": entity_id, "name": name, "user_role": user_role}
        if certify:
            body["certificates"] = [
                {"public_key": _pem(key), "key_use": use} | ({"role_code": role} if role else {})
                for key, use, role in certify
            ]
        return self._call("POST", "/users", body)

    def issue_certificate(
        self,
        public_key: ec.EllipticCurvePublicKey,
        entity_id: str,
        role_code: str,
        key_use: str,
        name: str | None = None,
        not_before: str | None = None,
        not_after: str | None = None,
    ) -> str:
        return self._call(
            "POST",
            "/smki/certificates",
            {
                "public_key": _pem(public_key),
                "entity_id": entity_id,
                "role_code": role_code,
                "key_use": key_use,
                "name": name,
                **{k: v for k, v in (("not_before", not_before), ("not_after", not_after)) if v},
            },
        )["pem"]

    def register_mpan(self, mpan: str, electricity_distributor: str, import_supplier: str) -> None:
        self._call(
            "POST",
            "/registration/mpan",
            {"mpan": mpan, "electricity_distributor": electricity_distributor, "import_supplier": import_supplier},
        )

    def register_mprn(self, mprn: str, gas_transporter: str, gas_supplier: str) -> None:
        self._call(
            "POST",
            "/registration/mprn",
            {"mprn": mprn, "gas_transporter": gas_transporter, "gas_supplier": gas_supplier},
        )

    def add_device(self, **device: Any) -> None:
        self._call("POST", "/devices", device)

    def add_installation(self, installation: dict[str, Any]) -> dict[str, Any]:
        """A whole installation in one call: registrations, devices and what they hold (see
        `support.seeding`, which builds the body)."""
        return self._call("POST", "/installations", installation)

    def place_trust_anchor(
        self, device_id: str, role: str, ds_pem: str | None = None, ka_pem: str | None = None
    ) -> list[dict]:
        body = {k: v for k, v in (("ds", ds_pem), ("ka", ka_pem)) if v}
        return self._call("PUT", f"/devices/{device_id}/trust-anchors/{role}", body)

    def trust_anchors(self, device_id: str) -> list[dict[str, str]]:
        return self._call("GET", f"/devices/{device_id}/trust-anchors")

    def set_dsp_mp107(self, enabled: bool) -> dict:
        return self._call("PUT", "/switches/dsp-mp107", {"enabled": enabled})

    def set_s1sp_mp107(self, name: str, enabled: bool) -> dict:
        return self._call("PUT", f"/switches/s1sp/{name}", {"enabled": enabled})

    def set_s1sp_fault(self, name: str, mode: str, delay_seconds: float = 0) -> dict:
        """Make an S1SP go down, slow (answering after `delay_seconds`), answer garbage or fail with
        HTTP 500; mode 'none' heals it. A reset heals every S1SP."""
        return self._call("PUT", f"/faults/s1sp/{name}", {"mode": mode, "delay_seconds": delay_seconds})

    def set_switches(self, dsp_mp107: bool, s1sp_mp107: dict[str, bool]) -> dict:
        """The DSP's MP107 switch and each S1SP's enablement, in one call."""
        return self._call("PUT", "/switches", {"dsp_mp107": dsp_mp107, "s1sp_mp107": s1sp_mp107})

    def set_receive_address(self, user_id: str, url: str) -> dict:
        """Where the DCC delivers this User's asynchronous responses and alerts (its Receive Response Service)."""
        return self._call("PUT", f"/users/{user_id}/receive-response-service", {"url": url})

    def deliveries(self, user_id: str | None = None, state: str | None = None) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in (("user", user_id), ("state", state)) if v)
        return self._call("GET", "/deliveries" + (f"?{query}" if query else ""))

    def deliveries_settled(self, wait: float) -> bool:
        """Whether everything the DSP has queued so far is delivered, refused or given up, waiting up to
        `wait` seconds for it (at most 20: the DSP holds its answer at most 30 s, this client waits as long)."""
        return bool(self._call("GET", f"/deliveries/settled?wait={min(max(wait, 0.0), 20.0):g}")["settled"])

    def clock(self) -> str:
        return self._call("GET", "/clock")["now"]

    def move_clock(self, now: str | None = None, advance_seconds: float | None = None) -> dict:
        """Move the sandbox's clock (to `now`, ISO 8601 with its zone, or on by some seconds); what has come
        due runs before the answer."""
        body = {"now": now} if now is not None else {"advance_seconds": advance_seconds}
        return self._call("PUT", "/clock", body)

    def switches(self) -> dict:
        return self._call("GET", "/switches")

    def alerts(self, recipient: str | None = None) -> list[dict]:
        return self._call("GET", "/alerts" + (f"?recipient={recipient}" if recipient else ""))

    def fingerprint(self) -> str:
        """A digest of all the system's state but its request log."""
        return self._call("GET", "/fingerprint")["fingerprint"]

    def log(self) -> list[dict]:
        return self._call("GET", "/log")

    def health(self) -> dict:
        return self._call("GET", "/health")


def _pem(public_key: ec.EllipticCurvePublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
