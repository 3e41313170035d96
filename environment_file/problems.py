"""What is wrong with an environment file, and how it is said: one `Problem` per thing wrong (the key, what
is wrong, the fix), all of a file's in one `EnvironmentFileError`, and the few phrasing helpers every part of
the reader words its problems with, so that a file's author reads one voice whichever check spoke."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Loc = tuple[str | int, ...]
"""Where in the file: the keys and positions from the top (`("meters", 3, "registered", "supplier")`)."""


def key_of(loc: Loc) -> str:
    """The key as the file's author writes it: `meters[3].registered.supplier` (positions count from 0)."""
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part != "[key]":  # pydantic's mark for a table's key (rather than its value): the key is named
            key += f".{part}" if key else part
    return key


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an environment file: the offending key, what is wrong, and the fix."""

    key: str
    what: str
    fix: str
    loc: Loc = field(default=(), compare=False, repr=False)
    """Where the key is, to put the problems of a file in the file's order."""

    def __str__(self) -> str:
        return f"{self.key}: {self.what}; {self.fix}"

    @classmethod
    def at(cls, loc: Loc, what: str, fix: str) -> Problem:
        return cls(key_of(loc), what, fix, loc)


class EnvironmentFileError(ValueError):
    """An environment file the suite cannot run from. Its message is the whole report (the file's path,
    then one line per problem), so that whoever runs the suite fixes everything in one go."""

    def __init__(self, path: str | Path, problems: Sequence[Problem]) -> None:
        self.path = Path(path)
        self.problems = tuple(problems)
        lines = [f"{path} is not a usable environment file:", *(f"- {problem}" for problem in self.problems)]
        super().__init__("\n".join(lines))


# --- phrasing ----------------------------------------------------------------------------------------
def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    """The known word the author most likely meant (a typo, or the same word in another case), if any."""
    known = list(known)
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if not close:
        return {k.lower(): k for k in known}.get(word.lower())
    return close[0]


def kind(value: object) -> str:
    """How a TOML value reads to the person who wrote it ("the string 'x'", "a table")."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def a(noun: str) -> str:
    """The noun with its indefinite article ("an ESME", "a Gas Transporter")."""
    return f"{'an' if noun[:1] in 'AEIOU' else 'a'} {noun}"


def toml(value: Any) -> str:
    """A value as TOML writes it (`"ESME"`, `true`, `1`)."""
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def listing(values: Sequence[Any]) -> str:
    return ", ".join(toml(v) for v in values)
