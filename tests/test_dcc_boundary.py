"""Trust at the DCC boundary, the User's side: a delivered answer belongs to its request and an alert to its
scenario; a re-delivery (the same bytes, the same message laid out or signed again, or one arriving after
the next scenario began) is recognised by its DUIS identity across the run, recorded and never counted;
only the DSP signs what the DCC delivers and only an S1SP what it carries inside; and the receiver's memory
stays bounded whatever it is sent."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from duis.requests import RequestID, format_xml_datetime
from duis.responses import future_dated_alert, response_message, smets1_alert_response, smets1_response
from duis.signature import SignatureInvalid
from duis.smets1 import smets1_device_alert, smets1_signed_response
from duis.srv import SERVICE_REQUEST_VARIANTS
from duis.xml import parse, q, to_bytes
from fake_services.core.signer import ServiceSigner
from smki.authority import TestSMKI as Authority  # not named Test*: pytest would try to collect it
from support.coordinator import MirrorReceiver, coordinating
from support.world import World
from tests.helpers import ScriptedMeterEvents, alert_scenario, dcc_signer
from user_system.message_identity import SeenMessages
from user_system.receiver import PREFIX_BYTES, Receiver, Repeat
from user_system.trust import DCCSignatures

NETWORK_OPERATOR = "90-B3-D5-1F-30-02-00-00"
DEVICE = "00-DB-12-34-56-78-90-A0"
OTHER_DEVICE = "00-DB-12-34-56-78-90-B0"
READ = SERVICE_REQUEST_VARIANTS["6.24.1"]
UPDATE = SERVICE_REQUEST_VARIANTS["6.15.1"]
WAIT = 10.0
"""Generous upper bound for waits that normally end in milliseconds (never asserted)."""


@pytest.fixture(scope="module")
def smki() -> Authority:
    return Authority()


@pytest.fixture(scope="module")
def dsp(smki: Authority) -> ServiceSigner:
    return dcc_signer(smki, "90-B3-D5-1F-30-00-00-02", "DSP")


@pytest.fixture(scope="module")
def s1sp(smki: Authority) -> ServiceSigner:
    return dcc_signer(smki, "90-B3-D5-1F-30-00-00-11", "S1SP1")


@pytest.fixture(scope="module")
def signatures(dsp: ServiceSigner, s1sp: ServiceSigner) -> DCCSignatures:
    """What the User trusts, by the names [dcc.signers] gives: the DSP, and S1SP1."""
    return DCCSignatures({"DSP": dsp.certificate.certificate, "S1SP1": s1sp.certificate.certificate})


@pytest.fixture
def receiver(signatures: DCCSignatures) -> Iterator[Receiver]:
    with Receiver(trust=signatures.verify) as receiver:
        yield receiver


def post(receiver: Receiver, body: bytes) -> requests.Response:
    return requests.post(receiver.url, data=body, headers={"Content-Type": "application/xml"}, timeout=WAIT)


def answer(dsp: ServiceSigner, s1sp: ServiceSigner, counter: int, outer: ServiceSigner | None = None,
           inner: ServiceSigner | None = None) -> bytes:  # fmt: skip
    """The answer to a 6.24.1 as the DCC delivers it: the S1SP's signed SMETS1 response inside the DSP's
    Response (or signed by whoever `outer` / `inner` say)."""
    rid = RequestID(NETWORK_OPERATOR, DEVICE, counter)
    signed_inner = (inner or s1sp).sign(smets1_signed_response(rid, READ, counter))
    return to_bytes((outer or dsp).sign(smets1_response(rid, READ, signed_inner)))


def device_alert(dsp: ServiceSigner, s1sp: ServiceSigner, counter: int, device: str = DEVICE,
                 raised: dt.datetime | None = None) -> bytes:  # fmt: skip
    """A SMETS1 device alert for the Network Operator, as the DCC delivers it, raised at `raised` (now)."""
    inner = s1sp.sign(smets1_device_alert(device, NETWORK_OPERATOR, counter, "8F35"))
    root = smets1_alert_response(inner, f"{device}:{NETWORK_OPERATOR}:{counter}")
    if raised is not None:
        root.find(f"{q('Header')}/{q('ResponseDateTime')}").text = format_xml_datetime(raised)
    return to_bytes(dsp.sign(root))


def eventually(check) -> None:
    """For what a follower learns in the background."""
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


def rid(counter: int) -> str:
    return str(RequestID(NETWORK_OPERATOR, DEVICE, counter))


# -- answers belong to their request; a re-delivery is recognised by its DUIS identity ---------------------


def test_an_exact_re_delivery_is_acknowledged_and_recorded_but_never_an_answer_again(receiver, dsp, s1sp):
    body = answer(dsp, s1sp, 1)
    assert post(receiver, body).status_code == 204
    again = post(receiver, body)

    assert again.status_code == 204 and again.content == b""  # the DCC need not send it once more
    (first,) = receiver.received(rid(1))
    assert first.raw == body and receiver.arrivals() == [first]
    (repeat,) = receiver.repeats()
    assert (repeat.request_id, repeat.exact, repeat.first_seen_at) == (rid(1), True, first.received_at)
    assert repeat.device == DEVICE and receiver.duplicates == 1
    assert repeat.words().startswith(f"re-delivered (seen first at {first.received_at:%Y-%m-%d %H:%M:%S}")
    assert repeat.words().endswith("not counted")


def _comment_added(body: bytes) -> bytes:
    return body.replace(b"<sr:Header>", b"<sr:Header><!-- delivered again -->", 1)


def _blank_text_added(body: bytes) -> bytes:
    return body.replace(b"><", b">\n  <") + b"\n"


def _re_signed_in_lower_case(body: bytes, dsp: ServiceSigner) -> bytes:
    """The same message signed again by the DSP, its identifiers written in lower case (as DCC's
    duis-parser writes EUI-64s): other bytes, another signature, the same DUIS message."""
    root = etree.fromstring(body)
    root.remove(root.find(q("Signature", "http://www.w3.org/2000/09/xmldsig#")))
    for name in ("RequestID", "ResponseID"):
        element = root.find(f"{q('Header')}/{q(name)}")
        element.text = element.text.lower()
    return to_bytes(dsp.sign(root))


@pytest.mark.parametrize("change", ["a comment added", "blank text added", "signed again, in lower case"])
def test_a_re_delivery_laid_out_or_signed_differently_is_the_same_duis_message(receiver, dsp, s1sp, change):
    body = answer(dsp, s1sp, 2)
    changed = {
        "a comment added": _comment_added,
        "blank text added": _blank_text_added,
        "signed again, in lower case": lambda b: _re_signed_in_lower_case(b, dsp),
    }[change](body)
    assert changed != body
    assert post(receiver, body).status_code == 204
    assert post(receiver, changed).status_code == 204, receiver.refused()

    assert [r.raw for r in receiver.received(rid(2))] == [body]
    (repeat,) = receiver.repeats()
    assert repeat.request_id == rid(2) and not repeat.exact
    assert "re-delivered" in repeat.words() and "not counted" in repeat.words()


def test_a_late_re_delivery_after_the_next_scenario_began_is_still_recognised_and_answers_nothing(
    receiver, dsp, s1sp
):
    body = answer(dsp, s1sp, 3)
    post(receiver, body)
    (first,) = receiver.received(rid(3))
    receiver.clear()  # the next scenario begins: its messages are forgotten, not what was seen

    assert post(receiver, _blank_text_added(body)).status_code == 204
    assert receiver.received(rid(3)) == [] and receiver.arrivals() == []
    (repeat,) = receiver.repeats()
    assert repeat.first_seen_at == first.received_at
    with pytest.raises(TimeoutError):  # a late one is never an answer, whoever waits for its RequestID
        receiver.wait_for(rid(3), timeout=0.2)


def test_messages_sharing_a_response_id_are_different_messages(receiver, dsp):
    """A future-dated command's answer and its 8F66 alert later share the request's ResponseID: each is
    delivered once and both are kept (the ResponseID alone is not a message's identity)."""
    request = RequestID(NETWORK_OPERATOR, DEVICE, 4)
    now = to_bytes(dsp.sign(response_message(request, "I0", UPDATE)))
    later = to_bytes(dsp.sign(future_dated_alert(request, request.response_id(), UPDATE, True, b"\x00")))
    assert post(receiver, now).status_code == post(receiver, later).status_code == 204
    assert [r.raw for r in receiver.received(str(request))] == [now, later]
    assert receiver.repeats() == []


def test_a_re_delivery_reaches_every_process_of_a_run_as_a_repeat(receiver, dsp, s1sp):
    """A run's processes mirror the one receiver: what it takes for a re-delivery, they do too."""
    body = answer(dsp, s1sp, 5)
    with coordinating(receiver) as coordinator:
        mirror = MirrorReceiver(coordinator.url, receiver.url)
        mirror.start()
        try:
            post(receiver, body)
            mirror.wait_for(rid(5), timeout=WAIT)
            post(receiver, _comment_added(body))
            eventually(mirror.repeats)
            (repeat,) = mirror.repeats()
            assert repeat.first_seen_at == receiver.received(rid(5))[0].received_at
            assert len(mirror.received(rid(5))) == 1 and mirror.duplicates == 1
        finally:
            mirror.stop()


# -- only the DSP signs what the DCC delivers; an S1SP what it carries ------------------------------------


def test_the_envelope_must_be_signed_by_the_dsp_and_what_it_carries_by_an_s1sp(signatures, dsp, s1sp):
    good = signatures.verify(parse(answer(dsp, s1sp, 6)))
    assert good == "Response signed by the DSP; SMETS1SignedResponse signed by the S1SP1"
    with pytest.raises(SignatureInvalid, match="Response is signed by the S1SP1, not by the DSP"):
        signatures.verify(parse(answer(dsp, s1sp, 7, outer=s1sp)))
    with pytest.raises(SignatureInvalid, match="SMETS1SignedResponse is signed by the DSP, not by an S1SP"):
        signatures.verify(parse(answer(dsp, s1sp, 8, inner=dsp)))


def test_an_envelope_signed_by_an_s1sp_is_refused_recorded_and_never_an_answer(receiver, dsp, s1sp):
    body = answer(dsp, s1sp, 9, outer=s1sp)
    refusal = post(receiver, body)

    assert refusal.status_code == 400 and "signed by the S1SP1, not by the DSP" in refusal.text
    (refused,) = receiver.refused()
    assert refused.sha256 == hashlib.sha256(body).hexdigest() and refused.size == len(body)
    assert "not by the DSP" in refused.reason and refused.status == 400
    assert receiver.arrivals() == [] and receiver.repeats() == []
    with pytest.raises(TimeoutError, match="not by the DSP"):
        receiver.wait_for(rid(9), timeout=0.2)


# -- the receiver's memory is bounded ----------------------------------------------------------------------


def test_a_refused_body_is_kept_as_a_summary_and_only_the_latest_refusals_are_kept(signatures):
    junk = [bytes([65 + n]) * 1_000_000 for n in range(3)]
    with Receiver(trust=signatures.verify, refused_limit=2) as small:
        for body in junk:
            assert post(small, body).status_code == 400
        kept = small.refused()
    assert small.refused_count == 3
    assert [r.sha256 for r in kept] == [hashlib.sha256(body).hexdigest() for body in junk[1:]]
    assert all(r.size == 1_000_000 and len(r.prefix) == PREFIX_BYTES for r in kept)
    assert kept[0].prefix == junk[1][:PREFIX_BYTES]


def test_repeats_and_accepted_messages_are_kept_within_their_bounds(signatures, dsp, s1sp):
    bodies = [answer(dsp, s1sp, counter) for counter in (11, 12, 13)]
    with Receiver(trust=signatures.verify, repeats_limit=2, kept_bytes=len(bodies[0]) * 2 + 10) as small:
        for body in bodies:
            post(small, body)
        for _ in range(3):
            post(small, bodies[2])
        assert [r.raw for r in small.arrivals()] == bodies[1:]  # the oldest accepted message is forgotten
        assert small.received(rid(11)) == []
        assert len(small.repeats()) == 2 and small.duplicates == 3
        assert small.mark() == 3 + 2  # what was forgotten still counts, so a follower keeps its place


def test_the_seen_set_forgets_the_least_recently_seen_message_beyond_its_limit():
    seen = SeenMessages(limit=2)
    at = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)
    assert seen.check_in("a", b"1", at) is None and seen.check_in("b", b"2", at) is None
    assert seen.check_in("a", b"1", at) is not None  # seen again: now the most recent
    assert seen.check_in("c", b"3", at) is None  # "b" is forgotten, "a" kept
    assert len(seen) == 2 and seen.check_in("a", b"x", at).digest == b"1"
    assert seen.check_in("b", b"2", at) is None


# -- an alert belongs to its scenario ----------------------------------------------------------------------


def _world(receiver: Receiver, deliver) -> World:
    """A scenario about the electricity meter DEVICE, whose "raise an alert" makes `deliver` happen."""
    names = {NETWORK_OPERATOR: "Eastern Networks"}
    return alert_scenario(receiver, ScriptedMeterEvents(deliver), names, DEVICE, answer_timeout=1.0)


def test_a_replayed_alert_from_an_earlier_scenario_does_not_satisfy_a_later_ones_then(receiver, dsp, s1sp):
    earlier = device_alert(dsp, s1sp, 21)
    assert post(receiver, earlier).status_code == 204  # the earlier scenario's alert, delivered then
    world = _world(receiver, lambda device: [post(receiver, body) for body in (earlier, _comment_added(earlier))])

    assert world.raise_alert() is None  # the meter's own alert never came: nobody received one
    assert world.alert_recipient != "Eastern Networks"  # so "Then the alert goes to Eastern Networks" fails
    rows = world.deliveries_not_counted()
    assert len(rows) == 2 and all(row["why"].startswith("re-delivered (seen first at") for row in rows)
    assert all(row["why"].endswith("not counted") and DEVICE in row["message"] for row in rows)


def test_an_alert_raised_before_the_scenarios_request_or_about_another_device_does_not_count(
    receiver, dsp, s1sp
):
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

    def deliver(device: str) -> None:
        post(receiver, device_alert(dsp, s1sp, 31, raised=an_hour_ago))  # late: first delivered only now
        post(receiver, device_alert(dsp, s1sp, 32, device=OTHER_DEVICE))
        post(receiver, device_alert(dsp, s1sp, 33))  # the meter's own alert, raised now

    world = _world(receiver, deliver)
    assert world.raise_alert() == "Eastern Networks"
    (late,) = world.deliveries_not_counted()
    assert f"{DEVICE}:{NETWORK_OPERATOR}:31" in late["message"]
    assert late["why"].startswith(f"raised at {an_hour_ago:%Y-%m-%d %H:%M:%S}")
    assert "before this scenario's request" in late["why"]
    assert late["why"].endswith("not counted")


def test_repeat_words_say_when_it_was_first_seen():
    at = dt.datetime(2030, 1, 15, 10, 0, 1, 250000, tzinfo=dt.UTC)
    repeat = Repeat("id", rid(1), None, DEVICE, at, at + dt.timedelta(minutes=3), 100, True)
    assert repeat.words() == "re-delivered (seen first at 2030-01-15 10:00:01.250 UTC), not counted"
