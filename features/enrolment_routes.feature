@enrolment
Feature: How a Network Operator certificate reaches a SMETS1 electricity meter
  Figure 1 of the PIA, "ESME Network Operator certificate update process", route by route. During
  enrolment the certificate comes from the Supplier (in the Migration Authorisation or in the response to
  a Dormant Meter Migration Notification), from the DCC's Migration Control Centre, or later from the
  Supplier's own handover request. In enduring operation a Network Operator updates it with Update
  Security Credentials (SRV 6.15.1). Where no certificate is available, the Access Control Broker's
  certificate stands in. Each route names, under its title, the boxes of Figure 1 it follows:

    Route 1  During enrolment > Commissioned by DCC > Certificate provided by the Supplier in Migration Authorisation
    Route 2  During enrolment > Commissioned by DCC > Certificate not provided by the Supplier in Migration Authorisation
    Route 3  During enrolment > Commissioned by DCC > Certificate provided by the Supplier in Dormant Meter Migration Notification Response
    Route 4  During enrolment > Commissioned by DCC > Certificate not provided by the Supplier in Dormant Meter Migration Notification Response
    Route 5  During enrolment > Commissioned by DCC > Dormant Meter within an Active-Dormant Installation > Supplier issues SRV 6.21
    Route 6  During enrolment > Commissioned by Supplier > Supplier issues SRV 6.21 to update certificate
    Route 7  no box: the text under Figure 1, "non-availability of Network Operator certificate during enrolment will default ACB certificate"
    Route 8  During enduring operation > Network Operator issues SRV 6.15.1 to update certificate

  A handover request is SRV 6.21 'Request Handover of DCC Controlled Device': the request with which
  the DCC's Commissioning Party, or a Supplier, places certificates on a meter the DCC has enrolled. The
  certificates a meter holds, one per role and use, are its trust anchors: they decide whose signed
  commands it obeys and where its alerts go.

  Background:
    Given these organisations take part:
      | organisation          | role                    | SMKI certificates |
      | Western Power         | Electricity Distributor | issued            |
      | Eastern Networks      | Electricity Distributor | issued            |
      | Midland Networks      | Electricity Distributor | none yet          |
      | Cadent Gas            | Gas Transporter         | issued            |
      | Bright Energy         | Import Supplier         | issued            |
      | Flame Gas Supply      | Gas Supplier            | issued            |
      | Access Control Broker | Access Control Broker   | issued            |

  Rule: Commissioned by the DCC, the certificate is the registered Network Operator's

    @TMAD-5.10.12
    Scenario: Route 1 – the Supplier gives the certificate in the Migration Authorisation
      Figure 1: During enrolment > Commissioned by DCC > Certificate provided by the Supplier in Migration Authorisation.
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving Western Power's Network Operator certificates
      And the DCC Commissioning Party commissions the meter
      Then the Network Operator certificate came from the Supplier, in the Migration Authorisation
      And the DCC Commissioning Party placed it at the S1SP with a handover request
      And the meter holds Western Power's Network Operator certificates

    @TMAD-4.42
    Scenario: Route 2 – the Supplier gives none and the Migration Control Centre provides it
      Figure 1: During enrolment > Commissioned by DCC > Certificate not provided by the Supplier in Migration Authorisation.
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP2 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving no Network Operator certificate
      And the DCC Commissioning Party commissions the meter
      Then the Network Operator certificate came from the DCC Migration Control Centre
      And the DCC Commissioning Party placed it at the S1SP with a handover request
      And the meter holds Western Power's Network Operator certificates

    @TMAD-5.10.12
    Scenario: Route 3 – a Dormant meter's certificate is given in the response to the Dormant Meter Migration Notification
      Figure 1: During enrolment > Commissioned by DCC > Certificate provided by the Supplier in Dormant Meter Migration Notification Response.
      Given a Dormant SMETS1 electricity meter awaiting enrolment on S1SP3 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When the DCC notifies Bright Energy of the Dormant meter's migration and Bright Energy responds giving Western Power's Network Operator certificates
      And the DCC Commissioning Party commissions the meter
      Then the Network Operator certificate came from the Supplier, in the Dormant Meter Migration Notification response
      And the meter holds Western Power's Network Operator certificates

    @TMAD-4.42
    Scenario: Route 4 – a Dormant meter's response gives none and the Migration Control Centre provides it
      Figure 1: During enrolment > Commissioned by DCC > Certificate not provided by the Supplier in Dormant Meter Migration Notification Response.
      Given a Dormant SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When the DCC notifies Bright Energy of the Dormant meter's migration and Bright Energy responds giving no Network Operator certificate
      And the DCC Commissioning Party commissions the meter
      Then the Network Operator certificate came from the DCC Migration Control Centre
      And the meter holds Western Power's Network Operator certificates

  Rule: Certificates offered at enrolment are validated

    @TMAD-5.10.12
    Scenario: A certificate of a Network Operator that is not registered for an Active meter is refused
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving Eastern Networks' Network Operator certificates
      Then the Migration Control Centre refuses the certificate because its owner is not the registered Network Operator
      And nothing is held for the meter at the S1SP

    @TMAD-5.10.12
    Scenario: A certificate of a Network Operator that is not registered for a Dormant meter is refused
      Given a Dormant SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When the DCC notifies Bright Energy of the Dormant meter's migration and Bright Energy responds giving Eastern Networks' Network Operator certificates
      Then the Migration Control Centre refuses the certificate because its owner is not the registered Network Operator
      And nothing is held for the meter at the S1SP

    @TMAD-5.10.17
    Scenario: A certificate that is not a Network Operator certificate is refused
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving Bright Energy's certificates as the Network Operator's
      Then the Migration Control Centre refuses the certificate because it is not a valid Network Operator certificate
      And nothing is held for the meter at the S1SP

    @TMAD-5.10.17
    Scenario: The registered Network Operator's two certificates offered each in the other's place are refused
      The signing certificate belongs in the Digital Signing place and the key agreement certificate in the
      Key Agreement place: the first decides whose critical commands the meter obeys, the second where its
      alerts go.
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving Western Power's Network Operator certificates each in the other's place
      Then the Migration Control Centre refuses the certificate because it is not a valid Network Operator certificate
      And nothing is held for the meter at the S1SP

  Rule: Where the DCC does not place it, the Supplier applies the certificate with a handover request

    @SRV-6.21
    Scenario: Route 5, first part – a Dormant electricity meter beside an Active gas meter is enrolled without a Network Operator certificate
      Figure 1: During enrolment > Commissioned by DCC > Dormant Meter within an Active-Dormant Installation (no Network Operator certificate captured).
      Given a Dormant SMETS1 electricity meter sharing its communications hub with an Active gas meter, awaiting enrolment on S1SP2 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving no Network Operator certificate
      And the DCC Commissioning Party commissions the meter
      Then no Network Operator certificate was captured at enrolment
      And the meter holds Access Control Broker's Network Operator certificates

    @SRV-6.21
    Scenario: Route 5, second part – the Supplier then places the registered Network Operator's certificates with a handover request
      Figure 1: During enrolment > Commissioned by DCC > Dormant Meter within an Active-Dormant Installation > Supplier issues SRV 6.21 to update certificate.
      Given a Dormant SMETS1 electricity meter sharing its communications hub with an Active gas meter, awaiting enrolment on S1SP2 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the DCC has commissioned the meter for Bright Energy without a Network Operator certificate
      When Bright Energy sends a handover request placing Western Power's Network Operator certificates
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

    @SRV-6.21
    Scenario: Route 6 – the Supplier commissions the meter and applies the certificate itself
      Figure 1: During enrolment > Commissioned by Supplier > Supplier issues SRV 6.21 to update certificate.
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP3 whose registered Network Operator is Western Power and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the Supplier to commission, giving no Network Operator certificate
      And the meter is enrolled for Bright Energy to commission
      And Bright Energy sends a handover request placing Western Power's Network Operator certificates
      Then the request succeeds
      And the meter holds Western Power's Network Operator certificates

  Rule: A handover request places only valid Network Operator certificates, each in its place

    @SRV-6.21
    Scenario: A Supplier's handover request placing its own certificates as the Network Operator's is refused
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP2 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the meter has been enrolled for Bright Energy to commission, without a Network Operator certificate
      When Bright Energy sends a handover request placing its own certificates as the Network Operator's
      Then the S1SP rejects the request because they are not Network Operator certificates
      And the meter still holds Access Control Broker's Network Operator certificates

    @GBCS-replacement-certificates
    Scenario: A handover request with the Network Operator's two certificates each in the other's place is refused
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP2 whose registered Network Operator is Western Power and Supplier is Bright Energy
      And the meter has been enrolled for Bright Energy to commission, without a Network Operator certificate
      When Bright Energy sends a handover request placing Western Power's Network Operator certificates each in the other's place
      Then the S1SP rejects the request because each certificate is in the other's place
      And the meter still holds Access Control Broker's Network Operator certificates

  Rule: Where no Network Operator certificate is available at enrolment, the Access Control Broker's stands in

    @TMAD-4.42
    Scenario: Route 7 – no certificate is available, so the Access Control Broker's stands in
      Figure 1: no box; the text under it: "non-availability of Network Operator certificate during enrolment will default ACB certificate".
      Given an Active SMETS1 electricity meter awaiting enrolment on S1SP1 whose registered Network Operator is Midland Networks and Supplier is Bright Energy
      When Bright Energy authorises the meter's migration for the DCC to commission, giving no Network Operator certificate
      And the DCC Commissioning Party commissions the meter
      Then no Network Operator certificate was available, so the Access Control Broker's stands in
      And the meter holds Access Control Broker's Network Operator certificates

  Rule: In enduring operation the Network Operator updates the certificate itself

    @S1SR-4.2
    Scenario: Route 8 – the Network Operator that owns the certificate replaces it, even with another party's in error
      Figure 1: During enduring operation > Network Operator issues SRV 6.15.1 to update certificate.
      Given a SMETS1 electricity meter served by S1SP1 whose registered Network Operator is Western Power
      And the meter holds Western Power's Network Operator certificates
      When Western Power asks to replace the meter's Network Operator certificates with Eastern Networks'
      Then the request succeeds
      And the meter holds Eastern Networks' Network Operator certificates
