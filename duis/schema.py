"""The DUIS XSD, taken at run time from DCC's own npm package `@smartdcc/duis-sign-wrap`.

Never copied into the repository (it is DCC's artefact): `npm ci` installs it, and we read the
schema files out of `dist/tool.jar` into a cache folder with names lxml can resolve.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
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


CACHE_FOLDER = PROJECT_ROOT / "reports" / ".cache" / "duis-xsd"


@functools.lru_cache(maxsize=1)
def extract_schemas() -> Path:
    """Copy the XSDs out of DCC's jar into the cache folder (once per process) and return the folder.

    The schema files import each other by their names inside the jar (with spaces); they are renamed
    so lxml can resolve them. Each file is replaced atomically, so a second process extracting at the
    same time never reads a half-written schema."""
    jar = duis_tool_jar()
    CACHE_FOLDER.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(jar) as z:
        for member, local in _SCHEMAS.items():
            text = z.read(member)
            for other, other_local in _SCHEMAS.items():
                text = text.replace(f'schemaLocation="{other}"'.encode(), f'schemaLocation="{other_local}"'.encode())
            target = CACHE_FOLDER / local
            if not target.exists() or target.read_bytes() != text:
                with tempfile.NamedTemporaryFile(dir=CACHE_FOLDER, prefix=f".{local}.", delete=False) as tmp:
                    tmp.write(text)
                os.replace(tmp.name, target)
    return CACHE_FOLDER


def duis_xsd_path() -> Path:
    """The DUIS V5.1 XSD file, extracted from DCC's package (raises SchemaUnavailable without it).

    For readers of the schema's own annotations (the Command Variant comments), which a compiled
    `XMLSchema` does not keep."""
    return extract_schemas() / "duis.xsd"


def mmc_xsd_path() -> Path:
    """The MMC V5.1 XSD (the `ra:` response payload types), extracted alongside the DUIS XSD."""
    return extract_schemas() / "mmc.xsd"


_VALIDATING = threading.Lock()
"""An lxml schema keeps one error log: validations that read it take turns."""


def schema_error(root: etree._Element) -> str | None:
    """None when `root` is valid DUIS, else the reason (line and message); safe from any thread."""
    schema = duis_schema()
    with _VALIDATING:
        if schema.validate(root):
            return None
        error = schema.error_log.last_error  # type: ignore[attr-defined]  # lxml-stubs declare _ErrorLog bare
    return f"line {error.line}: {error.message}" if error else "not valid against the DUIS schema"


@functools.lru_cache(maxsize=1)
def duis_schema() -> etree.XMLSchema:
    """The DUIS V5.1 schema (with the MMC and XMLDSig schemas it imports), loaded once."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(duis_xsd_path()), parser))
