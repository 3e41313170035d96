@current-arrangements
Feature: A wrong Network Operator certificate on a SMETS1 meter cannot be corrected today
  In SMETS1 the S1SP that serves a meter holds its Network Operator certificates. When enrolment or
  an earlier update leaves another Network Operator's certificate there, nobody can replace it:
  the registered Network Operator is not the owner of the certificate held, and the owner is not
  registered for the meter. This is the problem MP107 solves.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Eastern Networks      | Electricity Distributor |
      | Cadent Gas            | Gas Transporter         |
      | Wales Gas Networks    | Gas Transporter         |
      | Bright Energy         | Import Supplier         |
      | Flame Gas Supply      | Gas Supplier            |
      | Access Control Broker | Access Control Broker   |
    And MP107 is not enabled

  Rule: The registered Network Operator cannot replace a certificate it does not own

    @S1SR-4.2
    Scenario: The registered Network Operator is refused because another Network Operator owns the certificate held
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the DCC passes the request on to the S1SP
      But the S1SP rejects the request because Western Power does not own the certificate it holds
      And the meter still holds Eastern Networks' Network Operator certificates

  Rule: The Network Operator whose certificate is wrongly held is not registered for the meter

    @SRPD-6.1.f
    Scenario Outline: The owner of the wrong certificate on a <meter> is refused by the DCC's Registration Data check
      Given a SMETS1 <meter> served by S1SP1 whose registered Network Operator is <registered>
      And the meter holds <wrong>'s Network Operator certificates
      When <wrong> asks to replace the meter's Network Operator certificates with <registered>'s
      Then the DCC rejects the request because <wrong> is not registered for the meter
      And the meter still holds <wrong>'s Network Operator certificates

      Examples:
        | meter             | registered    | wrong              |
        | electricity meter | Western Power | Eastern Networks   |
        | gas meter         | Cadent Gas    | Wales Gas Networks |

    @SRPD-16.1
    Scenario: The S1SP repeats the Registration Data check when the DCC lets the request through
      Given a SMETS1 electricity meter served by S1SP2 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      And the DCC has switched MP107 on but no S1SP has enabled it yet
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC passes the request on to the S1SP
      But the S1SP rejects the request because Eastern Networks is not registered for the meter
      And the meter still holds Eastern Networks' Network Operator certificates

  Rule: The wrong certificate limits Network Operators only in Critical requests and alerts

    @PIA-2.3.2.A
    Scenario: The registered Network Operator can still read the meter
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power reads the meter's import registers
      Then the request succeeds

    @PIA-2.3.2.B
    Scenario Outline: Alerts from a <meter> for the Network Operator follow the certificate held, not the registration
      Given a SMETS1 <meter> served by S1SP3 whose registered Network Operator is <registered>
      And the meter holds <wrong>'s Network Operator certificates
      When the meter raises an alert for its Network Operator
      Then <receiver>

      Examples:
        | meter             | registered    | wrong              | receiver                                       |
        | electricity meter | Western Power | Eastern Networks   | the alert goes to Eastern Networks             |
        | gas meter         | Cadent Gas    | Wales Gas Networks | no Network Operator receives an alert          |
