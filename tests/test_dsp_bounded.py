"""The DSP's memory stays bounded at the DCC boundary (issue 16): a Pre-Command awaits its Signed Pre-Command
(CV 5) only so long and only so many per User, the oldest dropped, and is forgotten once completed; a signed
request that carries anything inside a `ds:Object` (another User's signed request, say) is refused before
anything reads it."""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from catalogue import DUIS_ANTI_REPLAY, DUIS_SIGNATURE, RULES
from duis.precommand import sign_pre_command
from duis.requests import RequestID, ServiceRequest
from duis.responses import ServiceResponse
from duis.srv import SERVICE_REQUEST_VARIANTS
from duis.xml import DS, SR, parse, q, to_bytes
from fake_services.core.clock import Clock
from fake_services.core.rejections import Rejection
from fake_services.core.store import Store
from fake_services.dsp.models import TransformLimits, Transforms
from tests.helpers import enable_mp107, holder_of, krp_request, standard_installation
from user_system.client import SERVICE_PATH, TRANSFORM_PATH, sign_request

METER = "00-DB-12-34-56-78-90-A0"


def _transform(duis, control, sender, device_id, replacement) -> tuple[ServiceRequest, bytes]:
    """A CV 4 sent to Transform: the request and the Pre-Command the DSP issued for it."""
    request = replace(krp_request(duis, control, sender, device_id, replacement), command_variant=4)
    exchange = duis.post(request, sign_request(request, sender.identity), TRANSFORM_PATH)
    assert exchange.response.pre_command is not None, exchange.reason
    return request, exchange.response.pre_command


def _cv5(duis, request: ServiceRequest, pre_command: bytes, sender):
    cv5 = ServiceRequest(
        request.request_id, request.srv, 5, signed_pre_command=sign_pre_command(pre_command, sender.device_signing_key)
    )
    return duis.post(cv5, sign_request(cv5, sender.identity), SERVICE_PATH)


def test_a_pre_command_expires_and_its_cv5_is_refused_saying_so(control, duis, cast):
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    request, pre_command = _transform(duis, control, cast.eastern, inst.esme, cast.western)
    control.move_clock(advance_seconds=TransformLimits().lifetime_seconds + 60)
    exchange = _cv5(duis, request, pre_command, cast.eastern)
    assert exchange.response.response_code == RULES["pre_command"].response_code
    assert exchange.decided_by == (DUIS_SIGNATURE,)
    assert f"the Pre-Command for RequestID {request.request_id} expired" in exchange.reason
    assert holder_of(control, inst.esme) == cast.eastern.entity_id


def test_a_completed_pre_command_is_forgotten_and_its_cv5_again_is_a_replay(control, duis, cast):
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    request, pre_command = _transform(duis, control, cast.eastern, inst.esme, cast.western)
    assert _cv5(duis, request, pre_command, cast.eastern).response.succeeded
    again = _cv5(duis, request, pre_command, cast.eastern)
    assert again.response.response_code == RULES["anti_replay"].response_code
    assert again.decided_by == (DUIS_ANTI_REPLAY,), again.reason


def test_pre_commands_awaiting_are_bounded_per_user_oldest_dropped_and_by_age() -> None:
    store = Store()
    clock = Clock(store)
    transforms = Transforms(store, clock, TransformLimits(lifetime_seconds=60, per_user=3))
    alice, bob = "90-B3-D5-1F-30-02-00-00", "90-B3-D5-1F-30-01-00-00"

    def issue(originator: str, counter: int) -> RequestID:
        request = ServiceRequest(RequestID(originator, METER, counter), SERVICE_REQUEST_VARIANTS["6.15.1"], 4)
        transforms.issue(request, request.to_xml(), b"payload %d" % counter)
        return request.request_id

    alices = [issue(alice, n) for n in range(1, 6)]
    bobs = [issue(bob, 1)]
    rows = store.all("SELECT request_id FROM transforms ORDER BY issued_at")
    assert sorted(r["request_id"] for r in rows) == sorted(str(r) for r in alices[2:] + bobs)  # 3 of Alice's, Bob's
    for dropped in alices[:2]:
        try:
            transforms.awaiting(dropped)
        except Rejection as rejection:
            assert rejection.rule.key == "pre_command" and "was dropped" in rejection.detail
        else:
            raise AssertionError("a dropped Pre-Command was still awaited")
    assert transforms.awaiting(alices[-1])[1] == b"payload 5"
    clock.advance(61)
    issue(bob, 2)  # issuing forgets what expired
    assert [r["request_id"] for r in store.all("SELECT request_id FROM transforms")] == [f"{bob}:{METER}:2"]


def test_a_signed_request_carrying_another_inside_ds_object_is_refused_before_anything_reads_it(control, duis, cast):
    """Western's own signed correction wraps Eastern's signed correction in a `ds:Object` of its signature: the
    enveloped signature does not cover the Object, and the DUIS signature profile has none: refused E1."""
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    eastern_s = replace(krp_request(duis, control, cast.eastern, inst.esme, cast.eastern), command_variant=4)
    theirs = parse(sign_request(eastern_s, cast.eastern.identity))
    mine = replace(krp_request(duis, control, cast.western, inst.esme, cast.western), command_variant=4)
    root = parse(sign_request(mine, cast.western.identity))
    etree.SubElement(root.find(q("Signature", DS)), q("Object", DS)).append(theirs)
    before = control.fingerprint()
    exchange = duis.post(mine, to_bytes(root), TRANSFORM_PATH)
    assert exchange.response.response_code == RULES["signature"].response_code == "E1"
    assert exchange.decided_by == (DUIS_SIGNATURE,)
    assert "ds:Object" in exchange.reason
    assert control.fingerprint() == before
    assert ServiceResponse.from_xml(parse(exchange.response_xml)).pre_command is None
    assert root.find(f".//{{{SR}}}Request") is not None  # the wrapped request was really there
