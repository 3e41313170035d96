@unchanged
Feature: What MP107 leaves as it is
  MP107 lifts one check, the DCC's Registration Data check, for one kind of request: a Network
  Operator's request to replace the Network Operator certificates on a SMETS1 meter. Everything else a
  wrong certificate means, and every other request, is the same whether or not MP107 is enabled. Each
  scenario here runs both ways, and the outcome is the same.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Eastern Networks      | Electricity Distributor |
      | Cadent Gas            | Gas Transporter         |
      | Wales Gas Networks    | Gas Transporter         |
      | Bright Energy         | Import Supplier         |
      | Flame Energy          | Import Supplier         |
      | Flame Gas Supply      | Gas Supplier            |
      | Access Control Broker | Access Control Broker   |

  Rule: The registered Network Operator cannot replace a certificate another Network Operator owns

    @S1SR-4.2
    Scenario Outline: The registered Network Operator is refused because another Network Operator owns the certificate held, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the DCC passes the request on to the S1SP
      But the S1SP rejects the request because Western Power does not own the certificate it holds
      And the meter still holds Eastern Networks' Network Operator certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

  Rule: The wrong certificate limits Network Operators only in Critical requests and alerts

    @PIA-2.3.2.A
    Scenario Outline: The registered Network Operator can still read the meter, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power reads the meter's import registers
      Then the request succeeds

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @PIA-2.3.2.B
    Scenario Outline: Alerts from an electricity meter for its Network Operator go to the owner of the certificate held, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP3 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When the meter raises an alert for its Network Operator
      Then the alert goes to Eastern Networks

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @PIA-2.3.2.B
    Scenario Outline: A gas meter sends no alert to a Network Operator, whoever's certificate it holds, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 gas meter served by S1SP3 whose registered Network Operator is Cadent Gas
      And the meter holds Wales Gas Networks' Network Operator certificates
      When the meter raises an alert for its Network Operator
      Then no Network Operator receives an alert

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

  Rule: Every other request is still checked against Registration Data

    @SRPD-6.1.f
    Scenario Outline: A Supplier not registered for the meter is refused by the DCC's Registration Data check, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Flame Energy asks to replace the meter's Supplier certificates with its own
      Then the DCC rejects the request because Flame Energy is not registered for the meter
      And the meter still holds Bright Energy's Supplier certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @SRPD-6.1.f
    Scenario Outline: A Network Operator not registered for the meter cannot read it, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks reads the meter's import registers
      Then the DCC rejects the request because Eastern Networks is not registered for the meter

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |
