@dcc-checks
Feature: Every request passes the DCC's standard checks before any MP107 rule
  Before the DCC looks at Registration Data, and so before MP107 makes any difference, it checks that
  a request is well formed, signed by its sender, sent by a DCC User whose role may send it, new (not
  a copy of one already received) and meant for a device that can take it. MP107 changes none of this:
  these scenarios show that a correction still has to pass every one of these checks.

  Background:
    Given these organisations take part:
      | organisation          | role                    | DCC User |
      | Western Power         | Electricity Distributor | yes      |
      | Eastern Networks      | Electricity Distributor | yes      |
      | Rogue Metering        | Electricity Distributor | no       |
      | Cadent Gas            | Gas Transporter         | yes      |
      | Wales Gas Networks    | Gas Transporter         | yes      |
      | Bright Energy         | Import Supplier         | yes      |
      | Flame Gas Supply      | Gas Supplier            | yes      |
      | Meter Insights        | Other User              | yes      |
      | Access Control Broker | Access Control Broker   | yes      |
    And MP107 is enabled
    And a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
    And the meter holds Eastern Networks' Network Operator certificates

  Rule: A request must be well formed, signed by its sender and sent by a DCC User

    @DUIS-schema
    Scenario: A correction that does not follow the DUIS schema is rejected
      When Eastern Networks sends a correction that does not follow the DUIS schema
      Then the DCC rejects the request as not valid DUIS
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-signature
    Scenario: A correction signed with a certificate the SMKI did not issue is rejected
      When Eastern Networks sends a correction signed with a certificate the SMKI did not issue
      Then the DCC rejects the request because its signature cannot be trusted
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-user
    Scenario: An organisation that is not a DCC User is rejected, whatever certificates it has
      When Rogue Metering asks to replace the meter's Network Operator certificates with its own
      Then the DCC rejects the request because Rogue Metering is not a DCC User
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-signature
    Scenario: A correction signed with the sender's Digital Signing certificate is rejected
      When Eastern Networks sends a correction signed with its Digital Signing certificate instead of its XML-signing certificate
      Then the DCC rejects the request because its signature cannot be trusted
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-signature
    Scenario: A correction in one User's name signed by another User is rejected
      When Western Power sends a correction in Eastern Networks' name, signed with its own certificate
      Then the DCC rejects the request because its signature cannot be trusted
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-signature
    Scenario: A correction signed with a certificate that has expired is rejected
      When Eastern Networks sends a correction signed with an XML-signing certificate that expired yesterday
      Then the DCC rejects the request because its signature cannot be trusted
      And the meter still holds Eastern Networks' Network Operator certificates

  Rule: A correction's command is the one the DCC issued, signed soon after with the sender's Digital Signing key
    The sender signs the request with its XML-signing key; the DCC answers with the command (the Pre-Command)
    made from it; the sender signs that command with the key of its Digital Signing certificate, the one a
    meter holds, and sends it back. The DCC checks it is the command it issued and still awaits; the S1SP
    checks whose key signed it.

    @DUIS-signature
    Scenario: A correction signed as DUIS asks is carried out
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

    @DUIS-signature
    Scenario: A command signed with the sender's XML-signing key is rejected
      When Eastern Networks sends a correction whose command it signs with its XML-signing key instead of its Digital Signing key
      Then the S1SP rejects the request because the command is not signed with the key of the certificate the meter holds
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-signature
    Scenario: A command other than the one the DCC issued is rejected
      When Eastern Networks sends a correction whose command it signs after altering it from the one the DCC issued
      Then the DCC rejects the request because the command signed is not the one it issued
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-signature
    Scenario: A command signed after the DCC stopped waiting for it is rejected
      When Eastern Networks sends a correction whose command it signs after the DCC has stopped waiting for it
      Then the DCC rejects the request because the command it issued is no longer awaited
      And the meter still holds Eastern Networks' Network Operator certificates

  Rule: The sender's User Role must be allowed to send the request, in a way the request offers

    @DUIS-eligibility
    Scenario: An Other User may not replace a meter's certificates
      When Meter Insights asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC rejects the request because an Other User may not send it
      And the meter still holds Eastern Networks' Network Operator certificates

    @DUIS-eligibility
    Scenario: A Gas Transporter may replace a gas meter's certificates
      Given the gas meter on the same communications hub holds Wales Gas Networks' Network Operator certificates
      When Wales Gas Networks asks to replace the gas meter's Network Operator certificates with Cadent Gas'
      Then the request succeeds
      And the gas meter holds Cadent Gas' Network Operator certificates

    @DUIS-command-variant
    Scenario: A reading asked for in a way the service does not offer is rejected
      When Western Power asks to read the meter's import registers as a command to be signed first
      Then the DCC rejects the request because the service is not offered that way

    @DUIS-command-variant
    Scenario: Reading a meter's security credentials as a command to be signed first is rejected
      When Western Power asks to read the meter's security credentials as a command to be signed first
      Then the DCC rejects the request because the service is not offered that way

    @DUIS-command-variant
    Scenario: A correction sent straight to the Send Command service is rejected
      When Eastern Networks sends a correction to the DCC's Send Command service without first asking for the command to sign
      Then the DCC rejects the request because it was sent to a service that does not take it
      And the meter still holds Eastern Networks' Network Operator certificates

  Rule: A request is acted on once, and only for a device that can take it

    @DUIS-anti-replay
    Scenario: A correction received a second time is rejected
      Given Eastern Networks has replaced the meter's Network Operator certificates with Western Power's
      When the same correction reaches the DCC again
      Then the DCC rejects the request because it has already received it

    @DUIS-anti-replay
    Scenario: A reading received a second time is rejected
      Given Western Power has read the meter's import registers
      When the same reading reaches the DCC again
      Then the DCC rejects the request because it has already received it

    @DUIS-anti-replay
    Scenario: A request signed before the sender's latest one is rejected, whichever device it is for
      Given Bright Energy has signed a request to restore the device log of the gas proxy function and held it back
      And Bright Energy has since read the meter's import registers
      When Bright Energy's held-back request reaches the DCC
      Then the DCC rejects the request because Bright Energy has since sent a later request

    @DUIS-device
    Scenario: A request for a device the DCC does not know is rejected
      When Western Power reads the import registers of a meter the DCC does not know
      Then the DCC rejects the request because it does not know the device

    @DUIS-device
    Scenario: A request a device cannot take is rejected
      When Western Power reads the import registers of the gas meter on the same communications hub
      Then the DCC rejects the request because that device cannot take it

  Rule: When the S1SP does not answer, the sender is told so and nothing changes

    @DUIS-S1SP-communication
    Scenario: A correction while the S1SP is not answering changes nothing
      Given the S1SP serving the meter is not answering
      When Eastern Networks asks to replace the meter's Network Operator certificates with Western Power's
      Then the DCC tells the sender that the S1SP did not answer
      And once the S1SP answers again, the meter still holds Eastern Networks' Network Operator certificates

  Rule: A replacement must be a valid certificate of the role it replaces

    @GBCS-replacement-certificates
    Scenario: A Supplier's certificates cannot be placed as the Network Operator's
      When Eastern Networks asks to replace the meter's Network Operator certificates with Bright Energy's
      Then the S1SP rejects the request because they are not Network Operator certificates
      And the meter still holds Eastern Networks' Network Operator certificates
