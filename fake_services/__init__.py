"""The DCC sandbox: faithful fakes of the DSP, three S1SPs, devices, Registration Data and a
test SMKI, speaking signed DUIS over HTTP on loopback. Rules live in `*models.py`-style modules,
each check in one function named after its clause; HTTP and DUIS handling live apart."""
