"""The evidence pack: one archive to keep with the sign-off, which anyone can check later.

    mp107-evidence.tar.gz
      MANIFEST.sha256             the run's verdict and identity as '#' lines, then the SHA-256 of every other
                                  file ("<hex>  <path>", sorted by path; ``sha256sum -c`` reads it as it is)
      verdict.json                the verdict, its counts and every finding
      report/index.html           the Allure report (one file, opens from disk)
      traceability.md, .csv       the matrix, with the run identity
      sign-off.html               the sheet to print and sign
      junit/...                   the JUnit XML
      messages/...                every DUIS message as sent and received, one folder per scenario
      environment/run-identity.json          who ran what, where and when (no secrets)
      environment/environment.properties     the report's Environment panel (no secrets)
      environment/<environment file>         the DCC test environment description, secrets removed
      environment/uit-test-cases.toml        the test-case mapping, when there is one

The archive is deterministic: entries sorted, every mtime fixed, owner root, modes 0644/0755, gzip
without a name or time. The same inputs give the same bytes, and so the same manifest and digest.
``python -m reporting.verify PACK`` checks it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reporting.identity import REDACTED, is_secret
from reporting.kill_matrix import STRENGTH_FILE, STRENGTH_PAGE

MANIFEST = "MANIFEST.sha256"
STRENGTH_FILES = (STRENGTH_FILE, STRENGTH_PAGE)
"""The kill matrix of the suite's strength, when measured (`make strength`): the pack keeps it beside the report."""
PACK_NAME = "mp107-evidence.tar.gz"
FIXED_MTIME = 946684800  # 2000-01-01T00:00:00Z: no date of packing leaks into the bytes
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
"""What every pack starts with: gzip, deflate, no flags, mtime 0, best compression, unknown OS."""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(key)} = {_toml_value(item)}" for key, item in value.items()) + " }"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def _toml_lines(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    lines = [
        f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items() if not isinstance(value, Mapping)
    ]
    for key, value in table.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{key}" if prefix else key
            lines += ["", f"[{name}]", *_toml_lines(value, name)]
    return lines


def _without_secrets(values: Any) -> Any:
    if isinstance(values, Mapping):
        return {key: REDACTED if is_secret(str(key)) else _without_secrets(value) for key, value in values.items()}
    if isinstance(values, list):
        return [_without_secrets(item) for item in values]
    return values


def redacted_environment(path: Path) -> bytes:
    """The environment description with every key, token, password or secret value replaced. A TOML file is
    read and written again (comments dropped); any other file keeps only lines that name no secret."""
    if path.suffix == ".toml":
        with path.open("rb") as stream:
            data = tomllib.load(stream)
        header = f"# {path.name}, as the run read it, with secret values replaced by {REDACTED!r}\n"
        return (header + "\n".join(_toml_lines(_without_secrets(data))) + "\n").encode()
    kept = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key = line.split("=", 1)[0].strip() if "=" in line else ""
        kept.append(f"{key} = {REDACTED}" if key and is_secret(key) else line)
    return ("\n".join(kept) + "\n").encode()


def collect(
    reports: Path,
    *,
    environment_files: Iterable[Path] = (),
    test_cases: Path | None = None,
    strength: bool = False,
) -> dict[str, bytes]:
    """Pack path → content, from a reports folder after a run (`strength`: with the kill matrix, measured on
    this commit)."""
    strength_files = STRENGTH_FILES if strength else ()
    entries: dict[str, bytes] = {}

    def add_tree(folder: Path, prefix: str) -> None:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    entries[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()

    report = reports / "allure-report" / "index.html"
    if report.is_file():
        entries["report/index.html"] = report.read_bytes()
    for name in ("traceability.md", "traceability.csv", "sign-off.html", "verdict.json", *strength_files):
        if (reports / name).is_file():
            entries[name] = (reports / name).read_bytes()
    add_tree(reports / "junit", "junit")
    add_tree(reports / "messages", "messages")
    for name in ("run-identity.json",):
        if (reports / name).is_file():
            entries[f"environment/{name}"] = (reports / name).read_bytes()
    properties = reports / "allure-results" / "environment.properties"
    if properties.is_file():
        entries["environment/environment.properties"] = properties.read_bytes()
    for path in environment_files:
        if path.is_file():
            entries[f"environment/{path.name}"] = redacted_environment(path)
    if test_cases is not None and test_cases.is_file():
        entries[f"environment/{test_cases.name}"] = test_cases.read_bytes()
    return entries


def manifest(entries: Mapping[str, bytes], header: Iterable[str] = ()) -> bytes:
    """The `header` lines as ``# `` comments (the run's verdict and identity), then ``<sha256>  <path>`` per
    entry, sorted by path: the format ``sha256sum -c`` reads, which skips the comments."""
    comments = [f"# {' '.join(line.split())}" for line in header]
    lines = [f"{hashlib.sha256(entries[name]).hexdigest()}  {name}" for name in sorted(entries) if name != MANIFEST]
    return ("\n".join([*comments, *lines]) + "\n").encode()


def build(entries: Mapping[str, bytes], out: Path, header: Iterable[str] = ()) -> Path:
    """Write the archive (with its manifest, headed by `header`) deterministically; returns its path."""
    entries = {**{name: data for name, data in entries.items() if name != MANIFEST}}
    entries[MANIFEST] = manifest(entries, header)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        folders = sorted({"/".join(name.split("/")[:i]) for name in entries for i in range(1, name.count("/") + 1)})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, FIXED_MTIME
            archive.addfile(info)
        for name in sorted(entries):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(entries[name]), 0o644, FIXED_MTIME
            archive.addfile(info, io.BytesIO(entries[name]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(buffer.getvalue())
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_digest(pack: Path) -> Path:
    """``<pack>.sha256`` beside the pack, so that a change to any byte of it (even in the gzip header)
    is found."""
    sidecar = pack.with_name(pack.name + ".sha256")
    sidecar.write_text(f"{digest(pack)}  {pack.name}\n", encoding="utf-8")
    return sidecar
