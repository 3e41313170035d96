"""Identifiers of GB smart metering: MPAN cores and MPRNs, with their check digits (primer 3).

Shared by the fakes (which validate seed data) and the test data generators (which make it)."""

from __future__ import annotations

import mpan

MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)


def mpan_check_digit(first_twelve: str) -> int:
    """Digits 1–12 weighted 3,5,7,13,…,43, summed, mod 11, mod 10."""
    return sum(int(d) * w for d, w in zip(first_twelve, MPAN_WEIGHTS, strict=False)) % 11 % 10


def is_valid_mpan_core(core: str) -> bool:
    """13 digits with a correct check digit (the `mpan` package agrees: tested)."""
    return len(core) == 13 and core.isdigit() and mpan.is_valid(core)


def mprn_check_digits(body: str) -> str:
    """The two trailing MPRN digits: a mod-11 check over `body` with weights L..1 (reading)."""
    return f"{sum(int(d) * w for d, w in zip(body, range(len(body), 0, -1), strict=True)) % 11:02d}"


def is_valid_mprn(mprn: str) -> bool:
    return mprn.isdigit() and 6 <= len(mprn) <= 10 and mprn_check_digits(mprn[:-2]) == mprn[-2:]
