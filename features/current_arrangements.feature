@current-arrangements
Feature: A wrong Network Operator certificate on a SMETS1 meter cannot be corrected today
  In SMETS1 the S1SP that serves a meter holds its Network Operator certificates. When enrolment or
  an earlier update leaves another Network Operator's certificate there, nobody can replace it:
  the registered Network Operator is not the owner of the certificate held (see "What MP107 leaves as
  it is"), and the owner is not registered for the meter. This is the problem MP107 solves.

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

  Rule: The Network Operator whose certificate is wrongly held is not registered for the meter

    @SRPD-6.1.f
    Scenario Outline: The owner of the wrong certificate on a <meter> served by <s1sp> is refused by the DCC's Registration Data check (#1)
      Given a SMETS1 <meter> served by <s1sp> whose registered Network Operator is <registered>
      And the meter holds <wrong>'s Network Operator certificates
      When <wrong> asks to replace the meter's Network Operator certificates with <registered>'s
      Then the DCC's Registration Data check (#1) rejects the request because <wrong> is not registered for the meter
      And the meter still holds <wrong>'s Network Operator certificates

      Examples:
        | meter             | s1sp  | registered    | wrong              |
        | electricity meter | S1SP1 | Western Power | Eastern Networks   |
        | gas meter         | S1SP3 | Cadent Gas    | Wales Gas Networks |

  Rule: A Network Operator of the other fuel is not registered for the meter either

    @SRPD-6.1.f
    Scenario Outline: <other> is refused by the DCC's Registration Data check (#1) on a <meter> registered to <registered>
      Given a SMETS1 <meter> served by S1SP1 whose registered Network Operator is <registered>
      And the meter holds <registered>'s Network Operator certificates
      When <other> asks to replace the meter's Network Operator certificates with its own
      Then the DCC's Registration Data check (#1) rejects the request because <other> is not registered for the meter
      And the meter still holds <registered>'s Network Operator certificates

      Examples: An Electricity Distributor on a gas meter, a Gas Transporter on an electricity meter
        | meter             | registered    | other         |
        | gas meter         | Cadent Gas    | Western Power |
        | electricity meter | Western Power | Cadent Gas    |
