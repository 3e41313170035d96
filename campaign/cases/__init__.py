"""The named cases: every bad input issue 5 lists, on every input path, and every S1SP fault.

DUIS cases send the valid correction's Command Variant 4 to the Transform service (where a Critical
request's access control happens) unless they say otherwise; `Bench.post` follows what the DSP accepts
to its CV 5 and its delivered answer, so the S1SP's checks and faults are reached the way DCC has it."""

from __future__ import annotations

from collections.abc import Iterator

from campaign.bench import Bench
from campaign.cases.identity import authentication, replay
from campaign.cases.local import command_line, configuration, control_api, faults
from campaign.cases.service_requests import certificates, critical_flow, device
from campaign.cases.wire import invalid_duis, not_duis
from campaign.model import Case


def named_cases(bench: Bench) -> Iterator[Case]:
    yield from not_duis(bench)
    yield from invalid_duis(bench)
    yield from authentication(bench)
    yield from replay(bench)
    yield from device(bench)
    yield from certificates(bench)
    yield from critical_flow(bench)
    yield from control_api(bench)
    yield from command_line()
    yield from configuration()
    yield from faults(bench)
