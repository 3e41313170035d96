"""Control API routes for how far MP107 is switched on: the DSP's one switch and each S1SP's own
release (PIA 3.2); and the faults an S1SP can be made to show."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from werkzeug.wrappers import Request, Response

from fake_services.core.faults import Fault, Faults
from fake_services.core.json_fields import enabled, field
from serving.web import HTTPError, Route, json_object, json_response

Switch = Callable[[bool], None]


def switch_routes(
    dsp_switch: Switch,
    s1sp_switches: Mapping[str, Switch],
    states: Callable[[], dict],
) -> list[Route]:
    def s1sp(name: str) -> Switch:
        if name not in s1sp_switches:
            raise HTTPError(404, f"no S1SP named {name!r}")
        return s1sp_switches[name]

    def put_dsp(request: Request) -> Response:
        dsp_switch(enabled(json_object(request)))
        return json_response(states())

    def put_s1sp(request: Request, name: str) -> Response:
        s1sp(name)(enabled(json_object(request)))
        return json_response(states())

    def put_all(request: Request) -> Response:
        """Every switch in one call: `{"dsp_mp107": true, "s1sp_mp107": {"S1SP1": true, ...}}`."""
        data = json_object(request)
        wanted = field(data, "s1sp_mp107")
        if not isinstance(wanted, dict):
            raise HTTPError(400, "'s1sp_mp107' maps S1SP names to true or false")
        settings = {name: enabled(wanted, name) for name in wanted}
        dsp_on = enabled(data, "dsp_mp107")
        for name in settings:
            s1sp(name)
        dsp_switch(dsp_on)
        for name, on in settings.items():
            s1sp_switches[name](on)
        return json_response(states())

    return [
        ("GET", "/switches", lambda _: json_response(states())),
        ("PUT", "/switches", put_all),
        ("PUT", "/switches/dsp-mp107", put_dsp),
        ("PUT", "/switches/s1sp/<name>", put_s1sp),
    ]


def fault_routes(faults: Faults, s1sps: Mapping[str, object]) -> list[Route]:
    def put_fault(request: Request, name: str) -> Response:
        """Make an S1SP go down, slow, answer garbage or fail (fault campaign); mode 'none' heals it."""
        if name not in s1sps:
            raise HTTPError(404, f"no S1SP named {name!r}")
        fault = Fault.parse(json_object(request))
        faults.set(name, fault)
        return json_response({"s1sp": name, "mode": fault.mode, "delay_seconds": fault.delay_seconds})

    return [("PUT", "/faults/s1sp/<name>", put_fault)]
