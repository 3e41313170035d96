"""The HTTP client session every part of the project sends with: loopback is reached directly.

`requests` consults the environment on every request (`trust_env`): proxies from `HTTP_PROXY`/`NO_PROXY`
and a CA bundle from `REQUESTS_CA_BUNDLE`. For a service on loopback (the sandbox's services, the User's
Receive Response Service, the scenario coordinator) neither applies, and the first is harmful: with
`HTTP_PROXY` set and no `NO_PROXY` naming 127.0.0.1, requests sends a loopback request to the proxy. It is
also slow where the environment is large: finding the proxies reads every environment variable twice per
request (0.3 ms of a 1.1 ms loopback POST on this project's machines).

Beyond loopback requests has one more surprise: a CA bundle named by `REQUESTS_CA_BUNDLE` (set on many CI
images) outranks the one a session was given (`session.verify`, requests#3829), so a DCC test environment's
own CA, named in the environment file, would be ignored and its TLS refused. Here the session's own
setting wins; a request that names its own still wins over both.

So a `Session` here sends a request for a loopback host (`serving.loopback.is_loopback_url`) with
only the proxies and certificate settings the session itself was given, and any other request (a DCC test
environment, a proxy in between) as requests always does. (A `~/.netrc` entry naming a loopback host is the
tester's own choice, and is still read.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting

from serving.loopback import is_loopback_url

if TYPE_CHECKING:
    from requests.sessions import _Settings  # the stubs' name for what this returns


class Session(requests.Session):
    """A requests Session that keeps the environment's proxies and CA bundle off loopback requests."""

    def __init__(self, pool_connections: int | None = None, pool_maxsize: int | None = None) -> None:
        super().__init__()
        if pool_connections or pool_maxsize:
            adapter = HTTPAdapter(pool_connections=pool_connections or 10, pool_maxsize=pool_maxsize or 10)
            self.mount("http://", adapter)
            self.mount("https://", adapter)

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if not is_loopback_url(url.decode() if isinstance(url, bytes) else url or ""):
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if verify is None and self.verify is not True:  # requests#3829: the environment's bundle would win
                settings["verify"] = self.verify
            return settings
        return {  # what requests merges with `trust_env` off: the request's settings over the session's
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }
