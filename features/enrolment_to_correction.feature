@enrolment @mp107
Feature: From enrolment to correction: a meter left with the wrong certificate, end to end
  A route that does not check the owner, or a slip in enduring operation, can leave another Network
  Operator's certificate (or the Access Control Broker's default) on a SMETS1 electricity meter. Its
  alerts then go to the wrong party. With MP107 the Network Operator holding the certificate puts the
  registered Network Operator's in its place; without MP107 the meter stays stuck.

  Here a Supplier commissions the meter itself and, with a handover request (see "How a Network
  Operator certificate reaches a SMETS1 electricity meter"), puts the wrong Network Operator's
  certificates on it.

  Background:
    Given these organisations take part:
      | organisation          | role                    |
      | Western Power         | Electricity Distributor |
      | Eastern Networks      | Electricity Distributor |
      | Cadent Gas            | Gas Transporter         |
      | Bright Energy         | Import Supplier         |
      | Flame Gas Supply      | Gas Supplier            |
      | Access Control Broker | Access Control Broker   |
    And an Active SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
    And Bright Energy has commissioned the meter itself and placed Eastern Networks' Network Operator certificates in error

  Rule: With MP107 the wrong certificate is corrected and alerts reach the registered Network Operator

    @SRPD-6.2.d
    Scenario: Eastern Networks corrects the certificate the Supplier placed in error
      Given the meter's alerts go to Eastern Networks
      And MP107 is enabled
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

    @SRPD-6.2.d
    Scenario: Once corrected, the meter's alerts reach Western Power
      Given MP107 is enabled
      And Eastern Networks has replaced the meter's Network Operator certificates with Western Power's
      When the meter raises an alert for its Network Operator
      Then the alert goes to Western Power

    @PIA-2.3.2.B
    Scenario: Once only the key agreement certificate is corrected, the meter's alerts reach Western Power
      The key agreement (Non-Critical) certificate names where alerts go; the signing certificate, still
      Eastern Networks', only decides whose critical commands the meter obeys.
      Given MP107 is enabled
      And Eastern Networks has replaced only the meter's Network Operator key agreement certificate with Western Power's
      When the meter raises an alert for its Network Operator
      Then the alert goes to Western Power

  Rule: Without MP107 the meter stays stuck with the wrong certificate

    @SRPD-6.1.f
    Scenario: Eastern Networks cannot correct the certificate the Supplier placed in error
      Given MP107 is not enabled
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC's Registration Data check (#1) rejects the request because Eastern Networks is not registered for the meter
      And the meter still holds Eastern Networks' Network Operator certificates

    @S1SR-4.2
    Scenario: Western Power cannot replace the certificate the Supplier placed in error
      Given MP107 is not enabled
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the S1SP's certificate owner check (#3) rejects the request because Western Power does not own the certificate it holds
      And the meter still holds Eastern Networks' Network Operator certificates

    @PIA-2.3.2.B
    Scenario: Without the correction the meter's alerts still go to Eastern Networks
      Given MP107 is not enabled
      When the meter raises an alert for its Network Operator
      Then the alert goes to Eastern Networks

  Rule: A slip in enduring operation is corrected the same way

    @SRPD-6.2.d
    Scenario: Western Power places Eastern Networks' certificate in error and Eastern Networks puts it back
      Given MP107 is enabled
      And Bright Energy has placed Western Power's Network Operator certificates with a handover request
      And Western Power has replaced the meter's Network Operator certificates with Eastern Networks'
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

  Rule: The Access Control Broker's default is replaced by the Supplier, not by a Network Operator

    @S1SR-4.2
    Scenario: Western Power cannot replace the Access Control Broker's default on a meter enrolled without a certificate
      Given a second meter enrolled without a Network Operator certificate, whose alerts go to the Access Control Broker
      And MP107 is enabled
      When Western Power asks to replace the meter's Network Operator certificates with its own
      Then the S1SP's certificate owner check (#3) rejects the request because Western Power does not own the certificate it holds
      And the meter still holds Access Control Broker's Network Operator certificates

    @SRV-6.21
    Scenario: The Supplier replaces the Access Control Broker's default with Western Power's certificates
      Given a second meter enrolled without a Network Operator certificate, whose alerts go to the Access Control Broker
      And MP107 is enabled
      When Bright Energy sends a handover request placing Western Power's Network Operator certificates
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates
