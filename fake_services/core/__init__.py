"""What every fake service shares, and nothing of any one service: the store (one SQLite connection, its
transactions and schema), core's own tables (`state.py`: settings, the sandbox's keys, the DCC's register of
Users, the SMKI Repository, the request log), the records services hand each other, the clock, the signer,
faults, rejections, and the wire plumbing (DUIS and JSON helpers, the DCC's internal link to an S1SP).
It imports no service."""
