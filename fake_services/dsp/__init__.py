"""The DSP (the DCC's Data Service Provider): the three DUIS web services, each request checked in SRPD order,
answered at once or routed to its device or S1SP and answered later at the User's Receive Response Service."""
