"""Check an evidence pack: ``python -m reporting.verify PACK [PACK ...]``.

A pack passes when its archive reads cleanly, it carries ``MANIFEST.sha256``, every file the manifest
names is there with that SHA-256, and no file is there that the manifest does not name. When the pack
has its ``<pack>.sha256`` beside it (``make evidence`` writes one), the archive's own digest must match
too, so that a change to any byte is found, even one gzip does not check. A folder (an unpacked pack)
is checked the same way. Exit status 0 when every pack passes, 1 otherwise, each fault named.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import tarfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from reporting.pack import GZIP_HEADER, MANIFEST


def _read_archive(path: Path) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    faults: list[str] = []
    raw = path.read_bytes()
    if not raw.startswith(GZIP_HEADER):
        faults.append("the gzip header is not the one the pack builder writes (the archive was changed or rebuilt)")
    try:
        data = gzip.decompress(raw)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for member in archive.getmembers():
                if member.isfile():
                    extracted = archive.extractfile(member)
                    files[member.name] = extracted.read() if extracted else b""
                elif not member.isdir():
                    faults.append(f"{member.name}: not a plain file or folder")
    except (OSError, EOFError, tarfile.TarError, zlib.error) as error:
        faults.append(f"the archive is damaged: {error}")
    return files, faults


def _read_folder(path: Path) -> dict[str, bytes]:
    return {item.relative_to(path).as_posix(): item.read_bytes() for item in sorted(path.rglob("*")) if item.is_file()}


def check(path: Path) -> list[str]:
    """Every fault found in the pack at `path` (empty when it passes)."""
    if not path.exists():
        return [f"{path}: no such file"]
    faults: list[str] = []
    if path.is_dir():
        files = _read_folder(path)
    else:
        sidecar = path.with_name(path.name + ".sha256")
        if sidecar.is_file():
            expected = sidecar.read_text(encoding="utf-8").split()[0]
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            if expected != actual:
                faults.append(f"the archive's SHA-256 is {actual}, but {sidecar.name} says {expected}")
        files, read_faults = _read_archive(path)
        faults += read_faults
        if any(fault.startswith("the archive is damaged") for fault in read_faults):
            return faults
    if MANIFEST not in files:
        return [*faults, f"{MANIFEST} is missing"]
    listed: dict[str, str] = {}
    for number, line in enumerate(files[MANIFEST].decode("utf-8", errors="replace").splitlines(), start=1):
        if line.startswith("#"):
            continue  # the run's verdict and identity, for a reader
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            faults.append(f"{MANIFEST} line {number} is not '<sha256>  <path>': {line!r}")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        if name not in files:
            faults.append(f"{name}: listed in the manifest but missing")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            faults.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
    faults += [f"{name}: not in the manifest" for name in sorted(set(files) - set(listed) - {MANIFEST})]
    return faults


def recorded_verdict(files: dict[str, bytes]) -> str:
    """The verdict line the manifest opens with ("" for a pack written before it carried one)."""
    for line in files.get(MANIFEST, b"").decode("utf-8", errors="replace").splitlines():
        if line.startswith("# Verdict: "):
            return line.removeprefix("# ")
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.verify", description=__doc__.splitlines()[0])
    parser.add_argument("packs", nargs="+", type=Path, metavar="PACK", help="an evidence pack (.tar.gz) or folder")
    args = parser.parse_args(argv)
    failed = False
    for pack in args.packs:
        faults = check(pack)
        if faults:
            failed = True
            print(f"{pack}: FAILED")
            for fault in faults:
                print(f"  - {fault}")
        else:
            files = _read_folder(pack) if pack.is_dir() else _read_archive(pack)[0]
            print(f"{pack}: verified ({len(files) - 1} files match {MANIFEST})")
            verdict = recorded_verdict(files)
            if verdict:
                print(f"  the run it holds: {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
