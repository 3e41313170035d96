"""Wrong DCCs: the catalogue of deviations, the named ways a DCC could build MP107 (or the DUIS checks around
it) wrong, by area. The suite proves its strength by catching each one (`make strength`, `reporting.strength`);
the wrong implementations are `fake_services.deviations`. See `model.py` for what an entry says."""

from __future__ import annotations

from catalogue.deviations import duis_checks, enrolment_and_devices, registration_and_s1sp
from catalogue.deviations.model import DISTINCTIONS, Deviation

DEVIATIONS: dict[str, Deviation] = {
    deviation.name: deviation
    for area in (registration_and_s1sp, enrolment_and_devices, duis_checks)
    for deviation in area.DEVIATIONS
}


def deviations_breaking(tag: str) -> list[Deviation]:
    return [deviation for deviation in DEVIATIONS.values() if deviation.breaks == tag]


__all__ = ["DEVIATIONS", "DISTINCTIONS", "Deviation", "deviations_breaking"]
