"""Reading an environment file: one TOML file that says everything a suite run needs about its target (the
embedded sandbox started from it, DCC Boxed, or a DCC UIT test environment), so that the suite can run
against a real DCC test environment with nothing but DUIS.

Why a file, and why checked this hard: a run against a real DCC environment is slow to arrange and costly
to waste. A wrong port, an S1SP name with a typo or a certificate of the wrong role would otherwise show
up as a failed scenario half-way through, looking like a DCC defect. So the file is checked before any
scenario runs, and everything wrong with it is reported at once, in ONE message, one line per problem, in
the file's order:

    support/environments/uit.toml is not a usable environment file:
    - organisations[2].xml_signing.key: is missing (this certificate's key signs for the organisation); add
      key = "path/to/key.pem" (or key_env = "VAR", or pkcs12 = "file.p12")
    - meters[7].s1sp: is missing (a SMETS1 device is served by an S1SP); add s1sp = "S1SP1"

(each problem is one line; the first is wrapped here to fit)

The file's shape and its rules are `environment_file.schema` (checked by pydantic, which finds every
problem of every table in one pass; `environment_file.wording` says them in the project's words), the
rules across its parts `environment_file.cross_checks`. Two stages, because the sandbox creates the key
files it is started from:
- `load_environment` checks the file (types, required keys, allowed values, identifiers, names that refer
  to each other) without opening any key or certificate file;
- `check_key_material` (the preflight check) opens every certificate and key and checks that they match
  and are what the SMKI profile says they must be.

Secrets are never inlined: a key is a file path, an environment variable (`key_env`), a PKCS#12 file (with
`password_env`) or an HSM (`pkcs11`, declared but refused by this build). Paths are relative to the
environment file's folder. Positions in `[[organisations]]` and `[[meters]]` count from 0.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from environment_file.cross_checks import Declared, Device, Party, cross_checks
from environment_file.keys import KeyMaterial
from environment_file.model import (
    DSP_SIGNER,
    CodeOverrides,
    DeclaredChange,
    DSPEndpoint,
    Environment,
    Interfaces,
    MeterEntry,
    OrganisationEntry,
    ReceiverSettings,
    RunInfo,
    TLSSettings,
)
from environment_file.problems import EnvironmentFileError, Loc, Problem, key_of
from environment_file.schema import EnvironmentTable, KeyMaterialTable, MeterTable, OrganisationTable, TLSTable
from environment_file.wording import problems_in


def load_environment(path: str | Path) -> Environment:
    """Read and check an environment file; raise EnvironmentFileError listing every problem, in the file's
    order. Key and certificate files are NOT opened here (see `check_key_material`)."""
    path = Path(path)
    raw = _read(path)
    data = _parsed(path, raw)
    folder = path.resolve().parent
    try:
        table: EnvironmentTable | None = EnvironmentTable.model_validate(data)
        problems: list[Problem] = []
    except ValidationError as error:
        table, problems = None, problems_in(error, EnvironmentTable)
    declared = _declared(data, table, s1sps_known=not any(map(_hides_an_s1sp, problems)))
    problems += cross_checks(declared)
    if problems or table is None:
        raise EnvironmentFileError(path, _in_file_order(problems, data))
    return _environment(path, raw, table, folder)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        example = "support/environments/sandbox-as-is.toml"
        raise _unusable(path, "does not exist", f"give the path of an environment file, e.g. {example}") from None
    except OSError as exc:
        raise _unusable(path, f"cannot be read ({exc.strerror})", "give a readable file") from None


def _parsed(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _unusable(path, "is not UTF-8 text", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise _unusable(path, f"is not valid TOML ({exc})", "correct the syntax there") from None


def _unusable(path: Path, what: str, fix: str) -> EnvironmentFileError:
    return EnvironmentFileError(path, [Problem("(file)", what, fix)])


def _in_file_order(problems: Sequence[Problem], data: Mapping[str, Any]) -> list[Problem]:
    """The problems in the order of their keys in the file (TOML keeps it); a missing key where its table
    is, a missing section at the end."""
    order: dict[Loc, int] = {}

    def walk(value: Any, loc: Loc) -> None:
        order[loc] = len(order)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for part, inner in items:
            walk(inner, (*loc, part))

    walk(data, ())

    def position(problem: Problem) -> int:
        prefixes = (problem.loc[:n] for n in range(len(problem.loc), 0, -1))
        return next((order[prefix] for prefix in prefixes if prefix in order), len(order))

    return sorted(problems, key=position)


# --- what the cross-checks judge ----------------------------------------------------------------------
def _hides_an_s1sp(problem: Problem) -> bool:
    """Whether a problem may hide an S1SP the file means to declare (a meter whose S1SP or generation is
    wrong, meters or signers that cannot be read): then the S1SPs it names are not all known."""
    loc = problem.loc
    return (
        loc in (("meters",), ("dcc",), ("dcc", "signers"))
        or (len(loc) == 2 and loc[0] == "meters")
        or (len(loc) == 3 and loc[0] == "meters" and loc[2] in ("s1sp", "smets"))
    )


def _declared(data: Mapping[str, Any], table: EnvironmentTable | None, *, s1sps_known: bool) -> Declared:
    """What the cross-checks judge: what of each organisation and meter is valid (all of it when the whole
    file is; else key by key), the S1SPs the file knows and those [change] names."""
    if table is not None:
        organisations = [dict(entry) for entry in table.organisations]
        meters = [dict(entry) for entry in table.meters]
    else:
        organisations = [_valid_keys(OrganisationTable, item) for item in _array(data, "organisations")]
        meters = [_valid_keys(MeterTable, item) for item in _array(data, "meters")]
    devices = [(i, _device(keys)) for i, keys in enumerate(meters)]
    signers = set(_table(data, "dcc", "signers")) - {DSP_SIGNER}
    change = _table(data, "change")
    return Declared(
        organisations=[(i, _party(keys)) for i, keys in enumerate(organisations)] or None,
        meters=devices,
        s1sps=frozenset({d.s1sp for _, d in devices if d.s1sp} | signers) if s1sps_known else None,
        change={
            name: [(i, s1sp.strip()) for i, s1sp in enumerate(listed) if isinstance(s1sp, str) and s1sp.strip()]
            for name in ("s1sps_enabled", "s1sps_not_answering")
            if isinstance(listed := change.get(name), list)
        },
    )


_INVALID = object()
"""A key written with a problem of its own (reported already): the cross-checks do not judge by it."""


def _valid_keys(schema: type[BaseModel], item: Any) -> dict[str, Any]:
    """The keys of a table as written, each validated by its own declared type (a table in it, key by key):
    what the cross-checks can trust of an entry that is not valid as a whole."""
    keys: dict[str, Any] = {}
    for name, value in (item.items() if isinstance(item, dict) else ()):
        field = schema.model_fields.get(name)
        if field is None:
            continue
        inner = _table_type(field.annotation)
        if inner is not None and isinstance(value, dict):
            keys[name] = _valid_keys(inner, value)
            continue
        try:
            keys[name] = _key_type(schema, name).validate_python(value)
        except ValidationError:
            keys[name] = _INVALID
    return keys


def _table_type(annotation: Any) -> type[BaseModel] | None:
    """The table a key holds (`registered`, `xml_signing`), if it holds one."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


@functools.cache
def _key_type(schema: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = schema.model_fields[name]
    declared: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return TypeAdapter(declared, config=ConfigDict(strict=True))


def _known(keys: Mapping[str, Any], name: str) -> Any:
    value = keys.get(name)
    return None if value is _INVALID else value


def _party(keys: Mapping[str, Any]) -> Party:
    held = [keys.get(use) for use in ("digital_signing", "key_agreement")]
    can_be_held = None if _INVALID in held else all(use is not None for use in held)
    return Party(_known(keys, "name"), _known(keys, "user_role"), _known(keys, "entity_id"), can_be_held)


def _device(keys: Mapping[str, Any]) -> Device:
    def roles(parties: Any) -> dict[str, str]:
        named = dict(parties) if isinstance(parties, BaseModel | dict) else {}
        return {role: name for role, name in named.items() if isinstance(name, str)}

    return Device(
        device_id=_known(keys, "device_id"),
        device_type=_known(keys, "device_type"),
        smets=_known(keys, "smets"),
        s1sp=_known(keys, "s1sp"),
        mpxn=_known(keys, "mpxn"),
        installation=_known(keys, "installation"),
        registered=roles(keys.get("registered")),
        holds=roles(keys.get("holds")),
    )


def _array(data: Mapping[str, Any], name: str) -> list[Any]:
    """An array of tables as written (empty when it is not a list)."""
    value = data.get(name)
    return value if isinstance(value, list) else []


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """A table of the file as written (empty when it is not a table)."""
    table: Any = data
    for key in keys:
        table = table.get(key) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else {}


# --- the model from the checked file ------------------------------------------------------------------
def _in_folder(folder: Path, written: str) -> Path:
    """A path as written in the file, relative to its folder."""
    return Path(os.path.normpath(folder / Path(written).expanduser()))


def _maybe_in_folder(folder: Path, written: str | None) -> Path | None:
    return None if written is None else _in_folder(folder, written)


def _organisation(i: int, table: OrganisationTable, folder: Path, source: Path) -> OrganisationEntry:
    def material(use: str, written: KeyMaterialTable | None) -> KeyMaterial | None:
        if written is None:
            return None
        return KeyMaterial(
            certificate=_maybe_in_folder(folder, written.certificate),
            key=_maybe_in_folder(folder, written.key),
            key_env=written.key_env,
            pkcs12=_maybe_in_folder(folder, written.pkcs12),
            password_env=written.password_env,
            pkcs11=written.pkcs11,
            origin=key_of(("organisations", i, use)),
            source=source,
        )

    return OrganisationEntry(
        table.name,
        table.user_role,
        table.entity_id,
        table.dcc_user,
        material("xml_signing", table.xml_signing),
        material("digital_signing", table.digital_signing),
        material("key_agreement", table.key_agreement),
    )


def _meter(table: MeterTable) -> MeterEntry:
    def parties(written: BaseModel | None) -> dict[str, str]:
        return {} if written is None else {role: name for role, name in written if name is not None}

    return MeterEntry(
        table.device_id,
        table.device_type,
        table.smets,
        table.s1sp,
        table.mpxn,
        table.installation,
        table.status,
        table.enrolled,
        parties(table.registered),
        parties(table.holds),
    )


def _tls(folder: Path, table: TLSTable | None) -> TLSSettings | None:
    if table is None:
        return None
    written = (table.ca_file, table.client_certificate, table.client_key)
    return TLSSettings(*(_maybe_in_folder(folder, path) for path in written))


def _environment(path: Path, raw: bytes, table: EnvironmentTable, folder: Path) -> Environment:
    run, dsp, receiver, dcc, change, codes = table.run, table.dsp, table.receiver, table.dcc, table.change, table.codes
    return Environment(
        path.resolve(),
        hashlib.sha256(raw).hexdigest(),
        RunInfo(run.name, run.operator, run.kind or ""),
        DSPEndpoint(dsp.url.rstrip("/"), float(dsp.answer_timeout_seconds), _tls(folder, dsp.tls)),
        ReceiverSettings(receiver.host, receiver.port, receiver.path, receiver.public_url),
        {name: _in_folder(folder, written) for name, written in dcc.signers.items()},
        DeclaredChange(change.dsp_switch, frozenset(change.s1sps_enabled), frozenset(change.s1sps_not_answering)),
        CodeOverrides(dict(codes.response), dict(codes.s1sp_alert)),
        Interfaces(table.interfaces.migration_control_centre, table.interfaces.meter_events, table.interfaces.control),
        tuple(_organisation(i, entry, folder, path) for i, entry in enumerate(table.organisations)),
        tuple(map(_meter, table.meters)),
        _maybe_in_folder(folder, dcc.certification_path),
    )
