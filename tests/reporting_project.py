"""A throwaway behave project for the reporting tests: a Rule with a step table, Scenario Outlines (with
and without placeholders in their names), an untagged scenario, an unknown clause tag, a failing
scenario, and one scenario that attaches real-shaped evidence (a critical DUIS exchange as the sandbox
answers it, and the meter's trust anchors before and after), so the report can be read as a person
reads it without starting the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from duis.requests import RequestID, ServiceRequest
from duis.responses import S1SPAlertInfo, ServiceResponse
from duis.srv import SERVICE_REQUEST_VARIANTS
from user_system.client import Exchange, Leg

PROJECT_ROOT = Path(__file__).resolve().parents[1]

EASTERN = "90-B3-D5-1F-30-00-00-02"
WESTERN = "90-B3-D5-1F-30-00-00-01"
SUPPLIER = "90-B3-D5-1F-30-00-00-03"
ACB = "90-B3-D5-1F-30-00-00-04"
METER = "00-DB-12-42-E0-73-0A-BA"
NAMES = {EASTERN: "Eastern Networks", WESTERN: "Western Power", SUPPLIER: "Bright Energy", ACB: "Access Control Broker"}

GOOD_FEATURE = """\
Feature: Registration Data checks
  Background:
    Given a SMETS1 ESME

  @SRPD-6.1.f
  Scenario: A supplier that is not registered is rejected
    Then the request is rejected

  @SRPD-6.1.f
  Scenario Outline: A reading from a supplier is refused
    Then the request from <sender> is rejected
    Examples: suppliers
      | sender |
      | Bright |
      | Flame  |

  Rule: A Network Operator may correct a certificate it wrongly holds

    @SRPD-6.2.d
    Scenario: The wrongly held Network Operator replaces the certificate
      Given the meter holds these certificates:
        | role            | owner   |
        | NetworkOperator | Eastern |
      When Eastern Networks's certificates are replaced by Western Power's
      Then the request is accepted

    @S1SR-4.2
    Scenario Outline: <sender> cannot replace the certificate on a <meter>
      Then the request from <sender> is rejected
      Examples: third parties
        | sender   | meter             |
        | Northern | electricity meter |
        | Supplier | gas meter         |
"""

GAPS_FEATURE = """\
Feature: Gaps in the evidence
  Scenario: A scenario nobody traced
    Given a SMETS1 ESME

  @SRPD-9.9
  Scenario: A scenario naming a clause nobody catalogued
    Given a SMETS1 ESME

  @PIA-3.B
  Scenario: The certificate-owner check stays
    Then the certificate owner matches
"""

STEPS = """\
from behave import given, then, when

from reporting.evidence import attach_anchor_change, attach_exchange, attach_json
from tests.reporting_project import NAMES, anchors, sample_exchange

@given("a SMETS1 ESME")
def _(context):
    pass

@given("the meter holds these certificates:")
def _(context):
    assert context.table.rows

@when("Eastern Networks's certificates are replaced by Western Power's")
def _(context):
    before, after = anchors()
    attach_json(before, "Trust anchors before")  # as the suite's steps do; the change is shown against it
    attach_exchange(sample_exchange(), "Update Security Credentials from Eastern Networks", names=NAMES)
    attach_anchor_change(None, after, NAMES)

@then("the request is {outcome}")
def _(context, outcome):
    pass

@then("the request from {sender} is rejected")
def _(context, sender):
    pass

@then("the certificate owner matches")
def _(context):
    assert False, "S1SR 4.2: certificate owner is not the Business Originator ID"
"""

RESULTS = 9
"""Scenarios (and outline rows) the project has; one fails on purpose."""


def write_project(root: Path) -> Path:
    (root / "features" / "good").mkdir(parents=True)
    (root / "features" / "gaps").mkdir()
    (root / "features" / "steps").mkdir()
    (root / "features" / "good" / "checks.feature").write_text(GOOD_FEATURE)
    (root / "features" / "gaps" / "gaps.feature").write_text(GAPS_FEATURE)
    (root / "features" / "steps" / "steps.py").write_text(STEPS)
    return root


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


def behave(root: Path, formatter: str, results: str = "results") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "behave", "-f", formatter, "-o", results, "-f", "plain"]
    command += ["--junit", "--junit-directory", "junit", "features"]
    return subprocess.run(command, cwd=root, env=env(), capture_output=True, text=True, check=False)


def _anchor(role: str, key_use: str, entity: str, serial: str) -> dict[str, str]:
    owner = NAMES[entity] if entity != ACB else ACB  # the sandbox names the ACB by its ID
    return {"role": role, "key_use": key_use, "entity_id": entity, "owner": owner, "certificate_id": serial}


def anchors() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The meter's six cells before and after Eastern Networks put Western Power's certificates on."""
    common = [
        _anchor("ACB", "DS", ACB, "32B3@Z1"),
        _anchor("ACB", "KA", ACB, "3B08@Z1"),
        _anchor("Supplier", "DS", SUPPLIER, "5882@Z1"),
        _anchor("Supplier", "KA", SUPPLIER, "1461@Z1"),
    ]
    before = [
        *common,
        _anchor("NetworkOperator", "DS", EASTERN, "6C8E@Z1"),
        _anchor("NetworkOperator", "KA", EASTERN, "3D04@Z1"),
    ]
    after = [
        *common,
        _anchor("NetworkOperator", "DS", WESTERN, "304F@Z1"),
        _anchor("NetworkOperator", "KA", WESTERN, "74BC@Z1"),
    ]
    return before, after


DSP_REASON = "DSP: Registration Data not checked under SRPD 6.2(d)"
S1SP_REASON = (
    f"S1SP1: Registration Data not checked: SRPD 6.2(d) for Network Operator certificates; {EASTERN} owns the "
    "NetworkOperator certificate held and signed with its key; applied"
)


def sample_exchange(final: str = "applied") -> Exchange:
    """A critical 6.15.1 as the sandbox answers it: `final` is "applied", "owner" (the S1SP refuses with
    an S1SP Alert) or "dsp" (the DSP refuses at once)."""
    request = ServiceRequest(RequestID(EASTERN, METER, 1795791685506588), SERVICE_REQUEST_VARIANTS["6.15.1"], 4)
    sent = Leg("CV 4 request (Transform)", "User → DCC (/api/v1/serviceT)", b"<sr:Request/>", path="/api/v1/serviceT")
    if final == "dsp":
        refusal = Leg(
            "Response (E4)",
            "DCC → User (synchronous)",
            b"<sr:Response>E4</sr:Response>",
            200,
            "XSD valid; Response signed by the DSP",
            "SRPD 6.1(f)",
            f"DSP: {EASTERN} is not the registered Electricity Distributor for the meter's MPAN",
        )
        response = ServiceResponse("E4", str(request.request_id), "ResponseMessage")
        return Exchange(request, (sent, refusal), response, 200, refusal.clause, refusal.reason)
    legs = [
        sent,
        Leg(
            "Pre-Command",
            "DCC → User (synchronous)",
            b"<sr:Response>I0</sr:Response>",
            200,
            "XSD valid; Response signed by the DSP",
            "SRPD 6.2(d)",
            f"{DSP_REASON}; Pre-Command issued for the User to sign",
        ),
        Leg("Pre-Command signed with the User's Digital Signing key", "User", bytes.fromhex("df0901000661")),
        Leg(
            "CV 5 request (Signed Pre-Command)",
            "User → DCC (/api/v1/serviceS)",
            b"<sr:Request/>",
            path="/api/v1/serviceS",
        ),
        Leg(
            "Acknowledgement (I99)",
            "DCC → User (synchronous)",
            b"<sr:Response>I99</sr:Response>",
            200,
            "XSD valid; Response signed by the DSP",
            "SRPD 6.2(d)",
            f"{DSP_REASON}; accepted, the answer follows at the User's Receive Response Service",
        ),
    ]
    if final == "owner":
        reason = (
            f"{DSP_REASON}; S1SP Alert S1SP-CERT-OWNER-MISMATCH from S1SP1: {EASTERN} does not own the "
            "NetworkOperator certificate held"
        )
        legs.append(
            Leg(
                "DCC Alert carrying an S1SP Alert (S1SP-CERT-OWNER-MISMATCH)",
                "DCC → User (Receive Response Service)",
                b"<sr:Response>E100</sr:Response>",
                None,
                "XSD valid; Response signed by the DSP",
                "S1SR 4.2",
                reason,
            )
        )
        alert = S1SPAlertInfo("S1SP-CERT-OWNER-MISMATCH", METER, f"{EASTERN} does not own the certificate held")
        response = ServiceResponse("E100", str(request.request_id), "DCCAlertMessage", s1sp_alert=alert)
        return Exchange(request, tuple(legs), response, 200, "S1SR 4.2", reason)
    reason = f"{DSP_REASON}; {S1SP_REASON}"
    legs.append(
        Leg(
            "Response (I0)",
            "DCC → User (Receive Response Service)",
            b"<sr:Response>I0</sr:Response>",
            None,
            "XSD valid; Response signed by the DSP; SMETS1SignedResponse signed by the S1SP1",
            "SRPD 6.2(d), PIA 3.3, S1SR 4.2",
            reason,
        )
    )
    response = ServiceResponse("I0", str(request.request_id), "SMETS1ResponseMessage")
    return Exchange(request, tuple(legs), response, 200, "SRPD 6.2(d), PIA 3.3, S1SR 4.2", reason)
