"""Devices: what SMETS1 and SMETS2 meters hold (trust anchors: for a SMETS1 device its S1SP holds them), the
alerts a SMETS1 meter raises for its Network Operator, and a SMETS2 device deciding its own KRP updates. No
wire layer: a SMETS2 device is reached through the DSP, a SMETS1 one through its S1SP."""
