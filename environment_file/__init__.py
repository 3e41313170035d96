"""The environment file: a TOML description of where a run goes (a DCC test environment, DCC Boxed, or the
sandbox started from the file), its organisations and their key material, its test meters and the declared
state of MP107. The ground floor both the sandbox (`serve --environment`) and the suite read it from: it
imports nothing of either.

    from environment_file import load_environment
    env = load_environment("support/environments/sandbox-to-be.toml")
"""

from environment_file.reading import (
    ACB_ROLE,
    DCC_TEST_ENVIRONMENT,
    DEFAULT_ANSWER_TIMEOUT,
    DEFAULT_RECEIVER_HOST,
    DEFAULT_RECEIVER_PATH,
    DEVICE_TYPES,
    DSP_SIGNER,
    ENVIRONMENT_KINDS,
    ENVIRONMENTS,
    HELD_ROLES,
    METER_POINTS,
    REGISTERED_ROLES,
    STATUSES,
    USER_ROLES,
    CodeOverrides,
    DeclaredChange,
    DSPEndpoint,
    Environment,
    EnvironmentFileError,
    Interfaces,
    KeyMaterial,
    MeterEntry,
    OrganisationEntry,
    Problem,
    ReceiverSettings,
    RunInfo,
    TLSSettings,
    check_key_material,
    load_environment,
)

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
