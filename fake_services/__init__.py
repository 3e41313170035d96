"""The DCC sandbox: faithful fakes of the DSP, three S1SPs, devices, Registration Data, enrolment, delivery,
meter events and a test SMKI, speaking signed DUIS over HTTP on loopback, laid out as moto lays out a fake.

One folder per service, each with the same rooms where it has them (import-linter keeps them, and keeps a
request going only down through them):

- `urls.py`: the routes, a handful of lines;
- `responses.py`: the wire layer: DUIS or JSON in, calls on the backend, DUIS or JSON out; no rule;
- `models.py`: the service's backend object: its state and rules, composed;
- `outcomes.py` (DSP, S1SP): what the service says, built in DUIS, so the rules never write the wire format;
- `checks.py`: one function per clause or check, the clause in its name and docstring
  (`catalogue.clauses` points at each);
- `state.py`: the service's SQL, all of it; no other service imports it.

Services: `dsp/`, `s1sp/`, `registration/` (Registration Data and the Smart Metering Inventory), `devices/`
(SMETS1 and SMETS2 devices, trust anchors, alerts), `delivery/` (the DSP's asynchronous delivery queue),
`enrolment/` (Migration Control Centre, DCC Commissioning Party), `meter_events/`, `control/` (the Control
API). Shared plumbing is `core/` (the store, core's own tables, records, clock, signer, parties, faults,
rejections, DUIS and JSON wire helpers, the DCC's internal link to an S1SP), which imports no service.
`sandbox.py` only wires the services together; `cli.py` is `serve`, `provisioning.py` makes the sandbox the
environment an environment file describes."""
