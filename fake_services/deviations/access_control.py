"""Wrong DCCs at the Registration Data check (SRPD 6.1(f), its exceptions 6.2(a)-(d)), as the DSP applies it
and each S1SP applies it again (SRPD 16.1)."""

from __future__ import annotations

from duis.requests import ServiceRequest
from duis.srv import UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.core.records import Device, User
from fake_services.deviations.base import wrong
from fake_services.registration import checks


@wrong("no-6-2-d", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _never_excepted(request: ServiceRequest, sender: User, device: Device) -> bool:
    return False


@wrong("6-2-d-for-suppliers-too", checks.srpd_6_2_d_smets1_krp_from_network_operator)
def _any_role(request: ServiceRequest, sender: User, device: Device) -> bool:
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP and device.smets == 1
