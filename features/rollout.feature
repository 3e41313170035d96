@rollout
Feature: MP107 rolls out with one DCC switch while each S1SP enables it in its own release
  The DSP has a single feature switch for MP107, not one per S1SP. While an S1SP has not yet enabled
  the change, the DCC lets the request through but that S1SP rejects it with a standard S1SP Alert.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Eastern Networks      | Electricity Distributor |
      | Bright Energy         | Import Supplier         |
      | Cadent Gas            | Gas Transporter         |
      | Flame Gas Supply      | Gas Supplier            |
      | Access Control Broker | Access Control Broker   |

  Rule: While the DCC switch is off, the DCC refuses a correction from a Network Operator that is not registered

    @PIA-3.2 @SRPD-6.1.f
    Scenario Outline: The DCC refuses a correction on <s1sp> while its switch is off (<enabled s1sps> enabled MP107)
      Given the DCC's MP107 switch is off and <enabled s1sps> enabled it
      And a SMETS1 electricity meter served by <s1sp> whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC's Registration Data check (#1) rejects the request because Eastern Networks is not registered for the meter
      And the meter still holds Eastern Networks' Network Operator certificates

      Examples:
        | enabled s1sps  | s1sp  |
        | no S1SP has    | S1SP1 |
        | no S1SP has    | S1SP2 |
        | no S1SP has    | S1SP3 |
        | every S1SP has | S1SP1 |

  Rule: With the DCC switch on, an S1SP that has not yet enabled MP107 refuses with its own alert

    @PIA-3.2 @SRPD-16.1
    Scenario Outline: <s1sp>, not yet enabled, refuses a correction the DCC passes on with its switch on (<enabled s1sps> enabled MP107)
      Given the DCC's MP107 switch is on and <enabled s1sps> enabled it
      And a SMETS1 electricity meter served by <s1sp> whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC passes the request on to the S1SP
      But the S1SP's Registration Data check (#2) rejects the request because Eastern Networks is not registered for the meter
      And the meter still holds Eastern Networks' Network Operator certificates

      Examples:
        | enabled s1sps        | s1sp  |
        | S1SP1 and S1SP3 have | S1SP2 |
        | no S1SP has          | S1SP1 |

  Rule: Where both the DCC and the meter's S1SP have enabled MP107, the correction is made

    @PIA-3.2 @SRPD-6.2.d
    Scenario Outline: A correction on <s1sp> is made once the DCC's switch is on and <s1sp> has enabled MP107 (<enabled s1sps> enabled it)
      Given the DCC's MP107 switch is on and <enabled s1sps> enabled it
      And a SMETS1 electricity meter served by <s1sp> whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

      Examples:
        | enabled s1sps        | s1sp  |
        | S1SP1 and S1SP3 have | S1SP1 |
        | S1SP1 and S1SP3 have | S1SP3 |
        | every S1SP has       | S1SP2 |
