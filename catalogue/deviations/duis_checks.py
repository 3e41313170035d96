"""Wrong DCCs at the DSP's standard DUIS checks: schema, signature, User, eligibility, Command Variant,
anti-replay and device."""

from __future__ import annotations

from catalogue.deviations.model import Deviation

DEVIATIONS: tuple[Deviation, ...] = ()
