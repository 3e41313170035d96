"""Test data with faker: valid EUI-64 identifiers, MPAN cores for a distributor area, MPRNs."""

from __future__ import annotations

from faker import Faker

from duis.identifiers import mpan_check_digit, mprn_check_digits

fake = Faker("en_GB")

DCC_TEST_PREFIX = "90-B3-D5-1F-30"
DEVICE_PREFIX = "00-DB-12"


def entity_id() -> str:
    """A User ID in DCC's test range, e.g. 90-B3-D5-1F-30-02-0A-1B."""
    return DCC_TEST_PREFIX + "".join(f"-{b:02X}" for b in fake.binary(3))


def device_id() -> str:
    return DEVICE_PREFIX + "".join(f"-{b:02X}" for b in fake.binary(5))


def mpan_core(distributor_id: str = "11") -> str:
    """A 13-digit MPAN core in the distributor's area (its first two digits), check digit correct."""
    first_twelve = distributor_id + fake.numerify("#" * 10)
    return first_twelve + str(mpan_check_digit(first_twelve))


def mprn() -> str:
    body = fake.numerify("%#######")
    return body + mprn_check_digits(body)
