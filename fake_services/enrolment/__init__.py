"""SMETS1 enrolment (PIA Figure 1): the DCC Migration Control Centre (Migration Authorisations, Dormant Meter
Migration Notifications, the Network Operator certificate checked or provided) and the DCC Commissioning Party
(SRV 6.21 to the S1SP), offered as a small JSON service of the sandbox's own."""
