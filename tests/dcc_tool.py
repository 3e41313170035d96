"""DCC's own DUIS tool (npm `@smartdcc/duis-sign-wrap`, `dist/tool.jar`, GPL-3.0, run as an external
program, never copied) for the tests that prove interoperability with it.

Each run is what `java -cp tool.jar uk.co.smartdcc.boxed.xmldsig.<Sign|Validate> ARGS...` gives (its exit
status, standard output and standard error), but the runs of a test session share one JVM: starting one costs
1.5-4 s on a busy machine, more than the run itself. `tests/java/DccToolSession.java`, compiled here at test
time (javac) into a git-ignored cache folder, calls the tool's own `main` for each run with that run's
arguments and standard input, and hands back what it wrote and the status it passed to `System.exit`. When
javac is missing, or the session cannot start, each run starts a JVM of its own, as before, and a warning says
so.

When Java or the jar is missing such tests skip, except under CI (env CI set), where they fail."""

from __future__ import annotations

import hashlib
import os
import select
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from duis.schema import CACHE_FOLDER, SchemaUnavailable, duis_tool_jar

TOOL_PACKAGE = "uk.co.smartdcc.boxed.xmldsig"
RUN_SECONDS = 60
"""How long one run may take (as one JVM per run was given)."""
SESSION_SOURCE = Path(__file__).resolve().parent / "java" / "DccToolSession.java"
SESSION_CLASS = SESSION_SOURCE.stem
SESSION_CACHE = CACHE_FOLDER.parent / "dcc-tool-session"
"""Beside the DUIS XSDs taken from the same jar (git-ignored); one folder per version of the source."""
READY = 0x44434354
"""What the session writes once it can take runs (its System.exit trap in place)."""


class SessionEnded(RuntimeError):
    """The shared JVM ended or stopped answering; its own words are in the message."""


class ToolMissing(RuntimeError):
    """Java or DCC's tool.jar is not installed; the message says what to install."""


def locate_dcc_tool() -> DCCTool:
    """`java` and DCC's tool.jar, or ToolMissing saying what is missing."""
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("`java` is not on PATH (install a Java 11+ runtime, e.g. openjdk-17-jre-headless)")
    try:
        jar = duis_tool_jar()
    except SchemaUnavailable as exc:
        missing.append(str(exc))
    if missing or java is None:
        raise ToolMissing("; ".join(missing))
    return DCCTool(java, jar)


def find_dcc_tool() -> DCCTool:
    """DCC's tool, or skip (fail under CI) saying what is missing."""
    try:
        return locate_dcc_tool()
    except ToolMissing as missing:
        message = f"DCC tool interop test cannot run: {missing}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@dataclass
class DCCTool:
    """DCC's tool, run as a program: each `run` is one command line's worth, in a JVM shared by the runs
    (started at the first run) when the session class compiles and starts, else in a JVM of its own."""

    java: str
    jar: Path
    _session: _Session | None = field(default=None, repr=False)
    _per_run_reason: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(self, mode: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        """`java -cp tool.jar uk.co.smartdcc.boxed.xmldsig.<mode> args...` with `stdin`, as a finished process."""
        with self._lock:
            session = self._shared_session()
            if session is None:
                return self._run_in_own_jvm(mode, *args, stdin=stdin)
            try:
                code, out, err = session.run([mode, *args], stdin)
            except (SessionEnded, subprocess.TimeoutExpired):
                self._session = None  # the next run starts a fresh one
                raise
            return subprocess.CompletedProcess(self._command(mode, *args), code, out, err)

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    @property
    def shares_one_jvm(self) -> bool:
        """Whether runs share one JVM (starting it now if need be); False says why in a warning."""
        with self._lock:
            return self._shared_session() is not None

    def _command(self, mode: str, *args: str) -> list[str]:
        return [self.java, "-cp", str(self.jar), f"{TOOL_PACKAGE}.{mode}", *args]

    def _run_in_own_jvm(self, mode: str, *args: str, stdin: bytes | None) -> subprocess.CompletedProcess:
        return subprocess.run(
            self._command(mode, *args), input=stdin, capture_output=True, timeout=RUN_SECONDS, check=False
        )

    def _shared_session(self) -> _Session | None:
        if self._session is not None or self._per_run_reason is not None:
            return self._session
        try:
            self._session = _Session.start(self.java, self.jar, compiled_session())
        except SessionEnded as problem:
            self._per_run_reason = str(problem)
            warnings.warn(f"DCC's tool runs in a JVM per run: {problem}", stacklevel=3)
        return self._session


def compiled_session() -> Path:
    """The folder holding `DccToolSession.class`, compiled once per version of its source (by javac, for
    Java 11+); concurrent test processes each compile aside and the first to finish publishes its folder."""
    source = SESSION_SOURCE.read_bytes()
    folder = SESSION_CACHE / hashlib.sha256(source).hexdigest()[:16]
    if (folder / f"{SESSION_CLASS}.class").is_file():
        return folder
    javac = shutil.which("javac")
    if javac is None:
        raise SessionEnded("`javac` is not on PATH (install a Java 17 JDK, e.g. openjdk-17-jdk-headless)")
    SESSION_CACHE.mkdir(parents=True, exist_ok=True)
    draft = Path(tempfile.mkdtemp(dir=SESSION_CACHE, prefix=".draft-"))
    try:
        compiled = subprocess.run(
            [javac, "--release", "11", "-nowarn", "-d", str(draft), str(SESSION_SOURCE)],
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
        if compiled.returncode != 0:
            raise SessionEnded(f"javac could not compile {SESSION_SOURCE.name}: {compiled.stderr.strip()[-2000:]}")
        try:
            draft.rename(folder)
        except OSError:  # another process published the same source's classes first
            if not (folder / f"{SESSION_CLASS}.class").is_file():
                raise
    finally:
        shutil.rmtree(draft, ignore_errors=True)
    return folder


@dataclass
class _Session:
    """One JVM running DccToolSession: a request written, its answer read, one at a time."""

    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @classmethod
    def start(cls, java: str, jar: Path, classes: Path) -> _Session:
        log = tempfile.TemporaryFile()  # the JVM's own stderr (its warnings), for the message if it ends
        process = subprocess.Popen(
            [java, "-Djava.security.manager=allow", "-cp", os.pathsep.join([str(classes), str(jar)]), SESSION_CLASS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        session = cls(process, log)
        try:
            (ready,) = struct.unpack(">i", session._read(4, time.monotonic() + RUN_SECONDS))
        except (SessionEnded, subprocess.TimeoutExpired) as problem:
            session.close()
            raise SessionEnded(f"the shared JVM did not start: {problem}") from None
        if ready != READY:
            session.close()
            raise SessionEnded(f"the shared JVM did not start: it wrote {ready:#x}")
        return session

    def run(self, args: list[str], stdin: bytes | None) -> tuple[int, bytes, bytes]:
        encoded = [arg.encode() for arg in args]
        request = struct.pack(">i", len(encoded)) + b"".join(struct.pack(">i", len(a)) + a for a in encoded)
        request += struct.pack(">i", -1) if stdin is None else struct.pack(">i", len(stdin)) + stdin
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(request)
            self.process.stdin.flush()
        except BrokenPipeError:
            raise SessionEnded(self._ended()) from None
        deadline = time.monotonic() + RUN_SECONDS
        (code,) = struct.unpack(">i", self._read(4, deadline))
        out = self._read(struct.unpack(">i", self._read(4, deadline))[0], deadline)
        err = self._read(struct.unpack(">i", self._read(4, deadline))[0], deadline)
        return code, out, err

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()  # end of input ends the session
            except BrokenPipeError:
                pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        chunks, left = [], size
        while left > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
                self.process.kill()
                raise subprocess.TimeoutExpired(self.process.args, RUN_SECONDS)
            chunk = os.read(descriptor, left)
            if not chunk:
                raise SessionEnded(self._ended())
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _ended(self) -> str:
        code = self.process.wait()
        self.log.seek(0)
        return f"the shared JVM ended ({code}): {self.log.read().decode(errors='replace').strip()[-2000:]}"


def run_tool(tool: DCCTool, mode: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return tool.run(mode, *args, stdin=stdin)


def sign_with_dcc_tool(tool: DCCTool, xml: bytes, *, preserve_counter: bool = False) -> bytes:
    """DCC's Sign with its built-in key for the RequestID's originator (it replaces the counter with the
    time in milliseconds unless told to keep it)."""
    result = run_tool(tool, "Sign", "-", *(["--preserveCounter"] if preserve_counter else []), stdin=xml)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def validate_with_dcc_tool(tool: DCCTool, folder: Path, name: str, xml: bytes) -> subprocess.CompletedProcess:
    """DCC's Validate on a message as the sandbox sent it (XSD, and the signature by its own library)."""
    path = folder / name
    path.write_bytes(xml)
    return run_tool(tool, "Validate", str(path))
