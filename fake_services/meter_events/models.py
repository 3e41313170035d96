"""The meters themselves, as the sandbox simulates them: what a person at a real meter would do to make it
raise an alert (pull its supply, open its cover) is here a request to this service. It is part of the
simulated world, not a way to judge: where the alert goes is seen only by the User that receives it."""

from __future__ import annotations

from collections.abc import Mapping

from fake_services.devices.models import AlertLog
from fake_services.registration.models import SmartMeteringInventory
from fake_services.s1sp.models import S1SP

DEFAULT_ALERT_CODE = "8F35"
"""A GBCS alert code for the Network Operator (the sandbox carries no alert payload)."""


class MeterEvents:
    """The meters' side of the world: a meter raises an alert for its Network Operator."""

    def __init__(self, inventory: SmartMeteringInventory, s1sps: Mapping[str, S1SP], log: AlertLog) -> None:
        self.inventory = inventory
        self.s1sps = s1sps
        self.log = log

    def raise_alert(self, device_id: str, alert_code: str = DEFAULT_ALERT_CODE) -> None:
        """The meter raises an alert for its Network Operator; its S1SP sends it on."""
        device = self.inventory.get(device_id)
        if device is None:
            raise LookupError(f"device {device_id} does not exist")
        s1sp = device.s1sp or ""
        if device.smets != 1 or s1sp not in self.s1sps:
            raise ValueError("the sandbox simulates Network Operator alerts of SMETS1 meters on a running S1SP")
        self.s1sps[s1sp].route_device_alert(device_id, alert_code, self.log)
