"""Development tokens for the local API: the local stand-in for the Cognito user pool authorizer.

A token names a client id and its OAuth scopes (local/dev-tokens.json). `authorize` makes the authorizer's
decision for a route (401 without a known token, 403 without one of the route's scopes); the local API turns an
accepted token into the claims API Gateway's Cognito authorizer puts in `requestContext.authorizer.claims` for a
client-credentials access token.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tooling.sam_template import ApiRoute

DEFAULT_DEV_TOKENS_PATH = Path(__file__).resolve().parent / "dev-tokens.json"
LOCAL_ISSUER = "http://127.0.0.1/local-dev-tokens"
TOKEN_LIFETIME_S = 3600


class DevTokensError(ValueError):
    """dev-tokens.json is missing or malformed."""


@dataclass(frozen=True)
class DevToken:
    """One development bearer token and what it grants."""

    token: str
    client_id: str
    scopes: tuple[str, ...]

    def has_scopes(self, required: tuple[str, ...] | list[str]) -> bool:
        """API Gateway's rule for AuthorizationScopes: the token needs at least one of the route's scopes."""
        return not required or any(scope in self.scopes for scope in required)

    def claims(self, *, now: float | None = None) -> dict[str, str]:
        """The authorizer claims of a Cognito client-credentials access token (all values strings, as in AWS)."""
        issued = int(time.time() if now is None else now)
        return {
            "sub": self.client_id,
            "client_id": self.client_id,
            "token_use": "access",  # a claim name, not a password  # nosec B105
            "scope": " ".join(self.scopes),
            "iss": LOCAL_ISSUER,
            "auth_time": str(issued),
            "iat": str(issued),
            "exp": str(issued + TOKEN_LIFETIME_S),
            "jti": str(uuid.uuid4()),
            "version": "2",
        }


def load_dev_tokens(path: Path = DEFAULT_DEV_TOKENS_PATH) -> dict[str, DevToken]:
    """Token string -> DevToken, from a JSON file {"_comment": ..., "tokens": {token: {client_id, scopes}}}."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DevTokensError(f"dev tokens file not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise DevTokensError(f"{path} is not valid JSON: {exc}") from exc
    tokens = document.get("tokens") if isinstance(document, dict) else None
    if not isinstance(tokens, dict):
        raise DevTokensError(f"{path} needs a top-level 'tokens' object")
    out: dict[str, DevToken] = {}
    for token, entry in tokens.items():
        if not isinstance(entry, dict):
            raise DevTokensError(f"{path}: token {token!r} must map to an object")
        client_id = entry.get("client_id")
        scopes = entry.get("scopes")
        if not isinstance(client_id, str) or not client_id:
            raise DevTokensError(f"{path}: token {token!r} needs a non-empty string 'client_id'")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise DevTokensError(f"{path}: token {token!r} needs 'scopes' as a list of strings")
        out[token] = DevToken(token=token, client_id=client_id, scopes=tuple(scopes))
    return out


def bearer_token(authorization: str | None) -> str | None:
    """The token in an Authorization header: `Bearer <token>` (or the bare token, which Cognito also accepts)."""
    parts = (authorization or "").split()
    if parts and parts[0].lower() == "bearer":
        parts = parts[1:]
    return parts[0] if len(parts) == 1 else None


# ----------------------------------------------------------------------------------------- the authorizer


@dataclass(frozen=True)
class AuthDenied:
    """Why the authorizer refused a request: the gateway answers it with this status and JSON error."""

    status: int
    error: str
    message: str
    error_type: str


def authorize(
    route: ApiRoute, authorization: str | None, tokens: Mapping[str, DevToken]
) -> DevToken | AuthDenied | None:
    """The Cognito authorizer's decision: None for routes without auth, the token, or why it is denied."""
    if not route.auth_required:
        return None
    token_value = bearer_token(authorization)
    if token_value is None:
        return AuthDenied(401, "unauthorized", "missing Authorization: Bearer <token> header", "UnauthorizedException")
    token = tokens.get(token_value)
    if token is None:
        return AuthDenied(401, "unauthorized", "unknown or invalid token", "UnauthorizedException")
    if not token.has_scopes(route.scopes):
        needed = " or ".join(route.scopes)
        return AuthDenied(
            403, "forbidden", f"the token's client is not allowed this route (needs scope {needed})",
            "AccessDeniedException",
        )  # fmt: skip
    return token
