"""DCC's own DUIS tool (npm `@smartdcc/duis-sign-wrap`, `dist/tool.jar`, GPL-3.0, run as an external
program, never copied) for the tests that prove interoperability with it.

When Java or the jar is missing such tests skip, except under CI (env CI set), where they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from duis.schema import SchemaUnavailable, duis_tool_jar

TOOL_PACKAGE = "uk.co.smartdcc.boxed.xmldsig"


def find_dcc_tool() -> tuple[str, Path]:
    """`java` and DCC's tool.jar, or skip (fail under CI) saying what is missing."""
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("`java` is not on PATH (install a Java 11+ runtime, e.g. openjdk-17-jre-headless)")
    try:
        jar = duis_tool_jar()
    except SchemaUnavailable as exc:
        missing.append(str(exc))
    if missing:
        message = "DCC tool interop test cannot run: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return java, jar


def run_tool(tool: tuple[str, Path], mode: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    java, jar = tool
    return subprocess.run(
        [java, "-cp", str(jar), f"{TOOL_PACKAGE}.{mode}", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def sign_with_dcc_tool(tool: tuple[str, Path], xml: bytes, *, preserve_counter: bool = False) -> bytes:
    """DCC's Sign with its built-in key for the RequestID's originator (it replaces the counter with the
    time in milliseconds unless told to keep it)."""
    result = run_tool(tool, "Sign", "-", *(["--preserveCounter"] if preserve_counter else []), stdin=xml)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def validate_with_dcc_tool(tool: tuple[str, Path], folder: Path, name: str, xml: bytes) -> subprocess.CompletedProcess:
    """DCC's Validate on a message as the sandbox sent it (XSD, and the signature by its own library)."""
    path = folder / name
    path.write_bytes(xml)
    return run_tool(tool, "Validate", str(path))
