"""Given: who takes part, which meter, what it holds, and how far MP107 is switched on."""

from __future__ import annotations

from reporting.evidence import attach_json
from support.seeding import S1SPS
from support.stepping import given, use_step_matcher, world_of

use_step_matcher("re")

POSSESSIVE = r"(?P<holder>.+?)'s?"


@given(r"these organisations take part:")
def step_organisations(context) -> None:
    for row in context.table:
        certified = row.get("SMKI certificates", "issued") != "none yet"
        user = row.get("DCC User", "yes") == "yes"
        world_of(context).take_part(row["organisation"], row["role"], certified, user)


@given(
    r"an? SMETS(?P<smets>[12]) (?P<meter>electricity meter|gas meter)(?: served by (?P<s1sp>S1SP\d))?"
    r" whose registered Network Operator is (?P<no>.+?)(?: and Supplier is (?P<supplier>.+))?"
)
def step_meter(context, smets: str, meter: str, s1sp: str | None, no: str, supplier: str | None) -> None:
    if smets == "1" and not s1sp:
        raise ValueError("a SMETS1 meter is served by an S1SP: say which")
    world_of(context).install(int(smets), s1sp, meter, no, supplier)


@given(r"the meter holds " + POSSESSIVE + r" (?P<role>Network Operator|Supplier) certificates")
def step_meter_holds(context, holder: str, role: str) -> None:
    world_of(context).hold(holder, role.replace(" ", ""))
    attach_json(world_of(context).anchors_evidence(), "Trust anchors as enrolment left them")


@given(r"the gas meter on the same communications hub is supplied by (?P<supplier>.+)")
def step_gas_supplier(context, supplier: str) -> None:
    world_of(context).supply_gas_meter(supplier)


def _switch(context, dsp: bool, enabled: set[str]) -> None:
    attach_json(world_of(context).switch_mp107(dsp, enabled), "MP107 switch states")


@given(r"MP107 is not enabled")
def step_mp107_off(context) -> None:
    attach_json(world_of(context).require_mp107(dsp=False, at_meter=False), "MP107 switch states")


@given(r"MP107 is enabled")
def step_mp107_on(context) -> None:
    attach_json(world_of(context).require_mp107(dsp=True, at_meter=True), "MP107 switch states")


@given(r"the DCC has switched MP107 on but no S1SP has enabled it yet")
def step_dsp_only(context) -> None:
    attach_json(world_of(context).require_mp107(dsp=True, at_meter=False), "MP107 switch states")


@given(
    r"the DCC's MP107 switch is (?P<dsp>on|off) and (?P<who>no S1SP has|every S1SP has|[S1P\d ,and]+ have) enabled it"
)
def step_rollout(context, dsp: str, who: str) -> None:
    if who == "no S1SP has":
        enabled: set[str] = set()
    elif who == "every S1SP has":
        enabled = set(S1SPS)
    else:
        enabled = {name for name in S1SPS if name in who}
    _switch(context, dsp == "on", enabled)


@given(r"the S1SP serving the meter is not answering")
def step_s1sp_down(context) -> None:
    world_of(context).s1sp_not_answering()


@given(r"the gas meter on the same communications hub holds " + POSSESSIVE + r" Network Operator certificates")
def step_gas_meter_holds(context, holder: str) -> None:
    world_of(context).hold(holder, "NetworkOperator", device_kind="gas meter")
