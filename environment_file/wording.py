"""Pydantic's findings in the project's words: each error of a validation becomes one `Problem` (the key,
what is wrong, the fix), worded from the error's type, the value found and what the schema declares of
the key (its example, what its value is, the values it may take, the keys of its table). Pydantic's own
messages and links are never shown: a type without a sentence here gets a plain one that names the key."""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from environment_file.fields import NEVER_INLINE, RULE, WRITE_IT
from environment_file.problems import Loc, Problem, did_you_mean, kind, listing, toml

_WHAT_IT_MUST_BE = {  # by pydantic's error type, where the key declares no word of its own
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "dict_type": "a table",
    "model_type": "a table",
    "list_type": "a list",
}
_BOUNDS = {"greater_than": "greater than", "greater_than_equal": "at least", "less_than": "less than"}
_SECRETS = ("password", "passphrase", "secret", "private_key", "pin")


@dataclass(frozen=True)
class _Key:
    """What the schema declares of the key an error is at."""

    name: str
    """The key's own name, as `name = ...` writes it (a table's key for a value in it; a list's for an item)."""
    example: str = ""
    word: str | None = None
    """What its value is, said when a value of another type is found ("a port number")."""
    choices: tuple[Any, ...] = ()
    """The values it may take, when the schema lists them."""
    siblings: tuple[str, ...] = ()
    """The keys of the table it is in, when that table is declared."""
    keys: tuple[str, ...] = ()
    """Its own keys, when it is a section."""
    array: bool = False
    """Whether it is an array of tables (`[[meters]]`)."""


def problems_in(error: ValidationError, schema: type[BaseModel]) -> list[Problem]:
    """Every error of a validation against `schema`, each as one problem."""
    return [problem_of(details, schema) for details in error.errors(include_url=False)]


def problem_of(details: ErrorDetails, schema: type[BaseModel]) -> Problem:
    loc: Loc = tuple(details["loc"])
    key = _declared(schema, loc)
    error = details["type"]
    what, fix = _sentence(error, details.get("input"), details.get("ctx") or {}, loc, key)
    fix = fix.replace("{name}", key.name).replace("{example}", key.example)
    if len(loc) == 1 and error in ("missing", "too_short"):  # a missing section is named as it is written
        return Problem(f"[[{key.name}]]" if key.array else f"[{key.name}]", what, fix, loc)
    return Problem.at(loc, what, fix)


def _sentence(error: str, value: Any, ctx: dict[str, Any], loc: Loc, key: _Key) -> tuple[str, str]:
    """What is wrong and the fix, for an error of type `error` at `loc` (the value found was `value`)."""
    top = len(loc) == 1
    if error == RULE:
        return ctx["what"], ctx["fix"]
    if error in ("missing", "too_short") and top:
        if key.array:
            return "none is declared", f"add at least one [[{key.name}]] table"
        return "is missing", f"add a [{key.name}] section ({', '.join(key.keys)})"
    if error == "missing":
        if key.choices:
            return "is missing", f"add {key.name} = {toml(key.choices[0])} (one of {listing(key.choices)})"
        return "is missing", "add {name} = {example}"
    if error == "extra_forbidden":
        return _unknown(key, value, top)
    if error == "literal_error":
        guess = did_you_mean(value, [str(c) for c in key.choices]) if isinstance(value, str) else None
        fix = f"did you mean {toml(guess)}?" if guess else f"use one of {listing(key.choices)}"
        return f"is {kind(value)}, not one of {listing(key.choices)}", fix
    if error in _WHAT_IT_MUST_BE:
        if top and key.array:
            return f"is {kind(value)}, not a list of tables", f"write each as a [[{key.name}]] table (double brackets)"
        if top:
            return f"is {kind(value)}, not a table", f"write it as a [{key.name}] section"
        if len(loc) == 2 and isinstance(loc[1], int):
            return f"is {kind(value)}, not a table", f"write it as a [[{loc[0]}]] table"
        return f"is {kind(value)}, not {key.word or _WHAT_IT_MUST_BE[error]}", WRITE_IT
    if error in _BOUNDS:
        bound = next(iter(ctx.values()), "")
        if error == "greater_than" and bound == 0:
            return f"is {value}", f"give a positive {(key.word or 'a number').removeprefix('a ')}, e.g. {{example}}"
        return f"is {value}", f"give {key.word or 'a number'} {_BOUNDS[error]} {bound}, e.g. {{example}}"
    return f"is {kind(value)}, not a value {key.name} can take", WRITE_IT


def _unknown(key: _Key, value: Any, top: bool) -> tuple[str, str]:
    """A key the schema does not declare: a secret written inline, a typo, or a key that has no place."""
    if key.name in _SECRETS:
        return "is a secret written inline", NEVER_INLINE.replace("key_env", "password_env")
    what = "is not a known section" if top and isinstance(value, dict | list) else "is not a known key"
    guess = did_you_mean(key.name, key.siblings)
    return what, f"did you mean {guess!r}?" if guess else f"remove it (known: {', '.join(key.siblings)})"


# --- what the schema declares of a key ----------------------------------------------------------------
def _declared(schema: type[BaseModel], loc: Loc) -> _Key:
    """Walk `loc` down the schema's annotations to the key it names, gathering what is declared of it."""
    annotation: Any = schema
    name, example, word = "", "", None
    siblings: tuple[str, ...] = ()
    for part in loc:
        annotation, infos = _bare(annotation)
        example, word = _described(infos, example, word)
        if part == "[key]":  # the error is in a table's key, not its value: the key is named
            break
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = annotation.model_fields
            name, siblings = str(part), tuple(fields)
            if part not in fields:
                return _Key(name, siblings=siblings)
            field = fields[str(part)]
            example, word = _described([field], "", None)
            annotation = field.annotation
        elif get_origin(annotation) is dict:  # a value in a table of the file's own keys: its declaration
            name, annotation, example, word = str(part), get_args(annotation)[1], "", None
        elif get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        else:
            break
    annotation, infos = _bare(annotation)
    example, word = _described(infos, example, word)
    if get_origin(annotation) is Literal:
        return _Key(name, example, word, get_args(annotation), siblings)
    if len(loc) == 1 and get_origin(annotation) is list:
        return _Key(name, example, word, siblings=siblings, array=True)
    if len(loc) == 1 and isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _Key(name, example, word, siblings=siblings, keys=tuple(annotation.model_fields))
    return _Key(name, example, word, siblings=siblings)


def _bare(annotation: Any) -> tuple[Any, list[FieldInfo]]:
    """The annotation without `Annotated[...]` and `| None`, and the `Field`s its `Annotated` carried."""
    infos: list[FieldInfo] = []
    while True:
        if get_origin(annotation) is Annotated:
            infos += [m for m in annotation.__metadata__ if isinstance(m, FieldInfo)]
            annotation = annotation.__origin__
        elif get_origin(annotation) in (Union, types.UnionType):
            rest = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(rest) != 1:
                return annotation, infos
            annotation = rest[0]
        else:
            return annotation, infos


def _described(infos: Iterable[FieldInfo], example: str, word: str | None) -> tuple[str, str | None]:
    """The example and the word the innermost declaration gives, else those already found."""
    for info in infos:
        if info.examples:
            example = str(info.examples[0])
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("word"):
            word = str(extra["word"])
    return example, word
