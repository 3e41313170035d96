@exceptions
Feature: The existing exceptions to the Registration Data check still hold with MP107
  SRPD 6.2 already lets some requests through without the Registration Data check. MP107 adds
  6.2(d) and must leave (a), (b) and (c) exactly as they are: each applies where the SEC says, and
  nowhere else.

  The gas proxy function (GPF) is the part of the communications hub that stands in for a gas meter
  (which sleeps to save its battery); an electricity and a gas meter sharing a hub share its GPF.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Cadent Gas            | Gas Transporter         |
      | Bright Energy         | Import Supplier         |
      | Flame Energy          | Import Supplier         |
      | Flame Gas Supply      | Gas Supplier            |
      | Meter Insights        | Other User              |
      | Access Control Broker | Access Control Broker   |

  Rule: An Import Supplier sharing the Communications Hub may look after the gas side

    @SRPD-6.2.a
    Scenario Outline: The Import Supplier joins the gas meter to the gas proxy function when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the gas meter on the same communications hub is supplied by Flame Gas Supply
      When Bright Energy joins the gas meter to the gas proxy function
      Then the DCC does not apply its Registration Data check (#1) to the request
      And the S1SP does not apply its Registration Data check (#2) either
      And the request succeeds

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @SRPD-6.2.b
    Scenario Outline: The Import Supplier restores the gas proxy function's device log when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the gas meter on the same communications hub is supplied by Flame Gas Supply
      When Bright Energy restores the device log of the gas proxy function
      Then the request succeeds

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @SRPD-6.2.a
    Scenario: An Import Supplier not registered for the electricity meter may not join the gas meter to the gas proxy function
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the gas meter on the same communications hub is supplied by Flame Gas Supply
      When Flame Energy joins the gas meter to the gas proxy function
      Then the DCC's Registration Data check (#1) rejects the request because Flame Energy is not registered for the meter

    @SRPD-6.2.b
    Scenario: An Import Supplier not registered for the electricity meter may not restore the gas proxy function's device log
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the gas meter on the same communications hub is supplied by Flame Gas Supply
      When Flame Energy restores the device log of the gas proxy function
      Then the DCC's Registration Data check (#1) rejects the request because Flame Energy is not registered for the meter

  Rule: Only those two requests are excepted: anything else the Import Supplier sends to the gas side is checked
    SRPD 6.2(a) and (b) name two Service Requests, joining the gas meter and restoring the gas proxy
    function's device log. The Import Supplier sharing the hub is not registered for the gas meter, so any
    other request it sends there is refused.

    @SRPD-6.2.a
    Scenario: The Import Supplier sharing the communications hub may not read the gas meter's security credentials
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the gas meter on the same communications hub is supplied by Flame Gas Supply
      When Bright Energy reads the security credentials of the gas meter on the same communications hub
      Then the DCC's Registration Data check (#1) rejects the request because Bright Energy is not registered for the gas meter

  Rule: An Other User is not checked against Registration Data

    @SRPD-6.2.c
    Scenario Outline: An Other User reads a meter it is not registered for when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      When Meter Insights reads the meter's import registers
      Then the request succeeds

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @SRPD-6.2.c
    Scenario: A request that is not from an Other User is checked against Registration Data
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Flame Energy reads the meter's import registers
      Then the DCC's Registration Data check (#1) rejects the request because Flame Energy is not registered for the meter
