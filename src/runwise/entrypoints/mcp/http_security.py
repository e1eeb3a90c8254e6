"""Who may talk to the HTTP server: a bearer token off loopback, and Host/Origin checks always.

Binding to anything but loopback serves every run under the roots to whoever reaches the port, so
it needs a token (`--token-file` or RUNWISE_MCP_TOKEN), checked by the MCP SDK's own bearer-auth
middleware through a TokenVerifier that compares in constant time. DNS-rebinding protection (the
SDK's Host/Origin checks) stays on for every address; `--allow-host`/`--allow-origin` extend it.
"""

from __future__ import annotations

import hmac
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from runwise.domain.errors import ConfigError
from runwise.domain.shared_repr import fields_repr

TOKEN_ENV = "RUNWISE_MCP_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_TOKEN_CHARS = 16


class StaticTokenVerifier:
    """Accepts exactly one shared secret; hmac.compare_digest keeps the comparison time constant."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        if hmac.compare_digest(token.encode(), self._secret):
            return AccessToken(token=token, client_id="runwise-team", scopes=[])
        return None


@attrs.frozen
class HttpSecurity:
    """The token (None on loopback without one) and the Host/Origin allow-lists."""

    __repr__ = fields_repr

    token: str | None
    allowed_hosts: tuple[str, ...]
    allowed_origins: tuple[str, ...]

    def server_options(self, host: str, port: int) -> dict[str, Any]:
        """Keyword arguments for MCPServer: the SDK's auth settings and our verifier."""
        if self.token is None:
            return {}
        from mcp.server.auth.settings import AuthSettings

        shown = f"[{host}]" if ":" in host else host
        return {
            "auth": AuthSettings(issuer_url=f"http://{shown}:{port}", resource_server_url=None),  # type: ignore[arg-type]
            "token_verifier": StaticTokenVerifier(self.token),
        }

    def transport_security(self) -> Any:
        from mcp.server.transport_security import TransportSecuritySettings

        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(self.allowed_hosts),
            allowed_origins=list(self.allowed_origins),
        )


def http_security(
    host: str,
    *,
    token_file: Path | None = None,
    env: dict[str, str] | None = None,
    allow_hosts: Sequence[str] = (),
    allow_origins: Sequence[str] = (),
) -> HttpSecurity:
    """What the HTTP server on `host` requires; a non-loopback address without a token is a ConfigError."""
    token = _token(token_file, os.environ if env is None else env)
    if token is None and host not in LOOPBACK:
        raise ConfigError(
            f"serving on {host} (not loopback) needs a bearer token",
            f"pass --token-file FILE or set {TOKEN_ENV} (at least {MIN_TOKEN_CHARS} characters), "
            "or keep --host 127.0.0.1",
        )
    names = [*LOOPBACK, *allow_hosts]
    if host not in ("0.0.0.0", "::", *LOOPBACK):
        names.append(host)
    if host in ("0.0.0.0", "::"):
        names.extend({socket.gethostname(), socket.getfqdn()})
    hosts = tuple(dict.fromkeys(_with_port(name) for name in names))
    origins = tuple(
        dict.fromkeys([*(f"http://{_with_port(name)}" for name in names), *(o.rstrip("/") for o in allow_origins)])
    )
    return HttpSecurity(token, hosts, origins)


def _with_port(name: str) -> str:
    """`name:*` (any port) unless the name already carries one."""
    if name.startswith("["):
        return name if "]:" in name else f"{name}:*"
    if name.count(":") > 1:  # a bare IPv6 address
        return f"[{name}]:*"
    return name if ":" in name else f"{name}:*"


def _token(token_file: Path | None, env: dict[str, str] | os._Environ[str]) -> str | None:
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the token file {token_file}", "pass a readable text file") from exc
    else:
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise ConfigError(
            f"the MCP token must be at least {MIN_TOKEN_CHARS} characters without spaces",
            "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return token
