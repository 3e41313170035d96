"""The enrolment interface's routes (the Migration Control Centre and the DCC Commissioning Party), each
behind the local ports' guard."""

from __future__ import annotations

from fake_services.core.json_fields import bad_seed_is_400
from fake_services.enrolment.models import Enrolment, MigrationControlCentre
from fake_services.enrolment.responses import EnrolmentResponses
from serving.web import App, Guard, Route


def mcc_app(mcc: MigrationControlCentre, enrolment: Enrolment, guard: Guard | None = None) -> App:
    responses = EnrolmentResponses(mcc, enrolment)
    routes: list[Route] = [
        ("POST", "/enrolment/migration-authorisations", responses.authorise),
        ("POST", "/enrolment/dormant-notifications", responses.notify_dormant),
        ("POST", "/enrolment/dormant-notifications/<notification>/response", responses.respond_dormant),
        ("POST", "/enrolment/migration-authorisations/<ma_id>/commission", responses.commission),
    ]
    return App([(m, p, bad_seed_is_400(h)) for m, p, h in routes], guard=guard)
