"""DUIS, the DCC User Interface Specification: the Service Request and Response messages that
client and fakes both speak. Shared by `support/` and `fake_services/`; written once."""
