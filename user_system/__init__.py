"""What a DCC User runs, as the suite, pytest, the campaign and the benchmarks all need it: a DUIS client that
speaks to a DSP as DCC's specification has it (`client`), the User's own Receive Response Service where the
DCC delivers answers and alerts (`receiver`, knowing each delivery by its DUIS identity: `message_identity`),
the DCC systems' signatures it trusts (`trust`), the organisations it sends for (`organisations`), and the
whole put together (`system`). It knows nothing of the sandbox: it is a User's view of a DCC."""
