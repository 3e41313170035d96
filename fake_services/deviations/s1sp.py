"""Wrong DCCs at an S1SP: the certificate-owner check (S1SR 4.2), which 6.15.1 skips the Registration Data
check (PIA 3.3), and each S1SP's own enablement (PIA 3.2)."""

from __future__ import annotations

from lxml import etree

from catalogue import S1SR_4_2
from duis.requests import ServiceRequest
from duis.srv import UPDATE_SECURITY_CREDENTIALS_KRP
from fake_services.core.records import Anchor
from fake_services.core.rejections import Verdict
from fake_services.deviations.base import wrong
from fake_services.s1sp import checks


@wrong("owner-check-skipped", checks.s1sr_4_2_certificate_owner_check)
def _whoever_holds_it(
    request: ServiceRequest, root: etree._Element, signed_pre_command: bytes | None, held: Anchor | None
) -> Verdict:
    return Verdict(S1SR_4_2, "owner not checked")


@wrong("s1sp-skips-rdp-for-supplier-certificates", checks.pia_3_3_targets_network_operator_certificates)
def _any_certificates(request: ServiceRequest) -> bool:
    return request.srv is UPDATE_SECURITY_CREDENTIALS_KRP
