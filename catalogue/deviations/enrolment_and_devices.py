"""Wrong DCCs at enrolment (TMAD 4.42, 5.10.12, 5.10.17, SRV 6.21, PIA 3 option C), at the devices (where
alerts go, the replacement certificates) and in the DCC's answering (an S1SP that does not answer)."""

from __future__ import annotations

from catalogue.deviations.model import Deviation

DEVIATIONS = (
    Deviation(
        "alerts-to-registered-network-operator",
        "PIA-2.3.2.B",
        "PIA 2.3.2 B: alerts from a SMETS1 ESME go to the Business Target ID of the Network Operator "
        "certificate held",
        "an ESME's alerts go to whoever the S1SP finds holding the Digital Signing cell instead of the Key "
        "Agreement (Non-Critical) certificate's owner",
        "which of the two keys",
    ),
)
