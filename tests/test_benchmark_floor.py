"""The critical flow's floor in `benchmarks.loopback` is the flow's own work: every signature, schema check,
Pre-Command signature and hop one correction made, each message a hop carried serialised and parsed once, in
the order it made them. What a benchmark's floor
counts is a claim like any other; the times themselves are never asserted."""

from __future__ import annotations

from benchmarks.loopback import FlowParts, HandlerClock, _correction, _legs, _parties, flow_steps
from support.seeding import Roster, seed_installation, set_mp107


def test_the_floor_replays_every_part_and_hop_of_one_correction_in_the_order_the_flow_made_them(
    sandbox, control, user_system
) -> None:
    parties = _parties(Roster(control, user_system.receive_url))
    installation = seed_installation(control, parties)
    set_mp107(control, True)
    sender = parties.electricity_distributor
    duis = user_system.duis

    correction = _correction(duis, control, sender, installation.esme)  # asks the Control API: not the flow's
    with FlowParts() as parts, HandlerClock() as clock:
        _legs(duis, user_system.receiver, correction, sender)
        clock.settled()

    posted: list[tuple[int, int]] = []
    steps = flow_steps(parts, clock, lambda sent, answered: posted.append((sent, answered)))
    kinds = [kind for kind, _ in steps]
    # CV 4 to the DSP, CV 5 to the DSP, the countersigned request to the S1SP, the answer to the User
    assert kinds.count("HTTP hop") == 4
    assert kinds.count("XML sign") == kinds.count("XML verify") == 7
    assert kinds.count("schema check") == 5
    assert kinds.count("Pre-Command sign") == kinds.count("Pre-Command verify") == 1
    # every hop's request and answer is DUIS XML but the User's acknowledgement of the delivered answer
    assert kinds.count("XML serialise") == kinds.count("XML parse") == 7
    # the User signs its CV 4 and serialises it; the DSP parses it, checks it, signs and serialises its answer
    assert kinds[:8] == [
        "XML sign", "XML serialise", "HTTP hop", "XML parse", "schema check", "XML verify", "XML sign", "XML serialise",
    ]  # fmt: skip
    assert kinds.index("Pre-Command sign") < kinds.index("Pre-Command verify")

    for _, step in steps:  # each step does its work again: nothing was recorded that cannot be replayed
        step()
    assert len(posted) == 4 and all(sent > 0 for sent, _ in posted)
