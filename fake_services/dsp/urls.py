"""The DSP's routes: DUIS web services as DCC Boxed exposes them, each `POST application/xml`:
`/api/v1/serviceT` (Transform), `/api/v1/serviceS` (Send Command) and `/api/v1/serviceD` (Non-Device)."""

from __future__ import annotations

from duis.command_variants import WEB_SERVICE_PATHS
from fake_services.core.signer import ServiceSigner
from fake_services.dsp.checks import NON_DEVICE, SEND, TRANSFORM
from fake_services.dsp.models import DSP
from fake_services.dsp.responses import DSPResponses
from serving.web import App


def dsp_app(dsp: DSP, signer: ServiceSigner) -> App:
    responses = DSPResponses(dsp, signer)
    return App(
        [
            ("POST", WEB_SERVICE_PATHS[TRANSFORM], responses.transform),
            ("POST", WEB_SERVICE_PATHS[SEND], responses.send_command),
            ("POST", WEB_SERVICE_PATHS[NON_DEVICE], responses.non_device),
        ]
    )
