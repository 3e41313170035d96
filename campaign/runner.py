"""Run the campaign and print what it tried: per category the cases, how many were rejected
correctly, state changes found (must be 0) and crashes (must be 0). Exits 1 otherwise.

A request the DSP refuses at once must change nothing (the state fingerprint is unchanged). A request
the DSP accepted (I99) and an S1SP then refused has used up its originator counter, as DUIS has it,
and must change nothing else: that is what it is judged by.

    python -m campaign [--generated N] [--seed S]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

from campaign.bench import Bench
from campaign.cases import named_cases
from campaign.model import Case, Sent, Tally
from campaign.mutations import generated_cases
from duis.requests import RequestID

LIVENESS_EVERY = 50


def run_case(bench: Bench, case: Case) -> tuple[Sent, bool]:
    """Send one case; return what came back and whether state changed without a success (beyond the
    originator counter of a request the DSP accepted before it was refused)."""
    if case.prepare:
        case.prepare()
    before, state, counters = bench.fingerprint(), bench.state(), bench.counters_used()
    try:
        sent = case.run()
    except Exception as exc:  # the campaign must finish and say so
        sent = Sent(0, detail=f"the case itself failed: {exc!r}", kind="raised")
    if sent.acknowledged:
        used = RequestID.parse(sent.acknowledged)
        changed = bench.state() != state or bench.counters_used() != counters | {used.originator: str(used.counter)}
    else:
        changed = bench.fingerprint() != before
    if sent.succeeded:
        bench.restore()
    return sent, changed and not sent.succeeded


def run(generated: int, seed: int, progress=print) -> dict[str, Tally]:
    bench = Bench()
    tallies: dict[str, Tally] = {}
    accepted = refused_after_i99 = 0
    try:
        cases = itertools.chain(named_cases(bench), generated_cases(bench, generated, seed))
        for n, case in enumerate(cases, start=1):
            tally = tallies.setdefault(case.category, Tally())
            sent, state_changed = run_case(bench, case)
            tally.cases += 1
            accepted += sent.succeeded
            refused_after_i99 += bool(sent.acknowledged) and not sent.succeeded
            crashed = sent.crashed
            if (crashed or n % LIVENESS_EVERY == 0) and not bench.alive():
                crashed = True
                sent = Sent(sent.status, detail=sent.detail + "; the DSP no longer answers a valid request")
            correct = case.expect.met_by(sent) and not crashed
            tally.correct += correct
            tally.state_changes += state_changed
            tally.crashes += crashed
            if not correct or state_changed or crashed:
                tally.failures.append(
                    f"{case.name}: got {sent.status} {sent.response_code or ''} "
                    f"{sent.alert or ''} {sent.detail}".strip()
                )
            if n % 250 == 0:
                progress(f"  ... {n} cases")
    finally:
        bench.close()
    tallies["(harmless mutations accepted)"] = Tally(cases=accepted, correct=accepted)
    tallies["(accepted with I99, then refused)"] = Tally(cases=refused_after_i99, correct=refused_after_i99)
    return tallies


def report(tallies: dict[str, Tally]) -> str:
    lines = [f"{'category':<40}{'cases':>7}{'rejected correctly':>20}{'state changes':>15}{'crashes':>9}"]
    total = Tally()
    for category, t in tallies.items():
        if category.startswith("("):
            continue
        lines.append(f"{category:<40}{t.cases:>7}{t.correct:>20}{t.state_changes:>15}{t.crashes:>9}")
        total.cases += t.cases
        total.correct += t.correct
        total.state_changes += t.state_changes
        total.crashes += t.crashes
    lines.append(f"{'total':<40}{total.cases:>7}{total.correct:>20}{total.state_changes:>15}{total.crashes:>9}")
    harmless = tallies.get("(harmless mutations accepted)")
    if harmless:
        lines.append(
            f"generated mutations accepted because they are still valid DUIS (e.g. only one certificate "
            f"replaced, white space): {harmless.cases}"
        )
    deferred = tallies.get("(accepted with I99, then refused)")
    if deferred:
        lines.append(
            f"cases the DSP accepted (I99) and an S1SP or device then refused, the answer delivered later: "
            f"{deferred.cases} (each used up its originator counter and changed nothing else)"
        )
    for category, t in tallies.items():
        for failure in t.failures[:10]:
            lines.append(f"FAILED [{category}] {failure}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=1000, help="generated mutations to send (default 1000)")
    parser.add_argument("--seed", type=int, default=107, help="seed for the mutations (default 107)")
    args = parser.parse_args(argv)
    if args.generated < 0:
        parser.error("--generated cannot be negative")
    start = time.perf_counter()
    print(f"Hostile-input and fault campaign: named cases + {args.generated} generated mutations (seed {args.seed})")
    tallies = run(args.generated, args.seed)
    print(report(tallies))
    bad = sum(t.state_changes + t.crashes + (t.cases - t.correct) for t in tallies.values())
    print(f"campaign: {'passed' if not bad else 'FAILED'} in {time.perf_counter() - start:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
