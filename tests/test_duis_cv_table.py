"""The Command Variants each SRV allows come from DCC's DUIS XSD's own `CV = …` annotations, not from a
table typed by hand; the SRVs the sandbox offers read their Command Variants and criticality from it;
and nothing loads the XSD until it is needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from duis.command_variants import (
    CRITICAL_COMMAND_VARIANTS,
    WEB_SERVICE,
    WEB_SERVICE_PATHS,
    SchemaAnnotationError,
    _parse_cv_comment,
    allowed_command_variants,
    command_variant_table,
    is_critical,
    parse_with_comments,
    read_cv_annotations,
    supports_future_dating,
)
from duis.schema import PROJECT_ROOT, duis_xsd_path, mmc_xsd_path
from duis.srv import (
    NETWORK_OPERATORS,
    RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP,
    SERVICE_REQUEST_VARIANTS,
    SUPPLIERS,
    ServiceReferenceVariant,
)

EXPECTED = {
    "6.15.1": {4, 5, 6, 7},
    "6.21": {1, 2, 3},
    "6.24.1": {1, 2, 3},
    "8.7.2": {1, 2, 3},
    "8.12.2": {1, 2, 3},
    "4.1.1": {1, 2, 3},
    "8.7.1": {4, 5, 6, 7},
    "8.1.1": {4, 5},
}


@pytest.mark.parametrize(("variant", "cvs"), sorted(EXPECTED.items()))
def test_allowed_command_variants_are_the_xsd_annotation(variant: str, cvs: set[int]) -> None:
    assert allowed_command_variants(variant) == frozenset(cvs)


@pytest.mark.parametrize(
    ("variant", "critical"),
    [("6.15.1", True), ("8.7.1", True), ("8.1.1", True), ("6.21", False), ("6.24.1", False), ("4.1.1", False)],
)
def test_criticality_is_derived_from_the_annotation(variant: str, critical: bool) -> None:
    assert is_critical(variant) is critical


def test_an_unknown_variant_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="9.99.9"):
        allowed_command_variants("9.99.9")
    with pytest.raises(KeyError):
        is_critical("")


def test_every_srv_of_the_xsd_is_annotated() -> None:
    table = command_variant_table()
    assert len(table) == 129  # every enumeration value of DUIS V5.1 simpleType ServiceReferenceVariant
    assert all(cvs and cvs <= set(range(1, 10)) for cvs in table.values())
    with pytest.raises(TypeError):
        table["6.15.1"] = frozenset({1})  # type: ignore[index]


def test_the_annotation_is_read_from_the_xsd_text_itself() -> None:
    """The comment format DCC uses: `<!--    CV = 4, 5, 6, 7 -->` straight after the enumeration value."""
    xsd = duis_xsd_path().read_text(encoding="utf-8")
    assert '<xs:enumeration value="6.15.1"/>\n            <!--    CV = 4, 5, 6, 7 -->' in xsd
    assert '<xs:enumeration value="6.24.1"/>\n            <!--    CV = 1, 2, 3 -->' in xsd


def test_the_mmc_schema_annotates_its_copy_of_the_type_the_same_way_for_mp107() -> None:
    """DCC-INTERFACE Q2: the MMC schema's ServiceReferenceVariant carries CV comments too. They agree
    with the DUIS XSD for every SRV but 7.12 (MMC V5.1: 4, 5, 6, 7; DUIS V5.1: 1, 2, 3; DCC's request
    matrix calls 7.12 critical), which the sandbox does not offer: the DUIS XSD is the one we read."""
    mmc = read_cv_annotations(parse_with_comments(mmc_xsd_path()))
    duis = command_variant_table()
    assert set(mmc) == set(duis)
    assert {v for v in mmc if mmc[v] != duis[v]} == {"7.12"}
    assert {v: mmc[v] for v in EXPECTED} == {v: frozenset(cvs) for v, cvs in EXPECTED.items()}


@pytest.mark.parametrize(
    ("comment", "cvs"), [("    CV = 4, 5, 6, 7 ", {4, 5, 6, 7}), ("CV=8", {8}), (" CV = 1,2 ,3", {1, 2, 3})]
)
def test_cv_comment_forms_that_are_read(comment: str, cvs: set[int]) -> None:
    assert _parse_cv_comment("x", comment) == frozenset(cvs)


@pytest.mark.parametrize("comment", ["CV = ", "CV = a", "Command Variant = 1", "CV = 1; 2", ""])
def test_cv_comment_forms_that_are_refused(comment: str) -> None:
    with pytest.raises(SchemaAnnotationError):
        _parse_cv_comment("x", comment)


# --- the SRVs the sandbox offers ----------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(SERVICE_REQUEST_VARIANTS))
def test_offered_srvs_take_their_command_variants_from_the_xsd(variant: str) -> None:
    srv = SERVICE_REQUEST_VARIANTS[variant]
    assert srv.command_variants == frozenset(EXPECTED[variant])
    assert isinstance(srv.command_variants, frozenset)
    assert srv.critical is (srv.command_variants <= CRITICAL_COMMAND_VARIANTS)


def test_only_6_15_1_is_critical_among_the_offered_srvs() -> None:
    assert {v for v, srv in SERVICE_REQUEST_VARIANTS.items() if srv.critical} == {"6.15.1"}


def test_retrieve_device_security_credentials_krp_is_offered_as_dcc_defines_it() -> None:
    srv = SERVICE_REQUEST_VARIANTS["6.24.1"]
    assert srv is RETRIEVE_DEVICE_SECURITY_CREDENTIALS_KRP
    assert (srv.reference, srv.body_element) == ("6.24", "RetrieveDeviceSecurityCredentialsKRP")
    assert srv.name == "Retrieve Device Security Credentials (KRP)"
    assert srv.eligible == SUPPLIERS | NETWORK_OPERATORS
    assert not srv.critical
    assert not srv.future_datable


@pytest.mark.parametrize(
    ("body", "future"),
    [
        ("UpdateSecurityCredentialsKRP", True),
        ("RequestHandoverOfDCCControlledDevice", True),
        ("ReadInstantaneousImportRegisters", True),
        ("SignedPreCommand", True),
        ("JoinServiceNonCritical", False),
        ("RestoreGPFDeviceLog", False),
        ("RetrieveDeviceSecurityCredentialsKRP", False),
    ],
)
def test_future_dating_follows_the_body_type(body: str, future: bool) -> None:
    assert supports_future_dating(body) is future
    with pytest.raises(KeyError):
        supports_future_dating("NoSuchBody")


def test_an_echoed_srv_may_state_its_own_flags() -> None:
    """Only for the header of a request the sandbox cannot read: the flags are given, not looked up."""
    echo = ServiceReferenceVariant("0.0.0", "0.0", "", "SRV 0.0.0", critical=False, command_variants=())
    assert echo.critical is False
    assert echo.command_variants == frozenset()
    with pytest.raises(KeyError):
        _ = ServiceReferenceVariant("0.0.0", "0.0", "", "SRV 0.0.0").critical


# --- web services --------------------------------------------------------------------------------


def test_each_command_variant_goes_to_its_web_service() -> None:
    assert WEB_SERVICE == {1: "S", 3: "S", 5: "S", 7: "S", 2: "D", 6: "D", 8: "D", 4: "T"}
    assert {WEB_SERVICE_PATHS[w] for w in WEB_SERVICE.values()} == {
        "/api/v1/serviceS",
        "/api/v1/serviceD",
        "/api/v1/serviceT",
    }


# --- laziness ------------------------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_the_duis_package_does_not_load_the_xsd() -> None:
    result = _python(
        "import duis.schema as schema\n"
        "def unavailable():\n"
        "    raise schema.SchemaUnavailable('no npm package')\n"
        "schema.duis_tool_jar = unavailable\n"
        "import duis.srv, duis.requests, duis.responses, duis.precommand, duis.command_variants\n"
        "from duis.srv import UPDATE_SECURITY_CREDENTIALS_KRP as krp\n"
        "assert schema.extract_schemas.cache_info().currsize == 0\n"
        "assert krp == krp and hash(krp) == hash(krp)\n"
        "try:\n"
        "    krp.critical\n"
        "except schema.SchemaUnavailable:\n"
        "    print('lazy')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lazy"
