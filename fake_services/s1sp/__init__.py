"""An S1SP (SMETS1 Service Provider): serves SMETS1 devices and holds their trust anchors; takes only what the
DCC countersigned, checks it again (SRPD 16.1, S1SR 4.2) and answers signed."""
