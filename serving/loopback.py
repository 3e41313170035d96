"""Which hosts are this machine's own: the sandbox's ports answer only them, and the suite's HTTP reaches them
directly (`serving.local_access`, `serving.http_client`)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets) or localhost."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """Whether `url` (or an Origin) names a loopback host."""
    return is_loopback_host(urlsplit(url).hostname or "")
