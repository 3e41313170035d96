"""Future dating (issue 9): a 6.15.1 with an ExecutionDateTime is checked on receipt, answered at once
without an ExecutionOutcome, never applied early, applied when the sandbox's clock reaches its time (the
sender then gets the 8F66 future-dated alert), and cancelled by DCC's 3000-12-31 form."""

from __future__ import annotations

import datetime as dt

import pytest

from catalogue import RULES
from tests.helpers import enable_mp107, holder_of, krp_request, standard_installation

EXECUTION = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)  # DCC's …_FUTURE_DATED_… sample
CANCELLATION = dt.datetime(3000, 12, 31, tzinfo=dt.UTC)  # DCC's …_CANCELLATION_… sample


@pytest.fixture
def meter(control, cast):
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    return inst


def _future_dated(duis, control, cast, meter, when: dt.datetime):
    request = krp_request(duis, control, cast.eastern, meter.esme, cast.western, execution_date_time=when)
    return duis.send(request, cast.eastern)


def test_a_future_dated_update_is_answered_at_once_and_not_applied_early(control, duis, cast, meter, user_system):
    exchange = _future_dated(duis, control, cast, meter, EXECUTION)
    assert exchange.response.succeeded, exchange.reason
    assert exchange.response.execution_outcome_present is False
    assert holder_of(control, meter.esme) == cast.eastern.entity_id
    control.move_clock(now="2030-01-14T23:59:00Z")
    assert holder_of(control, meter.esme) == cast.eastern.entity_id
    assert [
        r.response.future_dated_alert_code
        for r in user_system.receiver.received(str(exchange.request.request_id))
        if r.response.future_dated_alert_code
    ] == []


def test_a_future_dated_update_is_applied_when_its_time_comes_and_the_sender_told(
    control, duis, cast, meter, user_system
):
    exchange = _future_dated(duis, control, cast, meter, EXECUTION)
    moved = control.move_clock(now="2030-01-15T00:00:01Z")
    assert moved["ran"] == 1
    assert holder_of(control, meter.esme) == cast.western.entity_id
    alert = user_system.receiver.wait_for(
        str(exchange.request.request_id), lambda r: r.response.future_dated_alert_code is not None, 10
    )
    assert alert.response.future_dated_alert_code == "8F66"
    assert alert.response.response_code == "I0"


def test_the_cancellation_form_cancels_what_is_pending(control, duis, cast, meter, user_system):
    pending = _future_dated(duis, control, cast, meter, EXECUTION)
    cancel = _future_dated(duis, control, cast, meter, CANCELLATION)
    assert cancel.response.succeeded, cancel.reason
    assert "cancelled 1 pending" in cancel.reason
    assert control.move_clock(now="2030-02-01T00:00:00Z")["ran"] == 0
    assert holder_of(control, meter.esme) == cast.eastern.entity_id
    assert all(
        r.response.future_dated_alert_code is None
        for r in user_system.receiver.received(str(pending.request.request_id))
    )


def test_a_future_dated_update_is_still_checked_on_receipt(control, duis, cast, meter):
    """The owner check happens when the request arrives, not only when it runs: Western does not hold
    the certificate, so its future-dated update is refused at once."""
    request = krp_request(duis, control, cast.western, meter.esme, cast.western, execution_date_time=EXECUTION)
    exchange = duis.send(request, cast.western)
    assert exchange.response.s1sp_alert is not None
    assert exchange.response.s1sp_alert.code == RULES["certificate_owner"].s1sp_alert_code
    assert control.move_clock(now="2030-02-01T00:00:00Z")["ran"] == 0
