"""Which hosts are this machine's own: the sandbox's ports answer only them, and the suite's HTTP reaches them
directly (`serving.local_access`, `serving.http_client`)."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets) or localhost."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
