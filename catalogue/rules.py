"""The one table of rejections: each rule names its catalogue clause, the DUIS response code the DCC
answers, and the S1SP Alert code an S1SP raises for it.

The fakes raise these rules; the steps judge by them (never by a code typed in a step). Codes marked
`code_published=True` are from the public DUIS response-code table (primer section 5). DCC publishes no
code for a bad schema, signature or replayed counter, and S1SP Alert codes are free strings in the XSD:
those are this sandbox's documented choices, shown in the evidence rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.clauses import (
    DUIS_ANTI_REPLAY,
    DUIS_COMMAND_VARIANT,
    DUIS_DEVICE,
    DUIS_ELIGIBILITY,
    DUIS_S1SP_COMMUNICATION,
    DUIS_SCHEMA,
    DUIS_SIGNATURE,
    DUIS_USER,
    GBCS_REPLACEMENT_CERTIFICATES,
    PIA_2_2,
    S1SR_4_2,
    SRPD_6_1_F,
    SRPD_16_1,
    SRV_6_21,
    TMAD_5_10_12,
    TMAD_5_10_17,
    Clause,
)


@dataclass(frozen=True)
class Rule:
    """One check that can reject a request: its clause and how the rejection reaches the User."""

    key: str
    clause: Clause
    response_code: str
    summary: str
    code_published: bool = False
    s1sp_alert_code: str | None = None


_TABLE = (
    Rule("schema", DUIS_SCHEMA, "E100", "the request is not valid DUIS"),
    Rule(
        "signature",
        DUIS_SIGNATURE,
        "E1",
        "the signature or signing certificate is not valid",
        s1sp_alert_code="S1SP-SIGNATURE-INVALID",
    ),
    Rule(
        "user",
        DUIS_USER,
        "E1",
        "the sender is not a known User in that User Role",
        code_published=True,
        s1sp_alert_code="S1SP-UNKNOWN-USER",
    ),
    Rule("eligibility", DUIS_ELIGIBILITY, "E2", "the User Role is not entitled to the SRV", code_published=True),
    Rule(
        "command_variant",
        DUIS_COMMAND_VARIANT,
        "E12",
        "the Command Variant is not valid for the SRV",
        code_published=True,
    ),
    Rule(
        "web_service",
        DUIS_COMMAND_VARIANT,
        "E13",
        "the Command Variant was sent to a web service that does not take it",
        code_published=True,
    ),
    Rule(
        "pre_command",
        DUIS_SIGNATURE,
        "E100",
        "the Signed Pre-Command is missing, malformed, or not the Pre-Command the DCC issued for the request",
    ),
    Rule("anti_replay", DUIS_ANTI_REPLAY, "E100", "the originator counter does not strictly increase"),
    Rule(
        "device_unknown",
        DUIS_DEVICE,
        "E19",
        "the device does not exist",
        code_published=True,
        s1sp_alert_code="S1SP-UNKNOWN-DEVICE",
    ),
    Rule("device_type", DUIS_DEVICE, "E11", "the SRV cannot be sent to this device type", code_published=True),
    Rule(
        "registration_data",
        SRPD_6_1_F,
        "E4",
        "the sender is not the registered party for the device in its User Role",
        code_published=True,
    ),
    Rule(
        "s1sp_registration_data",
        SRPD_16_1,
        "E4",
        "the S1SP's Registration Data check failed",
        code_published=True,
        s1sp_alert_code="S1SP-RDP-FAILED",
    ),
    Rule(
        "certificate_owner",
        S1SR_4_2,
        "E100",
        "the Business Originator ID is not the owner of the certificate held for the device",
        s1sp_alert_code="S1SP-CERT-OWNER-MISMATCH",
    ),
    Rule(
        "replacement_certificate",
        GBCS_REPLACEMENT_CERTIFICATES,
        "E100",
        "a replacement certificate is not a valid Organisation certificate for the role",
        s1sp_alert_code="S1SP-INVALID-CERTIFICATE",
    ),
    Rule(
        "replacement_mode",
        GBCS_REPLACEMENT_CERTIFICATES,
        "E100",
        "GBCS has no replacement mode for the Remote Party Role named: the DCC can make no Pre-Command for it",
    ),
    Rule(
        "device_rejected",
        PIA_2_2,
        "E100",
        "the device refused the command: not signed by the holder of its current certificate",
    ),
    Rule(
        "tmad_5_10_12",
        TMAD_5_10_12,
        "E100",
        "the Network Operator certificate offered at enrolment is not the registered Network Operator's",
    ),
    Rule(
        "tmad_5_10_17",
        TMAD_5_10_17,
        "E100",
        "the Network Operator certificate offered at enrolment is not a valid Network Operator certificate",
    ),
    Rule(
        "commissioning_party",
        SRV_6_21,
        "E1",
        "only the DCC Commissioning Party may hand over a meter at enrolment",
        s1sp_alert_code="S1SP-NOT-DCC",
    ),
    Rule(
        "s1sp_deadline",
        DUIS_S1SP_COMMUNICATION,
        "E20",
        "the S1SP answered after the DSP stopped waiting",
        code_published=True,
        s1sp_alert_code="S1SP-DEADLINE-PASSED",
    ),
    Rule(
        "s1sp_unavailable",
        DUIS_S1SP_COMMUNICATION,
        "E20",
        "the S1SP did not answer",
        code_published=True,
    ),
)

RULES: dict[str, Rule] = {rule.key: rule for rule in _TABLE}

S1SP_ALERT_DCC_ALERT_CODE = "N999"
"""An S1SP Alert reaches the User as a DCC Alert; which N-code carries it is not published, so this is
the sandbox's choice (DCC-INTERFACE.md Q4)."""


def rules_for(clause: Clause) -> list[Rule]:
    """The rules that reject a request under `clause` (empty for a clause that only lets things through)."""
    return [rule for rule in _TABLE if rule.clause == clause]


def rule_for_s1sp_alert(code: str) -> Rule | None:
    """The rule an S1SP Alert code stands for: how the DSP (and a User) reads an S1SP's decision."""
    return next((rule for rule in _TABLE if rule.s1sp_alert_code == code), None)
