@mp107
Feature: With MP107 a Network Operator corrects a certificate it wrongly holds
  SRPD 6.2(d) lifts the Registration Data check for a SMETS1 "Update Security Credentials" request
  from an Electricity Distributor or Gas Transporter. The certificate owner check stays, so only the
  Network Operator whose certificate is held can replace it, and it can put the registered Network
  Operator's certificate in its place, as SMETS2 already allows.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Eastern Networks      | Electricity Distributor |
      | Northern Grid         | Electricity Distributor |
      | Cadent Gas            | Gas Transporter         |
      | Wales Gas Networks    | Gas Transporter         |
      | Bright Energy         | Import Supplier         |
      | Flame Energy          | Import Supplier         |
      | Flame Gas Supply      | Gas Supplier            |
      | Access Control Broker | Access Control Broker   |
    And MP107 is enabled

  Rule: The Network Operator whose certificate is held may replace it with the registered Network Operator's

    @SRPD-6.2.d @PIA-3.3
    Scenario Outline: <wrong> puts <registered>'s certificates on a <meter> served by <s1sp>
      Given a SMETS1 <meter> served by <s1sp> whose registered Network Operator is <registered>
      And the meter holds <wrong>'s Network Operator certificates
      When <wrong> asks to replace the meter's Network Operator certificates with <registered>'s
      Then the request succeeds
      And the meter holds <registered>'s Network Operator certificates

      Examples: Electricity Distributor on an electricity meter, Gas Transporter on a gas meter
        | meter             | s1sp  | registered    | wrong              |
        | electricity meter | S1SP1 | Western Power | Eastern Networks   |
        | gas meter         | S1SP3 | Cadent Gas    | Wales Gas Networks |
        | electricity meter | S1SP3 | Western Power | Eastern Networks   |

    @SRPD-6.2.d
    Scenario: After the correction the registered Network Operator replaces its certificates itself
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      And Eastern Networks has replaced the meter's Network Operator certificates with Western Power's
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

    @SRPD-6.2.d
    Scenario: After the correction the meter's alerts go to the registered Network Operator
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      And Eastern Networks has replaced the meter's Network Operator certificates with Western Power's
      When the meter raises an alert for its Network Operator
      Then the alert goes to Western Power

  Rule: The suite's reading of the change: the holder may place any Network Operator's certificates, not only the registered one's
    MP107 lifts the Registration Data check and keeps only the certificate owner check, which looks at who
    sends the request, not at whose certificates it places. Unlike the check at enrolment (TMAD 5.10.12),
    nothing stops the holder putting a third Network Operator's certificates on the meter, as on SMETS2.
    The PIA does not say this: it is the suite's reading of what option A does, and a question for the SEC
    Working Group (is it intended?). The scenario shows what the DCC does, so that the answer can be checked.

    @PIA-3.A
    Scenario: Eastern Networks puts Northern Grid's certificates on a meter registered to Western Power
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Network Operator certificates with Northern Grid's
      Then the request succeeds
      And the meter holds Northern Grid's Network Operator certificates

  Rule: The exception is for a sender in a Network Operator role, whatever the meter's fuel, so the owner check stops the other fuel's Network Operator

    @SRPD-6.2.d
    Scenario Outline: <other> cannot replace the certificates of a <meter> that <registered> holds
      Given a SMETS1 <meter> served by S1SP1 whose registered Network Operator is <registered>
      And the meter holds <registered>'s Network Operator certificates
      When <other> asks to replace the meter's Network Operator certificates with its own
      Then the DCC passes the request on to the S1SP
      But the S1SP's certificate owner check (#3) rejects the request because <other> does not own the certificate it holds
      And the meter still holds <registered>'s Network Operator certificates

      Examples: An Electricity Distributor on a gas meter, a Gas Transporter on an electricity meter
        | meter             | registered    | other         |
        | gas meter         | Cadent Gas    | Western Power |
        | electricity meter | Western Power | Cadent Gas    |

  Rule: The certificate owner check still protects the meter

    @PIA-3.B
    Scenario: A Network Operator that neither is registered nor owns the certificate is still refused
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Eastern Networks' Network Operator certificates
      When Northern Grid asks to replace the meter's Network Operator certificates with its own
      Then the DCC passes the request on to the S1SP
      But the S1SP's certificate owner check (#3) rejects the request because Northern Grid does not own the certificate it holds
      And the meter still holds Eastern Networks' Network Operator certificates

  Rule: A request for the Supplier's certificates is still checked against Registration Data

    @PIA-3.3
    Scenario: A Network Operator's request that targets the Supplier certificates is still checked at the S1SP
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the meter holds Eastern Networks' Network Operator certificates
      When Eastern Networks asks to replace the meter's Supplier certificates with its own
      Then the DCC passes the request on to the S1SP
      But the S1SP's Registration Data check (#2) rejects the request because Eastern Networks is not registered for the meter
      And the meter still holds Bright Energy's Supplier certificates
