"""Safe XML parsing and the DUIS namespaces."""

from __future__ import annotations

import functools
import re

from lxml import etree

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
RA = "http://www.dccinterface.co.uk/ResponseAndAlert"
DS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"sr": SR}
SCHEMA_VERSION = "5.1"


class NotXML(ValueError):
    """The body is not a well-formed, safe XML document."""


def q(name: str, ns: str = SR) -> str:
    """Clark notation for a DUIS element name."""
    return f"{{{ns}}}{name}"


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    remove_blank_text=True,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse(data: bytes) -> etree._Element:
    """Parse without entities, DTDs or network; raise NotXML with a plain reason otherwise."""
    if not data.strip():
        raise NotXML("the body is empty")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotXML(f"the body is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # lxml-stubs omit DocInfo.doctype
        raise NotXML("a DOCTYPE is not allowed in DUIS (entities and DTDs are refused)")
    return root


def compact(root: etree._Element) -> etree._Element:
    """The element re-read without insignificant whitespace: what DCC's tool signs and verifies."""
    return etree.fromstring(etree.tostring(root), _PARSER)


PREFIXES = {"sr": SR, "ra": RA, "ds": DS}
"""The prefixes a path given to `text` may use."""


@functools.lru_cache(maxsize=1024)
def clark_path(path: str) -> str:
    """`path` with its prefixes (`PREFIXES`) written out in Clark notation: lxml then finds by it without
    translating prefixes on every call, and a message is read many times a request."""
    return _PREFIXED.sub(lambda match: "{" + PREFIXES[match.group(1)] + "}", path)


_PREFIXED = re.compile(r"\b(" + "|".join(PREFIXES) + r"):(?=[A-Za-z_])")


def text(root: etree._Element, path: str) -> str | None:
    """The stripped text at `path` (sr:, ra: or ds: prefixes), or None."""
    found = root.find(clark_path(path))
    return found.text.strip() if found is not None and found.text else None


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
