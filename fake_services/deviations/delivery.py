"""Wrong DCCs at the DSP's asynchronous delivery: a message a User is owed (an E20 when its S1SP did not
answer, the refusal of its handover, an alert its meter raised for it) delivered to no one."""

from __future__ import annotations

from catalogue import RULES
from duis.requests import ServiceRequest
from duis.srv import REQUEST_HANDOVER
from fake_services.delivery import checks
from fake_services.delivery.checks import DEVICE_ALERT
from fake_services.deviations.base import wrong


@wrong("e20-not-delivered", checks.delivery_recipient)
def _no_word_of_a_silent_s1sp(
    addressee: str, kind: str, request: ServiceRequest | None, accepted: bool, response_code: str
) -> str | None:
    return None if response_code == RULES["s1sp_unavailable"].response_code else addressee


@wrong("handover-refusal-not-delivered", checks.delivery_recipient)
def _refused_handover_untold(
    addressee: str, kind: str, request: ServiceRequest | None, accepted: bool, response_code: str
) -> str | None:
    refused_handover = request is not None and request.srv is REQUEST_HANDOVER and not accepted
    return None if refused_handover else addressee


@wrong("alerts-not-delivered", checks.delivery_recipient)
def _alerts_kept(
    addressee: str, kind: str, request: ServiceRequest | None, accepted: bool, response_code: str
) -> str | None:
    return None if kind == DEVICE_ALERT else addressee
