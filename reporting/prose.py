"""How the evidence reads: scenario names as written, example values in words, and two slips of English
that Scenario Outlines make when a value is put in a sentence ("a electricity meter", "Eastern
Networks's"). The features stay as the analysts wrote them; what the report shows reads as English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

OUTLINE_ANNOTATION = re.compile(r"\s+--\s+@\d+(?:\.\d+)*(?:\s.*)?$")
"""What behave appends to each outline row's name: ``-- @1.2 <Examples name>``."""

_ARTICLE = re.compile(r"\b([Aa]) (?=(?:[aeioAEIO]|u[nm]|U[nm])\w)")
_PLURAL_POSSESSIVE = re.compile(r"\b([A-Z]\w*[b-df-hj-np-rtv-z]s)'s\b")
"""A capitalised word ending in a consonant and 's' is read as a plural name: "Networks's" → "Networks'"
("Cadent Gas's" and "Bus's" keep theirs)."""
EUI64 = re.compile(r"\b(?:[0-9A-F]{2}-){7}[0-9A-F]{2}\b")
"""An entity or device identifier as DUIS writes it: eight hex octets joined by hyphens."""


def tidy(text: str) -> str:
    """The sentence with "a" before a vowel sound made "an", and a plural name's possessive made "s'"."""
    text = _ARTICLE.sub(lambda match: "An " if match.group(1) == "A" else "an ", text)
    return _PLURAL_POSSESSIVE.sub(r"\1'", text)


def without_outline_annotation(name: str) -> str:
    """An outline row's name as written, without behave's ``-- @1.1 <Examples>`` suffix."""
    return OUTLINE_ANNOTATION.sub("", name)


def values_in_words(values: Iterable[tuple[str, str]]) -> str:
    """``meter: electricity meter; s1sp: S1SP1``: a row of Examples as a reader reads it."""
    return "; ".join(f"{name}: {value}" for name, value in values)


def example_in_words(examples_name: str, row_number: str, values: Iterable[tuple[str, str]]) -> str:
    """Where an outline row comes from and what it sets, in one sentence."""
    table = f'Examples "{examples_name}"' if examples_name else "Examples"
    return f"{table}, row {row_number}: {values_in_words(values)}."


def scenario_title(name: str, template: str | None = None, values: Iterable[tuple[str, str]] = ()) -> str:
    """The name a reader sees: as written, tidied; an outline row whose name has no placeholder gets its
    values in brackets, so that no two rows share a name."""
    title = tidy(without_outline_annotation(name))
    values = list(values)
    if template is not None and "<" not in template and values:
        title += f" ({values_in_words(values)})"
    return title


def with_names(text: str, names: Mapping[str, str]) -> str:
    """Every identifier the names know replaced by ``Name (ID)``; the others left as they are."""
    return EUI64.sub(
        lambda match: f"{names[match.group(0)]} ({match.group(0)})" if match.group(0) in names else match.group(0), text
    )
