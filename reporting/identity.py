"""Who ran what, where and when: the run identity every piece of evidence carries (the report's
Environment panel, the matrix header, the JUnit properties, the sign-off sheet and the evidence pack).

- when: the run's start, UTC, ISO 8601;
- what: the commit (and whether the work tree had changes), the branch, the tool versions;
- where: the target (embedded sandbox or the endpoints given) and, when given, the environment file
  (``--environment FILE``, a TOML description of a DCC test environment) with its SHA-256;
- who: ``[run] operator`` (and ``organisation``) of the environment file, else ``$MP107_OPERATOR``, else
  the CI's actor (``GITHUB_ACTOR``, ``GITLAB_USER_LOGIN``), else the operating-system user.

Nothing secret is recorded: a value whose key looks like a key, token, password or secret is replaced
by ``(redacted)`` wherever the identity is written.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from environment_file import DCC_TEST_ENVIRONMENT

SECRET_KEY = re.compile(r"(?i)(pass(word|phrase)?|secret|token|api[_-]?key|private|credential|(^|[_.-])key$)")
"""A setting whose name says it is secret; its value never leaves the machine."""
REDACTED = "(redacted)"
IDENTITY_FILE = "run-identity.json"
EMBEDDED = "embedded sandbox"


def is_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def redact(values: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping with every secret-looking value replaced, nested tables too."""
    return {
        key: (REDACTED if is_secret(str(key)) else redact(value) if isinstance(value, Mapping) else value)
        for key, value in values.items()
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def git_output(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _tool(command: list[str]) -> str:
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        return "not installed"
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines and done.returncode == 0 else "not installed"


def _package(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def tool_versions(root: Path) -> dict[str, str]:
    """The versions of what made the evidence."""
    allure = root / "node_modules" / "allure" / "package.json"
    return {
        "python": platform.python_version(),
        "behave": _package("behave"),
        "allure-behave": _package("allure-behave"),
        "allure": json.loads(allure.read_text())["version"] if allure.exists() else "not installed",
        "node": _tool(["node", "--version"]),
        "platform": platform.platform(),
    }


def read_environment_file(path: Path) -> dict[str, Any]:
    """The environment description (TOML); an unreadable file is an error the run reports."""
    with path.open("rb") as stream:
        return tomllib.load(stream)


@dataclass(frozen=True)
class RunIdentity:
    """The identity of one run (or of the runs a merge joined: then ``shards`` lists them)."""

    started: str
    commit: str
    branch: str
    work_tree: str
    target: str
    environment_file: str
    environment_sha256: str
    operator: str
    organisation: str
    switches: str
    tags: str
    shard: str
    tools: dict[str, str] = field(default_factory=dict)
    userdata: dict[str, str] = field(default_factory=dict)
    shards: tuple[str, ...] = ()
    target_kind: str = EMBEDDED
    """What the target is: the embedded sandbox, or what the environment file's ``[run] kind`` says."""

    @property
    def uit_evidence(self) -> bool:
        """Only a run against a DCC test environment is UIT evidence."""
        return self.target_kind == DCC_TEST_ENVIRONMENT

    @property
    def kind_words(self) -> str:
        return self.target_kind or "kind not declared"

    @property
    def evidence_banner(self) -> str:
        """What the sheet says first when the run is not UIT evidence ("" when it is)."""
        if self.uit_evidence:
            return ""
        if self.target_kind == EMBEDDED:
            return "Embedded sandbox: not UIT evidence"
        if not self.target_kind:
            return (
                "The environment file does not say it describes a DCC test environment ([run] kind): "
                "not UIT evidence"
            )
        return f"{self.target_kind[:1].upper()}{self.target_kind[1:]}: not UIT evidence"

    @property
    def short_commit(self) -> str:
        return self.commit[:12] if re.fullmatch(r"[0-9a-f]{40}", self.commit) else self.commit

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["userdata"] = redact(self.userdata)
        values["shards"] = list(self.shards)
        return values

    def properties(self) -> dict[str, str]:
        """Flat ``run.*`` keys: the Environment panel and the JUnit properties."""
        flat = {
            "run.started": self.started,
            "run.commit": self.commit,
            "run.branch": self.branch,
            "run.work_tree": self.work_tree,
            "run.target": self.target,
            "run.environment_file": self.environment_file,
            "run.environment_sha256": self.environment_sha256,
            "run.operator": self.operator,
            "run.organisation": self.organisation,
            "run.switches": self.switches,
            "run.tags": self.tags,
            "run.shard": self.shard,
            "run.target_kind": self.target_kind or "not declared",
            "run.uit_evidence": "yes" if self.uit_evidence else f"no ({self.evidence_banner})",
        }
        if self.shards:
            flat["run.shards"] = "; ".join(self.shards)
        flat |= {f"tool.{name}": version for name, version in self.tools.items()}
        flat |= {f"userdata.{key}": str(value) for key, value in redact(self.userdata).items()}
        return flat

    def rows(self) -> list[tuple[str, str]]:
        """The identity as a person reads it, in the order a sign-off sheet lists it."""
        rows = [
            ("Run started (UTC)", self.started),
            ("Commit", f"{self.commit} ({self.branch}; work tree {self.work_tree})"),
            ("Target", self.target if self.target_kind == EMBEDDED else f"{self.target} ({self.kind_words})"),
            ("Environment file", self.environment_file),
        ]
        if self.environment_sha256:
            rows.append(("Environment file SHA-256", self.environment_sha256))
        rows += [
            ("Run by", f"{self.operator} ({self.organisation})" if self.organisation else self.operator),
            ("MP107 switches", self.switches),
            ("Scenarios selected", self.tags + (f"; shard {self.shard}" if self.shard else "")),
            ("Tools", ", ".join(f"{name} {version}" for name, version in self.tools.items() if name != "platform")),
        ]
        if self.shards:
            rows.append(("Merged from", "; ".join(self.shards)))
        return rows

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / IDENTITY_FILE
        path.write_text(json.dumps(self.as_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, folder: Path) -> RunIdentity | None:
        path = folder / IDENTITY_FILE
        if not path.is_file():
            return None
        values = json.loads(path.read_text(encoding="utf-8"))
        values["shards"] = tuple(values.get("shards", ()))
        return cls(**values)


def describe_switches(recorded: str | Mapping[str, Any] | None) -> str:
    """``DSP on; S1SP1 on, S1SP2 off`` from the Control API's switch states (JSON or a mapping)."""
    if not recorded:
        return "not recorded"
    try:
        states = json.loads(recorded) if isinstance(recorded, str) else dict(recorded)
    except json.JSONDecodeError:
        return str(recorded)
    if not isinstance(states, Mapping):
        return str(recorded)

    def word(value: object) -> str:
        return "on" if value is True else "off" if value is False else str(value)

    parts = [f"DSP {word(states.get('dsp_mp107'))}"] if "dsp_mp107" in states else []
    s1sps = states.get("s1sp_mp107")
    if isinstance(s1sps, Mapping):
        parts.append(", ".join(f"{name} {word(value)}" for name, value in sorted(s1sps.items())))
    return "; ".join(parts) or json.dumps(states, sort_keys=True)


def declared_switches(environment: Mapping[str, Any], file_name: str) -> str:
    """The MP107 switch states an environment file declares (``[change]``), as the evidence states them."""
    change = environment.get("change")
    if not isinstance(change, Mapping):
        return f"not declared ({file_name} has no [change])"

    def names(key: str) -> str:
        value = change.get(key)
        return ", ".join(str(name) for name in value) if isinstance(value, list) and value else "no S1SP"

    switch = change.get("dsp_switch")
    parts = [
        f"the DCC's switch {'on' if switch is True else 'off' if switch is False else 'not declared'}",
        f"enabled at {names('s1sps_enabled')}",
    ]
    if change.get("s1sps_not_answering"):
        parts.append(f"not answering: {names('s1sps_not_answering')}")
    return f"declared by {file_name}: " + "; ".join(parts)


def _operator(environment: Mapping[str, Any]) -> tuple[str, str]:
    run = environment.get("run", {}) if isinstance(environment.get("run"), Mapping) else {}
    operator = (
        run.get("operator")
        or os.environ.get("MP107_OPERATOR")
        or os.environ.get("GITHUB_ACTOR")
        or os.environ.get("GITLAB_USER_LOGIN")
    )
    if not operator:
        try:
            operator = getpass.getuser()
        except (KeyError, OSError):
            operator = "unknown"
    organisation = run.get("organisation") or os.environ.get("MP107_ORGANISATION") or ""
    return str(operator), str(organisation)


def run_identity(
    root: Path,
    *,
    environment_file: Path | None = None,
    target: str = "embedded sandbox",
    switches: str = "set per scenario (see each scenario's Given steps)",
    tags: Iterable[str] = (),
    shard: str = "",
    userdata: Mapping[str, str] | None = None,
    started: dt.datetime | None = None,
) -> RunIdentity:
    """The identity of a run about to start in `root` (a git work tree, or not)."""
    environment: dict[str, Any] = {}
    environment_path, environment_hash, kind = "none (the embedded sandbox)", "", EMBEDDED
    if environment_file is not None:
        environment = read_environment_file(environment_file)
        environment_path, environment_hash = str(environment_file), sha256_file(environment_file)
        run_table = environment.get("run")
        run: Mapping[str, Any] = run_table if isinstance(run_table, Mapping) else {}
        kind = str(run.get("kind") or "")
        switches = declared_switches(environment, environment_file.name)
    operator, organisation = _operator(environment)
    status = git_output(root, "status", "--porcelain", "--untracked-files=no")
    moment = (started or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    return RunIdentity(
        started=moment.isoformat().replace("+00:00", "Z"),
        commit=git_output(root, "rev-parse", "HEAD") or "unknown (not a git work tree)",
        branch=git_output(root, "rev-parse", "--abbrev-ref", "HEAD") or "unknown",
        work_tree="unknown" if status is None else ("clean" if not status else "with uncommitted changes"),
        target=target,
        environment_file=environment_path,
        environment_sha256=environment_hash,
        operator=operator,
        organisation=organisation,
        switches=switches,
        tags=" and ".join(tags) or "all scenarios",
        shard=shard,
        tools=tool_versions(root),
        userdata=dict(userdata or {}),
        target_kind=kind,
    )
