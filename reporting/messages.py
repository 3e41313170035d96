"""Every DUIS message as it was sent and received, byte for byte, one file per message:

    reports/messages/<feature>-L<line>/scenario.json          the scenario's name, location and clauses
    reports/messages/<feature>-L<line>/<e>.<n>-<leg>.xml      leg n of the scenario's e-th exchange
    reports/messages/<feature>-L<line>/m<n>-<name>.xml        a message attached on its own (attach_xml)

The runner names the folder in ``MP107_MESSAGES_DIR``; the formatter opens a scenario's folder when the
scenario starts; ``reporting.evidence.attach_exchange`` writes each leg. Without the variable nothing is
written (plain ``python -m behave``). The evidence pack carries the folder as it is.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from reporting.names import MESSAGES_ENV
from user_system.client import Exchange

SCENARIO_FILE = "scenario.json"


def slug(text: str, limit: int = 60) -> str:
    """Lower-case words joined by hyphens: safe as a file name on every system."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")[:limit].strip("-") or "message"


def scenario_key(location: str) -> str:
    """``features/mp107_correction.feature:34`` → ``mp107_correction-L34``: unique and stable per scenario."""
    path, _, line = location.rpartition(":")
    return f"{slug(Path(path).stem, 80).replace('-', '_')}-L{line}"


class MessageLog:
    """Writes each exchange's legs under the current scenario's folder (when a folder is configured)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.folder: Path | None = None
        self.exchanges = 0
        self.messages = 0

    @classmethod
    def from_environment(cls) -> MessageLog:
        value = os.environ.get(MESSAGES_ENV)
        return cls(Path(value) if value else None)

    def begin(self, location: str, name: str, clauses: list[str]) -> None:
        """A scenario starts: its folder, with who it is."""
        self.exchanges = self.messages = 0
        if self.root is None:
            self.folder = None
            return
        self.folder = self.root / scenario_key(location)
        self.folder.mkdir(parents=True, exist_ok=True)
        about = {"name": name, "location": location, "clauses": clauses}
        (self.folder / SCENARIO_FILE).write_text(json.dumps(about, indent=1, ensure_ascii=False) + "\n", "utf-8")

    def write_message(self, name: str, data: bytes) -> Path | None:
        """One message attached on its own (as the enrolment steps attach the DCC Commissioning Party's
        SRV 6.21 and the S1SP's answer): ``m<n>-<name>.xml``."""
        self.messages += 1
        if self.folder is None:
            return None
        path = self.folder / f"m{self.messages}-{slug(name)}.xml"
        path.write_bytes(data)
        return path

    def write(self, exchange: Exchange) -> list[Path]:
        """Each leg as it crossed; returns the files written (none when no folder is open)."""
        self.exchanges += 1
        if self.folder is None:
            return []
        written = []
        for number, leg in enumerate(exchange.legs, start=1):
            suffix = ".xml" if leg.xml.lstrip().startswith(b"<") else ".bin"
            path = self.folder / f"{self.exchanges}.{number}-{slug(leg.name)}{suffix}"
            path.write_bytes(leg.xml)
            written.append(path)
        return written
