@unchanged
Feature: What MP107 leaves as it is
  MP107 lifts one check, the DCC's Registration Data check, for one kind of request: a Network
  Operator's request to replace the Network Operator certificates on a SMETS1 meter. Everything else a
  wrong certificate means, and every other request, is the same whether or not MP107 is enabled. Each
  scenario here runs both ways, and the outcome is the same.

  Background:
    Given these organisations take part:
      | organisation                 | role                    |
      | Western Power                | Electricity Distributor |
      | Eastern Networks             | Electricity Distributor |
      | Cadent Gas                   | Gas Transporter         |
      | Wales Gas Networks           | Gas Transporter         |
      | Bright Energy                | Import Supplier         |
      | Flame Energy                 | Import Supplier         |
      | Flame Gas Supply             | Gas Supplier            |
      | Duo Energy (Import Supplier) | Import Supplier         |
      | Duo Energy (Gas Supplier)    | Gas Supplier            |
      | Access Control Broker        | Access Control Broker   |

  Rule: The registered Network Operator cannot replace a certificate another Network Operator owns

    @S1SR-4.2
    Scenario Outline: The registered Network Operator is refused because another Network Operator owns the certificate held, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the DCC passes the request on to the S1SP
      But the S1SP's certificate owner check (#3) rejects the request because Western Power does not own the certificate it holds
      And the meter still holds Eastern Networks' Network Operator certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

  Rule: The wrong certificate limits Network Operators only in Critical requests and alerts

    @PIA-2.3.2.A
    Scenario Outline: The registered Network Operator can still read an electricity meter that holds another's certificate, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power reads the meter's import registers
      Then the request succeeds

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @PIA-2.3.2.A
    Scenario Outline: The registered Network Operator can still read a gas meter that holds another's certificate, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 gas meter served by S1SP1 whose registered Network Operator is Cadent Gas
      And the meter holds Wales Gas Networks' Network Operator certificates
      When Cadent Gas reads the meter's security credentials
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
    Scenario Outline: A Supplier not registered for the meter is refused by the DCC's Registration Data check (#1), when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Flame Energy asks to replace the meter's Supplier certificates with its own
      Then the DCC's Registration Data check (#1) rejects the request because Flame Energy is not registered for the meter
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
      Then the DCC's Registration Data check (#1) rejects the request because Eastern Networks is not registered for the meter

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @SRPD-6.1.f @SRPD-6.2.d
    Scenario Outline: The Network Operator whose certificate the meter wrongly holds still cannot read its security credentials, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks reads the meter's security credentials
      Then the DCC's Registration Data check (#1) rejects the request because Eastern Networks is not registered for the meter

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @PIA-3.2 @SRPD-6.2.d
    Scenario Outline: A Supplier not registered for the meter cannot replace its Network Operator certificates, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the meter holds Eastern Networks' Network Operator certificates
      When Flame Energy asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC's Registration Data check (#1) rejects the request because Flame Energy is not registered for the meter
      And the meter still holds Eastern Networks' Network Operator certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

  Rule: The Registration Data check is by User Role, not by organisation
    Duo Energy supplies both fuels. DCC gives a User one User ID for each User Role it acts in, so Duo
    Energy sends either as its Import Supplier or as its Gas Supplier. Registered as the Import Supplier
    for the electricity meter, it is refused there when it sends as its Gas Supplier.

    @SRPD-6.1.f
    Scenario Outline: A dual-fuel supplier sending as its Gas Supplier is refused on the electricity meter it supplies as Import Supplier, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Duo Energy (Import Supplier)
      And the gas meter on the same communications hub is supplied by Duo Energy (Gas Supplier)
      When Duo Energy (Gas Supplier) asks to replace the meter's Supplier certificates with its own
      Then the DCC's Registration Data check (#1) rejects the request because Duo Energy (Gas Supplier) is not registered for the meter
      And the meter still holds Duo Energy (Import Supplier)'s Supplier certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

  Rule: A handover request is acted on once (the PIA's option C, relaxing this for SRV 6.21, was rejected)
    Like every request, a Supplier's handover request carries a counter that must be new, so a copy
    received again is refused.

    @PIA-3.C
    Scenario Outline: A handover request received a second time is refused, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And Bright Energy has placed Western Power's Network Operator certificates with a handover request
      When the same handover request reaches the DCC again
      Then the DCC rejects the request because it has already received it
      And the meter still holds Western Power's Network Operator certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |
