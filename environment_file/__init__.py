"""The environment file: a TOML description of where a run goes (a DCC test environment, DCC Boxed, or the
sandbox started from the file), its organisations and their key material, its test meters and the declared
state of MP107. The ground floor both the sandbox (`serve --environment`) and the suite read it from: it
imports nothing of either.

    from environment_file import load_environment
    env = load_environment("support/environments/sandbox-to-be.toml")

Its modules, one job each: `model` (what the rest of the project reads: typed, immutable), `reading` (the
TOML file to a checked model), `schema` (the file's shape and rules, as pydantic models) with `fields` (its
kinds of value) and `wording` (pydantic's findings in the project's words), `cross_checks` (the rules
across the file's parts), `keys` (opening key material: PEM, PKCS#12, a variable; PKCS#11 refused) and
`key_checks` (the preflight check that every key matches its certificate), `problems` (what is wrong and
how it is said).
"""

from pathlib import Path

from environment_file.key_checks import check_key_material
from environment_file.keys import KeyMaterial
from environment_file.model import (
    ACB_ROLE,
    DCC_TEST_ENVIRONMENT,
    DEFAULT_ANSWER_TIMEOUT,
    DEFAULT_RECEIVER_HOST,
    DEFAULT_RECEIVER_PATH,
    DEVICE_TYPES,
    DSP_SIGNER,
    ENVIRONMENT_KINDS,
    HELD_ROLES,
    METER_POINTS,
    REGISTERED_ROLES,
    STATUSES,
    USER_ROLES,
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
from environment_file.problems import EnvironmentFileError, Problem

ENVIRONMENTS = Path(__file__).resolve().parents[1] / "support" / "environments"
"""Where the project's own environment files live (sandbox as-is and to-be, DCC Boxed)."""


def load_environment(path: str | Path) -> Environment:
    """Read and check an environment file; raise EnvironmentFileError listing every problem, in the file's
    order (`environment_file.reading`). Key and certificate files are not opened (`check_key_material`).

    The reader is imported on the first call: pydantic and the file's schema take some 70 ms to import,
    which a process that never reads a file (the embedded sandbox, behave's embedded runs) need not pay."""
    from environment_file import reading

    return reading.load_environment(path)

__all__ = [
    "ACB_ROLE",
    "CodeOverrides",
    "DCC_TEST_ENVIRONMENT",
    "DEFAULT_ANSWER_TIMEOUT",
    "DEFAULT_RECEIVER_HOST",
    "DEFAULT_RECEIVER_PATH",
    "DEVICE_TYPES",
    "DSPEndpoint",
    "DSP_SIGNER",
    "DeclaredChange",
    "ENVIRONMENTS",
    "ENVIRONMENT_KINDS",
    "Environment",
    "EnvironmentFileError",
    "HELD_ROLES",
    "Interfaces",
    "KeyMaterial",
    "METER_POINTS",
    "MeterEntry",
    "OrganisationEntry",
    "Problem",
    "REGISTERED_ROLES",
    "ReceiverSettings",
    "RunInfo",
    "STATUSES",
    "TLSSettings",
    "USER_ROLES",
    "check_key_material",
    "load_environment",
]
