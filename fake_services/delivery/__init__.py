"""The DSP's asynchronous delivery: signed DUIS Responses and alerts POSTed to each User's Receive Response
Service, in order per User, retried and at last given up, and read back through the Control API. No wire layer
of its own: its routes are the Control API's."""
