@smets2
Feature: SMETS2 meters already let the holder of a certificate replace it
  A SMETS2 meter holds its own certificates and checks Critical requests itself: there is no
  Registration Data check, and the meter accepts a new certificate from the holder of the current one.
  MP107 brings SMETS1 into line and leaves SMETS2 unchanged.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Eastern Networks      | Electricity Distributor |
      | Bright Energy         | Import Supplier         |
      | Cadent Gas            | Gas Transporter         |
      | Flame Gas Supply      | Gas Supplier            |
      | Access Control Broker | Access Control Broker   |

  Rule: The holder of the certificate on a SMETS2 meter may replace it, whether or not MP107 is enabled

    @PIA-2.2
    Scenario Outline: The Network Operator whose certificate is on a SMETS2 meter puts the right one in place when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS2 electricity meter whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |

    @PIA-2.2
    Scenario Outline: The registered Network Operator cannot replace a certificate on a SMETS2 meter that it does not hold, when MP107 is <MP107>
      Given MP107 is <MP107>
      And a SMETS2 electricity meter whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the meter rejects the request because it is not signed by the holder of its certificate
      And the meter still holds Eastern Networks' Network Operator certificates

      Examples:
        | MP107       |
        | not enabled |
        | enabled     |
