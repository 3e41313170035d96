"""Registration Data (who is registered for each MPAN and MPRN, in which User Role) and the Smart Metering
Inventory (devices, their SMETS version, serving S1SP, status and installation), with the Registration Data
check (SRPD 6.1(f)) and its exceptions (6.2(a)–(d)) that the DSP applies and each S1SP applies again. It has
no wire layer of its own: the Control API and the environment file arrange it."""
