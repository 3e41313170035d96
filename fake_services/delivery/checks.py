"""Delivery's rules, one function each: the address a User may give for its Receive Response Service, what the
User's answer to a POST means, how long to wait before trying again, and when to give up. What DUIS itself
requires here could not be read (DCC-INTERFACE Q3): these are the sandbox's choices, kept in one place."""

from __future__ import annotations

from urllib.parse import urlsplit

from duis.requests import ServiceRequest
from fake_services.core.rules import rule
from fake_services.delivery.state import DELIVERED, REFUSED

MAX_ADDRESS_LENGTH = 2048

RETRY_LATER_4XX = frozenset({408, 429})
"""4xx answers that ask for a later attempt rather than refusing the message."""

RESPONSE, DEVICE_ALERT = "response", "device alert"
"""What a delivery is (its `kind`): the answer to a User's request, or an alert a meter raised for the User."""


@rule
def receive_address(url: str) -> str:
    """An absolute http(s) URL the DSP can POST to; ValueError says what is wrong with it.

    DCC Boxed's GUI takes `host:port/path`; here the scheme is required, so that http and https are
    never guessed."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("the Receive Response Service address is empty")
    url = url.strip()
    if len(url) > MAX_ADDRESS_LENGTH:
        raise ValueError(f"the address is longer than {MAX_ADDRESS_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("the address contains white space or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            f"{url!r} is not an absolute http(s) URL: give the scheme, e.g. http://192.168.0.5:1880/smartdcc/duis"
        )
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the address are not supported (they would be shown as evidence)")
    if parts.fragment:
        raise ValueError("a fragment is never sent to a server: remove the '#…' part")
    return url


@rule
def answer_outcome(status: int) -> str | None:
    """What the User's Receive Response Service said: any 2xx acknowledges (`delivered`, never sent again); a
    4xx but 408 and 429 (which say "later", not "invalid") refuses the message as invalid (`refused`, never
    retried); anything else (a redirect, 408, 429, a 5xx) is None: try again later."""
    if 200 <= status < 300:
        return DELIVERED
    if 400 <= status < 500 and status not in RETRY_LATER_4XX:
        return REFUSED
    return None


@rule
def backoff(attempts: int, initial: float, maximum: float) -> float:
    """Seconds before the next try after `attempts` failed ones: `initial` doubling to `maximum`."""
    return min(maximum, initial * 2 ** min(max(attempts - 1, 0), 64))


@rule
def give_up(attempts: int, next_attempt: float, enqueued: float, max_attempts: int, max_age: float) -> bool:
    """A message is given up after `max_attempts` attempts, or once its next attempt would come more than
    `max_age` seconds after it was queued (epoch seconds)."""
    return attempts >= max_attempts or next_attempt - enqueued > max_age


@rule
def delivery_recipient(
    addressee: str, kind: str, request: ServiceRequest | None, accepted: bool, response_code: str
) -> str | None:
    """Asynchronous delivery (DUIS): what the DCC has for a User (the answer to its request, accepted or
    refused, an E20 when the S1SP did not answer; an alert a meter raised for it) is delivered to that User's
    Receive Response Service: always, and to that User. The other arguments say what the message is (its
    `kind`, the request it answers, whether it was carried out, its response code), which this rule does not
    need; a wrong DCC (`fake_services.deviations`) decides by them. None would be: delivered to no one."""
    return addressee
