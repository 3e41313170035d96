"""The one table of outcomes: every check's clause, DUIS response code, S1SP Alert code and reason.

Codes marked `known=True` are from the public DUIS response-code table (primer section 5); DCC does
not publish codes for a bad signature, a replayed counter or a malformed body, so those are this
sandbox's documented choice, shown in the evidence rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One check that can reject a request."""

    key: str
    clause: str
    response_code: str
    summary: str
    known: bool = False
    s1sp_alert_code: str | None = None


RULES: dict[str, Rule] = {
    r.key: r
    for r in (
        Rule("schema", "DUIS schema V5.1", "E100", "the request is not valid DUIS"),
        Rule("signature", "DUIS message signing (SMKI)", "E1", "the signature or signing certificate is not valid"),
        Rule(
            "user", "SRPD 6.1 (sender is a User)", "E1", "the sender is not a known User in that User Role", known=True
        ),
        Rule("eligibility", "DUIS eligibility matrix", "E2", "the User Role is not entitled to the SRV", known=True),
        Rule(
            "command_variant", "DUIS Command Variant", "E12", "the Command Variant is not valid for the SRV", known=True
        ),
        Rule("anti_replay", "DUIS anti-replay", "E100", "the originator counter does not strictly increase"),
        Rule("device_unknown", "Smart Metering Inventory", "E19", "the device does not exist", known=True),
        Rule("device_type", "DUIS SRV / device type", "E11", "the SRV cannot be sent to this device type", known=True),
        Rule(
            "registration_data",
            "SRPD 6.1(f)",
            "E4",
            "the sender is not the registered party for the device in its User Role",
            known=True,
        ),
        Rule(
            "s1sp_registration_data",
            "SRPD 16.1",
            "E4",
            "the S1SP's Registration Data check failed",
            known=True,
            s1sp_alert_code="S1SP-RDP-FAILED",
        ),
        Rule(
            "certificate_owner",
            "S1SR 4.2",
            "E100",
            "the Business Originator ID is not the owner of the certificate held for the device",
            s1sp_alert_code="S1SP-CERT-OWNER-MISMATCH",
        ),
        Rule(
            "replacement_certificate",
            "S1SR 4.2 / GBCS KRP",
            "E100",
            "a replacement certificate is not a valid Organisation certificate for the role",
            s1sp_alert_code="S1SP-INVALID-CERTIFICATE",
        ),
        Rule(
            "device_rejected",
            "GBCS KRP update (SMETS2 device)",
            "E100",
            "the device refused the command: not signed by the holder of its current certificate",
        ),
        Rule(
            "tmad_5_10_12",
            "TMAD 5.10.12",
            "E100",
            "the Network Operator certificate offered at enrolment is not the registered Network Operator's",
        ),
        Rule(
            "tmad_5_10_17",
            "TMAD 5.10.17",
            "E100",
            "the Network Operator certificate offered at enrolment is not a valid Network Operator certificate",
        ),
        Rule(
            "commissioning_party",
            "SRV 6.21 (DCC Commissioning Party)",
            "E1",
            "only the DCC Commissioning Party may hand over a meter at enrolment",
            s1sp_alert_code="S1SP-NOT-DCC",
        ),
        Rule(
            "s1sp_deadline",
            "DSP routing to S1SP",
            "E20",
            "the S1SP answered after the DSP stopped waiting",
            known=True,
            s1sp_alert_code="S1SP-DEADLINE-PASSED",
        ),
        Rule("s1sp_unavailable", "DSP routing to S1SP", "E20", "the S1SP did not answer", known=True),
    )
}

# An S1SP Alert reaches the User as a DCC Alert; DUIS gives no code for MP107, this is our choice.
S1SP_ALERT_DCC_ALERT_CODE = "N999"


class Rejection(Exception):
    """A request rejected by `rule`, with the specific reason."""

    def __init__(self, rule_key: str, detail: str) -> None:
        self.rule = RULES[rule_key]
        self.detail = detail
        super().__init__(f"{self.rule.clause}: {detail}")
