"""Control API routes for asynchronous delivery: where each User's Receive Response Service listens
(what DCC Boxed's "Receive Response Service address" field holds), and the DSP's delivery queue, read
back as evidence of what was sent to whom, when, how the User's system answered, how often it was tried
and how it ended (delivered, refused, given up), beside the retry policy that decides it."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from fake_services.core.json_fields import text_field
from fake_services.core.records import valid_eui64
from fake_services.delivery.models import STATES, Deliveries, ReceiveAddresses
from serving.web import HTTPError, Route, json_object, json_response, xml_response


def _user(value: str) -> str:
    """A User ID in the path or query: an EUI-64, else a 400 (whichever App serves these routes)."""
    try:
        return valid_eui64(value)
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from None


def delivery_routes(addresses: ReceiveAddresses, deliveries: Deliveries) -> list[Route]:
    def set_address(request: Request, user_id: str) -> Response:
        """Set (201) or replace (200) a User's address; waiting messages are tried at once."""
        user = _user(user_id)
        url = text_field(json_object(request), "url")
        try:
            created = addresses.set(user, url)
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        deliveries.retry_now(user)
        return json_response({"user_id": user, "url": addresses.get(user)}, 201 if created else 200)

    def get_address(_: Request, user_id: str) -> Response:
        user = _user(user_id)
        url = addresses.get(user)
        if url is None:
            raise HTTPError(404, f"no Receive Response Service address is set for {user}")
        return json_response({"user_id": user, "url": url})

    def queue(request: Request) -> Response:
        """`?user=<EUI-64>&state=pending|delivered|refused|given_up`, both optional; oldest first. Each
        entry: its state, attempts, last error, HTTP status and its outcome in words."""
        user, state = request.args.get("user"), request.args.get("state")
        if state is not None and state not in STATES:
            raise HTTPError(400, f"state is one of {', '.join(STATES)}")
        return json_response(deliveries.all(_user(user) if user else None, state))

    def message(_: Request, delivery_id: int) -> Response:
        """The signed `sr:Response` exactly as it is (or was) sent."""
        body = deliveries.message(delivery_id)
        if body is None:
            raise HTTPError(404, f"no delivery {delivery_id}")
        return xml_response(body)

    def policy(_: Request) -> Response:
        """How the DSP retries and when it gives up (the sandbox's choice: `fake_services.delivery.checks`)."""
        return json_response(deliveries.policy())

    return [
        ("PUT", "/users/<user_id>/receive-response-service", set_address),
        ("GET", "/users/<user_id>/receive-response-service", get_address),
        ("GET", "/deliveries", queue),
        ("GET", "/deliveries/policy", policy),
        ("GET", "/deliveries/<int:delivery_id>", message),
    ]
