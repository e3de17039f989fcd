"""Whose request it is: the client a gateway names in `X-Colorizer-Client`, believed only when signed.

A gateway says for whom it sends a request ("key:<id>" with API keys, else "ip:<address>"):
video jobs are counted per client, and a key's jobs are private to it. With a signing
secret (`COLORIZER_SIGNING_SECRET`, the gateways' `GATEWAY_SIGNING_SECRET`), the gateway
signs that header (`X-Colorizer-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<client>">`,
gateway/src/clientIdentity.js) and the service believes only a signature made with it
within `MAX_SKEW_S`; anything else is the caller's own address. In keys mode
(`COLORIZER_AUTH=keys`, which needs the secret) a request without a valid signature is
refused (401 client_not_signed) on every route but health and the API document: reaching
the port is no way around the gateways' keys. tests/fixtures/client_signatures.json holds
examples both sides check; docs/security.md says how to deploy it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from flask import Flask, current_app, g, request

from inference_service.errors import ApiError

CLIENT_HEADER = "X-Colorizer-Client"
SIGNATURE_HEADER = "X-Colorizer-Signature"
# How old (or, for a gateway whose clock is ahead, how new) a signature may be: a captured
# header is of use for this long at most.
MAX_SKEW_S = 300
# Open in keys mode too: what a load balancer, a gateway's health round and a reader of the API need.
OPEN_PATHS = frozenset({"/", "/v1/health", "/openapi.json"})
_CLIENT = re.compile(r"^[A-Za-z0-9:._@/+=-]{1,128}$")
_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


def sign_client(secret: str, client: str, now: float | None = None) -> str:
    """The signature header value for `client` at `now` (unix seconds), as a gateway makes it."""
    timestamp = int(time.time() if now is None else now)
    mac = hmac.new(secret.encode(), f"{timestamp}.{client}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_valid(secret: str, client: str, signature: str, now: float | None = None) -> bool:
    """Whether `signature` is `client`'s, made with `secret` no more than MAX_SKEW_S from `now`."""
    match = _SIGNATURE.match(signature)
    if not match:
        return False
    timestamp = int(match.group(1))
    now = time.time() if now is None else now
    if abs(now - timestamp) > MAX_SKEW_S:
        return False
    return hmac.compare_digest(sign_client(secret, client, timestamp), signature)


def _named_client() -> str | None:
    """The client the header names, when it is well-formed and (with a secret) validly signed."""
    named = request.headers.get(CLIENT_HEADER, "").strip()
    if not named or not _CLIENT.match(named):
        return None
    secret = current_app.extensions["colorizer"].settings.signing_secret
    if not secret:
        return named  # no secret (one machine, loopback only): the header is taken as it is
    return named if signature_valid(secret, named, request.headers.get(SIGNATURE_HEADER, "").strip()) else None


def request_client() -> str:
    """The client of this request: the one a gateway named (signed, with a secret), else the caller's address."""
    if "colorizer_client" not in g:
        named = _named_client()
        g.colorizer_client_named = named is not None
        g.colorizer_client = named or f"ip:{request.remote_addr or 'unknown'}"
    return g.colorizer_client


def install_client_check(app: Flask) -> None:
    """In keys mode, refuse every request but the open ones unless a gateway signed its client."""
    settings = app.extensions["colorizer"].settings
    if settings.auth != "keys":
        return

    @app.before_request
    def require_signed_client() -> None:
        if request.path in OPEN_PATHS:
            return
        request_client()
        # Keys mode has a secret: a client is named only with a valid signature.
        if not g.colorizer_client_named:
            raise ApiError(
                401,
                "client_not_signed",
                "This service takes requests from its gateways only (COLORIZER_AUTH=keys): send them there.",
            )
