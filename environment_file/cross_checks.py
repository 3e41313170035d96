"""The checks across an environment file's parts, which no one table can make: the names meters and the
declared change refer to exist, organisations and devices are each declared once, there is one ACB, the
parties a meter names may play their part there, and devices that share a hub or a meter point agree.

They judge what of each entry is valid, key by key (`Party`, `Device`), so that a problem in one key of
an entry hides no problem across the file's parts that its other keys show; and a check whose inputs have
problems of their own does not judge (so no problem is reported twice)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from environment_file.model import ACB_ROLE, REGISTERED_ROLES, REGISTRABLE
from environment_file.problems import Loc, Problem, a, did_you_mean


@dataclass(frozen=True)
class Party:
    """An organisation as the file's other parts refer to it: what of its entry is valid (None where a key
    is absent or has a problem of its own)."""

    name: str | None
    user_role: str | None
    entity_id: str | None
    can_be_held: bool | None
    """Whether a meter can hold its certificates (it declares a DS and a KA one); None when unknown."""

    @property
    def is_acb(self) -> bool:
        return self.user_role == ACB_ROLE


@dataclass(frozen=True)
class Device:
    """A meter as the cross-checks see it: what of its entry is valid (None where a key is absent or has a
    problem of its own; a role of `registered` or `holds` only where its name is valid)."""

    device_id: str | None
    device_type: str | None
    smets: int | None
    s1sp: str | None
    mpxn: str | None
    installation: str | None
    registered: Mapping[str, str]
    holds: Mapping[str, str]


@dataclass(frozen=True)
class Declared:
    """What an environment file declares, as far as the cross-checks need it."""

    organisations: Sequence[tuple[int, Party]] | None
    """Each entry of [[organisations]] with its position (None when the array cannot be read at all)."""
    meters: Sequence[tuple[int, Device]]
    """Each entry of [[meters]] with its position."""
    s1sps: frozenset[str] | None
    """Every S1SP the file knows: one serving a meter, or one whose signer [dcc.signers] trusts (None when a
    problem elsewhere may hide one: then no S1SP is reported unknown)."""
    change: Mapping[str, Sequence[tuple[int, str]]]
    """The S1SPs each list of [change] names (`s1sps_enabled`, `s1sps_not_answering`), with their positions."""


def cross_checks(declared: Declared) -> list[Problem]:
    """Every problem across the file's parts."""
    organisations = declared.organisations or ()
    return [
        *_organisations_are_distinct(organisations),
        *_one_access_control_broker(organisations),
        *_meters_name_declared_organisations(declared),
        *_devices_are_distinct(declared.meters),
        *_a_hub_is_one_installation(declared.meters),
        *_a_meter_point_has_one_registration(declared.meters),
        *_the_change_names_known_s1sps(declared),
    ]


def _organisations_are_distinct(organisations: Sequence[tuple[int, Party]]) -> Iterator[Problem]:
    """The feature files name an organisation, and the DCC knows a User by its ID: each is one's alone."""
    names: dict[str, int] = {}
    ids: dict[str, int] = {}
    for i, party in organisations:
        if party.name is not None and party.name in names:
            yield Problem.at(
                ("organisations", i, "name"),
                f"{party.name!r} is already organisations[{names[party.name]}]'s name",
                "give each a unique name",
            )
        if party.entity_id is not None and party.entity_id in ids:
            yield Problem.at(
                ("organisations", i, "entity_id"),
                f"{party.entity_id} is already organisations[{ids[party.entity_id]}]'s",
                "give each organisation its own User ID",
            )
        if party.name is not None:
            names.setdefault(party.name, i)
        if party.entity_id is not None:
            ids.setdefault(party.entity_id, i)


def _one_access_control_broker(organisations: Sequence[tuple[int, Party]]) -> Iterator[Problem]:
    acbs = [party for _, party in organisations if party.is_acb]
    if len(acbs) > 1:
        yield Problem.at(
            ("organisations",),
            f"declares {len(acbs)} Access Control Brokers ({', '.join(str(p.name) for p in acbs)})",
            "keep one: the DCC has one ACB",
        )


def _meters_name_declared_organisations(declared: Declared) -> Iterator[Problem]:
    """Who Registration Data names must be an organisation that may play that part for the meter point;
    who a meter holds must have certificates a meter can hold (and the ACB must be the ACB)."""
    if declared.organisations is None:
        return  # no organisation can be read: none is reported missing
    by_name: dict[str, Party] = {}
    for _, party in declared.organisations:
        if party.name is not None:
            by_name.setdefault(party.name, party)  # a name declared twice is reported; it is the first one's
    for i, meter in declared.meters:
        for table, parties in (("registered", meter.registered), ("holds", meter.holds)):
            for role, name in parties.items():
                where = ("meters", i, table, role)
                if name not in by_name:
                    guess = did_you_mean(name, by_name)
                    yield Problem.at(
                        where,
                        f"{name!r} is not one of the [[organisations]]",
                        f"did you mean {guess!r}?" if guess else "add it to [[organisations]], or correct the name",
                    )
                elif table == "registered":
                    yield from _may_be_registered(where, meter, role, by_name[name])
                else:
                    yield from _may_be_held(where, role, by_name[name])


def _may_be_registered(where: Loc, meter: Device, role: str, org: Party) -> Iterator[Problem]:
    if meter.device_type not in REGISTRABLE or org.user_role is None:
        return
    allowed = dict(zip(REGISTERED_ROLES, REGISTRABLE[meter.device_type], strict=True))[role]
    if org.user_role not in allowed:
        yield Problem.at(
            where,
            f"{org.name} ({org.user_role}) cannot be {a(meter.device_type)}'s {role.replace('_', ' ')}",
            f"name {' or '.join(a(r) for r in allowed)}",
        )


def _may_be_held(where: Loc, role: str, org: Party) -> Iterator[Problem]:
    if org.can_be_held is False:
        yield Problem.at(
            where,
            f"{org.name} has no digital_signing and key_agreement certificates",
            f"add them to {org.name}'s [[organisations]] entry, or name another organisation",
        )
    elif role == "acb" and org.user_role is not None and not org.is_acb:
        yield Problem.at(
            where,
            f"{org.name} is not the Access Control Broker",
            'name the organisation whose user_role is "Access Control Broker"',
        )


def _devices_are_distinct(meters: Sequence[tuple[int, Device]]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, meter in meters:
        if meter.device_id is None:
            continue
        if meter.device_id in seen:
            yield Problem.at(
                ("meters", i, "device_id"),
                f"{meter.device_id} is already meters[{seen[meter.device_id]}]'s",
                "give each device its own ID",
            )
        seen.setdefault(meter.device_id, i)


def _a_hub_is_one_installation(meters: Sequence[tuple[int, Device]]) -> Iterator[Problem]:
    """Devices sharing a Communications Hub are one SMETS generation on one S1SP, with one hub (one CHF,
    one GPF)."""
    first: dict[str, tuple[int, Device]] = {}
    hubs: dict[tuple[str, str], int] = {}
    for i, meter in meters:
        if not meter.installation:
            continue
        if meter.installation in first:
            j, other = first[meter.installation]
            if meter.smets is not None and other.smets is not None and meter.smets != other.smets:
                yield Problem.at(
                    ("meters", i, "smets"),
                    f"is {meter.smets} but meters[{j}] of installation {meter.installation!r} is SMETS{other.smets}",
                    "devices sharing a hub are one generation",
                )
            elif None not in (meter.s1sp, other.s1sp) and meter.s1sp != other.s1sp and meter.smets == 1:
                yield Problem.at(
                    ("meters", i, "s1sp"),
                    f"is {meter.s1sp!r} but meters[{j}] of installation {meter.installation!r} is on {other.s1sp!r}",
                    "devices sharing a hub are served by one S1SP",
                )
        first.setdefault(meter.installation, (i, meter))
        if meter.device_type in ("CHF", "GPF"):
            slot = (meter.installation, meter.device_type)
            if slot in hubs:
                yield Problem.at(
                    ("meters", i, "device_type"),
                    f"installation {meter.installation!r} already has a {meter.device_type} (meters[{hubs[slot]}])",
                    "give this device its own installation",
                )
            hubs.setdefault(slot, i)


def _a_meter_point_has_one_registration(meters: Sequence[tuple[int, Device]]) -> Iterator[Problem]:
    """Two meters on one meter point must name the same parties: Registration Data is per meter point."""
    first: dict[str, tuple[int, Device]] = {}
    for i, meter in meters:
        if not meter.mpxn or len(meter.registered) != len(REGISTERED_ROLES):
            continue  # a registration with a problem of its own is not compared
        if meter.mpxn in first and first[meter.mpxn][1].registered != meter.registered:
            yield Problem.at(
                ("meters", i, "registered"),
                f"differs from meters[{first[meter.mpxn][0]}]'s for the same meter point {meter.mpxn}",
                "a meter point has one registration: make them agree",
            )
        first.setdefault(meter.mpxn, (i, meter))


def _the_change_names_known_s1sps(declared: Declared) -> Iterator[Problem]:
    """Every S1SP [change] names must be one this environment has: a typo would otherwise silently declare
    MP107 for no S1SP at all."""
    known = declared.s1sps
    if known is None:
        return
    for name, listed in declared.change.items():
        for i, s1sp in listed:
            if s1sp not in known:
                guess = did_you_mean(s1sp, known)
                fix = (
                    f"did you mean {guess!r}?"
                    if guess
                    else (f"use one of {', '.join(sorted(known))}" if known else "add its meters or its signer")
                )
                yield Problem.at(("change", name, i), f"{s1sp!r} serves no meter and has no signer in [dcc]", fix)

