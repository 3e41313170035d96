"""Clients for the sandbox's simulated world beyond DUIS, which an environment may or may not offer:
the DCC's enrolment interface (the Migration Control Centre and the DCC Commissioning Party) and the
meters themselves (making one raise an alert). Neither is a way to judge an outcome."""

from __future__ import annotations

from typing import Any

from serving.http_client import Session
from serving.local_access import local_token
from serving.loopback import is_loopback_url


class WorldInterfaceError(RuntimeError):
    """The interface refused a call that should have worked; the message says why."""


class JSONServiceClient:
    """A JSON service of the sandbox's (its Control API, its world beyond DUIS): base URL, its bearer
    token, one session; an HTTP error is raised as `error`, with the service's own words.

    Without a token given, a service on loopback gets this checkout's own (`$MP107_CONTROL_TOKEN`, else
    `.sandbox/control-token`: what a sandbox started here uses by default), so nobody has to pass it;
    a service elsewhere gets none unless given."""

    error: type[Exception] = WorldInterfaceError

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = Session()
        if token is None and is_loopback_url(self.base_url):
            token = local_token()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def _request(self, method: str, path: str, json: Any = None, business: bool = False) -> Any:
        reply = self.session.request(method, self.base_url + path, json=json, timeout=self.timeout)
        if reply.status_code >= 400 and not (business and reply.status_code == 422):
            raise self.error(f"{method} {path}: HTTP {reply.status_code}: {reply.text.strip()}")
        return reply.json()

    def close(self) -> None:
        self.session.close()


class MigrationControlCentreClient(JSONServiceClient):
    """The Supplier towards the DCC's Migration Control Centre; a TMAD refusal (422) is an answer."""

    @staticmethod
    def _offer(ds_pem: str | None, ka_pem: str | None) -> dict[str, str]:
        return {k: v for k, v in (("network_operator_ds", ds_pem), ("network_operator_ka", ka_pem)) if v}

    def migration_authorisation(
        self,
        device_id: str,
        supplier: str,
        commissioned_by: str = "DCC",
        ds_pem: str | None = None,
        ka_pem: str | None = None,
    ) -> dict:
        body = {"device_id": device_id, "supplier": supplier, "commissioned_by": commissioned_by}
        return self._request(
            "POST", "/enrolment/migration-authorisations", body | self._offer(ds_pem, ka_pem), business=True
        )

    def dormant_meter_migration_notification(self, device_id: str, supplier: str) -> str:
        body = {"device_id": device_id, "supplier": supplier}
        return self._request("POST", "/enrolment/dormant-notifications", body)["notification"]

    def respond_to_dormant_notification(
        self, notification: str, ds_pem: str | None = None, ka_pem: str | None = None
    ) -> dict:
        path = f"/enrolment/dormant-notifications/{notification}/response"
        return self._request("POST", path, self._offer(ds_pem, ka_pem), business=True)

    def commission(self, migration_authorisation: str) -> dict:
        path = f"/enrolment/migration-authorisations/{migration_authorisation}/commission"
        return self._request("POST", path, business=True)


class MeterEventsClient(JSONServiceClient):
    """Make a meter raise an alert for its Network Operator (what a person at the meter would do)."""

    def raise_alert(self, device_id: str, alert_code: str = "8F35") -> None:
        self._request("POST", f"/devices/{device_id}/alerts", {"alert_code": alert_code})
