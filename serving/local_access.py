"""Local ports safe from a browser: the sandbox's JSON ports (Control API, Migration Control Centre, meter
events) can reset the sandbox, create Users and rewrite what meters hold, and the environment files fix
their port numbers, so any web page the tester opens could find them. A page can send a "simple" cross-site
POST (`text/plain`, no custom header) without asking, and can point a name of its own at 127.0.0.1 (DNS
rebinding). So every such port, by default:

- demands its token (`Authorization: Bearer <token>`), which a page cannot read: a random one made the first
  time and kept in `.sandbox/control-token` (file mode 0600, git-ignored), or the one given by
  `--control-token` / `$MP107_CONTROL_TOKEN`; the suite's clients read the same file (`local_token`), so
  `make report` and `make test` need no setting;
- takes a body only as `Content-Type: application/json` (a page cannot send that cross-site unasked);
- answers only a loopback `Host` (127.0.0.1, localhost, [::1], any port) and, when a browser names one, a
  loopback `Origin`: a page's own name resolved to 127.0.0.1 is refused.

Bound beyond loopback (with a token given explicitly, which the sandbox then requires) the Host and Origin
are not checked: the port is reached by other names on purpose, and the token is what guards it."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from serving.loopback import is_loopback_host, is_loopback_url
from serving.web import text

TOKEN_ENVIRONMENT = "MP107_CONTROL_TOKEN"
TOKEN_FILE = Path(__file__).resolve().parent.parent / ".sandbox" / "control-token"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def local_token(path: Path = TOKEN_FILE) -> str:
    """The token of this checkout's local ports: `$MP107_CONTROL_TOKEN` when set, else the one kept in
    `path`, made (random, 256 bits, mode 0600) the first time it is asked for."""
    given = os.environ.get(TOKEN_ENVIRONMENT)
    if given:
        return given
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    try:
        os.link(draft, path)  # published whole, or not at all: a reader never sees half a token
    except FileExistsError:  # another process made it first: use theirs
        token = path.read_text().strip()
    finally:
        draft.unlink()
    return token


class LocalAccess:
    """The guard of a local JSON port (see the module docstring); `any_host` once bound beyond loopback."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("a local port needs a token")
        self._expected = f"Bearer {token}".encode()
        self.any_host = False

    def __call__(self, request: Request) -> Response | None:
        if not self.any_host:
            host = urlsplit(f"//{request.headers.get('Host', '')}").hostname or ""
            if not is_loopback_host(host):
                return text(f"this port answers to a loopback Host (127.0.0.1, localhost, [::1]), not {host!r}", 403)
            origin = request.headers.get("Origin")
            if origin is not None and not is_loopback_url(origin):
                return text(f"this port takes no request from a web page of {origin!r}", 403)
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, self._expected):
            return text(
                "this port needs its token: Authorization: Bearer <token> (in .sandbox/control-token, or the"
                " --control-token / $MP107_CONTROL_TOKEN it was started with)",
                401,
            )
        carries = bool(request.mimetype) or _has_body(request)
        if request.method in BODY_METHODS and carries and request.mimetype != "application/json":
            return text(f"send the body as Content-Type: application/json, not {request.mimetype or 'none'!r}", 415)
        return None


def _has_body(request: Request) -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
