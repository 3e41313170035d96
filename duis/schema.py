"""The DUIS XSD, taken at run time from DCC's own npm package `@smartdcc/duis-sign-wrap`.

Never copied into the repository (it is DCC's artefact): `npm ci` installs it, and we read the
schema files out of `dist/tool.jar` into a cache folder with names lxml can resolve.
"""

from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path

from lxml import etree

PROJECT_ROOT = Path(__file__).resolve().parent.parent
JAR_IN_PACKAGE = Path("node_modules/@smartdcc/duis-sign-wrap/dist/tool.jar")
_SCHEMAS = {
    "DUIS Schema V5.1.xsd": "duis.xsd",
    "MMC Schema V5.1.xsd": "mmc.xsd",
    "xmldsig-core-schema.xsd": "xmldsig.xsd",
}


class SchemaUnavailable(RuntimeError):
    """DCC's package is not installed, so the DUIS schema cannot be loaded."""


def duis_tool_jar() -> Path:
    """Where DCC's signing tool is: $DUIS_TOOL_JAR, or the project's node_modules."""
    env = os.environ.get("DUIS_TOOL_JAR")
    candidates = [Path(env)] if env else []
    candidates += [PROJECT_ROOT / JAR_IN_PACKAGE, Path.cwd() / JAR_IN_PACKAGE]
    for path in candidates:
        if path.is_file():
            return path
    raise SchemaUnavailable(
        "DCC's DUIS tool is not installed: run `npm ci` in the project folder "
        "(it installs @smartdcc/duis-sign-wrap), or set DUIS_TOOL_JAR"
    )


@functools.lru_cache(maxsize=1)
def duis_schema() -> etree.XMLSchema:
    """The DUIS V5.1 schema (with the MMC and XMLDSig schemas it imports), loaded once."""
    jar = duis_tool_jar()
    cache = PROJECT_ROOT / "reports" / ".cache" / "duis-xsd"
    cache.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(jar) as z:
        for member, local in _SCHEMAS.items():
            text = z.read(member)
            for other, other_local in _SCHEMAS.items():
                text = text.replace(f'schemaLocation="{other}"'.encode(), f'schemaLocation="{other_local}"'.encode())
            target = cache / local
            if not target.exists() or target.read_bytes() != text:
                target.write_bytes(text)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(cache / "duis.xsd"), parser))
