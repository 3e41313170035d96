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

  Rule: The outcome depends on the DCC switch and on the S1SP serving the meter

    @PIA-3.2
    Scenario Outline: A correction on <s1sp> while the DCC switch is <dcc switch> and <enabled s1sps> enabled MP107
      Given the DCC's MP107 switch is <dcc switch> and <enabled s1sps> enabled it
      And a SMETS1 electricity meter served by <s1sp> whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then <outcome>
      And the meter holds <holder>'s Network Operator certificates

      Examples:
        | dcc switch | enabled s1sps          | s1sp  | outcome                                                        | holder           |
        | off        | no S1SP has            | S1SP1 | the DCC rejects the request for Registration Data               | Eastern Networks |
        | off        | every S1SP has         | S1SP1 | the DCC rejects the request for Registration Data               | Eastern Networks |
        | on         | S1SP1 and S1SP3 have   | S1SP2 | the S1SP rejects the request with an S1SP Alert for Registration Data | Eastern Networks |
        | on         | S1SP1 and S1SP3 have   | S1SP1 | the request succeeds                                           | Western Power    |
        | on         | S1SP1 and S1SP3 have   | S1SP3 | the request succeeds                                           | Western Power    |
        | on         | every S1SP has         | S1SP2 | the request succeeds                                           | Western Power    |
