"""The kinds of value an environment file is made of, as pydantic types that check them (text, an http(s)
URL, a file's path, an environment variable's name, a PKCS#11 URI, an EUI-64, a list of names), `toml_key`
to declare a key with the example its fixes show, and the two ways a check says that a rule is broken:
`broken` (one problem) and `Broken` (several at once, each at its own key).

A check here says only what is wrong with a value of the right type: pydantic finds a missing key, a value
of the wrong type or an unknown key, and `environment_file.wording` says those in the project's words."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic.json_schema import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticUndefined

from duis.requests import normalise_eui64
from environment_file.problems import Loc

RULE = "environment_file_rule"
"""The error type of a broken rule; its context holds the problem's `what` and `fix`."""

WRITE_IT = "write it as {name} = {example}"
"""The fix of a value wrong in itself. A fix may name the key (`{name}`) and show the example its
`toml_key` declares (`{example}`): `environment_file.wording` fills both in."""

NEVER_INLINE = (
    "secrets are never inlined: put it in a file and give the file's path (relative to this file's folder), "
    'or for a key name the environment variable that holds it (key_env = "VAR")'
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BASE64_BLOB = re.compile(r"^[A-Za-z0-9+/=\s]{64,}$")


def toml_key(
    example: str, default: Any = PydanticUndefined, *, word: str | None = None, rules: bool = False, **constraints: Any
) -> Any:
    """Declare a key of the file. `example` is how it is written (`"http://127.0.0.1:18079"`), shown in every
    fix that rewrites it; `word` says what its value is when it is of the wrong type ("a port number");
    `rules=True` runs the key's rules even when it is absent (a rule may require it, given the keys before
    it). Without `default` the key is required."""
    extra: JsonDict | None = {"word": word} if word else None
    return Field(default, examples=[example], json_schema_extra=extra, validate_default=rules, **constraints)


def broken(what: str, fix: str = WRITE_IT) -> PydanticCustomError:
    """A rule broken by the value being checked: raise it."""
    return PydanticCustomError(RULE, "{what}", {"what": what, "fix": fix})


class Broken:
    """The broken rules of one part of the file, raised together at their own keys: pydantic stops a
    validator at the first error it raises, and the file's author should read every one at once."""

    def __init__(self) -> None:
        self._found: list[InitErrorDetails] = []

    def add(self, what: str, fix: str = WRITE_IT, *, at: Loc = ()) -> None:
        """`at`: the key below the one being checked (`("key",)`), or nothing for that key itself."""
        self._found.append(InitErrorDetails(type=broken(what, fix), loc=at, input=None))

    def raise_any(self) -> None:
        if self._found:
            raise ValidationError.from_exception_data("environment file", self._found)


def looks_inline(value: str) -> bool:
    """A value that is a PEM or a base64 blob rather than the name of a file or a variable."""
    return "-----BEGIN" in value or "\n" in value or bool(_BASE64_BLOB.match(value) and "." not in value)


# --- the values ---------------------------------------------------------------------------------------
def _text(value: str) -> str:
    text = value.strip()
    if not text:
        raise broken("is empty")
    return text


Text = Annotated[str, AfterValidator(_text)]
"""A string with something in it, read without its surrounding spaces."""


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        an_url = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
    except ValueError:  # an unclosed [IPv6 address]
        an_url = False
    if not an_url:
        raise broken(f"{value!r} is not an http:// or https:// URL", "write it like {name} = {example}")
    if parts.query or parts.fragment:
        raise broken(f"{value!r} has a query or fragment", "give the base URL alone")
    return value


Url = Annotated[Text, AfterValidator(_http_url)]


def _not_an_inline_file(value: object) -> object:
    if isinstance(value, str) and looks_inline(value):
        raise broken("holds the PEM (or key) itself instead of a file's path", NEVER_INLINE)
    return value


FilePath = Annotated[Text, BeforeValidator(_not_an_inline_file)]
"""A file's path as written, relative to the environment file's folder (resolved when the file is read)."""


def _not_an_inline_secret(value: object) -> object:
    if isinstance(value, str) and looks_inline(value):
        raise broken("holds a secret itself instead of a variable's name", NEVER_INLINE)
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise broken(
            f"{value!r} is not an environment variable's name",
            "give the variable's name (letters, digits and _), not its value",
        )
    return value


EnvName = Annotated[Text, AfterValidator(_env_name), BeforeValidator(_not_an_inline_secret)]


def _pkcs11_uri(value: str) -> str:
    if not value.startswith("pkcs11:"):
        raise broken(f"{value!r} is not a PKCS#11 URI", 'write it like "pkcs11:token=...;object=..."')
    return value


Pkcs11Uri = Annotated[Text, AfterValidator(_pkcs11_uri)]


def _eui64(value: str) -> str:
    try:
        return normalise_eui64(value)
    except ValueError:
        raise broken(
            f"{value!r} is not an EUI-64 identifier", "write 8 hexadecimal bytes joined by dashes, like {example}"
        ) from None


Eui64 = Annotated[Text, AfterValidator(_eui64)]
"""An EUI-64 (a User ID, a Device ID), held canonical (upper case) whichever case it is written in."""


def _each_once(names: list[str]) -> list[str]:
    found = Broken()
    for i, name in enumerate(names):
        if name in names[:i]:
            found.add(f"{name!r} is named twice", "name each once", at=(i,))
    found.raise_any()
    return names


Names = Annotated[list[Annotated[Text, Field(json_schema_extra={"word": "a name"})]], AfterValidator(_each_once)]
"""A list of names (of S1SPs), each once."""
