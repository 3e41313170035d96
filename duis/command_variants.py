"""The Command Variants each Service Reference Variant allows, read from DCC's own DUIS XSD.

DUIS V5.1 annotates every value of `simpleType ServiceReferenceVariant` with a comment that follows
it, written `<!--    CV = 4, 5, 6, 7 -->` (DCC-INTERFACE Q2). We read those comments rather than
type the table by hand, so the sandbox cannot drift from DCC's schema, and a wrong Command Variant
is refused for the reason DCC's own artefact gives.

Nothing here touches the XSD at import time: the first call that needs the table extracts the XSD
from DCC's npm package (`duis.schema`), so modules that only import this one work without it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from lxml import etree

from duis.schema import duis_xsd_path

XS = "http://www.w3.org/2001/XMLSchema"
_NS = {"xs": XS}
_CV_COMMENT = re.compile(r"^\s*CV\s*=\s*(\d+(?:\s*,\s*\d+)*)\s*$")
_GBCS_VERSION = re.compile(r"Aligned with GBCS version\s*-\s*(\S+)")

CRITICAL_COMMAND_VARIANTS = frozenset({4, 5, 6, 7})
"""The Command Variants of the critical path: transform (4) and the signed Pre-Command (5, 6, 7)."""

WEB_SERVICE: dict[int, str] = {1: "S", 3: "S", 5: "S", 7: "S", 2: "D", 6: "D", 8: "D", 4: "T"}
"""The DCC web service each Command Variant is sent to (the XSD's CV table, "Req WS" column, and DCC
Boxed's endpoints): "S" Send Command `/api/v1/serviceS` (CV 1, 3, 5, 7), "D" Non-Device
`/api/v1/serviceD` (CV 2, 6, 8), "T" Transform `/api/v1/serviceT` (CV 4). CV 9 is internal to DCC
and has no web service."""

WEB_SERVICE_PATHS: dict[str, str] = {"S": "/api/v1/serviceS", "D": "/api/v1/serviceD", "T": "/api/v1/serviceT"}
"""The URL path of each web service letter in `WEB_SERVICE` (DCC Boxed's paths)."""


class SchemaAnnotationError(RuntimeError):
    """The XSD's Command Variant annotations are not in the form this reader knows: failing loudly is
    safer than guessing which Command Variants an SRV allows."""


def parse_with_comments(path: Path) -> etree._ElementTree:
    """An XSD parsed with its comments kept (a compiled XMLSchema drops them), safely."""
    parser = etree.XMLParser(remove_comments=False, resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(path), parser)


@functools.lru_cache(maxsize=1)
def _duis_xsd() -> etree._ElementTree:
    """The DUIS XSD with its comments, parsed once."""
    return parse_with_comments(duis_xsd_path())


def _parse_cv_comment(variant: str, comment: str) -> frozenset[int]:
    match = _CV_COMMENT.match(comment)
    if match is None:
        raise SchemaAnnotationError(f"the XSD's comment after SRV {variant} is {comment!r}, not 'CV = n, n, ...'")
    return frozenset(int(cv) for cv in match.group(1).split(","))


def read_cv_annotations(xsd: etree._ElementTree) -> dict[str, frozenset[int]]:
    """The `CV = …` annotation of every value of `simpleType ServiceReferenceVariant` in a schema parsed
    with its comments (the DUIS XSD, or the MMC XSD, which annotates its own copy of the type).

    Raises SchemaAnnotationError when an enumeration value has no `CV = …` comment after it, or a
    comment stands where none is expected: all 129 values of DUIS V5.1 carry one."""
    simple_type = xsd.find("xs:simpleType[@name='ServiceReferenceVariant']", _NS)
    if simple_type is None:
        raise SchemaAnnotationError("the XSD has no simpleType ServiceReferenceVariant")
    restriction = simple_type.find("xs:restriction", _NS)
    if restriction is None:
        raise SchemaAnnotationError("simpleType ServiceReferenceVariant has no restriction")
    table: dict[str, frozenset[int]] = {}
    last: str | None = None
    for node in restriction:
        if isinstance(node, etree._Comment):
            if last is None or last in table:
                raise SchemaAnnotationError(f"the XSD comment {node.text!r} follows no SRV value")
            table[last] = _parse_cv_comment(last, node.text or "")
        elif node.tag == f"{{{XS}}}enumeration":
            if last is not None and last not in table:
                raise SchemaAnnotationError(f"SRV {last} has no 'CV = …' comment in the XSD")
            last = node.get("value") or ""
    if last is not None and last not in table:
        raise SchemaAnnotationError(f"SRV {last} has no 'CV = …' comment in the XSD")
    if not table:
        raise SchemaAnnotationError("simpleType ServiceReferenceVariant lists no SRV")
    return table


@functools.lru_cache(maxsize=1)
def command_variant_table() -> Mapping[str, frozenset[int]]:
    """Every SRV in the DUIS XSD with the Command Variants its annotation allows (read once, read-only)."""
    return MappingProxyType(read_cv_annotations(_duis_xsd()))


@functools.cache
def allowed_command_variants(variant: str) -> frozenset[int]:
    """The Command Variants DUIS allows for `variant` (e.g. "6.15.1" -> {4, 5, 6, 7}).

    Raises KeyError for a variant the XSD does not list."""
    table = command_variant_table()
    if variant not in table:
        raise KeyError(f"SRV {variant!r} is not a Service Reference Variant of the DUIS XSD")
    return table[variant]


def is_critical(variant: str) -> bool:
    """Whether `variant` is a Critical Service Request, derived from the XSD's CV annotation: True when
    every Command Variant it allows is on the critical path (4, 5, 6, 7).

    DCC's request matrix and the XSD comments agree for every SRV MP107 touches (DCC-INTERFACE Q2);
    they disagree only for 7.12–7.15, which the sandbox does not offer. Raises KeyError like
    `allowed_command_variants`."""
    return allowed_command_variants(variant) <= CRITICAL_COMMAND_VARIANTS


@functools.cache
def supports_future_dating(body_element: str) -> bool:
    """Whether the Request Body element `body_element` may carry `ExecutionDateTime`: its type extends
    `FutureDatedAbstractType` in the XSD (e.g. UpdateSecurityCredentialsKRP yes, JoinServiceNonCritical no).

    Raises KeyError for an element the Request Body does not offer."""
    xsd = _duis_xsd()
    body = xsd.find(
        "xs:complexType[@name='Request']/xs:sequence/xs:element[@name='Body']/xs:complexType/xs:choice", _NS
    )
    element = body.find(f"xs:element[@name='{body_element}']", _NS) if body is not None else None
    if element is None or not element.get("type"):
        raise KeyError(f"{body_element!r} is not an element of the DUIS Request Body")
    type_name = (element.get("type") or "").split(":")[-1]
    extension = xsd.find(f"xs:complexType[@name='{type_name}']/xs:complexContent/xs:extension", _NS)
    return extension is not None and (extension.get("base") or "").split(":")[-1] == "FutureDatedAbstractType"


@functools.lru_cache(maxsize=1)
def xsd_gbcs_version() -> str:
    """The GBCS version the DUIS XSD's header says it is aligned with ("4.1" for DUIS V5.1a)."""
    for node in _duis_xsd().getroot().iter(etree.Comment):
        match = _GBCS_VERSION.search(node.text or "")
        if match:
            return match.group(1)
    raise SchemaAnnotationError("the XSD header names no 'Aligned with GBCS version'")


__all__ = [
    "CRITICAL_COMMAND_VARIANTS",
    "WEB_SERVICE",
    "WEB_SERVICE_PATHS",
    "SchemaAnnotationError",
    "allowed_command_variants",
    "command_variant_table",
    "is_critical",
    "parse_with_comments",
    "read_cv_annotations",
    "supports_future_dating",
    "xsd_gbcs_version",
]
