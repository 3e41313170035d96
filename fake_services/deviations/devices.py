"""Wrong DCCs at the devices: where a SMETS1 ESME's alerts go (PIA 2.3.2 B)."""

from __future__ import annotations

from collections.abc import Mapping

from fake_services.core.records import Anchor, Device, DeviceType
from fake_services.deviations.base import wrong
from fake_services.devices import checks
from smki.profile import KeyUse


@wrong("alerts-to-registered-network-operator", checks.pia_2_3_2_b_alert_target)
def _signing_cell(device: Device, held: Mapping[KeyUse, Anchor | None]) -> str | None:
    if device.device_type is not DeviceType.ESME:
        return None
    signing = held.get(KeyUse.DS)
    return signing.entity_id if signing else None
