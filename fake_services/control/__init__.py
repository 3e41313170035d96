"""The Control API: how a test arranges the sandbox (organisations, Registration Data, devices and
what they hold, MP107's switches, S1SP faults, where the DCC delivers, the clock) and what it can read back
(trust anchors, alerts, deliveries, the request log). JSON over HTTP on its own port, apart from the DUIS
endpoint. It is a way to arrange a precondition, never a way to judge an outcome: it has a wire layer
(`responses.py`, `urls.py`) and no rules of its own."""
